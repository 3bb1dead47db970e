// Cash-out's own migrations (host/cashout/migrations/NNN_name.sql), applied with
// clearing's runner semantics — one transaction each, serialized by an advisory lock —
// but recorded in their own table, because clearing's schema_migrations numbers its
// files from 001 too.
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Db } from "../clearing/index.ts";

export const CASHOUT_MIGRATIONS_DIR = join(dirname(fileURLToPath(import.meta.url)), "migrations");
const LOCK_KEY = 0x6f66_636f; // "ofco"

export async function migrateCashout(db: Db, dir = CASHOUT_MIGRATIONS_DIR): Promise<number[]> {
  const files = readdirSync(dir).filter((f) => /^\d{3}_[a-z0-9_]+\.sql$/.test(f)).sort();
  files.forEach((f, i) => { if (Number(f.slice(0, 3)) !== i + 1) throw new Error(`cash-out migration ${f} out of order: expected ${i + 1}`); });
  // Under the lock too: two processes creating the table at once would collide in pg_type.
  await db.transaction(async (tx) => {
    await tx.query("SELECT pg_advisory_xact_lock($1)", [LOCK_KEY]);
    await tx.exec("CREATE TABLE IF NOT EXISTS cashout_schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())");
  });
  const applied: number[] = [];
  for (const f of files) {
    const version = Number(f.slice(0, 3));
    const done = await db.transaction(async (tx) => {
      await tx.query("SELECT pg_advisory_xact_lock($1)", [LOCK_KEY]);
      if ((await tx.query("SELECT 1 FROM cashout_schema_migrations WHERE version = $1", [version])).length > 0) return false;
      await tx.exec(readFileSync(join(dir, f), "utf8"));
      await tx.query("INSERT INTO cashout_schema_migrations (version, name) VALUES ($1, $2)", [version, f.slice(4, -4)]);
      return true;
    });
    if (done) applied.push(version);
  }
  return applied;
}
