// Halving the doublings of a plain verify with a short lattice vector.
//
// The equation is P = [S]B - [k]A - R = 0 (R decoded). For any odd m (0 < m < L):
// [m]P = 0 ⇔ P = 0, because every point has order dividing 8·L and an odd m < L shares
// no factor with it. If r ≡ σ·m·k (mod 8·L) with σ = ±1, then [m·k]A = [σ·r]A exactly,
// for every A including mixed-order keys (8·L kills every point), so
//     [σ·m]P = [σ·m·S]B - [r]A - [σ·m]R,   i.e.   P = 0 ⇔ [u]B - [σ·r]A - [m]R = 0,
// with u = m·S mod L (B has order L). Both r and m are found below 2^128 by running the
// extended Euclidean algorithm on (8·L, k) until the remainder drops below 2^128
// (|t_i| ≤ 8L / r_{i-1} < 2^127.1 then). So the multiplication needs ~128 doublings
// instead of 253, the final inversion becomes a projective identity test, and the only
// extra price is decoding R (one square root) and its table.
//
// Pairs with an even m are not usable (P could hide a torsion component of order 2);
// consecutive t_i are coprime, so when t_i is even the previous pair (r_{i-1}, t_{i-1})
// or the next one has odd t, usually just past the 128-bit mark. Inputs where none fits
// the bit budget (k with an unusually large Euclid quotient near 2^128, e.g. k = L - 1;
// for hash-derived k a fraction of a percent) take the classic path in verify.ts, which
// is slower but gives the same answer.
//
// Variable time (public inputs only). Numbers are 4 little-endian u64 words.

/** Largest scalar length (bits) the short multiplication accepts. */
export const LATTICE_BITS_MAX: i32 = 136;
/** Euclid steps before giving up: each step shrinks the remainder by ≥ 1 bit; 8L has 256. */
const EUCLID_STEPS_MAX: i32 = 300;

// 8·L = 2^255 + 8·27742317777372353535851937790883648493.
const N8L: usize = memory.data<u64>([
  0xc09318d2e7ae9f68, 0xa6f7cef517bce6b2, 0x0000000000000000, 0x8000000000000000,
]);

const bufR0: usize = memory.data(32, 16);
const bufR1: usize = memory.data(32, 16);
const bufT0: usize = memory.data(32, 16);
const bufT1: usize = memory.data(32, 16);
const shiftedR: usize = memory.data(32, 16);
const shiftedT: usize = memory.data(32, 16);

/** Number of significant bits of the 256-bit value at p (0 for zero). */
export function bitLength(p: usize): i32 {
  const w3 = load<u64>(p, 24);
  if (w3 != 0) return 256 - <i32>clz(w3);
  const w2 = load<u64>(p, 16);
  if (w2 != 0) return 192 - <i32>clz(w2);
  const w1 = load<u64>(p, 8);
  if (w1 != 0) return 128 - <i32>clz(w1);
  return 64 - <i32>clz(load<u64>(p, 0));
}

/** dst = src << s (0 ≤ s < 256); bits above 2^256 are dropped (callers keep them zero). */
function shiftLeft(dst: usize, src: usize, s: i32): void {
  const words = s >>> 6;
  const bits = <u64>(s & 63);
  for (let j = 3; j >= 0; j--) {
    const from = j - words;
    let v: u64 = 0;
    if (from >= 0) {
      v = load<u64>(src + (<usize>from << 3)) << bits;
      if (bits != 0 && from >= 1) v |= load<u64>(src + (<usize>(from - 1) << 3)) >> (64 - bits);
    }
    store<u64>(dst + (<usize>j << 3), v);
  }
}

/** p >>= 1 */
@inline function shiftRight1(p: usize): void {
  const w0 = load<u64>(p, 0), w1 = load<u64>(p, 8), w2 = load<u64>(p, 16), w3 = load<u64>(p, 24);
  store<u64>(p, (w0 >> 1) | (w1 << 63), 0);
  store<u64>(p, (w1 >> 1) | (w2 << 63), 8);
  store<u64>(p, (w2 >> 1) | (w3 << 63), 16);
  store<u64>(p, w3 >> 1, 24);
}

/** a ≥ b */
@inline function atLeast(a: usize, b: usize): bool {
  let x = load<u64>(a, 24), y = load<u64>(b, 24);
  if (x != y) return x > y;
  x = load<u64>(a, 16); y = load<u64>(b, 16);
  if (x != y) return x > y;
  x = load<u64>(a, 8); y = load<u64>(b, 8);
  if (x != y) return x > y;
  return load<u64>(a, 0) >= load<u64>(b, 0);
}

/** a -= b (a ≥ b); straight-line words (a loop costs twice the interpreted instructions). */
@inline function subtract(a: usize, b: usize): void {
  const x0 = load<u64>(a, 0), y0 = load<u64>(b, 0);
  const x1 = load<u64>(a, 8), y1 = load<u64>(b, 8);
  const x2 = load<u64>(a, 16), y2 = load<u64>(b, 16);
  const b0 = <u64>(x0 < y0);
  const d1 = x1 - y1;
  const b1 = <u64>(x1 < y1) | <u64>(d1 < b0);
  const d2 = x2 - y2;
  const b2 = <u64>(x2 < y2) | <u64>(d2 < b1);
  store<u64>(a, x0 - y0, 0);
  store<u64>(a, d1 - b0, 8);
  store<u64>(a, d2 - b1, 16);
  store<u64>(a, load<u64>(a, 24) - load<u64>(b, 24) - b2, 24);
}

/** a += b (no overflow: callers' values stay below 2^256); straight-line words. */
@inline function add(a: usize, b: usize): void {
  const s0 = load<u64>(a, 0) + load<u64>(b, 0);
  const c0 = <u64>(s0 < load<u64>(b, 0));
  const t1 = load<u64>(a, 8) + load<u64>(b, 8);
  const s1 = t1 + c0;
  const c1 = <u64>(t1 < load<u64>(b, 8)) | <u64>(s1 < c0);
  const t2 = load<u64>(a, 16) + load<u64>(b, 16);
  const s2 = t2 + c1;
  const c2 = <u64>(t2 < load<u64>(b, 16)) | <u64>(s2 < c1);
  store<u64>(a, s0, 0);
  store<u64>(a, s1, 8);
  store<u64>(a, s2, 16);
  store<u64>(a, load<u64>(a, 24) + load<u64>(b, 24) + c2, 24);
}

@inline function copy32(dst: usize, src: usize): void {
  store<u64>(dst, load<u64>(src, 0), 0); store<u64>(dst, load<u64>(src, 8), 8);
  store<u64>(dst, load<u64>(src, 16), 16); store<u64>(dst, load<u64>(src, 24), 24);
}

/**
 * Finds r, m < 2^LATTICE_BITS_MAX with m odd and r ≡ σ·m·k (mod 8L) for the 32-byte
 * scalar k < L. Writes r and m (32 bytes each) and returns σ (+1 or -1), or 0 when no
 * suitable pair was found (the caller then uses the classic multiplication).
 */
export function shortLatticeVector(k: usize, rOut: usize, mOut: usize): i32 {
  let r0 = bufR0, r1 = bufR1, t0 = bufT0, t1 = bufT1;
  copy32(r0, N8L);
  copy32(r1, k);
  store<u64>(t0, 0, 0); store<u64>(t0, 0, 8); store<u64>(t0, 0, 16); store<u64>(t0, 0, 24);
  store<u64>(t1, 1, 0); store<u64>(t1, 0, 8); store<u64>(t1, 0, 16); store<u64>(t1, 0, 24);
  // Invariant: r0 ≡ σ0·t0·k, r1 ≡ σ1·t1·k (mod 8L), σ0 = -σ1, r0 > r1, t0 ≤ t1.
  let sigma1: i32 = 1;
  let steps = 0;
  while (bitLength(r1) > 128) {
    if (++steps > EUCLID_STEPS_MAX) return 0;
    euclidStep(r0, r1, t0, t1);
    const r = r0; r0 = r1; r1 = r;
    const t = t0; t0 = t1; t1 = t;
    sigma1 = -sigma1;
  }
  // (r1, t1) is the short vector; when t1 is even, t0 is odd (consecutive t are coprime),
  // so (r0, t0) or the next pair (r2, t2 = t0 + q·t1, odd) serves if short enough.
  if ((load<u8>(t1) & 1) == 0) {
    if (bitLength(r0) <= LATTICE_BITS_MAX) {
      const r = r0; r0 = r1; r1 = r;
      const t = t0; t0 = t1; t1 = t;
      sigma1 = -sigma1;
    } else if (bitLength(r1) != 0) {
      euclidStep(r0, r1, t0, t1);
      const r = r0; r0 = r1; r1 = r;
      const t = t0; t0 = t1; t1 = t;
      sigma1 = -sigma1;
    }
  }
  if ((load<u8>(t1) & 1) == 0) return 0;
  if (bitLength(r1) > LATTICE_BITS_MAX || bitLength(t1) > LATTICE_BITS_MAX) return 0;
  copy32(rOut, r1);
  copy32(mOut, t1);
  return sigma1;
}

/** Bit-length gap handled by repeated subtraction: r0 < 2^(d+1)·r1 when the bit lengths
 *  differ by d, so at most 2^(d+1) - 1 subtractions; most Euclid quotients are 1 to 3.
 *  Counted on the device core (tools/xtensa): the search costs 0.69 M instructions with a
 *  gap of 2, 0.75 M with 1, 0.71 M with 3, 1.17 M by long division alone. */
const SUBTRACT_BITS_MAX: i32 = 2;

/** r0 := r0 mod r1, t0 := t0 + q·t1 (q = floor(r0 / r1), r1 ≠ 0): small quotients by
 *  repeated subtraction, larger ones by binary long division; either gives the same q. */
function euclidStep(r0: usize, r1: usize, t0: usize, t1: usize): void {
  let s = bitLength(r0) - bitLength(r1);
  if (s <= SUBTRACT_BITS_MAX) {
    while (atLeast(r0, r1)) { subtract(r0, r1); add(t0, t1); }
    return;
  }
  shiftLeft(shiftedR, r1, s);
  shiftLeft(shiftedT, t1, s);
  while (true) {
    if (atLeast(r0, shiftedR)) { subtract(r0, shiftedR); add(t0, shiftedT); }
    if (s == 0) break;
    s--;
    shiftRight1(shiftedR);
    shiftRight1(shiftedT);
  }
}
