// Reading headers and slots and walking a sector's records (docs/LEDGER.md §2.3, §2.6):
// one walker for both format versions, used by lookups and, with its write-backs, by
// recovery. Nothing at or beyond the next sector's first sequence belongs to a sector.
import { LEDGER_SLOT_BYTES, FLASH_READ_RETRIES } from "../limits";
import { OK, ERR_CORRUPT, ERR_NOT_FOUND } from "./status";
import { flashRead, flashComplete, allOnes, copyBytes, fillBytes, ZEROS, PARTITION_LEDGER }
  from "./flash";
import {
  classifySlotV1, classifySlotV2, headerVersion, wordSolid, HEADER_B_AT, HEADER_BYTES,
  SLOT_BAD, SLOT_BLANK, SLOT_VALID, SLOT_UNREADABLE, SLOT_TORN, SLOT_VOID,
  VOID_AT, COMMIT_AT, SIGNAL_AT, SIGNAL_BYTES, WORD_BYTES, RECORD_LINK_AT, LINK_BYTES,
} from "./format";
import { sectorBytes, slotsPerSector, sectorCount } from "./config";
import { indexUpdate } from "./windex";
import * as st from "./state";

@inline export function slotOffset(s: i32, slot: i32): i32 {
  return s * sectorBytes + slot * LEDGER_SLOT_BYTES;
}

/** Partition offset of the slot the last successful locateRecord found. */
export let locatedAt: i32 = -1;
/** The record the last append committed and its slot's partition offset (-1: none
 *  known). Set only by a successful append; forgotten by the next append, an erase and
 *  recovery, so it always names a slot whose record verified when it was written. */
let appendedSeq: u32 = 0;
let appendedAt: i32 = -1;
export function noteAppended(seq: u32, at: i32): void { appendedSeq = seq; appendedAt = at; }
export function forgetAppended(): void { appendedAt = -1; }
/** After a full walk: the last sequence number of the sector (first − 1 if none). */
export let walkLastSeq: u32 = 0;
/** Which header copies the last readHeader found valid: bit 0 = A, bit 1 = B. */
export let headerCopies: i32 = 0;

/** Judges one read of a slot image with version v's rules; a v2 record whose sequence
 *  field is not its positional number exp is unreadable. */
function judge(v: i32, exp: u32): i32 {
  if (v == 1) return classifySlotV1(st.slotBuf);
  const c = classifySlotV2(st.slotBuf);
  if (c == SLOT_VALID && load<u32>(st.slotBuf) != exp) return SLOT_UNREADABLE;
  return c;
}

/** Reads a slot into slotBuf and judges it; a judgement that may come from a transient
 *  read error (bad, torn, unreadable) is re-read before it stands. */
export function readSlot(s: i32, slot: i32, v: i32, exp: u32): i32 {
  let c = SLOT_BAD;
  for (let attempt = 0; attempt <= FLASH_READ_RETRIES; attempt++) {
    const r = flashRead(PARTITION_LEDGER, slotOffset(s, slot), st.slotBuf, LEDGER_SLOT_BYTES);
    if (r < 0) return r;
    c = judge(v, exp);
    if (c == SLOT_VALID || c == SLOT_BLANK || c == SLOT_VOID) break;
  }
  return c;
}

/** Reads both header copies of sector s; the valid one (A first) is left at headerBuf.
 *  Returns its format version (1 or 2), 0 when no copy is valid, or a board status. */
export function readHeader(s: i32): i32 {
  const h = st.headerBuf;
  for (let attempt = 0; attempt <= FLASH_READ_RETRIES; attempt++) {
    const r = flashRead(PARTITION_LEDGER, s * sectorBytes, h, 2 * HEADER_BYTES);
    if (r < 0) return r;
    const a = headerVersion(h);
    // A version-1 sector has marks, not a second copy, at bytes 64–127.
    const b = a == 1 ? 0 : headerVersion(h + <usize>HEADER_B_AT);
    headerCopies = (a != 0 ? 1 : 0) | (b == 2 ? 2 : 0);
    if (a != 0) return a;
    if (b == 2) {
      copyBytes(h, h + <usize>HEADER_B_AT, HEADER_BYTES);
      return 2;
    }
  }
  return 0;
}

/** Sector holding sequence seq, or -1. */
export function sectorOf(seq: u32): i32 {
  for (let s = 0; s < sectorCount; s++) {
    if (!st.isValid(s)) continue;
    if (st.getU32(st.secFirst, s) <= seq && seq <= st.getU32(st.secLast, s)) return s;
  }
  return -1;
}

/** Recovery's write-backs for one judged v2 slot (§2.3): commit or void made solid. */
function writeBack(at: i32, c: i32): void {
  const b = st.slotBuf;
  if (c == SLOT_TORN || (c == SLOT_VOID && !wordSolid(b + <usize>VOID_AT))) {
    flashComplete(PARTITION_LEDGER, at + VOID_AT, ZEROS, WORD_BYTES);
  } else if ((c == SLOT_VALID || c == SLOT_UNREADABLE) && !wordSolid(b + <usize>COMMIT_AT)) {
    flashComplete(PARTITION_LEDGER, at + COMMIT_AT, ZEROS, WORD_BYTES);
  }
}

/** What recovery learns from record seq (judged c): chain head, wallet index, findings. */
function learn(at: i32, c: i32, seq: u32): void {
  const b = st.slotBuf;
  if (c == SLOT_VALID) {
    copyBytes(st.head, b + <usize>RECORD_LINK_AT, LINK_BYTES);
    st.setHeadLost(false);
    indexUpdate(b + 4, load<u32>(b, 20), seq);
    // A torn or weak signal mark is a decision already taken (§2.5): make it solid.
    const m = b + <usize>SIGNAL_AT;
    if (!allOnes(m, SIGNAL_BYTES) && !wordSolid(m)) {
      flashComplete(PARTITION_LEDGER, at + SIGNAL_AT, ZEROS, SIGNAL_BYTES);
    }
  } else {
    fillBytes(st.head, 0, LINK_BYTES); // link(seq) is lost with its record (§2.4)
    st.setHeadLost(true);
    st.addCorrupt(1);
  }
}

/**
 * Walks sector s in slot order. With target > 0: stops at record target and returns OK
 * (readable, left in slotBuf, its offset in locatedAt) or ERR_CORRUPT (unreadable);
 * ERR_CORRUPT too when the walk ends without it. With target = 0 (recovery): applies
 * the write-backs, learns every record below limit, sets walkLastSeq and returns the
 * last non-blank slot. A negative board status ends either walk.
 */
export function walk(s: i32, target: u32, limit: u32): i32 {
  const v = st.version(s);
  const fix = target == 0;
  let exp = st.getU32(st.secFirst, s);
  let bad: u32 = 0;
  let lastNonBlank = 0;
  walkLastSeq = exp - 1;
  for (let slot = 1; slot < slotsPerSector; slot++) {
    const at = slotOffset(s, slot);
    const c = readSlot(s, slot, v, exp);
    if (c < 0) return c;
    if (c == SLOT_BLANK) continue;
    lastNonBlank = slot;
    let seq = exp;
    if (v == 1) {
      if (c != SLOT_VALID) {
        bad++;
        if (fix) st.addTorn();
        continue;
      }
      seq = load<u32>(st.slotBuf);
      if (seq < exp || seq - exp > bad || seq >= limit) { if (fix) st.addAnomaly(); continue; }
      if (target >= exp && target < seq) return ERR_CORRUPT; // lost to rot (§2.6)
      if (fix) st.addCorrupt(<i32>(seq - exp));
      bad = 0;
    } else {
      if (fix) writeBack(at, c);
      if (c == SLOT_TORN || c == SLOT_VOID) {
        if (fix) st.addTorn();
        continue;
      }
      if (seq >= limit) { if (fix) st.addAnomaly(); continue; }
    }
    exp = seq + 1;
    if (target == seq) {
      locatedAt = at;
      return c == SLOT_VALID ? OK : ERR_CORRUPT;
    }
    if (fix) learn(at, c, seq);
    walkLastSeq = seq;
  }
  return fix ? lastNonBlank : ERR_CORRUPT;
}

/** Leaves record seq in slotBuf (its offset in locatedAt): OK, ERR_NOT_FOUND or
 *  ERR_CORRUPT (its number exists, its content is lost: a gap, §5.1). The record a tap
 *  just appended (its signal mark comes next, §2.5) is read from the slot the append
 *  wrote, judged by the same rules as in a walk; only if it does not read valid there is
 *  the sector walked from its first slot. */
export function locateRecord(seq: u32): i32 {
  const s = sectorOf(seq);
  if (s < 0) return ERR_NOT_FOUND;
  if (seq == appendedSeq && appendedAt >= 0 && st.version(s) == 2) {
    const slot = (appendedAt - s * sectorBytes) / LEDGER_SLOT_BYTES;
    if (slot >= 1 && slot < slotsPerSector) {
      const c = readSlot(s, slot, 2, seq);
      if (c < 0) return c;
      if (c == SLOT_VALID) { locatedAt = appendedAt; return OK; }
    }
  }
  return walk(s, seq, 0xFFFFFFFF);
}
