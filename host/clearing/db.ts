// One database interface, two engines: PGlite (PostgreSQL in WASM, embedded) and a
// PostgreSQL server through `pg`. Same schema, same SQL; the code above never knows which.
// Both are opened durable (./durability.ts): COMMIT returns only once the commit is on disk,
// so whatever is signed or answered after a commit survives a power cut.
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { PGlite } from "@electric-sql/pglite";
import pg from "pg";
import {
  DurableNodeFS, durableStartParams, judge, syncTree, unsafeFromEnv, UnsafeDurabilityError,
  type DurabilitySettings, type StorageObserver,
} from "./durability.ts";
import { lockDir, type DirLock } from "./lock.ts";
import { DbPathError, checkDataDir } from "./db-path.ts";

export type Param = string | number | bigint | boolean | null | string[] | number[];
export type Row = Record<string, unknown>;

/** A connection inside a transaction (or the database itself, outside one). */
export interface Tx {
  query<R extends Row = Row>(sql: string, params?: readonly Param[]): Promise<R[]>;
  /** Several statements without parameters (migrations). */
  exec(sql: string): Promise<void>;
}

export interface Db extends Tx {
  readonly kind: "pglite" | "server";
  /** Description for reports: "PGlite (memory)", "PGlite (DIR)", "PostgreSQL server". */
  readonly label: string;
  /** Runs fn in one transaction; retried on serialization failure or deadlock. */
  transaction<T>(fn: (tx: Tx) => Promise<T>): Promise<T>;
  /** The durability settings in force (docs/CLEARING.md "Durability"). */
  durability(): Promise<DurabilitySettings>;
  close(): Promise<void>;
}

/** Serialization failures and deadlocks are retried this many times before giving up. */
export const TX_RETRIES_MAX = 20;
// 23505: two first-time inserts of one client id raced; the retry finds the winner and
// answers as a retry would.
const RETRYABLE = new Set(["40001", "40P01", "23505"]);
/** Connections of the server pool: enough for concurrent requests, few enough for a laptop
 *  server. */
export const POOL_CONNECTIONS_MAX = 10;

function errorCode(err: unknown): string | undefined {
  if (typeof err !== "object" || err === null || !("code" in err)) return undefined;
  return String((err as { code: unknown }).code);
}

async function withRetry<T>(attempt: () => Promise<T>): Promise<T> {
  for (let i = 0; ; i++) {
    try {
      return await attempt();
    } catch (err) {
      if (i >= TX_RETRIES_MAX || !RETRYABLE.has(errorCode(err) ?? "")) throw err;
      await new Promise((r) => setTimeout(r, Math.random() * 5 * (i + 1)));
    }
  }
}

type Querier = {
  query<R>(sql: string, params?: unknown[]): Promise<{ rows: R[] }>;
};

/** SHOW for each durability setting. */
async function showSettings(q: Querier): Promise<Record<string, string>> {
  const names = ["fsync", "synchronous_commit", "wal_sync_method", "full_page_writes"];
  const out: Record<string, string> = {};
  for (const n of names) {
    const rows = (await q.query<Record<string, unknown>>(`SHOW ${n}`)).rows;
    out[n] = String(rows[0]?.[n] ?? "");
  }
  return out;
}

class PgliteDb implements Db {
  readonly kind = "pglite" as const;
  constructor(
    private readonly pg: PGlite,
    readonly label: string,
    private readonly location: string,
    private readonly fs: DurableNodeFS | undefined,
    private readonly unsafe: boolean,
    private readonly lock: DirLock | undefined,
  ) {}

  async query<R extends Row = Row>(sql: string, params: readonly Param[] = []): Promise<R[]> {
    return (await this.pg.query<R>(sql, params as unknown[])).rows;
  }
  async exec(sql: string): Promise<void> { await this.pg.exec(sql); }

  transaction<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    return withRetry(() => this.pg.transaction(async (t) => fn({
      query: async <R extends Row = Row>(sql: string, params: readonly Param[] = []) =>
        (await t.query<R>(sql, params as unknown[])).rows,
      exec: async (sql: string): Promise<void> => { await t.exec(sql); },
    })));
  }

  async durability(): Promise<DurabilitySettings> {
    const s = await showSettings(this.pg);
    // A probe commit that changes no table: a transactional WAL message takes a transaction
    // id and writes WAL, so COMMIT must flush; count the fsyncs that reached the OS meanwhile.
    const before = this.fs?.syncCount ?? 0;
    await this.pg.query("SELECT pg_logical_emit_message(true, 'offtap', 'durability probe')");
    const syncs = (this.fs?.syncCount ?? 0) - before;
    return {
      engine: "pglite", location: this.location, fsync: s["fsync"]!,
      synchronousCommit: s["synchronous_commit"]!, walSyncMethod: s["wal_sync_method"]!,
      fullPageWrites: s["full_page_writes"]!, syncsPerCommit: syncs, unsafeAccepted: this.unsafe,
    };
  }

  async close(): Promise<void> {
    try {
      await this.pg.close();
    } finally {
      this.lock?.release();
    }
  }
}

class ServerDb implements Db {
  readonly kind = "server" as const;
  readonly label = "PostgreSQL server";
  constructor(private readonly pool: pg.Pool, private readonly unsafe: boolean) {}

  async query<R extends Row = Row>(sql: string, params: readonly Param[] = []): Promise<R[]> {
    return (await this.pool.query(sql, params as unknown[])).rows as R[];
  }
  async exec(sql: string): Promise<void> { await this.pool.query(sql); }

  transaction<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    return withRetry(async () => {
      const c = await this.pool.connect();
      try {
        await c.query("BEGIN");
        const r = await fn({
          query: async <R extends Row = Row>(sql: string, params: readonly Param[] = []) =>
            (await c.query(sql, params as unknown[])).rows as R[],
          exec: async (sql: string): Promise<void> => { await c.query(sql); },
        });
        await c.query("COMMIT");
        return r;
      } catch (err) {
        await c.query("ROLLBACK").catch(() => undefined);
        throw err;
      } finally {
        c.release();
      }
    });
  }

  async durability(): Promise<DurabilitySettings> {
    const s = await showSettings(this.pool);
    return {
      engine: "server", location: "server", fsync: s["fsync"]!,
      synchronousCommit: s["synchronous_commit"]!, walSyncMethod: s["wal_sync_method"]!,
      fullPageWrites: s["full_page_writes"]!, unsafeAccepted: this.unsafe,
    };
  }
  async close(): Promise<void> { await this.pool.end(); }
}

export interface OpenDbOptions {
  /** A PostgreSQL server; default process.env.DATABASE_URL. Pass null to force PGlite. */
  databaseUrl?: string | null;
  /** PGlite data directory; absent = in memory. */
  dataDir?: string;
  /** Accept a database that does not sync commits (a server with fsync=off; PGlite as
   *  shipped). Default: OFFTAP_UNSAFE_NO_FSYNC=1. For throwaway data and benchmarks only. */
  unsafeNoFsync?: boolean;
  /** PGlite on disk: sees every write and every fsync that reached the OS (power-cut tests). */
  storageObserver?: StorageObserver;
  /** false: open an unsafe server anyway, to report its settings (`offtap clear doctor`). */
  refuseUnsafe?: boolean;
  /** PGlite on disk, checked before it is opened (./db-path.ts): false, the directory must
   *  already be a database; true, it may also be missing or empty (a new database).
   *  Absent: not checked (library callers with directories of their own). */
  create?: boolean;
}

function newPool(url: string, forceSyncCommit: boolean): pg.Pool {
  const pool = new pg.Pool({
    connectionString: url, max: POOL_CONNECTIONS_MAX,
    // A server whose default is synchronous_commit=off still flushes offtap's commits.
    ...(forceSyncCommit ? { options: "-c synchronous_commit=on" } : {}),
  });
  // An idle connection the server closes (restart, DROP DATABASE … FORCE) must not crash the
  // process; the next query opens a fresh one.
  pool.on("error", () => undefined);
  return pool;
}

async function openServer(url: string, unsafe: boolean, refuse: boolean): Promise<ServerDb> {
  let pool = newPool(url, false);
  const first = await showSettings(pool).catch(async (err: unknown) => {
    await pool.end();
    throw err;
  });
  if (first["synchronous_commit"] === "off") {
    await pool.end();
    pool = newPool(url, true);
  }
  const db = new ServerDb(pool, unsafe);
  const verdict = judge(await db.durability());
  if (!verdict.ok && refuse) {
    await db.close();
    throw new UnsafeDurabilityError(verdict, "the PostgreSQL server is not durable");
  }
  return db;
}

/** PGlite on a directory that does not start (damaged, or another PostgreSQL version's):
 *  a one-line DbPathError for the CLI (which passes `create`), not PGlite's stack. */
async function startPglite(dir: string, o: OpenDbOptions, start: () => Promise<PGlite>):
  Promise<PGlite> {
  try {
    return await start();
  } catch (err) {
    if (o.create === undefined) throw err;
    const why = err instanceof Error ? err.message : String(err);
    throw new DbPathError(dir, `${dir} could not be opened as a clearing database: ${why} ` +
      "(the directory is damaged or not a PGlite one; restore it from a backup)");
  }
}

async function openPgliteDir(dir: string, o: OpenDbOptions, unsafe: boolean): Promise<Db> {
  if (o.create !== undefined) checkDataDir(dir, o.create);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const lock = lockDir(dir);
  try {
    if (unsafe) {
      const p = await startPglite(dir, o, () => PGlite.create(dir));
      return new PgliteDb(p, `PGlite (${dir}, no fsync)`, dir, undefined, true, lock);
    }
    const fresh = !existsSync(join(dir, "PG_VERSION"));
    const fs = new DurableNodeFS(dir, o.storageObserver);
    const p = await startPglite(dir, o,
      () => PGlite.create({ fs, startParams: durableStartParams() }));
    // initdb wrote the new cluster without syncing it; make that baseline durable once.
    if (fresh) {
      await p.exec("CHECKPOINT");
      syncTree(dir, o.storageObserver);
    }
    return new PgliteDb(p, `PGlite (${dir})`, dir, fs, false, lock);
  } catch (err) {
    lock.release();
    throw err;
  }
}

export async function openDb(o: OpenDbOptions = {}): Promise<Db> {
  const url = o.databaseUrl === null ? undefined : (o.databaseUrl ?? process.env["DATABASE_URL"]);
  const unsafe = o.unsafeNoFsync ?? unsafeFromEnv();
  if (url !== undefined && url !== "") return openServer(url, unsafe, o.refuseUnsafe ?? true);
  if (o.dataDir !== undefined) return openPgliteDir(o.dataDir, o, unsafe);
  const p = await PGlite.create();
  return new PgliteDb(p, "PGlite (memory)", "memory", undefined, unsafe, undefined);
}

/** Every BIGINT comes back as a number (PGlite) or a string (pg); money fits 2^53. */
export function num(v: unknown): number {
  const n = typeof v === "number" ? v : Number(v);
  if (!Number.isSafeInteger(n)) {
    throw new RangeError(`database value ${String(v)} is not a safe integer`);
  }
  return n;
}

/** A bulk statement's column of hex ids or integers as one text parameter, read in SQL with
 *  `string_to_array($n, ',')` (cast for integers). Ingest passes thousands of values per
 *  column: one comma-separated string costs both clients and the server less than a text[]
 *  literal of quoted, escaped elements (docs/CLEARING.md §9). Values must be non-empty and
 *  free of commas (hex, decimal integers, fixed words); anything else is a RangeError, never
 *  a shifted column. Text that may hold a comma (names, reasons) stays a text[]. */
export function csvList(xs: readonly (string | number)[]): string {
  const s = xs.join(",");
  let commas = 0;
  for (let at = s.indexOf(","); at !== -1; at = s.indexOf(",", at + 1)) commas++;
  const empty =
    (xs.length > 0 && s === "") || s.startsWith(",") || s.endsWith(",") || s.includes(",,");
  if (commas !== Math.max(0, xs.length - 1) || empty) {
    throw new RangeError("a comma-separated column holds a value with a comma or an empty one");
  }
  return s;
}
