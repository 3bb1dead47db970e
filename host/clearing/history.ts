// Exportable history: settled payments and every transfer as one RFC 4180 CSV
// (CRLF line ends; fields with a comma, quote, CR or LF are quoted, quotes doubled).
import type { Db } from "./db.ts";

export interface HistoryOptions {
  /** Only rows touching this account (transfers) or paid to this operator (payments). */
  account?: string;
  operatorId?: string;
}

export const CSV_HEADER = ["type", "id", "time", "debit_account", "credit_account", "amount", "code", "reader_id", "seq", "wallet_id", "counter", "status", "ref"] as const;

export function csvField(v: string | number): string {
  const s = String(v);
  return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

export function csvLine(fields: (string | number)[]): string {
  return fields.map(csvField).join(",") + "\r\n";
}

const iso = (v: unknown): string => (v instanceof Date ? v.toISOString() : String(v));

export async function historyCsv(db: Db, o: HistoryOptions): Promise<string> {
  let out = csvLine([...CSV_HEADER]);
  const pays = await db.query(
    `SELECT wallet_id, counter, reader_id, seq, amount, operator_id, currency, status, settled_at FROM payments
     WHERE ($1::text IS NULL OR operator_id = $1) ORDER BY settled_at, reader_id, seq`,
    [o.operatorId ?? null],
  );
  for (const p of pays) {
    out += csvLine(["payment", `${String(p["wallet_id"])}:${String(p["counter"])}`, iso(p["settled_at"]), "", `operator:${String(p["operator_id"])}:${String(p["currency"])}`,
      String(p["amount"]), "payment", String(p["reader_id"]), String(p["seq"]), String(p["wallet_id"]), String(p["counter"]), String(p["status"]), ""]);
  }
  const ts = await db.query(
    `SELECT * FROM transfers WHERE ($1::text IS NULL OR debit_account = $1 OR credit_account = $1) ORDER BY seq`,
    [o.account ?? null],
  );
  for (const t of ts) {
    out += csvLine(["transfer", String(t["id"]), iso(t["created_at"]), String(t["debit_account"]), String(t["credit_account"]), String(t["amount"]),
      String(t["code"]), "", "", "", "", String(t["kind"]) + (t["pending_state"] ? `/${String(t["pending_state"])}` : ""), String(t["ref"])]);
  }
  return out;
}
