// Reading slots and walking a sector's records with the rules of docs/LEDGER.md §2.3:
// committed slots carry consecutive sequence numbers, a bad slot may hide one
// sequence number lost to rot, and nothing at or beyond the next sector's first
// sequence belongs to this sector.
import { LEDGER_SLOT_BYTES, FLASH_READ_RETRIES } from "../limits";
import { ERR_NOT_FOUND, ERR_CORRUPT } from "./status";
import { flashRead, PARTITION_LEDGER } from "./flash";
import { classifySlot, headerValid, SLOT_BAD, SLOT_BLANK, SLOT_VALID } from "./format";
import { sectorBytes, slotsPerSector, sectorCount } from "./config";
import { slotBuf, headerBuf, getU32, secFirst, secLast, isValid } from "./state";

@inline export function slotOffset(s: i32, slot: i32): i32 { return s * sectorBytes + slot * LEDGER_SLOT_BYTES; }

/** Reads a slot into slotBuf and classifies it; a bad slot is re-read before it is judged. */
export function readSlot(s: i32, slot: i32): i32 {
  let c = SLOT_BAD;
  for (let attempt = 0; attempt <= FLASH_READ_RETRIES && c == SLOT_BAD; attempt++) {
    const st = flashRead(PARTITION_LEDGER, slotOffset(s, slot), slotBuf, LEDGER_SLOT_BYTES);
    if (st < 0) return st;
    c = classifySlot(slotBuf);
  }
  return c;
}

/** Reads a sector header into headerBuf: 1 valid, 0 not, or a negative board status. */
export function readHeader(s: i32): i32 {
  for (let attempt = 0; attempt <= FLASH_READ_RETRIES; attempt++) {
    const st = flashRead(PARTITION_LEDGER, s * sectorBytes, headerBuf, 64);
    if (st < 0) return st;
    if (headerValid(headerBuf)) return 1;
  }
  return 0;
}

/** Sector holding sequence seq, or -1. */
export function sectorOf(seq: u32): i32 {
  for (let s = 0; s < sectorCount; s++) {
    if (isValid(s) && getU32(secFirst, s) <= seq && seq <= getU32(secLast, s)) return s;
  }
  return -1;
}

/** Partition offset of the slot the last successful locateRecord found. */
export let locatedAt: i32 = -1;

/** Leaves record seq in slotBuf (and its slot offset in locatedAt): OK (0),
 *  ERR_NOT_FOUND or ERR_CORRUPT. */
export function locateRecord(seq: u32): i32 {
  const s = sectorOf(seq);
  if (s < 0) return ERR_NOT_FOUND;
  let exp = getU32(secFirst, s);
  let bad: u32 = 0;
  for (let slot = 1; slot < slotsPerSector; slot++) {
    const c = readSlot(s, slot);
    if (c < 0) return c;
    if (c == SLOT_BLANK) continue;
    if (c != SLOT_VALID) { bad++; continue; }
    const got = load<u32>(slotBuf);
    if (got < exp || got - exp > bad) continue;
    if (got == seq) {
      locatedAt = slotOffset(s, slot);
      return 0;
    }
    if (got > seq) return ERR_CORRUPT;
    exp = got + 1;
    bad = 0;
  }
  return ERR_CORRUPT;
}
