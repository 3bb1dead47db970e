// One database interface, two engines: PGlite (PostgreSQL in WASM, embedded) and a
// PostgreSQL server through `pg`. Same schema, same SQL; the code above never knows which.
import { mkdirSync } from "node:fs";
import { PGlite } from "@electric-sql/pglite";
import pg from "pg";

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
  close(): Promise<void>;
}

/** Serialization failures and deadlocks are retried this many times before giving up. */
export const TX_RETRIES_MAX = 20;
// 23505: two first-time inserts of one client id raced; the retry finds the winner and answers as a retry would.
const RETRYABLE = new Set(["40001", "40P01", "23505"]);
/** Connections of the server pool: enough for concurrent requests, few enough for a laptop server. */
export const POOL_CONNECTIONS_MAX = 10;

function errorCode(err: unknown): string | undefined {
  return typeof err === "object" && err !== null && "code" in err ? String((err as { code: unknown }).code) : undefined;
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

class PgliteDb implements Db {
  readonly kind = "pglite" as const;
  constructor(private readonly pg: PGlite, readonly label: string) {}

  async query<R extends Row = Row>(sql: string, params: readonly Param[] = []): Promise<R[]> {
    return (await this.pg.query<R>(sql, params as unknown[])).rows;
  }
  async exec(sql: string): Promise<void> { await this.pg.exec(sql); }

  transaction<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    return withRetry(() => this.pg.transaction(async (t) => fn({
      query: async <R extends Row = Row>(sql: string, params: readonly Param[] = []): Promise<R[]> => (await t.query<R>(sql, params as unknown[])).rows,
      exec: async (sql: string): Promise<void> => { await t.exec(sql); },
    })));
  }
  async close(): Promise<void> { await this.pg.close(); }
}

class ServerDb implements Db {
  readonly kind = "server" as const;
  readonly label = "PostgreSQL server";
  constructor(private readonly pool: pg.Pool) {}

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
          query: async <R extends Row = Row>(sql: string, params: readonly Param[] = []): Promise<R[]> => (await c.query(sql, params as unknown[])).rows as R[],
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
  async close(): Promise<void> { await this.pool.end(); }
}

export interface OpenDbOptions {
  /** A PostgreSQL server; default process.env.DATABASE_URL. Pass null to force PGlite. */
  databaseUrl?: string | null;
  /** PGlite data directory; absent = in memory. */
  dataDir?: string;
}

export async function openDb(o: OpenDbOptions = {}): Promise<Db> {
  const url = o.databaseUrl === null ? undefined : (o.databaseUrl ?? process.env["DATABASE_URL"]);
  if (url !== undefined && url !== "") {
    const pool = new pg.Pool({ connectionString: url, max: POOL_CONNECTIONS_MAX });
    // An idle connection the server closes (restart, DROP DATABASE … FORCE) must not crash the process;
    // the next query opens a fresh one.
    pool.on("error", () => undefined);
    await pool.query("SELECT 1");
    return new ServerDb(pool);
  }
  if (o.dataDir !== undefined) {
    mkdirSync(o.dataDir, { recursive: true });
    const p = await PGlite.create(o.dataDir);
    return new PgliteDb(p, `PGlite (${o.dataDir})`);
  }
  return new PgliteDb(await PGlite.create(), "PGlite (memory)");
}

/** Every BIGINT comes back as a number (PGlite) or a string (pg); money fits 2^53. */
export function num(v: unknown): number {
  const n = typeof v === "number" ? v : Number(v);
  if (!Number.isSafeInteger(n)) throw new RangeError(`database value ${String(v)} is not a safe integer`);
  return n;
}
