// Runs a slice of the differential test: for each generated case, the subject's status
// (the firmware, or the reference model itself), the reference model's status and every
// peer's answer; tallies agreements and collects every problem with its full input.
import { FirmwareCrypto } from "../../firmware/crypto.ts";
import { statusName, VerifyStatus } from "../../crypto/policy.ts";
import { equationFacts, verifyReference } from "../../crypto/reference.ts";
import { toHex } from "../../crypto/encoding.ts";
import { type VerifyCase, generateCase } from "./cases.ts";
import { explainDisagreement, disagreementKey } from "./explain.ts";
import { PEERS, type Peer, peerAccepts } from "./peers.ts";

export type Subject = "firmware" | "reference";

export interface SliceRequest {
  seed: number;
  /** First case index (inclusive) and end (exclusive). */
  start: number;
  end: number;
  subject: Subject;
}

export interface ProblemCase {
  index: number;
  category: string;
  publicKey: string;
  message: string;
  signature: string;
  offtap: string;
  reference: string;
  peers: Record<Peer, boolean>;
  reason: string;
}

export interface CategoryTally {
  count: number;
  /** Our status name → count. */
  status: Record<string, number>;
  /** Peer → how many it accepted. */
  accepts: Record<Peer, number>;
}

export interface SliceResult {
  cases: number;
  byCategory: Record<string, CategoryTally>;
  /** Allowed disagreement key → count. */
  explained: Record<string, number>;
  subjectMismatches: number;
  unexplainedCount: number;
  /** The first problems of each kind, with full inputs (bounded by PROBLEMS_KEPT_MAX). */
  problems: ProblemCase[];
}

/** Enough to diagnose; more only floods the report. */
export const PROBLEMS_KEPT_MAX = 20;

function makeSubject(kind: Subject): { verify: (c: VerifyCase) => string; reset: () => void } {
  if (kind === "reference") return { verify: (c) => statusName(verifyReference(c.publicKey, c.message, c.signature)), reset: () => {} };
  let fw = new FirmwareCrypto();
  return {
    verify: (c) => {
      try {
        return statusName(fw.verify(c.publicKey, c.message, c.signature));
      } catch (e) {
        fw = new FirmwareCrypto(); // a trap may leave the instance in any state
        return `Trap: ${e instanceof Error ? e.message : String(e)}`;
      }
    },
    reset: () => {
      fw = new FirmwareCrypto();
    },
  };
}

function problem(c: VerifyCase, offtap: string, reference: string, peers: Record<Peer, boolean>, reason: string): ProblemCase {
  return {
    index: c.index, category: c.category, publicKey: toHex(c.publicKey), message: toHex(c.message),
    signature: toHex(c.signature), offtap, reference, peers, reason,
  };
}

function tallyFor(result: SliceResult, category: string): CategoryTally {
  let t = result.byCategory[category];
  if (t === undefined) {
    t = { count: 0, status: {}, accepts: { "node": 0, "noble": 0, "noble-strict": 0 } };
    result.byCategory[category] = t;
  }
  return t;
}

export function runSlice(req: SliceRequest): SliceResult {
  const subject = makeSubject(req.subject);
  const result: SliceResult = { cases: 0, byCategory: {}, explained: {}, subjectMismatches: 0, unexplainedCount: 0, problems: [] };
  const keep = (p: ProblemCase) => {
    if (result.problems.length < PROBLEMS_KEPT_MAX) result.problems.push(p);
  };
  for (let i = req.start; i < req.end; i++) {
    const c = generateCase(req.seed, i);
    const refStatus = verifyReference(c.publicKey, c.message, c.signature);
    const reference = statusName(refStatus);
    const offtap = subject.verify(c);
    const peers = { "node": false, "noble": false, "noble-strict": false } as Record<Peer, boolean>;
    for (const p of PEERS) peers[p] = peerAccepts(p, c.publicKey, c.message, c.signature);
    result.cases++;
    const tally = tallyFor(result, c.category);
    tally.count++;
    tally.status[reference] = (tally.status[reference] ?? 0) + 1;
    for (const p of PEERS) if (peers[p]) tally.accepts[p]++;
    if (offtap !== reference) {
      result.subjectMismatches++;
      keep(problem(c, offtap, reference, peers, `offtap says ${offtap}, reference model says ${reference}`));
    }
    const weAccept = refStatus === VerifyStatus.Valid;
    let facts: ReturnType<typeof equationFacts> | undefined;
    for (const p of PEERS) {
      if (peers[p] === weAccept) continue;
      facts ??= equationFacts(c.publicKey, c.message, c.signature);
      const verdict = explainDisagreement(p, peers[p], refStatus, facts);
      if (verdict.allowed) {
        const key = disagreementKey(p, peers[p], refStatus);
        result.explained[key] = (result.explained[key] ?? 0) + 1;
      } else {
        result.unexplainedCount++;
        keep(problem(c, offtap, reference, peers, `${p}: ${verdict.reason}`));
      }
    }
  }
  return result;
}

/** Adds `b` into `a` (problems stay bounded). */
export function mergeResults(a: SliceResult, b: SliceResult): SliceResult {
  a.cases += b.cases;
  a.subjectMismatches += b.subjectMismatches;
  a.unexplainedCount += b.unexplainedCount;
  for (const [k, n] of Object.entries(b.explained)) a.explained[k] = (a.explained[k] ?? 0) + n;
  for (const [cat, t] of Object.entries(b.byCategory)) {
    const into = tallyFor(a, cat);
    into.count += t.count;
    for (const [s, n] of Object.entries(t.status)) into.status[s] = (into.status[s] ?? 0) + n;
    for (const p of PEERS) into.accepts[p] += t.accepts[p];
  }
  for (const p of b.problems) if (a.problems.length < PROBLEMS_KEPT_MAX) a.problems.push(p);
  return a;
}

export function emptyResult(): SliceResult {
  return { cases: 0, byCategory: {}, explained: {}, subjectMismatches: 0, unexplainedCount: 0, problems: [] };
}
