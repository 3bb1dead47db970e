// The receipt (docs/PROTOCOL.md, "RECEIPT", 46 bytes), derived only from the ledger
// record (docs/LEDGER.md §2.3, little-endian) so that the same authorization always
// yields the same receipt. Pure.
import { CONTINUE, LEDGER_ERROR } from "./codes";
import { loadLe16, loadLe32, storeBe32, bytesCopy, bytesFill } from "./bytes";
import { RECEIPT_BYTES } from "./apdu";
import { AUTH_BYTES, AUTH_CURRENCY, READER_ID_BYTES } from "./auth";

// Ledger record content (bytes 0 … 71 + b).
export const REC_SEQUENCE: usize = 0;
export const REC_WALLET_ID: usize = 4;
export const REC_COUNTER: usize = 20;
export const REC_AMOUNT: usize = 24;
export const REC_TIME: usize = 32;
export const REC_BODY_LEN: usize = 36;
export const REC_KIND: usize = 38;
export const REC_LINK: usize = 40;
export const REC_BODY: usize = 72;
export const REC_HEAD_BYTES: i32 = 72;
export const REC_KIND_PAYMENT: u32 = 1;

// Receipt.
export const RECEIPT_VERSION: u8 = 2;
export const OUTCOME_ACCEPTED: u8 = 0;
/** Re-tap: the gate opened now, the one opening the payment had not had yet. */
export const OUTCOME_ALREADY_ACCEPTED: u8 = 1;
/** Re-tap: the gate opened for this payment before and stays shut. */
export const OUTCOME_ALREADY_USED: u8 = 2;
export const RCPT_OUTCOME: usize = 1;
export const RCPT_READER_ID: usize = 2;
export const RCPT_SEQUENCE: usize = 10;
export const RCPT_COUNTER: usize = 14;
export const RCPT_AMOUNT: usize = 18;
export const RCPT_CURRENCY: usize = 22;
export const RCPT_READER_TIME: usize = 24;
export const RCPT_RESERVED: usize = 28;
export const RCPT_RECORD_HASH: usize = 30;
export const RECORD_HASH_BYTES: i32 = 16;

/** The payment body the reader appends: authorization (107) ‖ certificate (131). */
export const BODY_AUTH: usize = 0;
export const BODY_CERT: usize = <usize>AUTH_BYTES;

/** Writes a receipt from the fields of a ledger record. `link` is the record's 32-byte
 *  hash link; the receipt carries its first 16 bytes. */
export function receiptBuild(
  out: usize, outcome: u8, readerId: usize, sequence: u32, counter: u32, amount: u32,
  currency: usize, timeS: u32, link: usize,
): void {
  store<u8>(out, RECEIPT_VERSION);
  store<u8>(out + RCPT_OUTCOME, outcome);
  bytesCopy(out + RCPT_READER_ID, readerId, READER_ID_BYTES);
  storeBe32(out + RCPT_SEQUENCE, sequence);
  storeBe32(out + RCPT_COUNTER, counter);
  storeBe32(out + RCPT_AMOUNT, amount);
  bytesCopy(out + RCPT_CURRENCY, currency, 2);
  storeBe32(out + RCPT_READER_TIME, timeS);
  bytesFill(out + RCPT_RESERVED, 0, 2);
  bytesCopy(out + RCPT_RECORD_HASH, link, RECORD_HASH_BYTES);
}

/**
 * Builds the receipt from a record content of recLen bytes whose body is a payment
 * body of bodyBytes. Returns CONTINUE, or LEDGER_ERROR when the record is not a payment
 * record of that shape or its amount does not fit the wire's 32 bits (a ledger fault:
 * the reader wrote it).
 */
export function receiptFromRecord(
  out: usize, outcome: u8, readerId: usize, rec: usize, recLen: i32, bodyBytes: i32,
): i32 {
  if (recLen != REC_HEAD_BYTES + bodyBytes) return LEDGER_ERROR;
  if (loadLe16(rec + REC_BODY_LEN) != <u32>bodyBytes) return LEDGER_ERROR;
  if (loadLe16(rec + REC_KIND) != REC_KIND_PAYMENT) return LEDGER_ERROR;
  if (load<u32>(rec + REC_AMOUNT + 4) != 0) return LEDGER_ERROR;
  receiptBuild(
    out, outcome, readerId, loadLe32(rec + REC_SEQUENCE), loadLe32(rec + REC_COUNTER),
    loadLe32(rec + REC_AMOUNT), rec + REC_BODY + BODY_AUTH + AUTH_CURRENCY,
    loadLe32(rec + REC_TIME),
    rec + REC_LINK,
  );
  return CONTINUE;
}

export { RECEIPT_BYTES };
