// Host mirror of the firmware's verification policy codes (assembly/crypto/policy.ts).
// The numbers are part of the firmware's export contract: a status crosses the WASM
// boundary as an i32, and the clearing service records it, so they never change.
//
// The policy, checked in this order (the first failing rule is the status returned):
//   1. S is canonical: S < L (the group order).
//   2. A is a canonical encoding: its y < p, and it is not x = 0 with the sign bit set.
//   3. A decodes to a point on the curve.
//   4. A is not of small order (one of the 8 torsion points).
//   5. R is a canonical encoding (same rule as 2, checked on the bytes).
//   6. R is not the encoding of a small-order point.
//   7. encode([S]B - [k]A) == R, with k = SHA-512(R || A || M) mod L (cofactorless).
// Mixed-order A (a small-order component added to a large-order point) is accepted.

export enum VerifyStatus {
  Valid = 0,
  SNotCanonical = 1,
  PublicKeyNotCanonical = 2,
  PublicKeyNotOnCurve = 3,
  PublicKeySmallOrder = 4,
  RNotCanonical = 5,
  RSmallOrder = 6,
  EquationMismatch = 7,
  /** Registered-key API only: slot out of range. */
  KeySlotInvalid = 8,
  /** Registered-key API only: nothing registered in that slot. */
  KeySlotEmpty = 9,
}

/** The policy rule (1–7) that produces each rejecting status; 0 for Valid and the key-slot codes. */
export const POLICY_RULE: Readonly<Record<VerifyStatus, number>> = {
  [VerifyStatus.Valid]: 0,
  [VerifyStatus.SNotCanonical]: 1,
  [VerifyStatus.PublicKeyNotCanonical]: 2,
  [VerifyStatus.PublicKeyNotOnCurve]: 3,
  [VerifyStatus.PublicKeySmallOrder]: 4,
  [VerifyStatus.RNotCanonical]: 5,
  [VerifyStatus.RSmallOrder]: 6,
  [VerifyStatus.EquationMismatch]: 7,
  [VerifyStatus.KeySlotInvalid]: 0,
  [VerifyStatus.KeySlotEmpty]: 0,
};

export function isVerifyStatus(n: number): n is VerifyStatus {
  return Number.isInteger(n) && n >= VerifyStatus.Valid && n <= VerifyStatus.KeySlotEmpty;
}

/** What each status means to a person reading a report (the name stays the machine code). */
const STATUS_SENTENCE: Readonly<Record<VerifyStatus, string>> = {
  [VerifyStatus.Valid]: "the signature is valid",
  [VerifyStatus.SNotCanonical]:
    "the signature is malformed (its S part is not below the " + "group order)",
  [VerifyStatus.PublicKeyNotCanonical]: "the public key is not validly encoded",
  [VerifyStatus.PublicKeyNotOnCurve]: "the public key is not a point on the curve",
  [VerifyStatus.PublicKeySmallOrder]: "the public key is a weak (small-order) key",
  [VerifyStatus.RNotCanonical]: "the signature is malformed (its R part is not validly encoded)",
  [VerifyStatus.RSmallOrder]: "the signature is malformed (its R part is a small-order point)",
  [VerifyStatus.EquationMismatch]:
    "the signature does not match: signed by another key, or " + "the signed data was changed",
  [VerifyStatus.KeySlotInvalid]: "no such key slot",
  [VerifyStatus.KeySlotEmpty]: "no key registered in that slot",
};

/** A sentence for a status, for people; statusName gives the code for machines. */
export function statusSentence(n: number): string {
  return isVerifyStatus(n) ? STATUS_SENTENCE[n] : `unknown verification status ${n}`;
}

/** Name of a status code; unknown numbers are shown as `Unknown(n)` rather than hidden. */
export function statusName(n: number): string {
  return isVerifyStatus(n) ? VerifyStatus[n] : `Unknown(${n})`;
}
