// Where an ingested payment's time goes (docs/CLEARING.md §9), measured with ingest on one
// thread, in CPU time (robust on a shared machine): the signature checks that the pool can
// take (records' wallet and certificate signatures, batch signatures), the rest of the
// main thread's work (batch parsing, chain hashes, placement, the SQL client — and the
// whole database engine for PGlite, which runs in this thread), and a PostgreSQL server's
// own CPU. From these, the speed-up that `cores` idle cores allow (the pipeline's Amdahl
// bound): everything but the signature checks stays serial.
import { readFileSync } from "node:fs";
import { Clearing } from "../../host/clearing/index.ts";
import { openDb, type Db, type Param, type Row, type Tx } from "../../host/clearing/db.ts";
import { FirmwareCrypto } from "../../host/firmware/crypto.ts";
import { splitBatches } from "../../host/ledger/batch.ts";
import { verifyEd25519 } from "../../host/ledger/keys.ts";
import { RecordVerifier } from "../../host/clearing/verify.ts";
import type { SigJob, VerifyPool } from "../../host/clearing/verify-pool.ts";
import { registerAll, withBenchDatabase, type Workload } from "./clearing-workload.ts";

export interface Breakdown {
  engine: string;
  /** Ingest on one thread (signatures checked inline): wall µs per payment. */
  serialWallUs: number;
  /** CPU µs per payment: V, the signature checks (~1.2 by the firmware's verifier — the
   *  wallet's, and its certificate's the first time clearing meets it — and 0.1 batch
   *  signature by the host's); M, the rest of this process; D, the server's backends. */
  verifyUs: number;
  mainUs: number;
  serverUs: number;
  /** Wall µs per payment spent awaiting SQL answers; statements per payment. */
  sqlWaitUs: number;
  statements: number;
  /** On `cores` idle cores, S = M + D is serial (the main thread waits for the server), so
   *  the pool gives at most (V+S) / max(S, (V+S)/cores) over one thread, and one verify
   *  worker — max(V, S) per payment — max(V, S) / max(S, (V+S)/cores). */
  cores: number;
  idealPoolVsOneThread: number;
  idealPoolVsOneWorker: number;
}

interface SqlCount {
  statements: number;
  ms: number;
}

/** A Db whose statements (inside transactions too) are counted and timed. */
function counted(db: Db, n: SqlCount): Db {
  const wrap =
    (t: Tx): Tx["query"] =>
    async <R extends Row = Row>(sql: string, params?: readonly Param[]): Promise<R[]> => {
      const t0 = performance.now();
      try {
        return await t.query<R>(sql, params);
      } finally {
        n.statements++;
        n.ms += performance.now() - t0;
      }
    };
  const out = Object.create(db) as Db;
  return Object.assign(out, {
    query: wrap(db),
    transaction: <T>(fn: (tx: Tx) => Promise<T>): Promise<T> =>
      db.transaction((tx) => fn({ query: wrap(tx), exec: (sql: string) => tx.exec(sql) })),
  });
}

const cpuUs = (t0?: NodeJS.CpuUsage): number => {
  const t = process.cpuUsage(t0);
  return t.user + t.system;
};

/** CPU µs per payment of every signature ingest checks, on this thread alone. */
async function verifyUs(w: Workload): Promise<number> {
  const crypto = new FirmwareCrypto();
  let us = 0;
  const inline = {
    verifyAll: (jobs: readonly SigJob[]): Promise<Int32Array> => {
      const out = new Int32Array(jobs.length);
      const t0 = process.cpuUsage();
      jobs.forEach((j, i) => {
        out[i] = crypto.verify(j.publicKey, j.message, j.signature);
      });
      us += cpuUs(t0);
      return Promise.resolve(out);
    },
  } as unknown as VerifyPool;
  const v = new RecordVerifier(crypto);
  const issuers = new Map([[1, { publicKey: w.issuer.publicKey, revokedAt: null }]]);
  const queued = new Set<string>(); // certificates once per upload set, as ingest does
  w.files.forEach((f, i) => {
    const batches = splitBatches(f);
    const t0 = process.cpuUsage();
    for (const b of batches) verifyEd25519(w.readers[i]!.key.publicKey, b.signed, b.signature);
    us += cpuUs(t0);
  });
  for (const f of w.files) {
    await v.prepare(splitBatches(f).flatMap((b) => b.records), issuers, inline, queued);
  }
  return us / w.payments;
}

/** CPU µs of the server's backends for this database (Linux /proc, the server on this
 *  machine); undefined when they cannot be read. */
async function serverCpuUs(db: Db): Promise<number | undefined> {
  if (db.kind !== "server") return 0;
  const rows = await db.query(
    "SELECT pid FROM pg_stat_activity WHERE datname = current_database()",
  );
  let ticks = 0;
  try {
    for (const r of rows) {
      const stat = readFileSync(`/proc/${String(r["pid"])}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      ticks += Number(fields[11]) + Number(fields[12]); // utime, stime (fields 14, 15)
    }
  } catch {
    return undefined;
  }
  const TICKS_PER_S = 100; // USER_HZ on Linux
  return (ticks / TICKS_PER_S) * 1e6;
}

async function measure(
  engine: string, db: Db, w: Workload, warm: Workload, vUs: number, cores: number,
): Promise<Breakdown> {
  const n: SqlCount = { statements: 0, ms: 0 };
  const c = await Clearing.open({ db: counted(db, n), verifyWorkers: 0 });
  let wallMs: number, cpu: number, server: number | undefined;
  try {
    await registerAll(c, w);
    await registerAll(c, warm);
    for (const f of warm.files) await c.ingest(f); // untimed, as in the bench's runs
    n.statements = 0;
    n.ms = 0;
    const server0 = await serverCpuUs(db);
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    for (const f of w.files) await c.ingest(f);
    wallMs = performance.now() - t0;
    cpu = cpuUs(cpu0);
    const server1 = await serverCpuUs(db);
    server = server0 === undefined || server1 === undefined ? undefined : server1 - server0;
  } finally {
    await c.close();
  }
  const p = w.payments;
  const mainUs = Math.max(0, cpu / p - vUs);
  const serverUs = (server ?? 0) / p;
  const s = mainUs + serverUs;
  const pool = Math.max(s, (vUs + s) / cores);
  return {
    engine, serialWallUs: (wallMs * 1000) / p, verifyUs: vUs, mainUs, serverUs,
    sqlWaitUs: (n.ms * 1000) / p, statements: n.statements / p, cores,
    idealPoolVsOneThread: (vUs + s) / pool, idealPoolVsOneWorker: Math.max(vUs, s) / pool,
  };
}

/** The breakdown on PGlite (memory) and, with `serverUrl`, on a PostgreSQL server. */
export async function profileClearing(
  w: Workload, warm: Workload, cores: number, serverUrl?: string,
): Promise<Breakdown[]> {
  const vUs = await verifyUs(w);
  const pglite = await openDb({ databaseUrl: null });
  const rows: Breakdown[] = [await measure("PGlite (memory)", pglite, w, warm, vUs, cores)];
  if (serverUrl !== undefined && serverUrl !== "") {
    rows.push(await withBenchDatabase(serverUrl, async (u) =>
      measure("PostgreSQL server", await openDb({ databaseUrl: u }), w, warm, vUs, cores)));
  }
  return rows;
}
