// Byte layout of the ledger partition (docs/LEDGER.md §2): constants and the pure
// checks on a sector header, an acknowledgement mark and a record slot.
import { LEDGER_SLOT_BYTES, LEDGER_BODY_BYTES_MAX } from "../limits";
import { crc32 } from "./crc32";
import { allOnes } from "./flash";

export const SECTOR_MAGIC: u32 = 0x534C544F; // "OTLS"
export const MARK_MAGIC: u32 = 0x4B41544F; // "OTAK"
export const FORMAT_VERSION: u16 = 1;
export const HEADER_BYTES: i32 = 64;
export const HEADER_PROGRAM_BYTES: i32 = 60; // bytes 60..63 stay erased
export const HEADER_CRC_AT: i32 = 56;
export const MARKS_AT: i32 = 64;
export const MARK_BYTES: i32 = 16;
export const RECORD_FIXED_BYTES: i32 = 72; // content bytes before the body
export const RECORD_LINK_AT: i32 = 40;
export const RECORD_HASHED_FIXED_BYTES: i32 = 40; // bytes 0..39 enter the chain hash
export const COMMIT_AT: i32 = LEDGER_SLOT_BYTES - 4;
/** Signal mark (§2.5): 8 bytes, erased = not signalled, any cleared bit = signalled. */
export const SIGNAL_AT: i32 = 496;
export const SIGNAL_BYTES: i32 = 8;
export const KIND_PAYMENT: u16 = 1;
export const LINK_BYTES: i32 = 32;

export const SLOT_BLANK: i32 = 0;
export const SLOT_VALID: i32 = 1;
export const SLOT_BAD: i32 = 2;

export function headerValid(h: usize): bool {
  return load<u32>(h) == SECTOR_MAGIC && load<u16>(h, 4) == FORMAT_VERSION
    && load<u16>(h, 6) == <u16>LEDGER_SLOT_BYTES && crc32(h, HEADER_CRC_AT) == load<u32>(h, HEADER_CRC_AT);
}

export function markValid(m: usize): bool {
  return load<u32>(m) == MARK_MAGIC && crc32(m, 12) == load<u32>(m, 12);
}

/** Record content length (bytes 0 .. 71+b) of a slot image. */
@inline export function contentBytes(slot: usize): i32 { return RECORD_FIXED_BYTES + <i32>load<u16>(slot, 36); }

/** Blank (all 0xFF), valid (commit marker, sane length and kind, CRC match) or bad. */
export function classifySlot(slot: usize): i32 {
  if (load<u32>(slot + <usize>COMMIT_AT) == 0) {
    const b = <i32>load<u16>(slot, 36);
    if (b > LEDGER_BODY_BYTES_MAX || load<u16>(slot, 38) != KIND_PAYMENT) return SLOT_BAD;
    const n = RECORD_FIXED_BYTES + b;
    return crc32(slot, n) == load<u32>(slot + <usize>n) ? SLOT_VALID : SLOT_BAD;
  }
  return allOnes(slot, LEDGER_SLOT_BYTES) ? SLOT_BLANK : SLOT_BAD;
}
