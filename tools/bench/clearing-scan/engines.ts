// The databases a clearing campaign runs on: PGlite in memory always, and a database of its
// own on the PostgreSQL server at DATABASE_URL (created and dropped per campaign).
import { randomBytes } from "node:crypto";
import pg from "pg";
import { Clearing, openDb, type Db } from "../../../host/clearing/index.ts";

export type ScanEngine = "pglite" | "server";

/** A fresh, empty database on `engine`, and how to let it go. */
export async function freshDb(
  engine: ScanEngine,
  serverUrl: string | undefined,
): Promise<{ db: Db; url?: string; drop(): Promise<void> }> {
  if (engine === "pglite") {
    const c = await Clearing.open({ databaseUrl: null });
    return { db: c.db, drop: () => c.close() };
  }
  if (serverUrl === undefined) throw new Error("the server engine needs DATABASE_URL");
  const name = `offtap_scan_${randomBytes(6).toString("hex")}`;
  const admin = async (sql: string): Promise<void> => {
    const a = new pg.Client({ connectionString: serverUrl });
    await a.connect();
    try { await a.query(sql); } finally { await a.end(); }
  };
  await admin(`CREATE DATABASE ${name}`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  const db = await openDb({ databaseUrl: url.toString() });
  return {
    db,
    url: url.toString(),
    drop: async () => {
      await db.close();
      await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    },
  };
}

/** What a campaign saw, line by line: two engines given the same campaign must agree. */
export class Transcript {
  readonly lines: string[] = [];
  add(x: unknown): void { this.lines.push(JSON.stringify(x)); }
  /** undefined when equal, else where and how the two differ. */
  static diff(a: Transcript, b: Transcript): string | undefined {
    const n = Math.max(a.lines.length, b.lines.length);
    for (let i = 0; i < n; i++) {
      if (a.lines[i] !== b.lines[i]) {
        const cut = (s: string | undefined): string => (s ?? "(nothing)").slice(0, 300);
        return `line ${i}: ${cut(a.lines[i])} vs ${cut(b.lines[i])}`;
      }
    }
    return undefined;
  }
}
