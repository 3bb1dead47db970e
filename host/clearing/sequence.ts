// Where a batch stands against what clearing already holds from its reader
// (docs/CLEARING.md §4): new, a re-upload, an overlap, a gap or a fork.
//
// Rot can strike a record after clearing received it readable, and a reader can read a
// record that an earlier export sent as a gap entry (docs/LEDGER.md §5.1). Neither side's
// gap entry, nor the zero chain head a reader exports when the record before a batch is
// unreadable, says anything about the chain: placement compares only links both sides
// hold, so an honest reader's rot is never taken for a fork.
import { fromHex, toHex } from "../protocol/index.ts";
import type { Batch } from "../ledger/batch.ts";
import { KIND_GAP, chainLink, type LedgerRecord } from "../ledger/format.ts";

export type Placement =
  | { kind: "new"; fromIndex: number } // process records[fromIndex…]
  | { kind: "duplicate" }
  | { kind: "gap" }
  | { kind: "fork"; why: string };

export interface ReaderState { lastSeq: number; lastHead: string }

/** True for a chain head or stored link that names no record's link: the zero head of a
 *  batch whose previous record is unreadable, or the link field a gap entry was stored
 *  with (its reason in bytes 0–3, then 28 zero bytes; a real link ends in 28 zero bytes
 *  with probability 2^-224). */
export function isUnknownLink(hex: string): boolean {
  return hex.length === 64 && /^0{56}$/.test(hex.slice(8));
}

/** Whether the entry after one the reader could not read (a zero head before, or a gap
 *  entry) continues clearing's link `storedHex` of that record: it was chained, at append,
 *  from that link or, when the reader had lost it too, from 32 zero bytes
 *  (docs/LEDGER.md §2.4). A gap entry after it says nothing. */
function continuesUnseen(next: LedgerRecord | undefined, storedHex: string): boolean {
  if (next === undefined || next.kind === KIND_GAP) return true;
  const link = toHex(next.link);
  return toHex(chainLink(fromHex(storedHex), next.content)) === link
    || toHex(chainLink(new Uint8Array(32), next.content)) === link;
}

/** `linkAt(seq)` returns the stored chain link of an already processed record. */
export function place(
  b: Batch,
  s: ReaderState,
  linkAt: (seq: number) => string | undefined,
): Placement {
  if (b.firstSeq > s.lastSeq + 1) return { kind: "gap" };
  if (b.firstSeq === s.lastSeq + 1) {
    const theirs = toHex(b.headBefore);
    if (theirs === s.lastHead || (s.lastSeq > 0 && isUnknownLink(s.lastHead))) {
      return { kind: "new", fromIndex: 0 };
    }
    if (isUnknownLink(theirs) && continuesUnseen(b.records[0], s.lastHead)) {
      return { kind: "new", fromIndex: 0 };
    }
    return { kind: "fork", why: "head before does not continue the last accepted batch" };
  }
  // The batch starts inside what is already processed: its known part must be the same
  // chain. The last record both sides can read decides (links chain every record before
  // it); when there is none, the batch signature alone vouches for the step (§5.1).
  const knownLast = Math.min(b.lastSeq, s.lastSeq);
  for (let seq = knownLast; seq >= b.firstSeq; seq--) {
    const theirs = b.records[seq - b.firstSeq];
    const stored = linkAt(seq);
    if (theirs === undefined || stored === undefined) {
      return { kind: "fork", why: `record ${seq} differs from the one already accepted` };
    }
    if (theirs.kind === KIND_GAP || isUnknownLink(stored)) continue;
    if (toHex(theirs.link) !== stored) {
      return { kind: "fork", why: `record ${seq} differs from the one already accepted` };
    }
    break;
  }
  const i = knownLast - b.firstSeq;
  if (b.lastSeq <= s.lastSeq) return { kind: "duplicate" };
  // The first new record after a gap entry must still continue clearing's record there.
  const stored = linkAt(knownLast)!;
  if (b.records[i]!.kind === KIND_GAP && !isUnknownLink(stored)
    && !continuesUnseen(b.records[i + 1], stored)) {
    return { kind: "fork", why: `record ${knownLast + 1} does not continue the one accepted` };
  }
  return { kind: "new", fromIndex: i + 1 };
}
