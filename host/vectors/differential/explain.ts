// The table of disagreements between offtap's strict policy and its peers that the policy
// explains. A disagreement is allowed only if (peer, peer's answer, our status) is in this
// table AND the equation facts confirm the stated reason — e.g. "noble accepts a mixed-order
// key we reject" is allowed only when the cofactored equation really holds and the
// cofactorless one really does not. Anything else is a bug in someone, to be investigated.
import type { EquationFacts } from "../../crypto/reference.ts";
import { VerifyStatus, statusName } from "../../crypto/policy.ts";
import type { Peer } from "./peers.ts";

export interface AllowedDisagreement {
  peer: Peer;
  /** The peer's answer (ours is the opposite). */
  peerAccepts: boolean;
  /** Our status on the input. */
  status: VerifyStatus;
  rule: number;
  why: string;
  /** What the equation facts must show for the explanation to apply. */
  confirms: string;
  confirm(f: EquationFacts): boolean;
}

const cofactorlessOnBytes = (f: EquationFacts) => !f.sUnreduced && f.cofactorlessBytes;
const cofactoredOnly = (f: EquationFacts) => !f.sUnreduced && f.cofactored;

export const ALLOWED_DISAGREEMENTS: readonly AllowedDisagreement[] = [
  {
    peer: "node", peerAccepts: true, status: VerifyStatus.PublicKeySmallOrder, rule: 4,
    why: "OpenSSL does not check the order of A; with A of small order a signature verifies for many messages",
    confirms: "A is small-order and the cofactorless equation holds on the bytes",
    confirm: (f) => f.aSmallOrder && cofactorlessOnBytes(f),
  },
  {
    peer: "node", peerAccepts: true, status: VerifyStatus.RSmallOrder, rule: 6,
    why: "OpenSSL does not check the order of R",
    confirms: "R is small-order and the cofactorless equation holds on the bytes",
    confirm: (f) => f.rSmallOrder && cofactorlessOnBytes(f),
  },
  {
    peer: "node", peerAccepts: true, status: VerifyStatus.PublicKeyNotCanonical, rule: 2,
    why: "OpenSSL decodes A with y >= p (reduced mod p) or x = 0 with the sign bit set",
    confirms: "the equation holds with A decoded leniently and k over the bytes as sent",
    confirm: (f) => cofactorlessOnBytes(f),
  },
  {
    peer: "noble", peerAccepts: true, status: VerifyStatus.PublicKeyNotCanonical, rule: 2,
    why: "ZIP-215 decoding accepts y >= p and x = 0 with the sign bit set",
    confirms: "the cofactored equation holds with A decoded leniently",
    confirm: cofactoredOnly,
  },
  {
    peer: "noble", peerAccepts: true, status: VerifyStatus.PublicKeySmallOrder, rule: 4,
    why: "ZIP-215 allows small-order A",
    confirms: "A is small-order and the cofactored equation holds",
    confirm: (f) => f.aSmallOrder && cofactoredOnly(f),
  },
  {
    peer: "noble", peerAccepts: true, status: VerifyStatus.RNotCanonical, rule: 5,
    why: "ZIP-215 decoding accepts a non-canonical R and hashes the bytes as sent",
    confirms: "the cofactored equation holds with R decoded leniently",
    confirm: cofactoredOnly,
  },
  {
    peer: "noble", peerAccepts: true, status: VerifyStatus.RSmallOrder, rule: 6,
    why: "ZIP-215 allows small-order R",
    confirms: "R is small-order and the cofactored equation holds",
    confirm: (f) => f.rSmallOrder && cofactoredOnly(f),
  },
  {
    peer: "noble", peerAccepts: true, status: VerifyStatus.EquationMismatch, rule: 7,
    why: "noble checks the cofactored equation [8]([S]B - [k]A - R) = O; we check it without the cofactor",
    confirms: "the cofactored equation holds and the cofactorless one does not",
    confirm: (f) => cofactoredOnly(f) && !f.cofactorlessBytes,
  },
  {
    peer: "noble-strict", peerAccepts: true, status: VerifyStatus.RSmallOrder, rule: 6,
    why: "noble's strict mode rejects small-order A but not small-order R",
    confirms: "R is small-order and the cofactored equation holds",
    confirm: (f) => f.rSmallOrder && cofactoredOnly(f),
  },
  {
    peer: "noble-strict", peerAccepts: true, status: VerifyStatus.EquationMismatch, rule: 7,
    why: "noble's strict mode still checks the cofactored equation; we check it without the cofactor",
    confirms: "the cofactored equation holds and the cofactorless one does not",
    confirm: (f) => cofactoredOnly(f) && !f.cofactorlessBytes,
  },
];

export function disagreementKey(peer: Peer, peerAccepts: boolean, status: number): string {
  return `${peer} ${peerAccepts ? "accepts" : "rejects"}, offtap ${statusName(status)}`;
}

export type Verdict = { allowed: true; entry: AllowedDisagreement } | { allowed: false; reason: string };

/** Judges one disagreement; `facts` is null when A or R is no curve point under any decoding. */
export function explainDisagreement(peer: Peer, peerAccepts: boolean, status: number, facts: EquationFacts | null): Verdict {
  const entry = ALLOWED_DISAGREEMENTS.find((e) => e.peer === peer && e.peerAccepts === peerAccepts && e.status === status);
  if (entry === undefined) return { allowed: false, reason: `no policy rule explains "${disagreementKey(peer, peerAccepts, status)}"` };
  if (facts === null) return { allowed: false, reason: `rule ${entry.rule} claimed, but A or R is not a curve point under any decoding` };
  if (!entry.confirm(facts)) return { allowed: false, reason: `rule ${entry.rule} claimed, but the facts do not show that ${entry.confirms}` };
  return { allowed: true, entry };
}
