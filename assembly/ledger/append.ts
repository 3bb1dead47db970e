// Writing the log (docs/LEDGER.md §4): opening a sector from the pool, the two-phase
// record commit, and acknowledgement mark pairs. Nothing unacknowledged is ever erased,
// and the sector to erase is chosen from durable state only.
import {
  LEDGER_SLOT_BYTES, LEDGER_BODY_BYTES_MAX, LEDGER_ACK_PAIRS_MAX,
} from "../limits";
import { SHA512_CTX_BYTES, sha512Init, sha512Update, sha512Final } from "../crypto/sha512";
import {
  OK, ERR_NOT_CONFIGURED, ERR_LEDGER_FULL, ERR_BAD_ARGUMENT, ERR_VERIFY, ERR_IO, ERR_CORRUPT,
} from "./status";
import { crc32 } from "./crc32";
import {
  flashErase, flashIsBlank, flashProgramVerified, flashComplete, copyBytes, fillBytes, ZEROS,
  PARTITION_LEDGER,
} from "./flash";
import {
  SECTOR_MAGIC, buildMark, FORMAT_VERSION, HEADER_CRC_AT, HEADER_PROGRAM_BYTES, HEADER_B_AT,
  MARKS_AT, MARK_BYTES, RECORD_FIXED_BYTES, RECORD_LINK_AT, RECORD_HASHED_FIXED_BYTES,
  COMMIT_AT, VOID_AT, WORD_BYTES, KIND_PAYMENT, LINK_BYTES,
} from "./format";
import { sectorCount, sectorBytes, slotsPerSector } from "./config";
import { indexUpdate } from "./windex";
import * as st from "./state";
import { slotOffset, noteAppended, forgetAppended, locateRecord } from "./walk";
import { recover } from "./recover";

const shaCtx: usize = memory.data(SHA512_CTX_BYTES, 16);
const digest: usize = memory.data(64, 16);
const word: usize = memory.data(16, 16);
/** Set once an append starts programming its commit word. */
let commitStarted = false;
/** The slot offset of the record whose commit word the append programmed last. */
let committedAt: i32 = -1;

/** The pool (§4): a free sector, or a valid non-newest one whose records are all ≤ the
 *  durable acknowledged sequence; never a bad one, nor one holding an acknowledgement the
 *  newest sector does not (§2.2). Least worn first. */
function pickSector(): i32 {
  let pick = -1;
  let best: u32 = 0xFFFFFFFF;
  for (let s = 0; s < sectorCount; s++) {
    if (s == st.newest || st.isBad(s) || st.carriesAck(s)) continue;
    if (st.isValid(s) && st.getU32(st.secLast, s) > st.ackedSeq) continue;
    const e = st.getU32(st.secErase, s);
    if (e < best) { best = e; pick = s; }
  }
  return pick;
}

/** Erases sector s and programs both header copies carrying ack. */
function prepareSector(s: i32, ack: u32): i32 {
  const erase = st.getU32(st.secErase, s) + 1;
  forgetAppended();
  st.setVersion(s, 0);
  st.setU32(st.secHeld, s, 0);
  st.setU32(st.secErase, s, erase);
  let r = flashErase(PARTITION_LEDGER, s * sectorBytes);
  if (r < 0) return r;
  r = flashIsBlank(PARTITION_LEDGER, s * sectorBytes, sectorBytes);
  if (r < 0) return r;
  if (r == 0) return ERR_VERIFY;
  const h = st.headerBuf;
  fillBytes(h, 0xFF, 64);
  store<u32>(h, SECTOR_MAGIC);
  store<u16>(h, FORMAT_VERSION, 4);
  store<u16>(h, <u16>LEDGER_SLOT_BYTES, 6);
  store<u32>(h, erase, 8);
  store<u32>(h, st.nextSeq, 12);
  store<u32>(h, ack, 16);
  store<u32>(h, st.maxGeneration + 1, 20);
  copyBytes(h + 24, st.head, LINK_BYTES);
  store<u32>(h, crc32(h, HEADER_CRC_AT), HEADER_CRC_AT);
  r = flashProgramVerified(PARTITION_LEDGER, s * sectorBytes, h, HEADER_PROGRAM_BYTES);
  if (r < 0) return r;
  const b = s * sectorBytes + HEADER_B_AT;
  return flashProgramVerified(PARTITION_LEDGER, b, h, HEADER_PROGRAM_BYTES);
}

/** A failure that belongs to the flash cells (not to the configuration): the sector or
 *  page is worn, or the program was not verified. */
@inline function worn(r: i32): bool { return r == ERR_VERIFY || r == ERR_IO; }

/** Opens a new newest sector whose header carries ack (§4). A sector that cannot be
 *  erased or headed is marked bad and the next one in the pool is tried. */
export function openSector(ack: u32): i32 {
  for (let tries = 0; tries < sectorCount; tries++) {
    const s = pickSector();
    if (s < 0) return ERR_LEDGER_FULL;
    let r = prepareSector(s, ack);
    // A silent failure may be a good sector whose read-backs all had a flipped bit: it
    // gets one more try before it is marked bad for this boot (§4).
    if (r == ERR_VERIFY) r = prepareSector(s, ack);
    if (worn(r)) st.setBad(s);
    // A failure the board reported (ERR_IO) ends this call, so that it is seen; the
    // next call picks another sector. A silent one (ERR_VERIFY) tries the next now.
    if (r == ERR_VERIFY) continue;
    if (r < 0) return r;
    st.setVersion(s, 2);
    st.noteHeld(s, ack);
    st.setU32(st.secFirst, s, st.nextSeq);
    st.setU32(st.secLast, s, st.nextSeq - 1);
    st.setMaxGeneration(st.maxGeneration + 1);
    if (st.getU32(st.secErase, s) > st.maxErase) st.setMaxErase(st.getU32(st.secErase, s));
    st.setNewest(s);
    st.setWriteSlot(1);
    st.setWriteUnproven(false);
    st.setMarksUsed(0);
    return OK;
  }
  return ERR_LEDGER_FULL;
}

/** Fills slotBuf with record seq: fields, link (§2.4) and CRC. */
function buildRecord(seq: u32, walletId: usize, counter: u32, amount: u64, time: u32,
  body: usize, bodyLen: i32): void {
  const b = st.slotBuf;
  fillBytes(b, 0xFF, LEDGER_SLOT_BYTES);
  store<u32>(b, seq);
  copyBytes(b + 4, walletId, 16);
  store<u32>(b, counter, 20);
  store<u64>(b, amount, 24);
  store<u32>(b, time, 32);
  store<u16>(b, <u16>bodyLen, 36);
  store<u16>(b, KIND_PAYMENT, 38);
  copyBytes(b + <usize>RECORD_FIXED_BYTES, body, bodyLen);
  sha512Init(shaCtx);
  sha512Update(shaCtx, st.head, LINK_BYTES);
  sha512Update(shaCtx, b, RECORD_HASHED_FIXED_BYTES);
  sha512Update(shaCtx, b + <usize>RECORD_FIXED_BYTES, bodyLen);
  sha512Final(shaCtx, digest);
  copyBytes(b + <usize>RECORD_LINK_AT, digest, LINK_BYTES);
  const n = RECORD_FIXED_BYTES + bodyLen;
  store<u32>(b + <usize>n, crc32(b, n));
}

/** Programs slotBuf into the next blank slot: record bytes, then the commit word. A slot
 *  whose content program fails is left torn and the next one is tried (§4). */
function commitRecord(bodyLen: i32): i32 {
  // Bounded: at most one pass over the newest sector plus one freshly opened sector.
  for (let tries = 0; tries < 2 * slotsPerSector; tries++) {
    if (st.newest < 0 || st.writeSlot >= slotsPerSector) {
      const r = openSector(st.ackedSeq);
      if (r < 0) return r;
    }
    const at = slotOffset(st.newest, st.writeSlot);
    st.setWriteSlot(st.writeSlot + 1);
    if (st.writeUnproven) {
      // The slot recovery found blank may hold weak cells of a cut program: void it,
      // whatever that returns, and use the next one (docs/LEDGER.md §3).
      st.setWriteUnproven(false);
      flashComplete(PARTITION_LEDGER, at + VOID_AT, ZEROS, WORD_BYTES);
      continue;
    }
    const blank = flashIsBlank(PARTITION_LEDGER, at, LEDGER_SLOT_BYTES);
    if (blank < 0) return blank;
    if (blank == 0) continue; // a torn slot from before a power cut: skip it
    const n = RECORD_FIXED_BYTES + bodyLen + 4;
    const r = flashProgramVerified(PARTITION_LEDGER, at, st.slotBuf, n);
    // No commit word yet: the slot is torn, never a record, and writeSlot has moved past
    // it. A silent failure tries the next slot now; a reported one ends the append.
    // A page that fails may be the first of a worn sector: leave the rest of it.
    if (worn(r)) st.setWriteSlot(slotsPerSector);
    if (r == ERR_VERIFY) continue;
    if (r < 0) return r;
    commitStarted = true;
    committedAt = at;
    return flashProgramVerified(PARTITION_LEDGER, at + COMMIT_AT, ZEROS, WORD_BYTES);
  }
  return ERR_VERIFY;
}

export function append(walletId: usize, counter: u32, amount: u64, time: u32, body: usize,
  bodyLen: i32): i32 {
  if (!st.recovered) return ERR_NOT_CONFIGURED;
  if (bodyLen < 0 || bodyLen > LEDGER_BODY_BYTES_MAX) return ERR_BAD_ARGUMENT;
  if (st.nextSeq >= 0x7FFFFFFF) return ERR_LEDGER_FULL; // the result must stay a positive i32
  const seq = st.nextSeq;
  // Recovery read the last record unreadable, every time it tried: before chaining from
  // zeros, read it once more (§3). A record that reads right now gives its link; chained
  // from zeros, the next record would break the chain the export of a readable one shows.
  if (st.headLost && seq > 1) {
    const found = locateRecord(seq - 1);
    if (found == OK) copyBytes(st.head, st.slotBuf + <usize>RECORD_LINK_AT, LINK_BYTES);
    if (found == OK || found == ERR_CORRUPT) st.setHeadLost(false);
  }
  buildRecord(seq, walletId, counter, amount, time, body, bodyLen);
  commitStarted = false;
  forgetAppended();
  const r = commitRecord(bodyLen);
  if (r < 0) {
    // A commit word that could not be verified leaves RAM unsure of what flash holds (it
    // may have landed although every read-back disagreed). Re-reading flash with the
    // recovery rules makes RAM agree with it again; a record that did commit is then
    // accepted-but-unsignalled (docs/LEDGER.md §4). A failed content program left only
    // a torn slot behind, which RAM already steps over.
    if (commitStarted || r != ERR_IO) {
      if (r != ERR_LEDGER_FULL) recover();
    }
    return r;
  }
  copyBytes(st.head, st.slotBuf + <usize>RECORD_LINK_AT, LINK_BYTES);
  st.setU32(st.secLast, st.newest, seq);
  st.setNextSeq(seq + 1);
  indexUpdate(walletId, counter, seq);
  noteAppended(seq, committedAt);
  return <i32>seq;
}

const NEXT_PAIR: i32 = 1;

/** Programs ack into mark pair `pair` of sector s (§2.2): OK once copy 1 verifies;
 *  NEXT_PAIR when the pair is not blank or copy 1 does not verify (a torn first copy is
 *  never valid: the next pair is used); or the status of a failed blank check. */
function programMark(s: i32, pair: i32, ack: u32): i32 {
  const at = s * sectorBytes + MARKS_AT + pair * 2 * MARK_BYTES;
  const blank = flashIsBlank(PARTITION_LEDGER, at, 2 * MARK_BYTES);
  if (blank < 0) return blank;
  if (blank == 0) return NEXT_PAIR;
  buildMark(word, ack);
  const r = flashProgramVerified(PARTITION_LEDGER, at, word, MARK_BYTES);
  if (worn(r)) return NEXT_PAIR;
  if (r < 0) return r;
  // One verified copy already makes the acknowledgement durable (§2.2); the second
  // is redundancy, which recovery completes if this program does not verify.
  flashProgramVerified(PARTITION_LEDGER, at + MARK_BYTES, word, MARK_BYTES);
  st.noteHeld(s, ack);
  return OK;
}

/** The last way to make ack durable (§2.2, "Marks in an older sector"): the newest
 *  sector takes no mark and no sector can be opened, because every sector but the
 *  newest still holds records only this acknowledgement settles. A blank pair of a
 *  valid version-2 sector that is not the newest takes it; that sector is then kept out
 *  of the pool until a newer header holds the value. */
function markInOlderSector(ack: u32): i32 {
  for (let s = 0; s < sectorCount; s++) {
    if (s == st.newest || st.isBad(s) || st.version(s) != 2) continue;
    for (let pair = 0; pair < LEDGER_ACK_PAIRS_MAX; pair++) {
      const r = programMark(s, pair, ack);
      if (r != NEXT_PAIR) return r;
    }
  }
  return ERR_LEDGER_FULL;
}

/** Makes ack durable: a mark pair in the newest sector, or a new sector whose header
 *  holds it (the sector it erases is picked with the durable acknowledgement, §2.2), or
 *  when neither can be had, a mark pair in an older sector. */
export function persistAck(ack: u32): i32 {
  while (st.newest >= 0 && st.marksUsed < LEDGER_ACK_PAIRS_MAX) {
    const pair = st.marksUsed;
    st.setMarksUsed(pair + 1);
    const r = programMark(st.newest, pair, ack);
    if (r == NEXT_PAIR) continue;
    if (r < 0) return r;
    st.setAckedSeq(ack);
    return OK;
  }
  let r = openSector(ack);
  if (r == ERR_LEDGER_FULL) r = markInOlderSector(ack);
  if (r < 0) return r;
  st.setAckedSeq(ack);
  return OK;
}
