// Signed export batches with gap entries, and signed acknowledgements (docs/LEDGER.md §5).
import { IO_BUFFER_BYTES, LEDGER_BATCH_RECORDS_MAX } from "../limits";
import { ioBuffer } from "../io";
import { ed25519Sign } from "../crypto/sign";
import { ed25519Verify } from "../crypto/verify";
import {
  OK, ERR_NOT_CONFIGURED, ERR_BAD_ARGUMENT, ERR_BAD_FORMAT, ERR_BAD_ACK, ERR_BAD_SIGNATURE,
  ERR_LEDGER_FULL, ERR_CORRUPT, ERR_NOT_FOUND,
} from "./status";
import { copyBytes, fillBytes, bytesEqual } from "./flash";
import { contentBytes, LINK_BYTES, RECORD_LINK_AT, RECORD_FIXED_BYTES, KIND_GAP } from "./format";
import { readerIdPtr, deviceSecretKeyPtr, clearingKeyPtr, sectorCount } from "./config";
import * as st from "./state";
import { locateRecord, readHeader } from "./walk";
import { persistAck } from "./append";
import { recover } from "./recover";

const BATCH_MAGIC_V1: u32 = 0x3142544F; // "OTB1"
const BATCH_MAGIC_V2: u32 = 0x3242544F; // "OTB2"
const ACK_MAGIC: u32 = 0x314B544F; // "OTK1"
export const BATCH_HEADER_BYTES: i32 = 96;
export const ACK_BYTES: i32 = 124;
const SIG_BYTES: i32 = 64;
const GAP_UNREADABLE: u32 = 1;
const ackCopy: usize = memory.data(ACK_BYTES, 8);

/** Writes link(seq − 1) to out: from the sector that starts at seq, else from record
 *  seq − 1 (zeros when that record is unreadable, §5). */
function linkBefore(seq: u32, out: usize): i32 {
  for (let s = 0; s < sectorCount; s++) {
    if (st.isValid(s) && st.getU32(st.secFirst, s) == seq) {
      const v = readHeader(s);
      if (v < 0) return v;
      if (v > 0) { copyBytes(out, st.headerBuf + 24, LINK_BYTES); return OK; }
    }
  }
  fillBytes(out, 0, LINK_BYTES);
  if (seq == 1) return OK;
  const r = locateRecord(seq - 1);
  if (r == ERR_CORRUPT || r == ERR_NOT_FOUND) return OK;
  if (r < 0) return r;
  copyBytes(out, st.slotBuf + <usize>RECORD_LINK_AT, LINK_BYTES);
  return OK;
}

/** Writes the gap entry of record seq at p (§5.1). */
function writeGap(p: usize, seq: u32): void {
  fillBytes(p, 0, RECORD_FIXED_BYTES);
  store<u32>(p, seq);
  store<u16>(p, KIND_GAP, 38);
  store<u32>(p, GAP_UNREADABLE, 40);
}

/** Builds a signed batch from fromSeq (0 = first unacknowledged) into the I/O buffer;
 *  returns its length, 0 when there is nothing to export, or a negative status. */
export function exportBatch(fromSeq: u32, maxRecords: i32): i32 {
  if (!st.recovered) return ERR_NOT_CONFIGURED;
  if (maxRecords <= 0 || maxRecords > LEDGER_BATCH_RECORDS_MAX) {
    maxRecords = LEDGER_BATCH_RECORDS_MAX;
  }
  const first = fromSeq == 0 ? st.ackedSeq + 1 : fromSeq;
  if (first <= st.ackedSeq) return ERR_BAD_ARGUMENT; // acknowledged records never reappear
  const last = st.nextSeq - 1;
  if (first > last) return 0;
  const out = ioBuffer;
  let r = linkBefore(first, out + 32);
  if (r < 0) return r;
  let p = BATCH_HEADER_BYTES;
  let seq = first;
  let count = 0;
  let gaps = 0;
  while (count < maxRecords && seq <= last) {
    r = locateRecord(seq);
    // Below nextSeq, "not found" is a record whose sector no header names any more (its
    // header lost to more faults than the ledger survives): unreadable too (§5.1).
    const lost = r == ERR_CORRUPT || r == ERR_NOT_FOUND;
    if (r < 0 && !lost) return r;
    const n = lost ? RECORD_FIXED_BYTES : contentBytes(st.slotBuf);
    if (p + n + SIG_BYTES > IO_BUFFER_BYTES) break;
    if (lost) {
      // One unreadable record never strands the rest: it travels as a signed gap.
      writeGap(out + <usize>p, seq);
      fillBytes(out + 64, 0, LINK_BYTES);
      gaps++;
    } else {
      copyBytes(out + <usize>p, st.slotBuf, n);
      copyBytes(out + 64, st.slotBuf + <usize>RECORD_LINK_AT, LINK_BYTES);
    }
    p += n;
    seq++;
    count++;
  }
  store<u32>(out, gaps > 0 ? BATCH_MAGIC_V2 : BATCH_MAGIC_V1);
  store<u16>(out, gaps > 0 ? 2 : 1, 4);
  store<u16>(out, <u16>count, 6);
  copyBytes(out + 8, readerIdPtr(), 16);
  store<u32>(out, first, 24);
  store<u32>(out, first + <u32>count - 1, 28);
  ed25519Sign(deviceSecretKeyPtr(), out, p, out + <usize>p);
  return p + SIG_BYTES;
}

/** Checks a signed acknowledgement and makes it durable (§5.2). */
export function acknowledge(ptr: usize, len: i32): i32 {
  if (!st.recovered) return ERR_NOT_CONFIGURED;
  if (len != ACK_BYTES) return ERR_BAD_FORMAT;
  // Work on a copy: the caller's buffer is the I/O buffer, which checks below reuse.
  copyBytes(ackCopy, ptr, ACK_BYTES);
  if (load<u32>(ackCopy) != ACK_MAGIC || load<u16>(ackCopy, 4) != 1) return ERR_BAD_FORMAT;
  if (!bytesEqual(ackCopy + 8, readerIdPtr(), 16)) return ERR_BAD_ACK;
  if (ed25519Verify(clearingKeyPtr(), ackCopy, 60, ackCopy + 60) != 0) return ERR_BAD_SIGNATURE;
  const seq = load<u32>(ackCopy, 24);
  if (seq <= st.ackedSeq) return OK; // already acknowledged: idempotent, nothing written
  if (seq >= st.nextSeq) return ERR_BAD_ACK;
  const r = locateRecord(seq);
  // An unreadable record's link is lost (§5.2): there is nothing to check the head
  // against. Clearing sends 32 zero bytes when it received a gap there, and the link when
  // it received the record readable and it rotted afterwards — refusing that one would
  // refuse every acknowledgement past the record for ever.
  if (r != ERR_CORRUPT && r != ERR_NOT_FOUND) {
    if (r < 0) return r;
    const link = st.slotBuf + <usize>RECORD_LINK_AT;
    if (!bytesEqual(link, ackCopy + 28, LINK_BYTES)) return ERR_BAD_ACK;
  }
  const w = persistAck(seq);
  // As for appends: an unverifiable program leaves RAM unsure; flash is the truth.
  if (w < 0 && w != ERR_LEDGER_FULL) recover();
  return w;
}
