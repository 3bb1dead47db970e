// Clearing ingest throughput (docs/CLEARING.md): payments per second verified (both
// signatures under the strict policy, through the firmware's verifier) and settled into
// the accounts, on PGlite and on a PostgreSQL server when DATABASE_URL is set.
// `node --import tsx tools/bench/clearing.ts` prints the figures alone.
import { randomBytes } from "node:crypto";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { Clearing } from "../../host/clearing/index.ts";
import { craftBatch, craftPayment, craftWallet } from "../../host/clearing/craft.ts";
import { Ed25519Key } from "../../host/issuer/ed25519.ts";
import { Issuer } from "../../host/issuer/issuer.ts";
import { verifyWorkersDefault } from "../../host/clearing/verify-pool.ts";

export interface ClearingBenchRow {
  engine: string; workers: number; payments: number; seconds: number; paymentsPerSecond: number;
  /** This row's rate over the same engine's 1-worker rate (goal ≥ 1.6 with the default pool). */
  vsOneWorker: number;
}
export interface ClearingBenchResult { rows: ClearingBenchRow[]; goalPaymentsPerSecond: number }

const RECORDS_PER_BATCH = 10;
const READERS = 4;
const PAYMENTS_PER_WALLET = 5;

/** Batch files (one per reader) holding `payments` valid payments. */
function workload(payments: number): { issuer: Issuer; readers: { key: Ed25519Key; id8: Uint8Array }[]; files: Uint8Array[] } {
  const issuer = new Issuer(1, new Ed25519Key(new Uint8Array(32).fill(7)));
  const readers = Array.from({ length: READERS }, (_, i) => ({ key: new Ed25519Key(new Uint8Array(32).fill(20 + i)), id8: new Uint8Array(8).fill(i + 1) }));
  const now = 1_795_305_600;
  const perReader: { p: ReturnType<typeof craftPayment>[] }[] = readers.map(() => ({ p: [] }));
  for (let n = 0; n < payments;) {
    const w = craftWallet(issuer, now, 100_000);
    for (let k = 1; k <= PAYMENTS_PER_WALLET && n < payments; k++, n++) {
      const r = n % READERS;
      perReader[r]!.p.push(craftPayment(w, readers[r]!.id8, { counter: k, amount: 250, cumulative: 250 * k, time: now + n }));
    }
  }
  const files = readers.map((r, i) => {
    const parts: Uint8Array[] = [];
    let head: Uint8Array = new Uint8Array(32);
    const ps = perReader[i]!.p;
    const id16 = new Uint8Array(16); id16.set(r.id8);
    for (let at = 0; at < ps.length; at += RECORDS_PER_BATCH) {
      const b = craftBatch(r.key, id16, at + 1, head, ps.slice(at, at + RECORDS_PER_BATCH));
      parts.push(b.bytes);
      head = b.head;
    }
    return Buffer.concat(parts);
  });
  return { issuer, readers, files };
}

async function run(engine: string, c: Clearing, w: ReturnType<typeof workload>, payments: number, workers: number): Promise<ClearingBenchRow> {
  await c.registerIssuerKey(1, w.issuer.publicKey);
  for (const r of w.readers) await c.registerReader({ readerId: r.id8, devicePublicKey: r.key.publicKey, operatorId: "bench" });
  const t0 = performance.now();
  let settled = 0;
  for (const f of w.files) settled += (await c.ingest(f)).settled;
  const seconds = (performance.now() - t0) / 1000;
  if (settled !== payments) throw new Error(`${engine}: settled ${settled} of ${payments}`);
  if (!(await c.checkInvariants()).ok) throw new Error(`${engine}: balances do not sum to zero`);
  return { engine, workers, payments, seconds, paymentsPerSecond: payments / seconds, vsOneWorker: 1 };
}

/** The same engine with 1 verify worker and with the default pool, side by side. */
async function pair(
  engine: string, open: (workers: number) => Promise<{ c: Clearing; done(): Promise<void> }>,
  w: ReturnType<typeof workload>, payments: number,
): Promise<ClearingBenchRow[]> {
  const rows: ClearingBenchRow[] = [];
  for (const workers of [1, verifyWorkersDefault()]) {
    const { c, done } = await open(workers);
    try {
      rows.push(await run(`${engine}, ${workers} worker${workers === 1 ? "" : "s"}`, c, w, payments, workers));
    } finally {
      await done();
    }
  }
  for (const r of rows) r.vsOneWorker = r.paymentsPerSecond / rows[0]!.paymentsPerSecond;
  return rows;
}

export async function benchClearing(o: { payments?: number } = {}): Promise<ClearingBenchResult> {
  const payments = o.payments ?? 20_000;
  const w = workload(payments);
  const rows: ClearingBenchRow[] = [];
  rows.push(...await pair("PGlite (memory)", async (workers) => {
    const c = await Clearing.open({ databaseUrl: null, verifyWorkers: workers });
    return { c, done: () => c.close() };
  }, w, payments));
  const url = process.env["DATABASE_URL"];
  if (url) {
    rows.push(...await pair("PostgreSQL server", async (workers) => {
      // A database of its own on that server, dropped afterwards: the bench never touches existing data.
      const name = `offtap_bench_${randomBytes(6).toString("hex")}`;
      const admin = new pg.Client({ connectionString: url });
      await admin.connect();
      await admin.query(`CREATE DATABASE ${name}`);
      const u = new URL(url);
      u.pathname = `/${name}`;
      const c = await Clearing.open({ databaseUrl: u.toString(), verifyWorkers: workers });
      return {
        c,
        done: async () => {
          await c.close();
          await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
          await admin.end();
        },
      };
    }, w, payments));
  }
  return { rows, goalPaymentsPerSecond: 5_000 };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const r = await benchClearing({ payments: Number(process.argv[2] ?? 20_000) });
  for (const x of r.rows) {
    console.log(`${x.engine.padEnd(32)} ${x.payments} payments in ${x.seconds.toFixed(2)} s = `
      + `${Math.round(x.paymentsPerSecond)} payments/s, ×${x.vsOneWorker.toFixed(2)} vs 1 worker `
      + `(goals ≥ ${r.goalPaymentsPerSecond}/s, pool ≥ ×1.6)`);
  }
}
