// The cost of ingest's certificate statement (host/clearing/settle.ts storeCerts) with and
// without the two columns the deny list's vouching needs (valid_until, last_seen; migration
// 006), on PGlite in this thread (its CPU time is the engine's): the same rows, the same
// table, the two forms interleaved, medians. Inserts of new certificates, then updates
// of their totals (the two paths ingest takes).
// `node --import tsx tools/bench/clearing-certs.ts [ROWS] [ROUNDS]`
import { randomBytes } from "node:crypto";
import { Clearing } from "../../host/clearing/index.ts";
import { csvList, type Db } from "../../host/clearing/db.ts";
import { STORE_CERTS_SQL } from "../../host/clearing/settle.ts";

const ROWS_DEFAULT = 2_000;
const ROUNDS_DEFAULT = 15;

/** The statement before migration 006 (no valid_until, last_seen), kept to compare. */
const BEFORE = `INSERT INTO certificates (cert_hash, wallet_id, issuer_key_id, offline_cap,
  currency, spent)
  SELECT * FROM unnest(string_to_array($1, ','), string_to_array($2, ','),
    string_to_array($3, ',')::bigint[], string_to_array($4, ',')::bigint[],
    string_to_array($5, ',')::integer[], string_to_array($6, ',')::bigint[])
  ON CONFLICT (cert_hash) DO UPDATE SET spent = EXCLUDED.spent
    WHERE certificates.spent <> EXCLUDED.spent`;
/** The statement ingest runs now (the form with the vouching columns). */
const AFTER = STORE_CERTS_SQL;

type Form = "before" | "after";

/** CPU µs per row of one statement over `hashes` with total `spent`. */
async function run(db: Db, form: Form, hashes: string[], spent: number): Promise<number> {
  const n = hashes.length;
  const ids = hashes.map((h) => h.split("").reverse().join(""));
  const params = [
    csvList(hashes), csvList(ids), csvList(hashes.map(() => 1)),
    csvList(hashes.map(() => 1_000_000)), csvList(hashes.map(() => 978)),
    csvList(hashes.map(() => spent)),
  ];
  const extra = [
    csvList(hashes.map(() => 1_830_000_000)),
    csvList(hashes.map(() => 1_795_000_000 + spent)),
  ];
  const t0 = process.cpuUsage();
  await db.transaction((tx) => tx.query(form === "before" ? BEFORE : AFTER,
    form === "before" ? params : [...params, ...extra]));
  const t = process.cpuUsage(t0);
  return (t.user + t.system) / n;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;

async function main(): Promise<void> {
  const rows = Number(process.argv[2] ?? ROWS_DEFAULT);
  const rounds = Number(process.argv[3] ?? ROUNDS_DEFAULT);
  const c = await Clearing.open({ databaseUrl: null, verifyWorkers: 0 });
  if (process.env["NOIDX"]) await c.db.query("DROP INDEX certificates_last_seen");
  const us: Record<string, number[]> = {};
  const note = (k: string, v: number): void => { (us[k] ??= []).push(v); };
  try {
    for (let r = 0; r < rounds; r++) {
      const order: Form[] = r % 2 === 0 ? ["before", "after"] : ["after", "before"];
      for (const form of order) {
        const hashes = Array.from({ length: rows }, () => randomBytes(16).toString("hex"));
        note(`${form} insert`, await run(c.db, form, hashes, 250));
        note(`${form} update`, await run(c.db, form, hashes, 500));
      }
    }
  } finally {
    await c.close();
  }
  for (const path of ["insert", "update"]) {
    const b = median(us[`before ${path}`]!);
    const a = median(us[`after ${path}`]!);
    console.log(`certificates ${path}: ${b.toFixed(2)} µs/row without, ${a.toFixed(2)} with the ` +
      `vouching columns (×${(a / b).toFixed(3)}); medians of ${rounds} rounds of ${rows} rows`);
  }
}

await main();
