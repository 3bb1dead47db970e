// `offtap history export --csv` — settled payments and transfers as RFC 4180 CSV.
import { writeFileSync } from "node:fs";
import { EXIT_OK, EXIT_USAGE, UsageError, type Command } from "../command.ts";
import { parse } from "../args.ts";
import { DEFAULT_DB_DIR, openFromFlags } from "./clear.ts";

const HELP = `usage: offtap history export --csv [--out FILE] [--account ID] [--operator ID] [--db DIR]

Exports settled payments and every transfer as CSV (RFC 4180: CRLF line ends, fields with a
comma, quote or line break quoted, quotes doubled).

columns: type (payment|transfer), id, time (settled or booked, ISO 8601 UTC), tap_time (the
reader's time of a payment, ISO 8601 UTC), debit_account, credit_account, amount (decimal,
e.g. 1234.50), currency (ISO 4217, e.g. EUR), amount_minor (the same amount in integer minor
units, e.g. 123450), code, reader_id, seq, wallet_id, counter, status, ref

options:
  --csv            CSV output (the only format; required so other formats can come later)
  --out FILE       write to FILE instead of standard output
  --account ID     only transfers touching this account
  --operator ID    only payments paid to this operator
  --db DIR         PGlite data directory (default ${DEFAULT_DB_DIR}); DATABASE_URL selects a server
  --create         create the database when --db names none yet (else an error)
  -h, --help       this help`;

export const command: Command = {
  name: "history",
  summary: "export settled payments and transfers as CSV",
  async run(argv) {
    const { values: v, positionals } = parse(argv, {
      csv: { type: "boolean" }, out: { type: "string" }, account: { type: "string" }, operator: { type: "string" },
      db: { type: "string" }, help: { type: "boolean", short: "h" }, create: { type: "boolean" },
    } as const, true);
    if (v.help) { console.log(HELP); return EXIT_OK; }
    if (positionals[0] !== "export") { console.log(HELP); return EXIT_USAGE; }
    if (v.csv !== true) throw new UsageError("history export needs --csv");
    const c = await openFromFlags(v.db, undefined, v.create === true);
    try {
      const csv = await c.historyCsv({ ...(v.account ? { account: v.account } : {}), ...(v.operator ? { operatorId: v.operator } : {}) });
      if (v.out) writeFileSync(v.out, csv); else process.stdout.write(csv);
      return EXIT_OK;
    } finally {
      await c.close();
    }
  },
};
