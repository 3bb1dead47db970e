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
import { KIND_GAP, chainLink } from "../ledger/format.ts";

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

/** A batch whose reader could not read the record before it (zero head before): its
 *  first record was still chained, at append, from that record's link (clearing's last
 *  head) or, when the reader had lost it too, from 32 zero bytes (docs/LEDGER.md §2.4). */
function continuesUnseen(b: Batch, lastHead: string): boolean {
  const first = b.records[0];
  if (first === undefined || first.kind === KIND_GAP) return true;
  const link = toHex(first.link);
  return toHex(chainLink(fromHex(lastHead), first.content)) === link
    || toHex(chainLink(new Uint8Array(32), first.content)) === link;
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
    if (isUnknownLink(theirs) && continuesUnseen(b, s.lastHead)) {
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
  return b.lastSeq <= s.lastSeq ? { kind: "duplicate" } : { kind: "new", fromIndex: i + 1 };
}
