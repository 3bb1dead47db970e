// Boot-time recovery (docs/LEDGER.md §3): one read per header and per slot, bounded by
// LEDGER_SECTORS_MAX × slots; rebuilds next sequence, chain head, acknowledged
// sequence, write position and the wallet index, and writes its decisions back (§2.1–2.3)
// so that the next boot judges the same flash the same way.
import { forgetAppended } from "./walk";
import {
  LEDGER_SECTORS_MAX, LEDGER_ACK_MARKS_MAX, LEDGER_ACK_PAIRS_MAX, FLASH_READ_RETRIES,
} from "../limits";
import { OK, ERR_NOT_CONFIGURED } from "./status";
import { flashRead, flashComplete, allOnes, copyBytes, fillBytes, ZEROS, PARTITION_LEDGER }
  from "./flash";
import {
  markValid, buildMark, MARKS_AT, MARKS_AT_V1, MARK_BYTES, LINK_BYTES, HEADER_B_AT,
  HEADER_BYTES, HEADER_PROGRAM_BYTES,
} from "./format";
import { configured, sectorCount, sectorBytes, slotsPerSector } from "./config";
import { indexClear } from "./windex";
import * as st from "./state";
import { readHeader, headerCopies, walk, walkLastSeq } from "./walk";

/** Valid sectors in generation order (u16 each). */
const order: usize = memory.data(LEDGER_SECTORS_MAX * 2, 4);
/** Generation of each sector's header (only meaningful while recovering). */
const secGen: usize = memory.data(LEDGER_SECTORS_MAX * 4, 4);

@inline function orderAt(k: i32): i32 { return <i32>load<u16>(order + (<usize>k << 1)); }
@inline function setOrder(k: i32, s: i32): void { store<u16>(order + (<usize>k << 1), <u16>s); }

/** Header write-backs (§2.1): complete copy B of a v2 header from A, or void a sector
 *  whose header copies are programmed but none is valid. */
function fixHeader(s: i32, v: i32): void {
  const at = s * sectorBytes;
  if (v == 2 && (headerCopies & 2) == 0) {
    flashComplete(PARTITION_LEDGER, at + HEADER_B_AT, st.headerBuf, HEADER_PROGRAM_BYTES);
  } else if (v == 0 && !allOnes(st.headerBuf, 2 * HEADER_BYTES)) {
    flashComplete(PARTITION_LEDGER, at, ZEROS, 8);
    flashComplete(PARTITION_LEDGER, at + HEADER_B_AT, ZEROS, 8);
  }
}

/** Pass 1: read every header; returns the number of valid sectors or a negative status. */
function readHeaders(): i32 {
  let n = 0;
  for (let s = 0; s < sectorCount; s++) {
    const v = readHeader(s);
    if (v < 0) return v;
    st.setVersion(s, v);
    st.setU32(st.secHeld, s, 0);
    fixHeader(s, v);
    if (v == 0) continue;
    const h = st.headerBuf;
    const gen = load<u32>(h, 20);
    st.setU32(st.secFirst, s, load<u32>(h, 12));
    st.setU32(st.secErase, s, load<u32>(h, 8));
    st.setU32(secGen, s, gen);
    if (load<u32>(h, 16) > st.ackedSeq) st.setAckedSeq(load<u32>(h, 16));
    st.noteHeld(s, load<u32>(h, 16));
    if (load<u32>(h, 8) > st.maxErase) st.setMaxErase(load<u32>(h, 8));
    if (gen > st.maxGeneration) st.setMaxGeneration(gen);
    // Insertion sort by generation: n ≤ LEDGER_SECTORS_MAX, so at most 32,640 steps.
    let k = n;
    while (k > 0 && st.getU32(secGen, orderAt(k - 1)) > gen) {
      setOrder(k, orderAt(k - 1));
      k--;
    }
    setOrder(k, s);
    n++;
  }
  // A free sector's erase count is unknown: assume the highest seen (conservative).
  for (let s = 0; s < sectorCount; s++) {
    if (!st.isValid(s)) st.setU32(st.secErase, s, st.maxErase);
  }
  return n;
}

// readMarks keeps one bit per v2 mark pair.
assert(LEDGER_ACK_PAIRS_MAX <= 32, "ack pairs over a u32 mask");

@inline function zero16(p: usize): bool { return (load<u64>(p) | load<u64>(p, 8)) == 0; }

/** Per v2 pair of the sector being read: the acknowledged sequence a copy of it read
 *  valid with, in some read of this boot. */
const seenValue: usize = memory.data(LEDGER_ACK_PAIRS_MAX * 4, 4);
/** A mark copy rebuilt from a value seen valid, for the write-back. */
const rebuilt: usize = memory.data(16, 8);

/** Takes a valid mark copy at m of sector s into the acknowledged sequence. */
function takeMark(s: i32, m: usize): void {
  if (load<u32>(m, 4) > st.ackedSeq) st.setAckedSeq(load<u32>(m, 4));
  st.noteHeld(s, load<u32>(m, 4));
}

/** Reads the acknowledgement marks of sector s (v1 singles, v2 pairs with their
 *  write-back, §2.2); returns how many mark places (v1) or pairs (v2) are used. */
function readMarks(s: i32): i32 {
  const v2 = st.version(s) == 2;
  const base = s * sectorBytes + (v2 ? MARKS_AT : MARKS_AT_V1);
  const count = v2 ? 2 * LEDGER_ACK_PAIRS_MAX : LEDGER_ACK_MARKS_MAX;
  const buf = st.slotBuf;
  let used = 0;
  // A flipped bit can make a blank mark read programmed, never the reverse: the fewest
  // places any read found used is the number used (§2.2).
  let usedMin = count;
  // v2 pairs that showed a valid copy in some read of this boot: never voided below.
  let seenValid: u32 = 0;
  for (let attempt = 0; attempt <= FLASH_READ_RETRIES; attempt++) {
    const r = flashRead(PARTITION_LEDGER, base, buf, count * MARK_BYTES);
    if (r < 0) return r;
    let clean = true;
    used = 0;
    for (let i = 0; i < count; i++) {
      const m = buf + <usize>(i * MARK_BYTES);
      if (allOnes(m, MARK_BYTES)) continue;
      used = v2 ? (i >> 1) + 1 : i + 1;
      if (markValid(m)) {
        takeMark(s, m);
        if (v2) {
          seenValid |= 1 << <u32>(i >> 1);
          store<u32>(seenValue + (<usize>(i >> 1) << 2), load<u32>(m, 4));
        }
      } else {
        clean = false;
      }
    }
    if (used < usedMin) usedMin = used;
    if (clean) break;
  }
  used = usedMin;
  if (!v2) return used;
  // Write-back: a pair with exactly one valid copy gets the other programmed (§2.2).
  for (let j = 0; j < used; j++) {
    const a = buf + <usize>(2 * j * MARK_BYTES);
    const b = a + <usize>MARK_BYTES;
    const at = base + 2 * j * MARK_BYTES;
    // A pair that read blank is left alone: only programmed bytes are judged.
    if (allOnes(a, 2 * MARK_BYTES)) continue;
    const va = markValid(a);
    const vb = markValid(b);
    if (va && !vb) flashComplete(PARTITION_LEDGER, at + MARK_BYTES, a, 16);
    else if (vb && !va) flashComplete(PARTITION_LEDGER, at, b, 16);
    else if (!va && !vb && !(zero16(a) && zero16(b))) {
      // A pair that read valid in another read of this boot, and not in this one (weak
      // cells a cut left in its first copy, or a flipped bit in each copy): this boot
      // takes its value, so it makes that judgement stand — both copies are completed
      // with the mark it read (§2.2). Voiding it, or leaving it weak for a later boot to
      // void, would move the acknowledgement back.
      if ((seenValid & (1 << <u32>j)) != 0) {
        buildMark(rebuilt, load<u32>(seenValue + (<usize>j << 2)));
        flashComplete(PARTITION_LEDGER, at, rebuilt, 16);
        flashComplete(PARTITION_LEDGER, at + MARK_BYTES, rebuilt, 16);
        continue;
      }
      // A torn pair (cut during its first copy) was judged "no acknowledgement": void
      // both copies so that a weak cell can never make it valid at a later boot.
      flashComplete(PARTITION_LEDGER, at, ZEROS, 16);
      flashComplete(PARTITION_LEDGER, at + MARK_BYTES, ZEROS, 16);
    }
  }
  return used;
}

/** Pass 2 for the k-th sector in generation order of n. */
function recoverSector(k: i32, n: i32): i32 {
  const s = orderAt(k);
  const limit: u32 = k + 1 < n ? st.getU32(st.secFirst, orderAt(k + 1)) : 0xFFFFFFFF;
  const used = readMarks(s);
  if (used < 0) return used;
  // The header is the authority for where this sector's part of the chain starts.
  const hv = readHeader(s);
  if (hv < 0) return hv;
  copyBytes(st.head, st.headerBuf + 24, LINK_BYTES);
  st.setHeadLost(false);
  const lastNonBlank = walk(s, 0, limit);
  if (lastNonBlank < 0) return lastNonBlank;
  st.setU32(st.secLast, s, walkLastSeq);
  st.setNextSeq(walkLastSeq + 1);
  if (k == n - 1) {
    st.setNewest(s);
    // Version 2 never writes into a version-1 sector (§2.6): the next write opens one.
    const v2 = st.version(s) == 2;
    st.setWriteSlot(v2 ? lastNonBlank + 1 : slotsPerSector);
    st.setMarksUsed(v2 ? used : LEDGER_ACK_PAIRS_MAX);
  }
  return OK;
}

export function recover(): i32 {
  st.setRecovered(false);
  forgetAppended();
  if (!configured) return ERR_NOT_CONFIGURED;
  indexClear();
  st.resetFindings();
  st.setAckedSeq(0);
  st.setMaxErase(0);
  st.setMaxGeneration(0);
  st.setNewest(-1);
  st.setNextSeq(1);
  const n = readHeaders();
  if (n < 0) return n;
  fillBytes(st.head, 0, LINK_BYTES);
  st.setHeadLost(false);
  st.setWriteSlot(slotsPerSector); // no sector open yet: the first append opens one
  st.setWriteUnproven(true);
  st.setMarksUsed(LEDGER_ACK_PAIRS_MAX);
  for (let k = 0; k < n; k++) {
    const r = recoverSector(k, n);
    if (r < 0) return r;
  }
  st.setRecovered(true);
  return OK;
}
