// Whole taps under the WASM3 interpreter (BRIEF.md goal: ≤ 2 ms per tap on a desktop core,
// what a ≤ 300 ms tap on an ESP32 needs), measured through build/taprunner.wasm: the real
// firmware's reader and ledger on a scripted board (docs/TAPRUNNER.md).
//
// The simulator records N accepted payments by N distinct wallets from a fixed seed (so
// every R-APDU is known in advance) as one tap script. A run of the whole script minus a
// run of its set-up alone (init, deny list: module load, key tables, recovery) leaves the
// taps; medians over interleaved runs, ÷ N. Every run's output is judged like a vector
// (each C-APDU, decision, receipt and signal), so a runtime that skips work cannot
// produce a fast figure. Also: recovery of a full small ledger partition, as re-inits of
// a reader whose ledger the script filled (the same subtraction, ÷ the re-inits).
// `node --import tsx tools/bench/wasm3-tap.ts --wasm3 PATH` prints the figures alone.
import { accessSync, constants } from "node:fs";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import path from "node:path";
import { repoRoot } from "../../host/firmware/paths.ts";
import { SimWorld, DEFAULT_START_UNIX_S, DEFAULT_GEOMETRY } from "../../host/sim/world.ts";
import { TapeRecorder, type Tape } from "../../host/sim/tape.ts";
import type { FlashGeometry } from "../../host/sim/config.ts";
import { Reason } from "../../host/protocol/index.ts";
import { judgeTapOutput, tapeToScript, type TapScript } from "../../host/vectors/tapscript.ts";
import { median } from "./measure.ts";

export const taprunnerPath = path.join(repoRoot, "build", "taprunner.wasm");

export interface Wasm3TapResult {
  runtime: string;
  clock: "cpu" | "wall";
  /** Median (whole script − set-up only) ÷ taps, ms: every tap a new wallet, so the
   *  certificate is verified too (the gate's usual case). */
  msPerTap: number;
  /** The same for taps by one wallet whose certificate the reader has cached. */
  msPerTapCachedCert: number;
  taps: number;
  seed: string;
  workRunMs: number[];
  baselineRunMs: number[];
  recovery: { msPerRecovery: number; records: number; ledgerBytes: number; recoveries: number; workRunMs: number[]; baselineRunMs: number[] } | null;
}

export interface Wasm3TapOptions {
  runs: number;
  /** Accepted taps per work run; the scripted flash holds about 40 ledger records. */
  taps?: number;
  /** Re-inits (recoveries) per recovery run. */
  recoveries?: number;
}

const SEED = "offtap bench: wasm3 taps";
const TAPS_DEFAULT = 32;
const RECOVERIES_DEFAULT = 20;
/** A small ledger partition: 4 sectors of 4 KiB. */
const SMALL_LEDGER: FlashGeometry = { ...DEFAULT_GEOMETRY, ledgerBytes: 16 * 1024, denyBytes: 8 * 1024 };
/** Taps a full small partition can never need more than (a bound on the fill loop). */
const FILL_TAPS_MAX = 256;
const RUN_TIMEOUT_MS = 300_000;
const CPU_WRAPPER = '"$0" "$1"; s=$?; times >&2; exit $s';
const TIMES_LINE = /^(\d+)m([\d.]+)s (\d+)m([\d.]+)s$/;

/** A cap no bench run reaches, so one wallet can pay every tap. */
const ONE_WALLET_CAP = 1_000_000;

/** Records taps (by distinct honest wallets, or all by one) until `stop` says so. */
function recordTape(geometry: FlashGeometry, stop: (decision: number, taps: number) => boolean, oneWallet = false): Tape {
  const recorder = new TapeRecorder();
  const world = new SimWorld({ seed: SEED, geometry, recorder, captureLogs: false });
  const only = oneWallet ? world.createWallet({ offlineCap: ONE_WALLET_CAP }) : undefined;
  for (let n = 1; n <= FILL_TAPS_MAX; n++) {
    const r = world.tap(only ?? world.createWallet(), 0);
    if (stop(r.decision, n)) break;
  }
  return { id: "bench", comment: "bench taps", rngSeed: 0, geometry, startUnixSeconds: DEFAULT_START_UNIX_S, steps: recorder.steps };
}

/** The set-up steps alone (init, deny lists): the baseline of a tape. */
function setupOnly(t: Tape): Tape {
  return { ...t, steps: t.steps.filter((s) => s.op !== "tap") };
}

function hasBash(): boolean {
  return spawnSync("bash", ["-c", "times"], { encoding: "utf8" }).status === 0;
}

function childCpuMs(stderr: string): number {
  const lines = stderr.trimEnd().split("\n");
  const m = TIMES_LINE.exec(lines[lines.length - 1] ?? "");
  if (!m) throw new Error(`could not read the runtime's CPU time from: ${stderr.slice(-200)}`);
  return (Number(m[1]) * 60 + Number(m[2]) + Number(m[3]) * 60 + Number(m[4])) * 1000;
}

/** Runs a script once under the runtime; returns ms after judging every output line. */
function run(runtime: string, script: TapScript, clock: "cpu" | "wall",
  wasm = taprunnerPath): number {
  const t0 = performance.now();
  const io = {
    input: script.text, encoding: "utf8", maxBuffer: 64 << 20, timeout: RUN_TIMEOUT_MS,
  } as const;
  const r = clock === "cpu"
    ? spawnSync("bash", ["-c", CPU_WRAPPER, runtime, wasm], io)
    : spawnSync(runtime, [wasm], io);
  const wallMs = performance.now() - t0;
  if (r.error) throw new Error(`WASM3 runtime ${runtime} could not run: ${r.error.message}`);
  const lines = r.stdout.split("\n").filter((l) => l !== "");
  const v = judgeTapOutput(script, lines, r.status ?? -1);
  if (!v.passed) throw new Error(`taprunner under WASM3 disagreed with the recorded taps: ${v.problems.slice(0, 3).join("; ")}`);
  return clock === "cpu" ? childCpuMs(r.stderr) : wallMs;
}

function series(runtime: string, work: TapScript, base: TapScript, runs: number,
  clock: "cpu" | "wall", onRun?: (l: string) => void, label = "taps",
  wasm = taprunnerPath): { work: number[]; base: number[] } {
  const w: number[] = [];
  const b: number[] = [];
  for (let i = 0; i < runs; i++) {
    onRun?.(`${label} run ${i + 1}/${runs}`);
    b.push(run(runtime, base, clock, wasm));
    w.push(run(runtime, work, clock, wasm));
  }
  return { work: w, base: b };
}

/** The recovery script: fill the small ledger to LEDGER_FULL, then re-init `k` times. */
function recoveryScripts(k: number): { work: TapScript; base: TapScript; records: number } {
  const tape = recordTape(SMALL_LEDGER, (d) => d === Reason.LEDGER_FULL);
  const accepted = tape.steps.filter((s) => s.op === "tap" && s.decision === Reason.ACCEPTED).length;
  const init = tape.steps.find((s) => s.op === "init");
  if (init === undefined || init.op !== "init") throw new Error("recorded tape has no init step");
  const base = tapeToScript(tape);
  const reinit = { ...init, expect: 0 };
  const work = tapeToScript({ ...tape, steps: [...tape.steps, ...Array.from({ length: k }, () => reinit)] });
  return { work, base, records: accepted };
}

export function measureWasm3Tap(runtime: string, o: Wasm3TapOptions, onRun?: (label: string) => void): Wasm3TapResult {
  try {
    accessSync(runtime, constants.X_OK);
  } catch {
    throw new Error(`WASM3 runtime "${runtime}" is not an executable file`);
  }
  accessSync(taprunnerPath, constants.R_OK);
  const clock = hasBash() ? "cpu" : "wall";
  const taps = o.taps ?? TAPS_DEFAULT;
  onRun?.("recording taps");
  const accepted = (d: number, n: number): boolean => {
    if (d !== Reason.ACCEPTED) throw new Error(`bench tap ${n} was declined (${d}); expected only acceptances`);
    return n >= taps;
  };
  const tape = recordTape(DEFAULT_GEOMETRY, accepted);
  const s = series(runtime, tapeToScript(tape), tapeToScript(setupOnly(tape)), o.runs, clock, onRun);
  const msPerTap = (median(s.work) - median(s.base)) / taps;
  const cachedTape = recordTape(DEFAULT_GEOMETRY, accepted, true);
  const c = series(runtime, tapeToScript(cachedTape), tapeToScript(setupOnly(cachedTape)), o.runs, clock, onRun, "one-wallet taps");
  const msPerTapCachedCert = (median(c.work) - median(c.base)) / taps;
  let recovery: Wasm3TapResult["recovery"] = null;
  const k = o.recoveries ?? RECOVERIES_DEFAULT;
  if (k > 0) {
    const rs = recoveryScripts(k);
    const r = series(runtime, rs.work, rs.base, o.runs, clock, onRun, "recovery");
    recovery = { msPerRecovery: (median(r.work) - median(r.base)) / k, records: rs.records, ledgerBytes: SMALL_LEDGER.ledgerBytes, recoveries: k, workRunMs: r.work, baselineRunMs: r.base };
  }
  return { runtime, clock, msPerTap, msPerTapCachedCert, taps, seed: SEED, workRunMs: s.work, baselineRunMs: s.base, recovery };
}

/** Recovery of a full small ledger alone, for any taprunner build (the ledger bench puts
 *  the kept format-1 build beside the current one): median ms per recovery. */
export function measureWasm3Recovery(runtime: string, wasm: string, runs: number,
  recoveries = RECOVERIES_DEFAULT): { msPerRecovery: number; records: number; ledgerBytes: number }
{
  accessSync(runtime, constants.X_OK);
  accessSync(wasm, constants.R_OK);
  const clock = hasBash() ? "cpu" : "wall";
  const rs = recoveryScripts(recoveries);
  const r = series(runtime, rs.work, rs.base, runs, clock, undefined, "recovery", wasm);
  const msPerRecovery = (median(r.work) - median(r.base)) / recoveries;
  return { msPerRecovery, records: rs.records, ledgerBytes: SMALL_LEDGER.ledgerBytes };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const i = process.argv.indexOf("--wasm3");
  const runtime = i > 0 ? process.argv[i + 1] : process.env["OFFTAP_WASM3"];
  if (runtime === undefined || runtime === "") {
    process.stderr.write("usage: node --import tsx tools/bench/wasm3-tap.ts --wasm3 PATH (or OFFTAP_WASM3=PATH)\n");
    process.exit(2);
  }
  const r = measureWasm3Tap(runtime, { runs: 11 });
  process.stdout.write(`${JSON.stringify({ ...r, workRunMs: undefined, baselineRunMs: undefined, recovery: r.recovery && { ...r.recovery, workRunMs: undefined, baselineRunMs: undefined } }, null, 2)}\n`);
  process.stdout.write(`whole tap under WASM3: ${r.msPerTap.toFixed(3)} ms (${r.taps} accepted taps by distinct wallets, ${r.clock} time); ` +
    `${r.msPerTapCachedCert.toFixed(3)} ms when the wallet's certificate is cached\n`);
  if (r.recovery) process.stdout.write(`recovery of a full ${r.recovery.ledgerBytes / 1024} KiB ledger (${r.recovery.records} records): ${r.recovery.msPerRecovery.toFixed(3)} ms\n`);
}
