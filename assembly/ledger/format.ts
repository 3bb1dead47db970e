// Byte layout of the ledger partition (docs/LEDGER.md §2): constants and the pure
// checks on sector headers, acknowledgement marks and record slots, for format
// version 2 and the version-1 sectors it still reads (§2.6).
import {
  LEDGER_SLOT_BYTES, LEDGER_BODY_BYTES_MAX, LEDGER_WORD_SET_ZERO_BITS,
  LEDGER_WORD_SOLID_ZERO_BITS,
} from "../limits";
import { crc32 } from "./crc32";
import { allOnes } from "./flash";

export const SECTOR_MAGIC: u32 = 0x534C544F; // "OTLS"
export const MARK_MAGIC: u32 = 0x4B41544F; // "OTAK"
export const FORMAT_VERSION: u16 = 2;
export const FORMAT_V1: u16 = 1;
export const HEADER_BYTES: i32 = 64;
export const HEADER_B_AT: i32 = 64; // second header copy (v2)
export const HEADER_PROGRAM_BYTES: i32 = 60; // bytes 60..63 of a copy stay erased
export const HEADER_CRC_AT: i32 = 56;
export const MARKS_AT_V1: i32 = 64;
export const MARKS_AT: i32 = 128; // v2: after the two header copies
export const MARK_BYTES: i32 = 16;
export const RECORD_FIXED_BYTES: i32 = 72; // content bytes before the body
export const RECORD_LINK_AT: i32 = 40;
export const RECORD_HASHED_FIXED_BYTES: i32 = 40; // bytes 0..39 enter the chain hash
export const KIND_PAYMENT: u16 = 1;
export const KIND_GAP: u16 = 2;
export const LINK_BYTES: i32 = 32;
/** v2 slot words (§2.3): void, signal mark, commit; 8 bytes each at the slot's end. */
export const WORD_BYTES: i32 = 8;
export const VOID_AT: i32 = 488;
export const SIGNAL_AT: i32 = 496;
export const SIGNAL_BYTES: i32 = 8;
export const COMMIT_AT: i32 = 504;
/** v1 commit marker: exactly 0x00000000 in the slot's last 4 bytes (§2.6). */
export const COMMIT_AT_V1: i32 = LEDGER_SLOT_BYTES - 4;

// Slot judgements (v1 uses BLANK, VALID and BAD; v2 all but BAD).
export const SLOT_BLANK: i32 = 0;
export const SLOT_VALID: i32 = 1; // committed and readable
export const SLOT_BAD: i32 = 2; // v1: anything else non-blank
export const SLOT_UNREADABLE: i32 = 3; // v2: committed, content lost (a gap)
export const SLOT_TORN: i32 = 4; // v2: never committed
export const SLOT_VOID: i32 = 5; // v2: retired by recovery

/** Format version of a valid header copy at h (1 or 2), or 0 when it is not valid. */
export function headerVersion(h: usize): i32 {
  const v = load<u16>(h, 4);
  if (load<u32>(h) != SECTOR_MAGIC || (v != FORMAT_VERSION && v != FORMAT_V1)) return 0;
  if (load<u16>(h, 6) != <u16>LEDGER_SLOT_BYTES) return 0;
  return crc32(h, HEADER_CRC_AT) == load<u32>(h, HEADER_CRC_AT) ? <i32>v : 0;
}

/** Writes the 16 bytes of a v2 acknowledgement mark copy for `ack` at dst (§2.2). */
export function buildMark(dst: usize, ack: u32): void {
  store<u32>(dst, MARK_MAGIC);
  store<u32>(dst, ack, 4);
  store<u32>(dst, 0, 8);
  store<u32>(dst, crc32(dst, 12), 12);
}

export function markValid(m: usize): bool {
  return load<u32>(m) == MARK_MAGIC && crc32(m, 12) == load<u32>(m, 12);
}

/** Zero bits among the 64 bits of the word at p. */
@inline export function zeroBits(p: usize): i32 { return 64 - <i32>popcnt(load<u64>(p)); }
/** A commit or void word is set when at least LEDGER_WORD_SET_ZERO_BITS bits read 0. */
@inline export function wordSet(p: usize): bool {
  return zeroBits(p) >= LEDGER_WORD_SET_ZERO_BITS;
}
@inline export function wordSolid(p: usize): bool { return load<u64>(p) == 0; }

/** Record content length (bytes 0 .. 71+b) of a slot image. */
@inline export function contentBytes(slot: usize): i32 {
  return RECORD_FIXED_BYTES + <i32>load<u16>(slot, 36);
}

/** Length, kind and CRC of the record content in a slot image. */
function contentValid(slot: usize): bool {
  const b = <i32>load<u16>(slot, 36);
  if (b > LEDGER_BODY_BYTES_MAX || load<u16>(slot, 38) != KIND_PAYMENT) return false;
  const n = RECORD_FIXED_BYTES + b;
  return crc32(slot, n) == load<u32>(slot + <usize>n);
}

/** v1 rules (§2.6): blank, valid (exact commit marker, content valid) or bad. */
export function classifySlotV1(slot: usize): i32 {
  if (load<u32>(slot + <usize>COMMIT_AT_V1) == 0) return contentValid(slot) ? SLOT_VALID : SLOT_BAD;
  return allOnes(slot, LEDGER_SLOT_BYTES) ? SLOT_BLANK : SLOT_BAD;
}

/** A commit or void word a boot wrote back (or an append completed): all 0, give or take
 *  two flipped reads. */
@inline function wordWrittenBack(p: usize): bool {
  return zeroBits(p) >= LEDGER_WORD_SOLID_ZERO_BITS;
}

/** v2 rules (§2.3): blank, void, committed (valid or unreadable) or torn. The sequence
 *  field is checked by the caller, which knows the slot's number. */
export function classifySlotV2(slot: usize): i32 {
  // A word written back is a judgement a boot acted on, and it stands over the weak
  // cells a cut left in the other word (§2.3): void first, then commit, then either set.
  const voidAt = slot + <usize>VOID_AT;
  const commitAt = slot + <usize>COMMIT_AT;
  if (wordWrittenBack(voidAt)) return SLOT_VOID;
  if (wordWrittenBack(commitAt)) return contentValid(slot) ? SLOT_VALID : SLOT_UNREADABLE;
  if (wordSet(voidAt)) return SLOT_VOID;
  if (wordSet(commitAt)) return contentValid(slot) ? SLOT_VALID : SLOT_UNREADABLE;
  return allOnes(slot, LEDGER_SLOT_BYTES) ? SLOT_BLANK : SLOT_TORN;
}
