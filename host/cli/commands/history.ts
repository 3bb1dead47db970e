// `offtap history export --csv` — settled payments and transfers as RFC 4180 CSV.
import { parseCsv } from "../../cashout/csv.ts";
import { checkOutput, writeOutput } from "../files.ts";
import { EXIT_OK, EXIT_USAGE, UsageError, type Command } from "../command.ts";
import { parse } from "../args.ts";
import { DEFAULT_DB_DIR, openFromFlags } from "./clear.ts";

const HELP = `usage: offtap history export (--csv | --json) [--out FILE [--force]] [--account ID]
                             [--operator ID] [--db DIR]

Exports settled payments and every transfer as CSV (RFC 4180: CRLF line ends, fields with a
comma, quote or line break quoted, quotes doubled).

columns: type (payment|transfer), id, time (settled or booked, ISO 8601 UTC), tap_time (the
reader's time of a payment, ISO 8601 UTC), debit_account, credit_account, amount (decimal,
e.g. 1234.50), currency (ISO 4217, e.g. EUR), amount_minor (the same amount in integer minor
units, e.g. 123450), code, reader_id, seq, wallet_id, counter, status, ref

options:
  --csv            CSV output
  --json           the same rows as JSON: {"rows":[{column: value, …}]}, columns as in the CSV
  --out FILE       write to FILE instead of standard output (checked before the database is
                   opened; an existing FILE is not replaced without --force)
  --force          replace an existing --out FILE
  --account ID     only transfers touching this account
  --operator ID    only payments paid to this operator
  --db DIR         PGlite data directory (default ${DEFAULT_DB_DIR}); DATABASE_URL selects a server
  --create         create the database when --db names none yet (else an error)
  -h, --help       this help`;

/** The CSV's rows as objects keyed by its header (values as the CSV has them). */
function csvObjects(csv: string): Record<string, string>[] {
  const [header = [], ...rows] = parseCsv(csv);
  return rows.map((r) => Object.fromEntries(header.map((h, i) => [h, r[i] ?? ""])));
}

export const command: Command = {
  name: "history",
  summary: "export settled payments and transfers as CSV",
  async run(argv) {
    const { values: v, positionals } = parse(
      argv,
      {
        csv: { type: "boolean" },
        out: { type: "string" },
        account: { type: "string" },
        operator: { type: "string" },
        db: { type: "string" },
        help: { type: "boolean", short: "h" },
        create: { type: "boolean" },
        json: { type: "boolean" },
        force: { type: "boolean" },
      } as const,
      true,
    );
    if (v.help) {
      console.log(HELP);
      return EXIT_OK;
    }
    if (positionals[0] !== "export") {
      console.log(HELP);
      return EXIT_USAGE;
    }
    if ((v.csv === true) === (v.json === true)) {
      throw new UsageError("history export needs one of --csv and --json");
    }
    const force = { force: v.force === true };
    if (v.out) checkOutput(v.out, force);
    const c = await openFromFlags(v.db, undefined, v.create === true);
    try {
      const csv = await c.historyCsv({
        ...(v.account ? { account: v.account } : {}),
        ...(v.operator ? { operatorId: v.operator } : {}),
      });
      const text = v.json === true ? `${JSON.stringify({ rows: csvObjects(csv) })}\n` : csv;
      if (v.out) writeOutput(v.out, text, force);
      else process.stdout.write(text);
      return EXIT_OK;
    } finally {
      await c.close();
    }
  },
};
