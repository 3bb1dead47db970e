// Read-only views for the CLI, the HTTP API and the dashboard.
import { recordReasonName } from "./gaps.ts";
import { num, type Db, type Row } from "./db.ts";
import type { Conflict, HeldBatch, Payment, ReaderEvidence } from "./types.ts";

export const VIEW_LIMIT_MAX = 10_000;
const iso = (v: unknown): string => (v instanceof Date ? v.toISOString() : String(v));
const limitOf = (n: number | undefined): number => Math.min(Math.max(1, n ?? 100), VIEW_LIMIT_MAX);

export function toPayment(r: Row): Payment {
  return {
    walletId: String(r["wallet_id"]),
    counter: num(r["counter"]),
    readerId: String(r["reader_id"]),
    seq: num(r["seq"]),
    amount: num(r["amount"]),
    excess: num(r["excess"]),
    time: num(r["time"]),
    certHash: String(r["cert_hash"]),
    issuerKeyId: num(r["issuer_key_id"]),
    currency: num(r["currency"]),
    operatorId: String(r["operator_id"]),
    status: String(r["status"]) as Payment["status"],
    settledAt: iso(r["settled_at"]),
  };
}

export interface PaymentFilter {
  limit?: number;
  /** Rows skipped before the first one returned (paging): 0…VIEW_OFFSET_MAX. */
  offset?: number;
  operatorId?: string;
  walletId?: string;
}

/** Paging deeper than this is what the CSV history is for. */
export const VIEW_OFFSET_MAX = 10_000_000;
const PAYMENT_FILTER =
  "($1::text IS NULL OR operator_id = $1) AND ($2::text IS NULL OR wallet_id = $2)";

/** Newest settled first; (reader, seq) is unique, so pages never overlap or skip a row. */
export async function payments(db: Db, o: PaymentFilter): Promise<Payment[]> {
  const offset = Math.min(Math.max(0, o.offset ?? 0), VIEW_OFFSET_MAX);
  const rows = await db.query(
    `SELECT * FROM payments WHERE ${PAYMENT_FILTER}
     ORDER BY settled_at DESC, reader_id, seq DESC LIMIT $3 OFFSET $4`,
    [o.operatorId ?? null, o.walletId ?? null, limitOf(o.limit), offset],
  );
  return rows.map(toPayment);
}

/** How many payments the same filter selects (for "page 2 of 7"). */
export async function paymentCount(db: Db, o: PaymentFilter): Promise<number> {
  const rows = await db.query(`SELECT count(*) AS n FROM payments WHERE ${PAYMENT_FILTER}`, [
    o.operatorId ?? null,
    o.walletId ?? null,
  ]);
  return num(rows[0]!["n"]);
}

export async function heldBatches(db: Db): Promise<HeldBatch[]> {
  const rows = await db.query(
    "SELECT reader_id, first_seq, last_seq, reason, received_at FROM held_batches ORDER BY reader_id, first_seq",
  );
  return rows.map((r) => ({
    readerId: String(r["reader_id"]),
    firstSeq: num(r["first_seq"]),
    lastSeq: num(r["last_seq"]),
    reason: String(r["reason"]),
    receivedAt: iso(r["received_at"]),
  }));
}

export async function conflicts(db: Db): Promise<Conflict[]> {
  const rows = await db.query("SELECT * FROM payment_conflicts ORDER BY id");
  return rows.map((r) => ({
    walletId: String(r["wallet_id"]),
    counter: num(r["counter"]),
    kind: String(r["kind"]) as Conflict["kind"],
    readerId: String(r["reader_id"]),
    seq: num(r["seq"]),
    amount: num(r["amount"]),
    excess: num(r["excess"]),
    detectedAt: iso(r["detected_at"]),
  }));
}

export async function rejectedRecords(
  db: Db,
): Promise<{ readerId: string; seq: number; reason: number; reasonName: string }[]> {
  const rows = await db.query(
    "SELECT reader_id, seq, reason FROM rejected_records ORDER BY reader_id, seq",
  );
  return rows.map((r) => ({
    readerId: String(r["reader_id"]),
    seq: num(r["seq"]),
    reason: num(r["reason"]),
    reasonName: recordReasonName(num(r["reason"])),
  }));
}

export async function deniedWallets(
  db: Db,
): Promise<{ walletId: string; reason: string; since: string }[]> {
  const rows = await db.query("SELECT * FROM deny_wallets ORDER BY since, wallet_id");
  return rows.map((r) => ({
    walletId: String(r["wallet_id"]),
    reason: String(r["reason"]),
    since: iso(r["since"]),
  }));
}

/** Evidence rows shown per reader: enough to judge; the total says how many there are. */
export const EVIDENCE_SHOWN_MAX = 100;

export interface SuspectReader {
  readerId: string;
  operatorId: string;
  name: string;
  status: "suspect" | "rejected";
  reason: string;
  heldBatches: number;
  evidenceCount: number;
  evidence: ReaderEvidence[];
}

/** Readers that are not active, with why (docs/CLEARING.md §7a). */
export async function suspectReaders(db: Db): Promise<SuspectReader[]> {
  const readers = await db.query(
    `SELECT r.reader_id, r.operator_id, r.name, r.status, r.status_reason,
       (SELECT count(*) FROM held_batches h WHERE h.reader_id = r.reader_id) AS held,
       (SELECT count(*) FROM reader_evidence e WHERE e.reader_id = r.reader_id) AS evidence
     FROM readers r WHERE r.status <> 'active' ORDER BY r.reader_id`,
  );
  const out: SuspectReader[] = [];
  for (const r of readers) {
    const id = String(r["reader_id"]);
    const ev = await db.query(
      `SELECT seq, kind, wallet_id, counter, amount::text AS amount, detail FROM reader_evidence
       WHERE reader_id = $1 ORDER BY seq, kind LIMIT $2`,
      [id, EVIDENCE_SHOWN_MAX],
    );
    out.push({
      readerId: id,
      operatorId: String(r["operator_id"]),
      name: String(r["name"]),
      status: String(r["status"]) as SuspectReader["status"],
      reason: String(r["status_reason"]),
      heldBatches: num(r["held"]),
      evidenceCount: num(r["evidence"]),
      evidence: ev.map((e) => ({
        readerId: id,
        seq: num(e["seq"]),
        kind: String(e["kind"]) as ReaderEvidence["kind"],
        walletId: String(e["wallet_id"]),
        counter: num(e["counter"]),
        amount: String(e["amount"]),
        detail: String(e["detail"]),
      })),
    });
  }
  return out;
}
