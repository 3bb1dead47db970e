// Runs a clearing test against every database: PGlite always, the PostgreSQL server when
// DATABASE_URL is set (`make test` starts one). Each run gets a fresh, empty database.
import { randomBytes } from "node:crypto";
import { test, type TestContext } from "node:test";
import pg from "pg";
import { SimNetwork } from "../../host/clearing/simulate.ts";
import { Clearing, openDb, type ClearingOptions, type Db } from "../../host/clearing/index.ts";

export const SERVER_URL = process.env["DATABASE_URL"];

async function freshServerDb(): Promise<{ db: Db; drop: () => Promise<void> }> {
  const name = `offtap_t_${randomBytes(6).toString("hex")}`;
  const admin = new pg.Client({ connectionString: SERVER_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(SERVER_URL!);
  url.pathname = `/${name}`;
  const db = await openDb({ databaseUrl: url.toString() });
  return {
    db,
    drop: async () => {
      await db.close();
      const a = new pg.Client({ connectionString: SERVER_URL });
      await a.connect();
      await a.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await a.end();
    },
  };
}

export type Engine = "pglite" | "server";

/** Operations that move money: after each, the invariants are checked (balances match the transfers and sum to zero). */
const MOVES = new Set(["ingest", "createTransfer", "createTransfers", "postPending", "voidPending", "fundIssuer"]);

/** The same clearing, asserting the ledger invariants after every money-moving call. */
export function checked(c: Clearing): Clearing {
  return new Proxy(c, {
    get(target, prop, receiver) {
      const v: unknown = Reflect.get(target, prop, receiver);
      if (typeof prop !== "string" || !MOVES.has(prop) || typeof v !== "function") return v;
      return async (...args: unknown[]) => {
        const r: unknown = await (v as (...a: unknown[]) => Promise<unknown>).apply(target, args);
        await assertBalanced(target);
        return r;
      };
    },
  });
}

/** Registers `name [pglite]` and `name [server]`; the server variant skips, saying why, without DATABASE_URL. */
export function testBoth(name: string, fn: (c: Clearing, engine: Engine, t: TestContext) => Promise<void>, opts: Omit<ClearingOptions, "db" | "databaseUrl" | "dataDir"> = {}): void {
  test(`${name} [pglite]`, async (t) => {
    const c = await Clearing.open({ ...opts, databaseUrl: null });
    try { await fn(checked(c), "pglite", t); } finally { await c.close(); }
  });
  test(`${name} [server]`, { skip: SERVER_URL ? false : "no PostgreSQL server given (DATABASE_URL unset); `make test` starts one" }, async (t) => {
    const { db, drop } = await freshServerDb();
    const c = await Clearing.open({ ...opts, db });
    try { await fn(checked(c), "server", t); } finally { await drop(); }
  });
}

/** The invariant every operation must keep: balances match the transfers and sum to zero. */
export async function assertBalanced(c: Clearing): Promise<void> {
  const r = await c.checkInvariants();
  if (!r.ok) throw new Error(`ledger invariants broken: ${JSON.stringify(r)}`);
}

/** The same database, signing with a simulated installation's clearing and operator keys. */
export async function withWorldKeys(c: Clearing, net: SimNetwork): Promise<Clearing> {
  const w = net.world;
  const k = await Clearing.open({ db: c.db, clearingKey: w.clearingKey, operatorKey: w.operatorKey });
  for (const i of [...w.issuers, w.revokedIssuer]) await k.registerIssuerKey(i.keyId, i.publicKey);
  return checked(k);
}

export { craftBatch, craftPayment, craftWallet, type CraftedWallet } from "../../host/clearing/craft.ts";
