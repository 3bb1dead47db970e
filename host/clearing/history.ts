// Exportable history: settled payments and every transfer as one RFC 4180 CSV
// (CRLF line ends; fields with a comma, quote, CR or LF are quoted, quotes doubled).
// Columns (README "Money, currencies and times", docs/CLEARING.md §9): amounts as decimals
// in the currency's own decimals beside its ISO 4217 code, the same amount in integer minor
// units for scripts, times in ISO 8601 UTC.
import type { Db } from "./db.ts";
import {
  currencyLabel, findCurrency, formatDecimal, isoFromUnixSeconds, isoTime,
} from "../money/index.ts";

export interface HistoryOptions {
  /** Only rows touching this account (transfers) or paid to this operator (payments). */
  account?: string;
  operatorId?: string;
}

export const CSV_HEADER = [
  "type", "id", "time", "tap_time", "debit_account", "credit_account", "amount", "currency",
  "amount_minor", "code", "reader_id", "seq", "wallet_id", "counter", "status", "ref",
] as const;

export function csvField(v: string | number): string {
  const s = String(v);
  return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

export function csvLine(fields: (string | number)[]): string {
  return fields.map(csvField).join(",") + "\r\n";
}

/** `amount`, `currency`, `amount_minor`: a numeric code outside host/money's table has no
 *  known decimals, so its `amount` is left empty rather than guessed. */
function money(minor: unknown, code: unknown): string[] {
  const m = String(minor), c = Number(code);
  const decimal = findCurrency(c) === undefined ? "" : formatDecimal(BigInt(m), c);
  return [decimal, currencyLabel(c), m];
}

export async function historyCsv(db: Db, o: HistoryOptions): Promise<string> {
  let out = csvLine([...CSV_HEADER]);
  const pays = await db.query(
    `SELECT wallet_id, counter, reader_id, seq, amount, operator_id, currency, status,
            settled_at, time
     FROM payments WHERE ($1::text IS NULL OR operator_id = $1)
     ORDER BY settled_at, reader_id, seq`,
    [o.operatorId ?? null],
  );
  for (const p of pays) {
    const wallet = String(p["wallet_id"]), counter = String(p["counter"]);
    out += csvLine(["payment", `${wallet}:${counter}`, isoTime(p["settled_at"] as Date),
      isoFromUnixSeconds(Number(p["time"])), "",
      `operator:${String(p["operator_id"])}:${String(p["currency"])}`,
      ...money(p["amount"], p["currency"]), "payment", String(p["reader_id"]), String(p["seq"]),
      wallet, counter, String(p["status"]), ""]);
  }
  const ts = await db.query(
    `SELECT t.*, a.currency AS currency FROM transfers t JOIN accounts a ON a.id = t.debit_account
     WHERE ($1::text IS NULL OR t.debit_account = $1 OR t.credit_account = $1) ORDER BY t.seq`,
    [o.account ?? null],
  );
  for (const t of ts) {
    const status = String(t["kind"]) + (t["pending_state"] ? `/${String(t["pending_state"])}` : "");
    out += csvLine(["transfer", String(t["id"]), isoTime(t["created_at"] as Date), "",
      String(t["debit_account"]), String(t["credit_account"]), ...money(t["amount"], t["currency"]),
      String(t["code"]), "", "", "", "", status, String(t["ref"])]);
  }
  return out;
}
