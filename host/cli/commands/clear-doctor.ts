// `offtap clear doctor` — the durability settings in force, and a refusal of unsafe ones
// (docs/CLEARING.md "Durability"). `offtap serve` runs the same check at start-up.
import { openDb } from "../../clearing/db.ts";
import {
  judge, type DurabilitySettings, type DurabilityVerdict,
} from "../../clearing/durability.ts";
import { EXIT_FAILED, EXIT_OK } from "../command.ts";
import { green, red, table, yellow } from "../output.ts";

export interface DoctorOptions {
  dataDir: string;
  unsafeNoFsync: boolean;
  json: boolean;
}

export interface DoctorReport {
  database: string;
  settings: DurabilitySettings;
  verdict: DurabilityVerdict;
}

/** Opens the database as every command does (durable PGlite, or the server without
 *  refusing it), reads the settings, and runs one probe commit on PGlite. */
export async function doctorReport(o: DoctorOptions): Promise<DoctorReport> {
  const db = await openDb({
    dataDir: o.dataDir, unsafeNoFsync: o.unsafeNoFsync, refuseUnsafe: false,
  });
  try {
    const settings = await db.durability();
    return { database: db.label, settings, verdict: judge(settings) };
  } finally {
    await db.close();
  }
}

export function durabilityLine(s: DurabilitySettings): string {
  const syncs = s.syncsPerCommit === undefined ? "" : `, ${s.syncsPerCommit} fsync per commit`;
  return `fsync=${s.fsync}, synchronous_commit=${s.synchronousCommit}, ` +
    `wal_sync_method=${s.walSyncMethod}${syncs}`;
}

export async function doctor(o: DoctorOptions): Promise<number> {
  const r = await doctorReport(o);
  const s = r.settings;
  if (o.json) {
    console.log(JSON.stringify(r, null, 2));
    return r.verdict.ok && r.verdict.problems.length === 0 ? EXIT_OK : EXIT_FAILED;
  }
  const rows = [
    ["database", r.database], ["fsync", s.fsync], ["synchronous_commit", s.synchronousCommit],
    ["wal_sync_method", s.walSyncMethod], ["full_page_writes", s.fullPageWrites],
  ];
  if (s.syncsPerCommit !== undefined) {
    rows.push(["fsync per commit", `${s.syncsPerCommit} (probe commit, counted at the OS call)`]);
  }
  console.log(table(rows));
  for (const p of r.verdict.problems) console.log(red(`unsafe: ${p}`));
  for (const n of r.verdict.notes) console.log(yellow(`note: ${n}`));
  if (r.verdict.problems.length === 0) {
    console.log(green("durable: COMMIT returns only after the commit is on disk"));
    return EXIT_OK;
  }
  return EXIT_FAILED;
}
