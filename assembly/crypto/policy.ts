// Ed25519 verification policy — one strict policy, everywhere (reader and clearing).
// See SECURITY.md. A signature (R, S) on message M under public key A is valid iff,
// checked in this order (the first failing rule is the status returned):
//   1. S is canonical: S < L (the group order).
//   2. A is a canonical encoding: its y < p, and it is not x = 0 with the sign bit set.
//   3. A decodes to a point on the curve.
//   4. A is not of small order (one of the 8 torsion points).
//   5. R is a canonical encoding (same rule as 2, checked on the bytes).
//   6. R is not the encoding of a small-order point.
//   7. encode([S]B - [k]A) == R, with k = SHA-512(R || A || M) mod L (cofactorless).
// Mixed-order A (a small-order component added to a large-order point) is accepted.

export const enum VerifyStatus {
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
