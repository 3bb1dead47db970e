// Per-operation cost under the WASM3 interpreter, measured through build/selftest.wasm's
// line protocol (docs/SELFTEST.md). A run with N work lines minus a run with the same
// preamble and no work lines (module load, compile, registration) leaves the work alone;
// medians over several interleaved runs, divided by N. Every answer line is checked, so a
// runtime that skips work or answers wrongly cannot produce a fast figure.
import { accessSync, constants } from "node:fs";
import { spawnSync } from "node:child_process";
import { performance } from "node:perf_hooks";
import type { Fixture, FixtureSet } from "./fixtures.ts";
import { median } from "./measure.ts";

export interface Wasm3Figure {
  /** Milliseconds per operation (median run time minus median baseline, over N). */
  msPerOp: number;
  lines: number;
  workRunMs: number[];
  baselineRunMs: number[];
}

export interface Wasm3Result {
  runtime: string;
  clock: Clock;
  version: string | null;
  verify: Wasm3Figure;
  verifyRegistered: Wasm3Figure;
  sign: Wasm3Figure;
}

export interface Wasm3Options {
  runs: number;
  /** Wall time a work run should take, so the subtraction is not lost in process noise. */
  targetRunMs: number;
}

const ISSUER_SLOT = 0;
/** Bounds on work lines per run: enough to swamp start-up noise, few enough to finish. */
const LINES_MIN = 16;
const LINES_MAX = 4096;
/** Work lines in the calibration run that sizes N. */
const CALIBRATION_LINES = 8;
/** Cap on one runtime invocation: a hung runtime fails the benchmark instead of stalling it. */
const RUN_TIMEOUT_MS = 120_000;

const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");

interface Job { input: string; expected: string[] }

interface Kind {
  name: string;
  line(f: Fixture): string;
  answer(f: Fixture): string;
  set: readonly Fixture[];
}

function kinds(fx: FixtureSet): Kind[] {
  return [
    { name: "verify", set: fx.wallets, answer: () => "ok",
      line: (f) => `verify ${hex(f.signer.publicKey)} ${hex(f.message)} ${hex(f.signature)}` },
    { name: "verify-registered", set: fx.issuer, answer: () => "ok",
      line: (f) => `verify-registered ${ISSUER_SLOT} ${hex(f.message)} ${hex(f.signature)}` },
    { name: "sign", set: fx.wallets, answer: (f) => hex(f.signature),
      line: (f) => `sign ${hex(f.signer.seed)} ${hex(f.message)}` },
  ];
}

function job(fx: FixtureSet, kind: Kind | null, lines: number): Job {
  const input = [`register ${ISSUER_SLOT} ${hex(fx.issuer[0]!.signer.publicKey)}`];
  const expected = ["ok"];
  for (let i = 0; kind !== null && i < lines; i++) {
    const f = kind.set[i % kind.set.length]!;
    input.push(kind.line(f));
    expected.push(kind.answer(f));
  }
  return { input: `${input.join("\n")}\n`, expected };
}

/** How run time is read: the runtime process's CPU time (user + system, from the shell's
 *  `times` builtin, which reads getrusage for children) when bash is available — immune to
 *  other load on the machine — else wall-clock time around the process. */
export type Clock = "cpu" | "wall";

const TIMES_LINE = /^(\d+)m([\d.]+)s (\d+)m([\d.]+)s$/;
/** Runs "$0" "$1" with the shell's stdin, then prints the children's CPU times on stderr. */
const CPU_WRAPPER = '"$0" "$1"; s=$?; times >&2; exit $s';

function hasBash(): boolean {
  return spawnSync("bash", ["-c", "times"], { encoding: "utf8" }).status === 0;
}

/** Parses the last line of `times` output (children's user and system time) into ms. */
function childCpuMs(stderr: string): number {
  const lines = stderr.trimEnd().split("\n");
  const m = TIMES_LINE.exec(lines[lines.length - 1] ?? "");
  if (!m) throw new Error(`could not read the runtime's CPU time from: ${stderr.slice(-200)}`);
  return (Number(m[1]) * 60 + Number(m[2]) + Number(m[3]) * 60 + Number(m[4])) * 1000;
}

/** Runs the selftest once; returns its milliseconds after checking every answer line. */
function run(runtime: string, selftest: string, j: Job, clock: Clock): number {
  const t0 = performance.now();
  const r = clock === "cpu"
    ? spawnSync("bash", ["-c", CPU_WRAPPER, runtime, selftest], { input: j.input, encoding: "utf8", maxBuffer: 64 << 20, timeout: RUN_TIMEOUT_MS })
    : spawnSync(runtime, [selftest], { input: j.input, encoding: "utf8", maxBuffer: 64 << 20, timeout: RUN_TIMEOUT_MS });
  const wallMs = performance.now() - t0;
  if (r.error) throw new Error(`WASM3 runtime ${runtime} could not run: ${r.error.message}`);
  const cpu = clock === "cpu" && r.status === 0 ? childCpuMs(r.stderr) : null;
  if (r.status !== 0) throw new Error(`WASM3 run exited with ${r.status ?? r.signal}: ${r.stderr.trim().slice(0, 500)}`);
  const got = r.stdout.split("\n");
  if (got[got.length - 1] === "") got.pop();
  if (got.length !== j.expected.length) throw new Error(`WASM3 run answered ${got.length} lines, expected ${j.expected.length}`);
  for (let i = 0; i < got.length; i++) {
    if (got[i] !== j.expected[i]) throw new Error(`WASM3 answer ${i + 1} was "${got[i]!.slice(0, 80)}", expected "${j.expected[i]!.slice(0, 80)}"`);
  }
  return cpu === null ? wallMs : cpu;
}

function version(runtime: string): string | null {
  const r = spawnSync(runtime, ["--version"], { encoding: "utf8", timeout: 10_000 });
  const line = `${r.stdout ?? ""}`.split("\n")[0]?.trim();
  return r.status === 0 && line ? line : null;
}

export function measureWasm3(runtime: string, selftest: string, fx: FixtureSet, opts: Wasm3Options, onRun?: (label: string) => void): Wasm3Result {
  try {
    accessSync(runtime, constants.X_OK);
  } catch {
    throw new Error(`WASM3 runtime "${runtime}" is not an executable file`);
  }
  const clock: Clock = hasBash() ? "cpu" : "wall";
  const ks = kinds(fx);
  const baseline = job(fx, null, 0);
  // Size N per kind from one short calibration run, aiming at targetRunMs of work.
  const base0 = run(runtime, selftest, baseline, clock);
  const jobs = ks.map((k) => {
    onRun?.(`calibrating ${k.name}`);
    const perLine = Math.max(0.001, (run(runtime, selftest, job(fx, k, CALIBRATION_LINES), clock) - base0) / CALIBRATION_LINES);
    const lines = Math.min(LINES_MAX, Math.max(LINES_MIN, Math.round(opts.targetRunMs / perLine)));
    return { kind: k, lines, job: job(fx, k, lines), runs: [] as number[] };
  });
  const baseRuns: number[] = [];
  for (let r = 0; r < opts.runs; r++) {
    onRun?.(`run ${r + 1}/${opts.runs}`);
    baseRuns.push(run(runtime, selftest, baseline, clock));
    for (const j of jobs) j.runs.push(run(runtime, selftest, j.job, clock));
  }
  const baseMs = median(baseRuns);
  const figure = (j: (typeof jobs)[number]): Wasm3Figure => ({
    msPerOp: (median(j.runs) - baseMs) / j.lines, lines: j.lines, workRunMs: j.runs, baselineRunMs: baseRuns,
  });
  return { runtime, clock, version: version(runtime), verify: figure(jobs[0]!), verifyRegistered: figure(jobs[1]!), sign: figure(jobs[2]!) };
}
