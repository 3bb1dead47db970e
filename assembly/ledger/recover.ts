// Boot-time recovery (docs/LEDGER.md §3): one read per header and per slot, bounded by
// LEDGER_SECTORS_MAX × slots; rebuilds next sequence, chain head, acknowledged
// sequence, write position and the wallet index.
import { LEDGER_SECTORS_MAX, LEDGER_ACK_MARKS_MAX, FLASH_READ_RETRIES } from "../limits";
import { OK, ERR_NOT_CONFIGURED } from "./status";
import { flashRead, allOnes, copyBytes, fillBytes, PARTITION_LEDGER } from "./flash";
import { markValid, MARKS_AT, MARK_BYTES, SLOT_BLANK, SLOT_VALID, LINK_BYTES, RECORD_LINK_AT,
  SIGNAL_AT } from "./format";
import { configured, sectorCount, sectorBytes, slotsPerSector } from "./config";
import { indexClear, indexUpdate } from "./windex";
import * as st from "./state";
import { readHeader, readSlot, slotOffset } from "./walk";
import { markKind, solidifyMark, MARK_PARTIAL } from "./signal";

/** Valid sectors in generation order (u16 each). */
const order: usize = memory.data(LEDGER_SECTORS_MAX * 2, 4);
/** Generation of each sector's header (only meaningful while recovering). */
const secGen: usize = memory.data(LEDGER_SECTORS_MAX * 4, 4);
let lastSeq: u32 = 0;

@inline function orderAt(k: i32): i32 { return <i32>load<u16>(order + (<usize>k << 1)); }
@inline function setOrder(k: i32, s: i32): void { store<u16>(order + (<usize>k << 1), <u16>s); }

/** Pass 1: read every header; returns the number of valid sectors or a negative status. */
function readHeaders(): i32 {
  let n = 0;
  for (let s = 0; s < sectorCount; s++) {
    const v = readHeader(s);
    if (v < 0) return v;
    st.setValid(s, v == 1);
    if (v != 1) continue;
    const h = st.headerBuf;
    st.setU32(st.secFirst, s, load<u32>(h, 12));
    st.setU32(st.secErase, s, load<u32>(h, 8));
    st.setU32(secGen, s, load<u32>(h, 20));
    if (load<u32>(h, 16) > st.ackedSeq) st.setAckedSeq(load<u32>(h, 16));
    if (load<u32>(h, 8) > st.maxErase) st.setMaxErase(load<u32>(h, 8));
    if (load<u32>(h, 20) > st.maxGeneration) st.setMaxGeneration(load<u32>(h, 20));
    // Insertion sort by generation: n ≤ LEDGER_SECTORS_MAX, so at most 32,640 steps.
    let k = n;
    while (k > 0 && st.getU32(secGen, orderAt(k - 1)) > load<u32>(h, 20)) { setOrder(k, orderAt(k - 1)); k--; }
    setOrder(k, s);
    n++;
  }
  // A free sector's erase count is unknown: assume the highest seen (conservative).
  for (let s = 0; s < sectorCount; s++) if (!st.isValid(s)) st.setU32(st.secErase, s, st.maxErase);
  return n;
}

/** Reads the acknowledgement marks of sector s; returns how many mark places are used. */
function readMarks(s: i32): i32 {
  const buf = st.slotBuf;
  const n = LEDGER_ACK_MARKS_MAX * MARK_BYTES;
  let used = 0;
  for (let attempt = 0; attempt <= FLASH_READ_RETRIES; attempt++) {
    const r = flashRead(PARTITION_LEDGER, s * sectorBytes + MARKS_AT, buf, n);
    if (r < 0) return r;
    let clean = true;
    used = 0;
    for (let i = 0; i < LEDGER_ACK_MARKS_MAX; i++) {
      const m = buf + <usize>(i * MARK_BYTES);
      if (allOnes(m, MARK_BYTES)) continue;
      used = i + 1;
      if (!markValid(m)) { clean = false; continue; }
      if (load<u32>(m, 4) > st.ackedSeq) st.setAckedSeq(load<u32>(m, 4));
    }
    if (clean) break;
  }
  return used;
}

/** Pass 2 for one sector: its records below limit, in slot order. Returns the last
 *  non-blank slot, or a negative status. */
function scanSector(s: i32, limit: u32): i32 {
  // The header is the authority for where this sector's part of the chain starts.
  const hv = readHeader(s);
  if (hv < 0) return hv;
  copyBytes(st.head, st.headerBuf + 24, LINK_BYTES);
  let exp = st.getU32(st.secFirst, s);
  lastSeq = exp - 1;
  let bad: u32 = 0;
  let lastNonBlank = 0;
  for (let slot = 1; slot < slotsPerSector; slot++) {
    const c = readSlot(s, slot);
    if (c < 0) return c;
    if (c == SLOT_BLANK) continue;
    lastNonBlank = slot;
    if (c != SLOT_VALID) { bad++; st.addTorn(); continue; }
    const b = st.slotBuf;
    const seq = load<u32>(b);
    if (seq < exp || seq - exp > bad || seq >= limit) { st.addAnomaly(); continue; }
    st.addCorrupt(<i32>(seq - exp));
    exp = seq + 1;
    bad = 0;
    lastSeq = seq;
    copyBytes(st.head, b + <usize>RECORD_LINK_AT, LINK_BYTES);
    indexUpdate(b + 4, load<u32>(b, 20), seq);
    // A torn or weak signal mark is a decision already taken (§2.5): make it solid.
    if (markKind(b + <usize>SIGNAL_AT) == MARK_PARTIAL) solidifyMark(slotOffset(s, slot));
  }
  st.setU32(st.secLast, s, lastSeq);
  return lastNonBlank;
}

export function recover(): i32 {
  st.setRecovered(false);
  if (!configured) return ERR_NOT_CONFIGURED;
  indexClear();
  st.resetFindings();
  st.setAckedSeq(0);
  st.setMaxErase(0);
  st.setMaxGeneration(0);
  st.setNewest(-1);
  const n = readHeaders();
  if (n < 0) return n;
  lastSeq = 0;
  fillBytes(st.head, 0, LINK_BYTES);
  st.setWriteSlot(slotsPerSector); // no sector open yet: the first append opens one
  st.setMarksUsed(LEDGER_ACK_MARKS_MAX);
  for (let k = 0; k < n; k++) {
    const s = orderAt(k);
    const limit: u32 = k + 1 < n ? st.getU32(st.secFirst, orderAt(k + 1)) : 0xFFFFFFFF;
    const used = readMarks(s);
    if (used < 0) return used;
    const lastNonBlank = scanSector(s, limit);
    if (lastNonBlank < 0) return lastNonBlank;
    if (k == n - 1) {
      st.setNewest(s);
      st.setWriteSlot(lastNonBlank + 1);
      st.setMarksUsed(used);
    }
  }
  st.setNextSeq(lastSeq + 1);
  st.setRecovered(true);
  return OK;
}
