// Where a batch stands against what clearing already holds from its reader
// (docs/CLEARING.md §4): new, a re-upload, an overlap, a gap or a fork.
import { toHex } from "../protocol/index.ts";
import type { Batch } from "../ledger/batch.ts";

export type Placement =
  | { kind: "new"; fromIndex: number } // process records[fromIndex…]
  | { kind: "duplicate" }
  | { kind: "gap" }
  | { kind: "fork"; why: string };

export interface ReaderState { lastSeq: number; lastHead: string }

/** `linkAt(seq)` returns the stored chain link of an already processed record. */
export function place(b: Batch, s: ReaderState, linkAt: (seq: number) => string | undefined): Placement {
  if (b.firstSeq > s.lastSeq + 1) return { kind: "gap" };
  if (b.firstSeq === s.lastSeq + 1) {
    return toHex(b.headBefore) === s.lastHead ? { kind: "new", fromIndex: 0 } : { kind: "fork", why: "head before does not continue the last accepted batch" };
  }
  // The batch starts inside what is already processed: its known part must be the same chain.
  const knownLast = Math.min(b.lastSeq, s.lastSeq);
  const i = knownLast - b.firstSeq;
  const stored = linkAt(knownLast);
  const theirs = b.records[i];
  if (stored === undefined || theirs === undefined || toHex(theirs.link) !== stored) {
    return { kind: "fork", why: `record ${knownLast} differs from the one already accepted` };
  }
  return b.lastSeq <= s.lastSeq ? { kind: "duplicate" } : { kind: "new", fromIndex: i + 1 };
}
