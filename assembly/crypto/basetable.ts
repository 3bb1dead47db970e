// Constant-time fixed-base scalar multiplication [s]B for Ed25519 key derivation and
// signing, with a table of multiples of the base point B built at first use.
//
// Method (the ref10 ge_scalarmult_base scheme, with a smaller table):
//   s (< 2^255) is recoded into 64 signed radix-16 digits e[k] ∈ [-8, 8],
//   s = Σ e[k]·16^k. Write k = 4i + t (window i = 0..15, phase t = 0..3); then
//     [s]B = Σ_t 16^t · Σ_i e[4i+t]·(2^(16i)·B).
//   Window i of the table holds j·2^(16i)·B for j = 1..8 as affine NIELS points, so each
//   digit is one table lookup and one mixed addition; the phases are joined by Horner's
//   rule with 4 doublings between them: 64 additions and 12 doublings in all.
//
// Memory vs speed (see limits.ts BASE_TABLE_*), [s]B measured on this layout with 8, 16
// and 32 windows (WASM3 0.5 on a desktop core / V8, per multiplication):
//    8 windows,  7.5 KiB, 64 additions + 28 doublings: 0.57 ms / 7.6 k/s
//   16 windows, 15.0 KiB, 64 additions + 12 doublings: 0.50 ms / 9.2 k/s   <- chosen
//   32 windows, 30.0 KiB, 64 additions +  4 doublings: 0.48 ms / 9.9 k/s   (ref10's size)
// The 64 constant-time lookups cost the same in all three, so doublings matter less than
// the count suggests. 32 windows would not fit the 16 KiB budget for 4 % more speed; 8
// windows would save 7.5 KiB for 14 % (WASM3) to 21 % (V8) slower signing. Signatures may
// be made per tap (receipts), so the faster layout that fits the budget is kept.
//
// Constant time: the digit recoding is branch-free; every lookup reads all 8 entries of
// its window and keeps the wanted one with all-ones/all-zeros masks, then negates it
// with a mask (nielsCneg). Table addresses depend only on loop counters, never on the scalar.
// The table is built from public data only, so its construction may branch.
import { FE_BYTES, feMul, feInvert, feCopy } from "./field";
import {
  P3_BYTES, P1P1_BYTES, CACHED_BYTES, NIELS_BYTES,
  p3Identity, p3Copy, p3ToCached, p3FromBytes, p3ToBytes, p1p1ToP2, p1p1ToP3, p2Dbl,
  geAdd, geMadd, nielsFromAffine, nielsIdentity, nielsCneg, DECODE_OK,
} from "./point";
import { BASE_TABLE_WINDOWS, BASE_TABLE_ENTRIES, BASE_TABLE_BYTES } from "../limits";

/** Signed radix-16 digits of a 253-bit scalar: 64 digits, the last one absorbing the carry. */
const DIGITS: i32 = 64;
/** Digits per window (the Horner phases): 64 / 16 windows = 4. */
const PHASES: i32 = DIGITS / BASE_TABLE_WINDOWS;
/** Bits per radix-16 digit: the doublings between two phases. */
const DIGIT_BITS: i32 = 4;
/** Bits between the base points of consecutive windows. */
const WINDOW_BITS: i32 = DIGIT_BITS * PHASES;

/** Encoding of B: y = 4/5, x positive (RFC 8032 §5.1). */
const BASE_ENCODED: usize = memory.data<u8>([
  0x58, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66,
  0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66,
]);

/** table[i][j] = (j+1)·2^(WINDOW_BITS·i)·B as NIELS (WINDOW_BITS = 16), i < BASE_TABLE_WINDOWS,
 *  j < BASE_TABLE_ENTRIES. */
const table: usize = memory.data(BASE_TABLE_BYTES, 16);
let tableReady: bool = false;

// Scratch for scalar multiplication.
const digits: usize = memory.data(DIGITS, 16);
const acc: usize = memory.data(P3_BYTES, 8);
const sum: usize = memory.data(P1P1_BYTES, 8);
const chosen: usize = memory.data(NIELS_BYTES, 8);
// Scratch for building the table (public data).
const basePoint: usize = memory.data(P3_BYTES, 8);
const baseCached: usize = memory.data(CACHED_BYTES, 8);
const zPrefix: usize = memory.data(BASE_TABLE_ENTRIES * FE_BYTES, 8);
const zInv: usize = memory.data(FE_BYTES, 8);
const affX: usize = memory.data(FE_BYTES, 8);
const affY: usize = memory.data(FE_BYTES, 8);
const invAll: usize = memory.data(FE_BYTES, 8);
/** winPrefix[w] = product of the Z of every entry of windows 0..w. */
const winPrefix: usize = memory.data(BASE_TABLE_WINDOWS * FE_BYTES, 8);

@inline function entryAt(window: i32, j: i32): usize {
  return table + <usize>((window * BASE_TABLE_ENTRIES + j) * NIELS_BYTES);
}

/** Writes j·basePoint (j = 1..8) into window w as projective (X, Y, Z), each in the
 *  entry's own three field slots; normalizeWindow turns them into affine NIELS later. */
function fillWindowProjective(w: i32): void {
  p3ToCached(baseCached, basePoint);
  p3Copy(acc, basePoint);
  for (let j = 0; j < BASE_TABLE_ENTRIES; j++) {
    if (j > 0) {
      geAdd(sum, acc, baseCached);
      p1p1ToP3(acc, sum);
    }
    const e = entryAt(w, j);
    feCopy(e, acc);
    feCopy(e + <usize>FE_BYTES, acc + <usize>FE_BYTES);
    feCopy(e + 2 * <usize>FE_BYTES, acc + 2 * <usize>FE_BYTES);
  }
}

/** zPrefix[j] = Z_0 ··· Z_j over the projective entries of window w; returns the last
 *  one, the product of all of the window's Z. */
function windowZPrefix(w: i32): usize {
  feCopy(zPrefix, entryAt(w, 0) + 2 * <usize>FE_BYTES);
  for (let j = 1; j < BASE_TABLE_ENTRIES; j++) {
    const z = zPrefix + <usize>(j * FE_BYTES);
    feMul(z, z - <usize>FE_BYTES, entryAt(w, j) + 2 * <usize>FE_BYTES);
  }
  return zPrefix + <usize>((BASE_TABLE_ENTRIES - 1) * FE_BYTES);
}

/** Converts window w to affine NIELS, given zPrefix for w and zInv = 1/(Z_0 ··· Z_7). */
function normalizeWindow(w: i32): void {
  for (let j = BASE_TABLE_ENTRIES - 1; j >= 0; j--) {
    const e = entryAt(w, j);
    // zInv = 1/(Z_0 ··· Z_j), so 1/Z_j = zInv · (Z_0 ··· Z_{j-1}).
    if (j > 0) feMul(affY, zInv, zPrefix + <usize>((j - 1) * FE_BYTES));
    else feCopy(affY, zInv);
    feMul(zInv, zInv, e + 2 * <usize>FE_BYTES);
    feMul(affX, e, affY);
    feMul(affY, e + <usize>FE_BYTES, affY);
    nielsFromAffine(e, affX, affY);
  }
}

/**
 * Builds the whole table: called once, before the first multiplication.
 * Every entry needs 1/Z; Montgomery's batch inversion over two levels (entries within a
 * window, then windows) gets all 128 with one field inversion, storing only one product
 * per window (winPrefix) and recomputing the per-window prefixes on the way back. One
 * inversion per window instead would cost ~15 × 265 field operations more, about half
 * of the build time under an interpreter.
 */
function buildTable(): void {
  const status = p3FromBytes(basePoint, BASE_ENCODED);
  assert(status == DECODE_OK, "base point encoding");
  for (let w = 0; w < BASE_TABLE_WINDOWS; w++) {
    fillWindowProjective(w);
    const windowZ = windowZPrefix(w);
    const prefix = winPrefix + <usize>(w * FE_BYTES);
    if (w == 0) feCopy(prefix, windowZ);
    else feMul(prefix, prefix - <usize>FE_BYTES, windowZ);
    if (w == BASE_TABLE_WINDOWS - 1) break;
    // basePoint = 2^16 · basePoint for the next window.
    for (let d = 0; d < WINDOW_BITS - 1; d++) {
      p2Dbl(sum, basePoint);
      p1p1ToP2(basePoint, sum);
    }
    p2Dbl(sum, basePoint);
    p1p1ToP3(basePoint, sum);
  }
  // invAll = 1/(product of every Z in windows 0..w), walking w downwards.
  feInvert(invAll, winPrefix + <usize>((BASE_TABLE_WINDOWS - 1) * FE_BYTES));
  for (let w = BASE_TABLE_WINDOWS - 1; w >= 0; w--) {
    const windowZ = windowZPrefix(w);
    if (w > 0) feMul(zInv, invAll, winPrefix + <usize>((w - 1) * FE_BYTES));
    else feCopy(zInv, invAll);
    feMul(invAll, invAll, windowZ);
    normalizeWindow(w);
  }
  tableReady = true;
}

/** Builds the table now if it is not built yet (for start-up, or before timing). */
export function baseTableInit(): void {
  if (!tableReady) buildTable();
}

/**
 * digits[0..64) = signed radix-16 digits of the 32-byte scalar s, each in [-8, 8].
 * Requires s < 2^255 (true of clamped secrets and of anything reduced mod L). Branch-free.
 */
function recode(s: usize): void {
  for (let i = 0; i < 32; i++) {
    const b = <i32>load<u8>(s + <usize>i);
    store<i8>(digits + <usize>(2 * i), <i8>(b & 15));
    store<i8>(digits + <usize>(2 * i + 1), <i8>(b >> 4));
  }
  let carry: i32 = 0;
  for (let k = 0; k < DIGITS - 1; k++) {
    let e = <i32>load<i8>(digits + <usize>k) + carry;
    carry = (e + 8) >> 4;
    e -= carry << 4;
    store<i8>(digits + <usize>k, <i8>e);
  }
  store<i8>(digits + <usize>(DIGITS - 1), <i8>(<i32>load<i8>(digits + <usize>(DIGITS - 1)) + carry));
}

// select() below is unrolled for exactly 8 entries per window (digits in [-8, 8]), and
// the windows must split the 64 digits evenly.
assert(BASE_TABLE_ENTRIES == 8 && DIGITS % BASE_TABLE_WINDOWS == 0, "base table shape");
assert(BASE_TABLE_BYTES == BASE_TABLE_WINDOWS * BASE_TABLE_ENTRIES * NIELS_BYTES, "base table size");

/** u64 words in one NIELS entry (3 field elements of 40 bytes). */
const NIELS_WORDS: i32 = NIELS_BYTES / 8;

/**
 * chosen = digit·(2^(WINDOW_BITS·window)·B) as NIELS, reading every entry of the window.
 * The scan runs word by word across the 8 entries with all-ones/all-zeros masks (the
 * same effect as 8 nielsCmov calls, in a quarter of the interpreted instructions: u64
 * words, masks computed once, entries unrolled).
 */
function select(window: i32, digit: i32): void {
  const negMask = digit >> 31;                   // -1 if digit < 0, else 0
  const magnitude = (digit ^ negMask) - negMask; // |digit| in 0..8
  // m_j = all ones iff magnitude == j + 1: (x - 1) has its sign bit set only for x = 0.
  const m1 = <u64>(<i64>((magnitude ^ 1) - 1) >> 63);
  const m2 = <u64>(<i64>((magnitude ^ 2) - 1) >> 63);
  const m3 = <u64>(<i64>((magnitude ^ 3) - 1) >> 63);
  const m4 = <u64>(<i64>((magnitude ^ 4) - 1) >> 63);
  const m5 = <u64>(<i64>((magnitude ^ 5) - 1) >> 63);
  const m6 = <u64>(<i64>((magnitude ^ 6) - 1) >> 63);
  const m7 = <u64>(<i64>((magnitude ^ 7) - 1) >> 63);
  const m8 = <u64>(<i64>((magnitude ^ 8) - 1) >> 63);
  nielsIdentity(chosen);
  let e = entryAt(window, 0);
  const stride = <usize>NIELS_BYTES;
  for (let w = 0; w < NIELS_WORDS; w++) {
    const p = chosen + <usize>(w << 3);
    let x = load<u64>(p);
    x ^= (x ^ load<u64>(e)) & m1;
    x ^= (x ^ load<u64>(e + stride)) & m2;
    x ^= (x ^ load<u64>(e + 2 * stride)) & m3;
    x ^= (x ^ load<u64>(e + 3 * stride)) & m4;
    x ^= (x ^ load<u64>(e + 4 * stride)) & m5;
    x ^= (x ^ load<u64>(e + 5 * stride)) & m6;
    x ^= (x ^ load<u64>(e + 6 * stride)) & m7;
    x ^= (x ^ load<u64>(e + 7 * stride)) & m8;
    store<u64>(p, x);
    e += 8;
  }
  nielsCneg(chosen, negMask & 1);
}

/** acc = 16·acc (P3 in, P3 out): the step between phases. */
function times16(): void {
  for (let d = 0; d < DIGIT_BITS - 1; d++) {
    p2Dbl(sum, acc);
    p1p1ToP2(acc, sum);
  }
  p2Dbl(sum, acc);
  p1p1ToP3(acc, sum);
}

/**
 * out = encoding of [s]B for the 32-byte little-endian scalar s < 2^255. Constant-time in s.
 * `out` may alias `s`.
 */
export function baseMulEncode(s: usize, out: usize): void {
  baseTableInit();
  recode(s);
  p3Identity(acc);
  for (let t = PHASES - 1; t >= 0; t--) {
    for (let w = 0; w < BASE_TABLE_WINDOWS; w++) {
      select(w, <i32>load<i8>(digits + <usize>(PHASES * w + t)));
      geMadd(sum, acc, chosen);
      p1p1ToP3(acc, sum);
    }
    if (t > 0) times16();
  }
  p3ToBytes(out, acc);
  // The digits are the secret scalar in another form.
  for (let k = 0; k < DIGITS; k += 8) store<u64>(digits + <usize>k, 0);
}
