// Points of the Ed25519 curve -x² + y² = 1 + d·x²·y² over GF(2^255 - 19).
//
// Forms (each a run of field elements in linear memory, FE_BYTES apart), as in ref10:
//   P2     projective        (X : Y : Z)          x = X/Z, y = Y/Z
//   P3     extended          (X : Y : Z : T)      additionally T = XY/Z
//   P1P1   completed         ((X : Z), (Y : T))   x = X/Z, y = Y/T — what add/double produce
//   CACHED (Y+X, Y-X, Z, 2d·T)                    a P3 prepared as the second addend
//   NIELS  (y+x, y-x, 2d·x·y)                     an affine point prepared for mixed addition
//                                                 ("precomp" in ref10; Z = 1 is implied)
// Costs (M = feMul, S = feSq): p2Dbl 4S, geAdd 4M, geMadd 3M, p1p1ToP2 3M, p1p1ToP3 4M.
// Every formula keeps the inputs of each product within the bounds stated in field.ts.
//
// Outputs may not alias inputs unless a function says so. Nothing here allocates; the
// few temporaries are static, so these functions are not re-entrant.
import {
  FE_BYTES, FE_D, FE_D2, FE_SQRTM1,
  feAdd, feSub, feAddSub, feAddSub2, feMul, feSq, feSqSumSub, feSq2Sub,
  feNeg, feOne, feZero, feCopy, feCarry, feCmov,
  feInvert, fePow22523, feFromBytes, feToBytes, feIsNegative, feIsZero, feBytesAreCanonical,
  feEqual,
} from "./field";

export const P2_BYTES: i32 = 3 * FE_BYTES;
export const P3_BYTES: i32 = 4 * FE_BYTES;
export const P1P1_BYTES: i32 = 4 * FE_BYTES;
export const CACHED_BYTES: i32 = 4 * FE_BYTES;
export const NIELS_BYTES: i32 = 3 * FE_BYTES;

// Field offsets inside a point.
const F0: usize = 0;
const F1: usize = <usize>FE_BYTES;
const F2: usize = 2 * <usize>FE_BYTES;
const F3: usize = 3 * <usize>FE_BYTES;

/** Results of p3FromBytes. */
export const DECODE_OK: i32 = 0;
/** y ≥ p, or x = 0 with the sign bit set. */
export const DECODE_NOT_CANONICAL: i32 = 1;
/** (y² - 1)/(d·y² + 1) has no square root: no point has this y. */
export const DECODE_NOT_ON_CURVE: i32 = 2;

const tmp0: usize = memory.data(FE_BYTES, 8);
const tmpU: usize = memory.data(FE_BYTES, 8);
const tmpV: usize = memory.data(FE_BYTES, 8);
const tmpV3: usize = memory.data(FE_BYTES, 8);
const tmpVxx: usize = memory.data(FE_BYTES, 8);
// p2ToBytesDecoding: Z², Z⁴ (then β), and t·Z⁸ → w → Z⁻⁴ → 1/Z.
const tmpZ2: usize = memory.data(FE_BYTES, 8);
const tmpZ4: usize = memory.data(FE_BYTES, 8);
const tmpW: usize = memory.data(FE_BYTES, 8);
const tmpP1P1: usize = memory.data(P1P1_BYTES, 8);
const smallOrderTmp: usize = memory.data(P2_BYTES, 8);

// ---- identity and conversions ------------------------------------------------------

/** p = neutral element (0 : 1 : 1 : 0). */
export function p3Identity(p: usize): void {
  feZero(p + F0); feOne(p + F1); feOne(p + F2); feZero(p + F3);
}

/** p = neutral element (0 : 1 : 1). */
export function p2Identity(p: usize): void {
  feZero(p + F0); feOne(p + F1); feOne(p + F2);
}

/** r = p (P3 copy). */
export function p3Copy(r: usize, p: usize): void {
  feCopy(r + F0, p + F0); feCopy(r + F1, p + F1); feCopy(r + F2, p + F2); feCopy(r + F3, p + F3);
}

/** r = -p (P3; r may alias p). */
export function p3Neg(r: usize, p: usize): void {
  feNeg(r + F0, p + F0); feCopy(r + F1, p + F1); feCopy(r + F2, p + F2); feNeg(r + F3, p + F3);
}

/** r (P2) = p (P1P1). */
export function p1p1ToP2(r: usize, p: usize): void {
  feMul(r + F0, p + F0, p + F3);
  feMul(r + F1, p + F1, p + F2);
  feMul(r + F2, p + F2, p + F3);
}

/** r (P3) = p (P1P1). */
export function p1p1ToP3(r: usize, p: usize): void {
  feMul(r + F0, p + F0, p + F3);
  feMul(r + F1, p + F1, p + F2);
  feMul(r + F2, p + F2, p + F3);
  feMul(r + F3, p + F0, p + F1);
}

/** r (CACHED) = p (P3). */
export function p3ToCached(r: usize, p: usize): void {
  feAddSub(r + F0, r + F1, p + F1, p + F0);
  feCopy(r + F2, p + F2);
  feMul(r + F3, p + F3, FE_D2);
}

/** r (NIELS) from affine x, y: (y+x, y-x, 2d·x·y), limbs carried. */
export function nielsFromAffine(r: usize, x: usize, y: usize): void {
  feAdd(r + F0, y, x); feCarry(r + F0, r + F0);
  feSub(r + F1, y, x); feCarry(r + F1, r + F1);
  feMul(r + F2, x, y);
  feMul(r + F2, r + F2, FE_D2);
}

/** r = neutral element in NIELS form (1, 1, 0). */
export function nielsIdentity(r: usize): void {
  feOne(r + F0); feOne(r + F1); feZero(r + F2);
}

/** t = b ? u : t for NIELS points, in constant time (b is 0 or 1). */
export function nielsCmov(t: usize, u: usize, b: i32): void {
  feCmov(t + F0, u + F0, b); feCmov(t + F1, u + F1, b); feCmov(t + F2, u + F2, b);
}

/** t = -t for a NIELS point when b = 1, in constant time (swap y+x / y-x, negate 2dxy). */
export function nielsCneg(t: usize, b: i32): void {
  feCopy(tmp0, t + F0);
  feCmov(t + F0, t + F1, b);
  feCmov(t + F1, tmp0, b);
  feNeg(tmp0, t + F2);
  feCmov(t + F2, tmp0, b);
}

// ---- doubling and addition -----------------------------------------------------------

/** r (P1P1) = 2·p (P2, or the P2 prefix of a P3). */
export function p2Dbl(r: usize, p: usize): void {
  feSq(r + F0, p + F0);                       // XX
  feSq(r + F2, p + F1);                       // YY
  feAddSub(r + F1, r + F2, r + F2, r + F0);   // YY+XX, YY-XX
  feSqSumSub(r + F0, p + F0, p + F1, r + F1); // (X+Y)² - (YY+XX) = 2XY
  feSq2Sub(r + F3, p + F2, r + F2);           // 2ZZ - (YY-XX)
}

/** r (P1P1) = 2·p (P3). */
export function p3Dbl(r: usize, p: usize): void {
  p2Dbl(r, p);
}

/** r (P1P1) = p (P3) + q (CACHED). */
export function geAdd(r: usize, p: usize, q: usize): void {
  feAddSub(r + F0, r + F1, p + F1, p + F0);
  feMul(r + F2, r + F0, q + F0);
  feMul(r + F1, r + F1, q + F1);
  feMul(r + F3, q + F3, p + F3);
  feMul(tmp0, p + F2, q + F2);
  feAddSub(r + F1, r + F0, r + F2, r + F1);
  feAddSub2(r + F2, r + F3, tmp0, r + F3);
}

/** r (P1P1) = p (P3) - q (CACHED). */
export function geSub(r: usize, p: usize, q: usize): void {
  feAddSub(r + F0, r + F1, p + F1, p + F0);
  feMul(r + F2, r + F0, q + F1);
  feMul(r + F1, r + F1, q + F0);
  feMul(r + F3, q + F3, p + F3);
  feMul(tmp0, p + F2, q + F2);
  feAddSub(r + F1, r + F0, r + F2, r + F1);
  feAddSub2(r + F3, r + F2, tmp0, r + F3);
}

/** r (P1P1) = p (P3) + q (NIELS). */
export function geMadd(r: usize, p: usize, q: usize): void {
  feAddSub(r + F0, r + F1, p + F1, p + F0);
  feMul(r + F2, r + F0, q + F0);
  feMul(r + F1, r + F1, q + F1);
  feMul(r + F3, q + F2, p + F3);
  feAddSub(r + F1, r + F0, r + F2, r + F1);
  feAddSub2(r + F2, r + F3, p + F2, r + F3);
}

/** r (P1P1) = p (P3) - q (NIELS). */
export function geMsub(r: usize, p: usize, q: usize): void {
  feAddSub(r + F0, r + F1, p + F1, p + F0);
  feMul(r + F2, r + F0, q + F1);
  feMul(r + F1, r + F1, q + F0);
  feMul(r + F3, q + F2, p + F3);
  feAddSub(r + F1, r + F0, r + F2, r + F1);
  feAddSub2(r + F3, r + F2, p + F2, r + F3);
}

// ---- encoding ------------------------------------------------------------------------

/** s = 32-byte encoding of the P2 (or P3) point p: y with the sign of x in bit 255. */
export function p2ToBytes(s: usize, p: usize): void {
  feInvert(tmpV, p + F2);
  p2ToBytesInverted(s, p, tmpV);
}

/** p2ToBytes given zInv = 1/Z of p (zInv may be tmpV: it is read before tmpV is written). */
function p2ToBytesInverted(s: usize, p: usize, zInv: usize): void {
  feMul(tmpU, p + F0, zInv);
  feMul(tmpV, p + F1, zInv);
  feToBytes(s, tmpV);
  store<u8>(s, load<u8>(s, 31) ^ <u8>(feIsNegative(tmpU) << 7), 31);
}

/** s = 32-byte encoding of the P3 point p. */
export function p3ToBytes(s: usize, p: usize): void {
  p2ToBytes(s, p);
}

/**
 * True iff the 32 bytes at s are a canonical point encoding by the byte rule of the
 * policy: y < p, and not (x = 0 with the sign bit set). x = 0 exactly when y² = 1,
 * i.e. y ∈ {1, p - 1}, so no decoding is needed.
 */
export function encodingIsCanonical(s: usize): bool {
  if (!feBytesAreCanonical(s)) return false;
  if ((load<u8>(s, 31) & 0x80) == 0) return true;
  const w0 = load<u64>(s, 0), w1 = load<u64>(s, 8), w2 = load<u64>(s, 16);
  const w3 = load<u64>(s, 24) & 0x7fffffffffffffff;
  const isOne = w0 == 1 && (w1 | w2 | w3) == 0;
  const isMinusOne = w0 == 0xffffffffffffffec && (w1 & w2) == 0xffffffffffffffff
    && w3 == 0x7fffffffffffffff;
  return !(isOne || isMinusOne);
}

/**
 * Decompresses s into the P3 point h (RFC 8032 §5.1.3), strictly: returns
 * DECODE_NOT_CANONICAL for y ≥ p or x = 0 with the sign bit set, DECODE_NOT_ON_CURVE when
 * x² = (y² - 1)/(d·y² + 1) has no root, DECODE_OK otherwise. Variable time (public input).
 */
export function p3FromBytes(h: usize, s: usize): i32 {
  if (!encodingIsCanonical(s)) return DECODE_NOT_CANONICAL;
  decodeRatio(h, s);
  fePow22523(h + F0, h + F0);     // β = (u·v⁷)^((p-5)/8)
  return decodeRoot(h, s) == ZETA_NONE ? DECODE_NOT_ON_CURVE : DECODE_OK;
}

// ζ = v·x²/u for the candidate x = u·v³·β of a decoding (u ≠ 0): a fourth root of unity.
const ZETA_ONE: i32 = 0;        // x is the root
const ZETA_MINUS_ONE: i32 = 1;  // x·√-1 is the root
const ZETA_NONE: i32 = 2;       // ζ = ±√-1: u/v is not a square, no point has this y

/** Decoding's first half: Y = y, Z = 1, tmpU = u = y² - 1, tmpV = v = d·y² + 1,
 *  tmpV3 = v³, and X = t = u·v⁷ (the value raised to (p-5)/8). */
function decodeRatio(h: usize, s: usize): void {
  const x = h + F0, y = h + F1, z = h + F2;
  feFromBytes(y, s);
  feOne(z);
  feSq(tmpU, y);
  feMul(tmpV, tmpU, FE_D);
  feSub(tmpU, tmpU, z);           // u = y² - 1
  feAdd(tmpV, tmpV, z);           // v = d·y² + 1
  feSq(tmpV3, tmpV);
  feMul(tmpV3, tmpV3, tmpV);      // v³
  feSq(x, tmpV3);
  feMul(x, x, tmpV);
  feMul(x, x, tmpU);              // t = u·v⁷
}

/** Decoding's second half, from X = β = t^((p-5)/8) and decodeRatio's tmpU, tmpV,
 *  tmpV3: X = the root with the sign bit of s, T = X·Y. Returns ζ (ZETA_NONE: no root,
 *  h is then garbage). */
function decodeRoot(h: usize, s: usize): i32 {
  const x = h + F0, y = h + F1;
  feMul(x, x, tmpV3);
  feMul(x, x, tmpU);              // candidate x = u·v³·β
  feSq(tmpVxx, x);
  feMul(tmpVxx, tmpVxx, tmpV);    // v·x²
  feSub(tmp0, tmpVxx, tmpU);
  let zeta = ZETA_ONE;
  if (!feIsZero(tmp0)) {
    feAdd(tmp0, tmpVxx, tmpU);
    if (!feIsZero(tmp0)) return ZETA_NONE;
    feMul(x, x, FE_SQRTM1);
    zeta = ZETA_MINUS_ONE;
  }
  const sign = <i32>(load<u8>(s, 31) >> 7);
  // x = 0 with the sign bit set was rejected above (y = ±1), so a sign flip is never of 0.
  if (feIsNegative(x) != sign) feNeg(x, x);
  feMul(h + F3, x, y);
  return zeta;
}

/**
 * Encodes the P2 point p into sBytes (as p2ToBytes) and decodes sKey into the P3 point h
 * (as p3FromBytes, same result), sharing one exponentiation between p's inversion and
 * the key's square root. Returns p3FromBytes's result for sKey.
 *
 * The algebra (u = y² - 1, v = d·y² + 1, t = u·v⁷, e = (p-5)/8, Z = p's Z ≠ 0):
 * p3FromBytes raises t to e: β = t^e, x = u·v³·β, and ζ = v·x²/u = t·β² = t^((p-1)/4)
 * is a fourth root of unity (u ≠ 0): ζ = 1, x is a root; ζ = -1, x·√-1 is; ζ = ±√-1,
 * there is none. Here t·Z⁸ is raised to e instead:
 *   w = (t·Z⁸)^e = β·Z^(8e) = β·Z^(p-5) = β·Z⁻⁴           (Z^(p-1) = 1)
 * so β = w·Z⁴ and the decoding goes on exactly as p3FromBytes's; and
 *   w·β·t = β²·t·Z⁻⁴ = ζ·Z⁻⁴,  so  Z⁻⁴ = ζ·w·β·t  (ζ = ±1 is its own inverse),
 *   1/Z = Z⁻⁴·Z²·Z.
 * Cost: 3 squarings and 6 multiplications instead of the inversion's exponentiation
 * (254 squarings, 11 multiplications). Where the shared exponent gives no 1/Z, p is
 * inverted on its own (feInvert), and the key's result is still p3FromBytes's:
 *   - sKey not canonical: no decoding at all;
 *   - t·Z⁸ = 0, i.e. u = 0 (y = ±1, x = 0: the key is a small-order point; v is never 0,
 *     -1/d not being a square) or Z = 0: decoded by p3FromBytes;
 *   - ζ = ±√-1: the key is not on the curve.
 * The x = 0 and sign-bit rules are decodeRoot's, unchanged: x = 0 only for u = 0, which
 * the canonical check and p3FromBytes handle.
 */
export function p2ToBytesDecoding(sBytes: usize, p: usize, h: usize, sKey: usize): i32 {
  if (!encodingIsCanonical(sKey)) {
    p2ToBytes(sBytes, p);
    return DECODE_NOT_CANONICAL;
  }
  const x = h + F0, z = p + F2;
  decodeRatio(h, sKey);           // X = t
  feSq(tmpZ2, z);
  feSq(tmpZ4, tmpZ2);
  feSq(tmpW, tmpZ4);
  feMul(tmpW, tmpW, x);           // t·Z⁸
  if (feIsZero(tmpW)) {
    p2ToBytes(sBytes, p);
    return p3FromBytes(h, sKey);
  }
  fePow22523(tmpW, tmpW);         // w = β·Z⁻⁴
  feMul(tmpZ4, tmpW, tmpZ4);      // β = w·Z⁴
  feMul(tmpW, tmpW, tmpZ4);
  feMul(tmpW, tmpW, x);           // w·β·t = ζ·Z⁻⁴
  feCopy(x, tmpZ4);
  const zeta = decodeRoot(h, sKey);
  if (zeta == ZETA_NONE) {
    p2ToBytes(sBytes, p);
    return DECODE_NOT_ON_CURVE;
  }
  if (zeta == ZETA_MINUS_ONE) feNeg(tmpW, tmpW);   // Z⁻⁴
  feMul(tmpW, tmpW, tmpZ2);
  feMul(tmpW, tmpW, z);           // 1/Z
  p2ToBytesInverted(sBytes, p, tmpW);
  return DECODE_OK;
}

// ---- decoding hints (docs/PROTOCOL.md, "Decoding hints") ---------------------------

/**
 * Decodes the canonical encoding s into the P3 point h from a hint: 32 bytes at xHint
 * claimed to be its x-coordinate (little-endian, < p, top bit 0). The hint holds when it
 * is canonical, its parity is the sign bit of s, and (x, y) is on the curve; then h is
 * exactly p3FromBytes's point (the curve has only ±x for a y, and the sign bit picks
 * one), found with 3 multiplications and 2 squarings instead of an exponentiation.
 * Returns false when the hint does not hold (h is then garbage: decode s on its own).
 * The caller has checked s with encodingIsCanonical.
 */
export function p3FromHint(h: usize, s: usize, xHint: usize): bool {
  if ((load<u8>(xHint, 31) & 0x80) != 0 || !feBytesAreCanonical(xHint)) return false;
  if (<u32>(load<u8>(xHint) & 1) != <u32>(load<u8>(s, 31) >> 7)) return false;
  const x = h + F0, y = h + F1;
  feFromBytes(x, xHint);
  feFromBytes(y, s);
  feOne(h + F2);
  feSq(tmpU, x);                  // x²
  feSq(tmpV, y);                  // y²
  feMul(tmpVxx, tmpU, tmpV);
  feMul(tmpVxx, tmpVxx, FE_D);    // d·x²·y²
  feAdd(tmpVxx, tmpVxx, tmpU);
  feAdd(tmpVxx, tmpVxx, h + F2);
  feCarry(tmpVxx, tmpVxx);        // 1 + x² + d·x²·y²
  feSub(tmp0, tmpV, tmpVxx);
  if (!feIsZero(tmp0)) return false;
  feMul(h + F3, x, y);
  return true;
}

/** HINT_* results of p2EqualsHinted. */
export const HINT_EQUAL: i32 = 1;
export const HINT_NOT_EQUAL: i32 = 0;
export const HINT_UNUSABLE: i32 = -1;

/**
 * Whether the P2 point p encodes to the 32 bytes at s (canonical: rules 5–6 passed),
 * decided without an inversion from the hint xHint for s (as p3FromHint): p's affine
 * (X/Z, Y/Z) equals the point s encodes iff X = x·Z and Y = y·Z. HINT_UNUSABLE when the
 * hint does not hold or Z ≡ 0 (never for a point on the curve): compare p2ToBytes then.
 * Uses `scratch` (P3_BYTES) for the hinted point.
 */
export function p2EqualsHinted(p: usize, s: usize, xHint: usize, scratch: usize): i32 {
  if (!p3FromHint(scratch, s, xHint)) return HINT_UNUSABLE;
  const z = p + F2;
  if (feIsZero(z)) return HINT_UNUSABLE;
  feMul(tmp0, scratch + F0, z);
  if (!feEqual(tmp0, p + F0)) return HINT_NOT_EQUAL;
  feMul(tmp0, scratch + F1, z);
  return feEqual(tmp0, p + F1) ? HINT_EQUAL : HINT_NOT_EQUAL;
}

/** True iff p (P2, or the P2 prefix of a P3) is the neutral element: X ≡ 0 and Y ≡ Z. */
export function p2IsIdentity(p: usize): bool {
  if (!feIsZero(p + F0)) return false;
  feSub(tmp0, p + F1, p + F2);
  return feIsZero(tmp0);
}

/** True iff p (P3) is the neutral element. */
export function p3IsIdentity(p: usize): bool {
  return p2IsIdentity(p);
}

/** True iff p (P3) has small order: [8]p is the neutral element. Clobbers nothing of p. */
export function p3HasSmallOrder(p: usize): bool {
  const r = tmpP1P1;
  p2Dbl(r, p);
  p1p1ToP2(smallOrderTmp, r);
  p2Dbl(r, smallOrderTmp);
  p1p1ToP2(smallOrderTmp, r);
  p2Dbl(r, smallOrderTmp);
  p1p1ToP2(smallOrderTmp, r);
  return p2IsIdentity(smallOrderTmp);
}
