// Gap entries (docs/LEDGER.md §5.1) as clearing sees them: a reader whose flash lost a
// record to rot exports a signed gap entry in its place. Clearing cannot settle it (the
// payment's content is gone), shows it with the rejected records — reason
// LEDGER_GAP_UNREADABLE, content kept for investigation — and moves the reader's
// sequence past it, so its acknowledgement lets the reader free the flash behind it.
import { KIND_GAP, type LedgerRecord } from "../ledger/format.ts";
import { reasonName } from "../protocol/index.ts";
import type { Tx } from "./db.ts";
import type { BatchOutcome, IngestReport } from "./types.ts";

/** rejected_records.reason of a gap: GAP_REASON_BASE − the entry's reason (negative, so
 *  never a protocol reason code, which are ≥ 0). */
export const GAP_REASON_BASE = -100;
const GAP_NAMES: Record<number, string> = { 1: "LEDGER_GAP_UNREADABLE" };

export function isGapEntry(r: LedgerRecord): boolean {
  return r.kind === KIND_GAP;
}

/** The reason code clearing stores for a gap entry. */
export function gapReasonCode(r: LedgerRecord): number {
  const reason = new DataView(r.content.buffer, r.content.byteOffset).getUint32(40, true);
  return GAP_REASON_BASE - reason;
}

/** reasonName for any rejected record: gap codes get their ledger name. */
export function recordReasonName(code: number): string {
  if (code > GAP_REASON_BASE) return reasonName(code);
  return GAP_NAMES[GAP_REASON_BASE - code] ?? `LEDGER_GAP(${GAP_REASON_BASE - code})`;
}

/** Shows a gap entry of reader readerIdHex: in this upload's report and in rejected_records. */
export async function recordGap(tx: Tx, report: IngestReport, out: BatchOutcome,
  readerIdHex: string, r: LedgerRecord): Promise<void> {
  const code = gapReasonCode(r);
  out.rejectedRecords++;
  report.rejectedRecords.push({ readerId: readerIdHex, seq: r.seq, reason: code,
    reasonName: recordReasonName(code) });
  await tx.query(
    `INSERT INTO rejected_records (reader_id, seq, reason, wallet_id, counter, amount, content)
     VALUES ($1, $2, $3, $4, 0, 0, $5) ON CONFLICT DO NOTHING`,
    [readerIdHex, r.seq, code, "0".repeat(32), Buffer.from(r.content) as unknown as string],
  );
}
