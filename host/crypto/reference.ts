// Host reference model of the strict Ed25519 verification policy (see policy.ts).
// It is the oracle the firmware is tested against and the verifier the clearing service
// uses, so it is written for exactness and readability, not speed: BigInt arithmetic
// through @noble/ed25519's Point, SHA-512 from @noble/hashes, one function per rule.
import { Point } from "@noble/ed25519";
import { sha512 } from "@noble/hashes/sha2.js";
import {
  GROUP_L,
  PUBLIC_KEY_BYTES,
  SIGNATURE_BYTES,
  bytesToNumberLE,
  equalBytes,
  isCanonicalPointEncoding,
} from "./encoding.ts";
import { VerifyStatus } from "./policy.ts";

/**
 * Decodes a point encoding to a curve point. `lenient` accepts y >= p (reduced) and the
 * x = 0 sign-bit encodings, as ZIP-215 decoders do; the strict form is RFC 8032 §5.1.3.
 * Returns null when no curve point has that y.
 */
export function decodePoint(encoding: Uint8Array, lenient = false): Point | null {
  try {
    return Point.fromBytes(encoding, lenient);
  } catch {
    return null;
  }
}

/** k = SHA-512(R || A || M) mod L, over the bytes exactly as received. */
export function challengeScalar(rBytes: Uint8Array, publicKey: Uint8Array, message: Uint8Array): bigint {
  const h = sha512.create().update(rBytes).update(publicKey).update(message).digest();
  return bytesToNumberLE(h) % GROUP_L;
}

/** [s]B - [k]A for scalars already reduced below L. */
function recomputeR(s: bigint, k: bigint, A: Point): Point {
  return Point.BASE.multiply(s, false).subtract(A.multiply(k, false));
}

function checkLengths(publicKey: Uint8Array, signature: Uint8Array): void {
  if (publicKey.length !== PUBLIC_KEY_BYTES || signature.length !== SIGNATURE_BYTES) {
    throw new RangeError(`public key must be ${PUBLIC_KEY_BYTES} bytes and signature ${SIGNATURE_BYTES} bytes`);
  }
}

/** Verifies under the strict policy; returns the status of the first rule that fails. */
export function verifyReference(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): VerifyStatus {
  checkLengths(publicKey, signature);
  const rBytes = signature.subarray(0, 32);
  const s = bytesToNumberLE(signature.subarray(32, 64));
  // Rule 1: S < L. Checked first because it needs no arithmetic and closes malleability.
  if (s >= GROUP_L) return VerifyStatus.SNotCanonical;
  // Rule 2: canonical A, decided on the bytes.
  if (!isCanonicalPointEncoding(publicKey)) return VerifyStatus.PublicKeyNotCanonical;
  // Rule 3: A on the curve (strict decoding cannot fail for any other reason after rule 2).
  const A = decodePoint(publicKey);
  if (A === null) return VerifyStatus.PublicKeyNotOnCurve;
  // Rule 4: [8]A = O means A is one of the 8 torsion points.
  if (A.isSmallOrder()) return VerifyStatus.PublicKeySmallOrder;
  // Rule 5: canonical R, decided on the bytes.
  if (!isCanonicalPointEncoding(rBytes)) return VerifyStatus.RNotCanonical;
  // Rule 6: R a torsion point. An R that is not on the curve at all is left to rule 7,
  // which can never match it (encode() only yields curve points).
  const R = decodePoint(rBytes);
  if (R !== null && R.isSmallOrder()) return VerifyStatus.RSmallOrder;
  // Rule 7: cofactorless equation, compared on the encodings.
  const k = challengeScalar(rBytes, publicKey, message);
  return equalBytes(recomputeR(s, k, A).toBytes(), rBytes) ? VerifyStatus.Valid : VerifyStatus.EquationMismatch;
}

/**
 * What the verification equations say about an input when every encoding rule is waived:
 * A and R decoded leniently, S reduced mod L, k over the raw bytes. Used to explain why a
 * more permissive verifier accepts what the strict policy rejects. Null when A or R is not
 * a curve point under any decoding.
 */
export interface EquationFacts {
  /** S >= L (a verifier that reduces S may still accept). */
  sUnreduced: boolean;
  /** encode([S]B - [k]A) == R bytes (how OpenSSL and RFC 8032 §5.1.7 compare). */
  cofactorlessBytes: boolean;
  /** [S]B - [k]A == R as points (equal after lenient decoding of R). */
  cofactorlessPoints: boolean;
  /** [8]([S]B - [k]A - R) == O (the cofactored equation; ZIP-215 and noble use it). */
  cofactored: boolean;
  aSmallOrder: boolean;
  rSmallOrder: boolean;
}

export function equationFacts(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): EquationFacts | null {
  checkLengths(publicKey, signature);
  const rBytes = signature.subarray(0, 32);
  const A = decodePoint(publicKey, true);
  const R = decodePoint(rBytes, true);
  if (A === null || R === null) return null;
  const sRaw = bytesToNumberLE(signature.subarray(32, 64));
  const k = challengeScalar(rBytes, publicKey, message);
  const check = recomputeR(sRaw % GROUP_L, k, A);
  return {
    sUnreduced: sRaw >= GROUP_L,
    cofactorlessBytes: equalBytes(check.toBytes(), rBytes),
    cofactorlessPoints: check.equals(R),
    cofactored: check.subtract(R).isSmallOrder(),
    aSmallOrder: A.isSmallOrder(),
    rSmallOrder: R.isSmallOrder(),
  };
}
