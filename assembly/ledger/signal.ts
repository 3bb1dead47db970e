// Signal marks (docs/LEDGER.md §2.5): the durable "the reader signalled accept for this
// record" bit that lets the gate open at most once per record, across reboots. The read
// rule is one-sided (any cleared bit = marked) and every partial mark seen is made solid,
// so a torn or weak mark is never judged two ways.
import { OK, ERR_NOT_CONFIGURED, ERR_NOT_FOUND } from "./status";
import { allOnes, flashProgramZeros, PARTITION_LEDGER } from "./flash";
import { SIGNAL_AT, SIGNAL_BYTES } from "./format";
import { locateRecord, locatedAt } from "./walk";
import * as st from "./state";

export const MARK_NONE: i32 = 0;
export const MARK_SOLID: i32 = 1;
export const MARK_PARTIAL: i32 = 2;

/** Judges the mark bytes at p (a slot image): none, solid (all zero) or partial. */
export function markKind(p: usize): i32 {
  if (allOnes(p, SIGNAL_BYTES)) return MARK_NONE;
  for (let i = 0; i < SIGNAL_BYTES; i++) if (load<u8>(p + <usize>i) != 0) return MARK_PARTIAL;
  return MARK_SOLID;
}

/** Makes the mark of the slot at slotAt solid (programs its bytes to 0x00 again). */
export function solidifyMark(slotAt: i32): i32 {
  return flashProgramZeros(PARTITION_LEDGER, slotAt + SIGNAL_AT, SIGNAL_BYTES);
}

/** Locates unacknowledged record seq; its slot image is left in st.slotBuf. */
function locateUnacked(seq: u32): i32 {
  if (!st.recovered) return ERR_NOT_CONFIGURED;
  if (seq <= st.ackedSeq || seq >= st.nextSeq) return ERR_NOT_FOUND;
  return locateRecord(seq);
}

/** 1 marked, 0 not marked, or a negative status. A partial mark counts as marked and is
 *  made solid on the way (if that program fails the answer is still 1: the safe side). */
export function signalState(seq: u32): i32 {
  const r = locateUnacked(seq);
  if (r < 0) return r;
  const k = markKind(st.slotBuf + <usize>SIGNAL_AT);
  if (k == MARK_NONE) return 0;
  if (k == MARK_PARTIAL) solidifyMark(locatedAt);
  return 1;
}

/** Durably marks record seq as signalled; idempotent. OK or a negative status: the
 *  reader signals accept only after OK. */
export function signalMark(seq: u32): i32 {
  const r = locateUnacked(seq);
  if (r < 0) return r;
  if (markKind(st.slotBuf + <usize>SIGNAL_AT) == MARK_SOLID) return OK;
  return solidifyMark(locatedAt);
}
