// `make bench`: offtap's crypto side by side with its peers, in one process and one run.
// Prints a table (or JSON with --json) and always writes build/bench.json.
// Exit codes: 0 done, 1 a measurement failed (wrong result, runtime error), 2 usage error.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { FirmwareCrypto } from "../../host/firmware/crypto.ts";
import { firmwarePath, repoRoot, selftestPath } from "../../host/firmware/paths.ts";
import { scanModule } from "../profile/module-scan.ts";
import { loadProfile } from "../profile/profile.ts";
import { FIXTURE_COUNT, MESSAGE_BYTES, makeFixtures, type FixtureSet } from "./fixtures.ts";
import { measureInterleaved, type Clock, type MeasureOptions } from "./measure.ts";
import {
  LIBSODIUM,
  OFFTAP,
  OFFTAP_REGISTERED,
  peersReady,
  shaSubjects,
  signSubjects,
  verifySubjects,
} from "./peers.ts";
import { formatReport, rows, type BenchReport, type Goal, type Outcome } from "./report.ts";
import { benchSim, type SimBenchResult } from "./sim.ts";
import { benchLedgerFormats } from "./ledger.ts";
import {
  benchClearing,
  GOAL_PAYMENTS_PER_S,
  GOAL_POOL_VS_ONE_THREAD,
  type ClearingBenchResult,
} from "./clearing.ts";
import { reportDurability } from "./durability.ts";
import { measureWasm3, type Wasm3Result } from "./wasm3.ts";
import { measureWasm3Tap, type Wasm3TapResult } from "./wasm3-tap.ts";
import { nfcBenchSection } from "./nfc.ts";
import { startupBenchSection } from "./startup.ts";

const USAGE = `Usage: node --import tsx tools/bench/main.ts [options]   (or: make bench)

Measures Ed25519 verify/sign and SHA-512 of the firmware (build/offtap.wasm in V8) against
node:crypto, libsodium-wrappers, @noble/ed25519 and tweetnacl in one process, with
interleaved rounds; reports medians and offtap's ratio to each peer. With a WASM3 runtime
it also measures ms per operation under the interpreter via build/selftest.wasm, and
whole taps (and recovery of a full small ledger) via build/taprunner.wasm. Then
whole taps through the simulator and the flash ledger's figures (real firmware), and the
start-up time of \`offtap --help\` beside a bare \`node -e 0\` (tools/bench/startup.ts).

Options:
  --wasm3 PATH   WASM3 command-line runtime (default: $OFFTAP_WASM3; unset = not measured)
  --rounds N     measured rounds (default 9; --quick 3)
  --clock C      cpu (default: process CPU time, robust on a shared machine) or wall
  --quick        few, short rounds: a smoke test of the harness, not figures to quote
  --json         print the JSON report instead of the table
  -h, --help     show this help

Always writes build/bench.json. Exit status: 0 done, 1 a measurement failed, 2 usage error.`;

const SHA_SIZES_BYTES = [64, 1024, 65536];
const GOAL_VERIFY_VS_LIBSODIUM = 1.0;
const GOAL_WASM3_VERIFY_MS = 1.5;
const GOAL_WASM3_REGISTERED_MS = 0.7;
const GOAL_SIM_TAPS_PER_S = 5_000;
const GOAL_WASM3_TAP_MS = 2.0;
/** Taps for the simulator and ledger figures; --quick uses a tenth. */
const WHOLE_TAPS = 20_000;

interface Options {
  wasm3: string | null;
  rounds: number;
  quick: boolean;
  json: boolean;
  clock: Clock;
}

function usageError(message: string): never {
  process.stderr.write(`bench: ${message}\n\n${USAGE}\n`);
  process.exit(2);
}

function parseOptions(argv: string[]): Options {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        wasm3: { type: "string" },
        rounds: { type: "string" },
        clock: { type: "string", default: "cpu" },
        quick: { type: "boolean", default: false },
        json: { type: "boolean", default: false },
        help: { type: "boolean", short: "h", default: false },
      },
    }));
  } catch (e) {
    usageError((e as Error).message);
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  const quick = values.quick;
  const rounds = values.rounds === undefined ? (quick ? 3 : 9) : Number(values.rounds);
  if (!Number.isInteger(rounds) || rounds < 1 || rounds > 1000)
    usageError(`--rounds must be an integer from 1 to 1000, not "${values.rounds}"`);
  const wasm3 = values.wasm3 ?? (process.env["OFFTAP_WASM3"] || null);
  const clock = values.clock;
  if (clock !== "cpu" && clock !== "wall")
    usageError(`--clock must be cpu or wall, not "${clock}"`);
  return { wasm3, rounds, quick, json: values.json, clock };
}

/** Progress on stderr, only when a person is watching. */
function progress(text: string | null): void {
  if (!process.stderr.isTTY) return;
  process.stderr.write(text === null ? "\r\x1b[K" : `\r\x1b[K${text}`);
}

function measureOptions(o: Options, label: string): MeasureOptions {
  return {
    rounds: o.rounds,
    warmupRounds: 1,
    roundMs: o.quick ? 40 : 200,
    clock: o.clock,
    onRound: (r, n) => progress(`bench: ${label} round ${r}/${n}`),
  };
}

function clearingGoals(c: Outcome<ClearingBenchResult>): Goal[] {
  const pools = c.ok ? c.result.rows.filter((x) => x.config === "pool") : [];
  if (pools.length === 0) {
    return [
      {
        goal: "clearing ingest, PGlite, pool ≥ 5,000 payments/s",
        value: null,
        unit: "payments/s",
        target: GOAL_PAYMENTS_PER_S,
        met: null,
      },
    ];
  }
  return pools.flatMap((x) => [
    {
      goal: `clearing ingest, ${x.engine}, pool (${x.workers}) ≥ 5,000 payments/s`,
      value: x.paymentsPerSecond,
      unit: "payments/s",
      target: GOAL_PAYMENTS_PER_S,
      met: x.paymentsPerSecond >= GOAL_PAYMENTS_PER_S,
    },
    {
      goal: `clearing ingest, ${x.engine}, pool ≥ ×1.6 one thread`,
      value: x.vsOneThread,
      unit: "×",
      target: GOAL_POOL_VS_ONE_THREAD,
      met: x.vsOneThread >= GOAL_POOL_VS_ONE_THREAD,
    },
  ]);
}

function goals(
  verify: BenchReport["verify"],
  w: Wasm3Result | null,
  sim: Outcome<SimBenchResult>,
  wt: Outcome<Wasm3TapResult> | null,
): Goal[] {
  const sodium = verify.find((r) => r.name === LIBSODIUM);
  const vsSodium = sodium?.offtapRatio ?? null;
  const ms = (v: number | undefined): number | null => (v === undefined ? null : v);
  const le = (v: number | null, t: number): boolean | null => (v === null ? null : v <= t);
  const wv = ms(w?.verify.msPerOp);
  const wr = ms(w?.verifyRegistered.msPerOp);
  return [
    {
      goal: "verify in V8 ≥ 1.0× libsodium-wrappers",
      value: vsSodium,
      unit: "×",
      target: GOAL_VERIFY_VS_LIBSODIUM,
      met: vsSodium === null ? null : vsSodium >= GOAL_VERIFY_VS_LIBSODIUM,
    },
    {
      goal: "verify under WASM3 (desktop core) ≤ 1.5 ms",
      value: wv,
      unit: "ms",
      target: GOAL_WASM3_VERIFY_MS,
      met: le(wv, GOAL_WASM3_VERIFY_MS),
    },
    {
      goal: "registered verify under WASM3 ≤ 0.7 ms",
      value: wr,
      unit: "ms",
      target: GOAL_WASM3_REGISTERED_MS,
      met: le(wr, GOAL_WASM3_REGISTERED_MS),
    },
    {
      goal: "whole tap under WASM3 (desktop core) ≤ 2 ms",
      value: wt?.ok ? wt.result.msPerTap : null,
      unit: "ms",
      target: GOAL_WASM3_TAP_MS,
      met: wt?.ok ? wt.result.msPerTap <= GOAL_WASM3_TAP_MS : null,
    },
    {
      goal: "simulator ≥ 5,000 taps/s on one core",
      value: sim.ok ? sim.result.tapsPerSecond : null,
      unit: "taps/s",
      target: GOAL_SIM_TAPS_PER_S,
      met: sim.ok ? sim.result.tapsPerSecond >= GOAL_SIM_TAPS_PER_S : null,
    },
  ];
}

function wasmFacts(): BenchReport["wasm"] {
  const bytes = readFileSync(firmwarePath);
  const mem = scanModule(bytes).memories[0];
  return {
    file: path.relative(repoRoot, firmwarePath),
    sizeBytes: bytes.length,
    sizeBytesMax: loadProfile().wasmBytesMax,
    memoryPagesInitial: mem?.minPages ?? null,
    memoryPagesMax: mem?.maxPages ?? null,
  };
}

function runWasm3(o: Options, fx: FixtureSet): { result: Wasm3Result | null; note: string | null } {
  if (o.wasm3 === null) return { result: null, note: "not measured (no WASM3 runtime given)" };
  const result = measureWasm3(
    o.wasm3,
    selftestPath,
    fx,
    { runs: o.quick ? 3 : 7, targetRunMs: o.quick ? 150 : 600 },
    (label) => progress(`bench: WASM3 ${label}`),
  );
  return { result, note: null };
}

async function outcome<T>(label: string, f: () => T | Promise<T>): Promise<Outcome<T>> {
  progress(`bench: ${label}`);
  try {
    return { ok: true, result: await f() };
  } catch (e) {
    return { ok: false, error: e instanceof Error ? e.message : String(e) };
  }
}

async function main(): Promise<void> {
  const o = parseOptions(process.argv.slice(2));
  await peersReady();
  const fx = makeFixtures();
  const fc = new FirmwareCrypto();
  const verifySeries = measureInterleaved(verifySubjects(fx, fc), measureOptions(o, "verify"));
  const signSeries = measureInterleaved(signSubjects(fx, fc), measureOptions(o, "sign"));
  const sha = SHA_SIZES_BYTES.map((size) => ({
    messageBytes: size,
    rows: rows(
      measureInterleaved(shaSubjects(size, fc), measureOptions(o, `SHA-512 ${size} B`)),
      "MB/s",
      size / 1e6,
      OFFTAP,
    ),
  }));
  const w3 = runWasm3(o, fx);
  const w3tap =
    o.wasm3 === null
      ? null
      : await outcome("WASM3 taps", () =>
          measureWasm3Tap(o.wasm3!, { runs: o.quick ? 3 : 11, recoveries: o.quick ? 5 : 20 }, (l) =>
            progress(`bench: WASM3 ${l}`),
          ),
        );
  const taps = o.quick ? WHOLE_TAPS / 10 : WHOLE_TAPS;
  const simulator = await outcome("simulator", () => benchSim({ taps }));
  const ledger = await outcome("ledger", () => benchLedgerFormats({ taps, wasm3Runtime: o.wasm3 }));
  const clearing = await outcome("clearing", () =>
    benchClearing({
      payments: o.quick ? 2_000 : 20_000,
      rounds: o.quick ? 1 : 3,
      onRound: (r, n) => progress(`bench: clearing ingest round ${r}/${n}`),
    }),
  );
  progress(null);
  const verify = rows(verifySeries, "ops/s", 1, OFFTAP, OFFTAP_REGISTERED);
  const report: BenchReport = {
    schema: "offtap-bench/1",
    date: new Date().toISOString(),
    node: process.version,
    cpu: cpus()[0]?.model ?? "unknown CPU",
    options: {
      rounds: o.rounds,
      warmupRounds: 1,
      roundMs: o.quick ? 40 : 200,
      clock: o.clock,
      quick: o.quick,
    },
    fixtures: { signatures: FIXTURE_COUNT, messageBytes: MESSAGE_BYTES },
    verify,
    sign: rows(signSeries, "ops/s", 1, OFFTAP),
    sha512: sha,
    wasm: wasmFacts(),
    wasm3: w3.result,
    wasm3Note: w3.note,
    wasm3Tap: w3tap,
    simulator,
    ledger,
    clearing,
    goals: [...goals(verify, w3.result, simulator, w3tap), ...clearingGoals(clearing)],
  };
  const out = path.join(repoRoot, "build", "bench.json");
  mkdirSync(path.dirname(out), { recursive: true });
  writeFileSync(out, `${JSON.stringify(report, null, 2)}\n`);
  process.stdout.write(
    o.json
      ? `${JSON.stringify(report, null, 2)}\n`
      : `${formatReport(report)}\n\nwrote ${path.relative(process.cwd(), out) || out}\n`,
  );
  if (!simulator.ok || !ledger.ok || (w3tap !== null && !w3tap.ok)) process.exitCode = 1;
  if (!(await nfcBenchSection(o.quick, o.json))) process.exitCode = 1;
  if (!startupBenchSection(o.quick, o.json)) process.exitCode = 1;
  await reportDurability(o.quick);
}

main().catch((e: unknown) => {
  progress(null);
  process.stderr.write(`bench: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exitCode = 1;
});
