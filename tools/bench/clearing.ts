// Clearing ingest throughput (docs/CLEARING.md §9): payments per second verified (both
// signatures under the strict policy, through the firmware's verifier) and settled into
// the accounts, on PGlite and on a PostgreSQL server when DATABASE_URL is set; one thread,
// one verify worker and the default pool side by side, in interleaved rounds (medians).
// `node --import tsx tools/bench/clearing.ts [PAYMENTS] [ROUNDS]` prints the figures alone.
import { fileURLToPath } from "node:url";
import { Clearing } from "../../host/clearing/index.ts";
import { verifyWorkersDefault } from "../../host/clearing/verify-pool.ts";
import { profileClearing, type Breakdown } from "./clearing-profile.ts";
import { registerAll, withBenchDatabase, workload, type Workload } from "./clearing-workload.ts";

/** How signatures are checked: `one thread` (verifyWorkers 0: the whole ingest on the main
 *  thread, one core — the baseline "one worker" of the goal), `1 verify worker` (the
 *  pipeline with a single verify thread), `pool` (the default: one verify thread per core). */
export type ClearingConfig = "one thread" | "1 verify worker" | "pool";

export interface ClearingBenchRow {
  engine: string;
  config: ClearingConfig;
  workers: number;
  payments: number;
  rounds: number;
  /** Medians over the rounds. */
  seconds: number;
  paymentsPerSecond: number;
  /** CPU of this process (every thread; a server's own CPU not included), µs per payment. */
  cpuUsPerPayment: number;
  /** Median payments/s over the same engine's one-thread median (goal ≥ 1.6 for the pool). */
  vsOneThread: number;
  /** … over the same engine's one-verify-worker median. */
  vsOneWorker: number;
}
export interface ClearingBenchResult {
  rows: ClearingBenchRow[];
  breakdown: Breakdown[];
  goalPaymentsPerSecond: number;
  goalPoolVsOneThread: number;
}

export const GOAL_PAYMENTS_PER_S = 5_000;
/** The untimed warm-up upload before each run, from readers of its own. */
const WARM_UP_PAYMENTS = 800;
const WARM_UP_READER_BASE = 10;
export const GOAL_POOL_VS_ONE_THREAD = 1.6;

interface Engine {
  name: string;
  open(workers: number): Promise<{ c: Clearing; done(): Promise<void> }>;
}

/** Every upload goes to the pool, whatever its size: a configuration means what it says. */
const poolOptions = (workers: number): { verifyWorkers: number; verifyPoolRecordsMin: number } => ({
  verifyWorkers: workers,
  verifyPoolRecordsMin: 1,
});

function engines(serverUrl: string | undefined): Engine[] {
  const out: Engine[] = [
    {
      name: "PGlite (memory)",
      open: async (workers) => {
        const c = await Clearing.open({ databaseUrl: null, ...poolOptions(workers) });
        return { c, done: () => c.close() };
      },
    },
  ];
  if (serverUrl === undefined || serverUrl === "") return out;
  out.push({
    name: "PostgreSQL server",
    open: (workers) =>
      new Promise((resolve, reject) => {
        // The database lives while the run does: withBenchDatabase drops it once `done` is called.
        const dropped = withBenchDatabase(serverUrl, async (u) => {
          const c = await Clearing.open({ databaseUrl: u, ...poolOptions(workers) });
          await new Promise<void>((finish) =>
            resolve({
              c,
              done: async () => {
                finish();
                await dropped;
              },
            }),
          );
          await c.close();
        });
        dropped.catch(reject);
      }),
  });
  return out;
}

interface Run {
  seconds: number;
  cpuUs: number;
}

/** One measured run on a fresh database. A warm-up upload from other readers goes first
 *  and is not timed: the pool's threads are started and their verifier compiled, and the
 *  main thread's code is warm, as in a service that has been ingesting for a while. */
async function runOnce(e: Engine, w: Workload, warm: Workload, workers: number): Promise<Run> {
  const { c, done } = await e.open(workers);
  try {
    await registerAll(c, w);
    await registerAll(c, warm);
    for (const f of warm.files) await c.ingest(f);
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    let settled = 0;
    for (const f of w.files) settled += (await c.ingest(f)).settled;
    const seconds = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    if (settled !== w.payments) throw new Error(`${e.name}: settled ${settled} of ${w.payments}`);
    if (!(await c.checkInvariants()).ok) throw new Error(`${e.name}: balances do not sum to zero`);
    return { seconds, cpuUs: cpu.user + cpu.system };
  } finally {
    await done();
  }
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

export async function benchClearing(
  o: { payments?: number; rounds?: number; onRound?: (round: number, rounds: number) => void } = {},
): Promise<ClearingBenchResult> {
  const w = workload(o.payments ?? 20_000);
  const warm = workload(WARM_UP_PAYMENTS, WARM_UP_READER_BASE);
  const rounds = o.rounds ?? 3;
  const pool = verifyWorkersDefault();
  const configs: [ClearingConfig, number][] = [
    ["one thread", 0],
    ["1 verify worker", 1],
    ["pool", pool],
  ];
  const url = process.env["DATABASE_URL"];
  const es = engines(url);
  const runs = new Map<string, Run[]>();
  for (let round = 1; round <= rounds; round++) {
    o.onRound?.(round, rounds);
    for (const e of es) {
      for (const [config, workers] of configs) {
        const key = `${e.name}|${config}`;
        runs.set(key, [...(runs.get(key) ?? []), await runOnce(e, w, warm, workers)]);
      }
    }
  }
  const rows: ClearingBenchRow[] = [];
  for (const e of es) {
    const rate = (config: ClearingConfig): number =>
      w.payments / median(runs.get(`${e.name}|${config}`)!.map((r) => r.seconds));
    for (const [config, workers] of configs) {
      const rs = runs.get(`${e.name}|${config}`)!;
      rows.push({
        engine: e.name,
        config,
        workers,
        payments: w.payments,
        rounds,
        seconds: median(rs.map((r) => r.seconds)),
        paymentsPerSecond: rate(config),
        cpuUsPerPayment: median(rs.map((r) => r.cpuUs)) / w.payments,
        vsOneThread: rate(config) / rate("one thread"),
        vsOneWorker: rate(config) / rate("1 verify worker"),
      });
    }
  }
  const breakdown = await profileClearing(w, warm, pool, url);
  return {
    rows,
    breakdown,
    goalPaymentsPerSecond: GOAL_PAYMENTS_PER_S,
    goalPoolVsOneThread: GOAL_POOL_VS_ONE_THREAD,
  };
}

/** The table's lines (also used by `make bench`'s report). */
export function clearingTable(r: ClearingBenchResult): string[] {
  const out = r.rows.map((x) => {
    const name = `${x.engine}, ${x.config}${x.workers > 1 ? ` (${x.workers})` : ""}`;
    const rate = String(Math.round(x.paymentsPerSecond)).padStart(6);
    return `  ${name.padEnd(34)}${rate} payments/s  ×${x.vsOneThread.toFixed(2)} vs one thread`
      + `  ×${x.vsOneWorker.toFixed(2)} vs 1 verify worker`
      + `  ${Math.round(x.cpuUsPerPayment)} µs CPU/payment`;
  });
  const first = r.rows[0];
  out.push(`  medians of ${first?.rounds ?? 0} interleaved rounds of ${first?.payments ?? 0}`
    + " payments;"
    + ` goals: pool ≥ ${r.goalPaymentsPerSecond}/s on PGlite,`
    + ` pool ≥ ×${r.goalPoolVsOneThread} vs one thread`);
  out.push("  where a payment's time goes, ingest on one thread (µs per payment):");
  for (const b of r.breakdown) {
    out.push(`  ${b.engine.padEnd(18)} wall ${b.serialWallUs.toFixed(0)}; CPU: signatures`
      + ` ${b.verifyUs.toFixed(0)} + main thread ${b.mainUs.toFixed(0)}`
      + ` + server ${b.serverUs.toFixed(0)}; awaiting SQL ${b.sqlWaitUs.toFixed(0)}`
      + ` (${b.statements.toFixed(3)} statements)`);
    out.push(`  ${"".padEnd(18)} ideal on ${b.cores} idle cores: pool`
      + ` ×${b.idealPoolVsOneThread.toFixed(2)} vs one thread,`
      + ` ×${b.idealPoolVsOneWorker.toFixed(2)} vs 1 verify worker`);
  }
  return out;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const r = await benchClearing({
    payments: Number(process.argv[2] ?? 20_000),
    rounds: Number(process.argv[3] ?? 3),
  });
  console.log(clearingTable(r).join("\n"));
}
