// Signal marks (docs/LEDGER.md §2.5): the durable "the reader signalled accept for this
// record" bit that lets the gate open at most once per record, across reboots. The read
// rule is one-sided (any cleared bit = marked) and every partial mark seen is made solid,
// so a torn or weak mark is never judged two ways.
import { OK, ERR_NOT_CONFIGURED, ERR_NOT_FOUND } from "./status";
import { allOnes, flashComplete, ZEROS, PARTITION_LEDGER } from "./flash";
import { SIGNAL_AT, SIGNAL_BYTES, wordSolid } from "./format";
import { locateRecord, locatedAt } from "./walk";
import * as st from "./state";

/** Locates unacknowledged record seq; its slot image is left in st.slotBuf. An
 *  unreadable record (a gap) is ERR_CORRUPT: it cannot be signalled. */
function locateUnacked(seq: u32): i32 {
  if (!st.recovered) return ERR_NOT_CONFIGURED;
  if (seq <= st.ackedSeq || seq >= st.nextSeq) return ERR_NOT_FOUND;
  return locateRecord(seq);
}

/** Programs the mark of the slot at slotAt to 0x00 (a completion: only clears bits). */
export function solidifyMark(slotAt: i32): i32 {
  return flashComplete(PARTITION_LEDGER, slotAt + SIGNAL_AT, ZEROS, SIGNAL_BYTES);
}

/** 1 marked, 0 not marked, or a negative status. A partial mark counts as marked and is
 *  made solid on the way (if that program fails the answer is still 1: the safe side). */
export function signalState(seq: u32): i32 {
  const r = locateUnacked(seq);
  if (r < 0) return r;
  const m = st.slotBuf + <usize>SIGNAL_AT;
  if (allOnes(m, SIGNAL_BYTES)) return 0;
  if (!wordSolid(m)) solidifyMark(locatedAt);
  return 1;
}

/** Durably marks record seq as signalled; idempotent. OK or a negative status: the
 *  reader signals accept only after OK. */
export function signalMark(seq: u32): i32 {
  const r = locateUnacked(seq);
  if (r < 0) return r;
  if (wordSolid(st.slotBuf + <usize>SIGNAL_AT)) return OK;
  return solidifyMark(locatedAt);
}
