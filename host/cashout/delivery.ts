// Payout files reach the disk durably, and a file whose writing was interrupted is
// finished by the next `offtap cashout export` (docs/CLEARING.md "Durability").
// Order: (1) one transaction stores the file and marks its cash-outs `exported` (durable at
// COMMIT); (2) the XML and CSV are written to temporary names, fsynced, renamed into
// place and the directory fsynced; (3) the delivery is recorded. A crash between (1) and
// (3) leaves the file "pending": stored in the database, cash-outs exported, no delivery
// row; the next export writes it first and says so.
import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, writeSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import type { Db } from "../clearing/index.ts";
import type { PayoutFile } from "./types.ts";

/** Serializes the creation of the deliveries table across processes sharing a server. */
const DELIVERY_LOCK_KEY = 0x6f66_6476; // "ofdv"

/** Creates the table once; files exported before it existed count as delivered (they were
 *  written by the export that made them; `export --file ID` writes one again). */
export async function ensureDeliveries(db: Db): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.query("SELECT pg_advisory_xact_lock($1)", [DELIVERY_LOCK_KEY]);
    const exists = await tx.query("SELECT to_regclass('cashout_payout_deliveries') AS t");
    if (exists[0]?.["t"] !== null && exists[0]?.["t"] !== undefined) return;
    await tx.exec(`CREATE TABLE cashout_payout_deliveries (
      file_id     text PRIMARY KEY REFERENCES cashout_payout_files(id),
      written_to  text NOT NULL,
      written_at  timestamptz NOT NULL
    )`);
    await tx.exec(`INSERT INTO cashout_payout_deliveries (file_id, written_to, written_at)
      SELECT id, '', created_at FROM cashout_payout_files`);
  });
}

/** Ids of payout files stored (their cash-outs exported) but never written out. */
export async function pendingFiles(db: Db): Promise<string[]> {
  const rows = await db.query(`SELECT f.id FROM cashout_payout_files f
    LEFT JOIN cashout_payout_deliveries d ON d.file_id = f.id
    WHERE d.file_id IS NULL ORDER BY f.created_at, f.id`);
  return rows.map((r) => String(r["id"]));
}

function syncDir(dir: string): void {
  const fd = openSync(dir, "r");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Creates `dir` (and missing parents), each new entry synced in its parent. */
function makeDirDurable(dir: string): void {
  const made = mkdirSync(dir, { recursive: true, mode: 0o700 });
  if (made === undefined) return;
  for (let d = resolve(dir); ; d = dirname(d)) {
    syncDir(dirname(d));
    if (d === resolve(made)) return;
  }
}

/** Writes `text` to dir/name atomically and durably: a reader sees the old file or the
 *  whole new one, and after fsync of the file and the directory a power cut keeps it. */
export function writeFileDurable(dir: string, name: string, text: string): string {
  const path = join(dir, name);
  const tmp = join(dir, `.${name}.${process.pid}.tmp`);
  const fd = openSync(tmp, "w", 0o600);
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
  syncDir(dir);
  return path;
}

export interface Delivered { xml: string; csv: string }

/** Writes the file's XML and CSV into `dir` durably, then records the delivery. */
export async function deliver(db: Db, file: PayoutFile, dir: string): Promise<Delivered> {
  makeDirDurable(dir);
  const xml = writeFileDurable(dir, `${file.msgId}.xml`, file.xml);
  const csv = writeFileDurable(dir, `${file.msgId}.csv`, file.csv);
  await db.query(
    `INSERT INTO cashout_payout_deliveries (file_id, written_to, written_at)
     VALUES ($1, $2, now())
     ON CONFLICT (file_id) DO UPDATE SET written_to = EXCLUDED.written_to, written_at = now()`,
    [file.id, resolve(dir)],
  );
  return { xml, csv };
}
