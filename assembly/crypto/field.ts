// Arithmetic in GF(p), p = 2^255 - 19, for Ed25519.
//
// Representation (ref10 / fiat-crypto 32-bit style): an element is ten limbs
// h0..h9 with h = h0 + h1·2^26 + h2·2^51 + h3·2^77 + h4·2^102 + h5·2^128 + h6·2^153
//                 + h7·2^179 + h8·2^204 + h9·2^230   (26/25 bits alternating).
// Products are formed in i64 (100 multiplies for a product, 55 for a square) and
// carried back to limbs of 26/25 bits with the ref10 interleaved carry order.
//
// Storage: each limb is an i32 in linear memory (FE_BYTES = 40), read with
// i64.load32_s and written with i64.store32. Those are single wasm instructions, so the
// i32 layout executes the same operations as i64 limbs. Measured with the same code in
// both layouts: under WASM3 no difference (feMul 0.47 µs, verify 1.24 ms either way); in
// V8 i64 limbs were ~3 % faster per verify; but i64 doubles every point and table (the
// verify tables would grow from 32 KiB to 64 KiB, over their 40 KiB budget), so i32 it is.
//
// Carries use floor division (arithmetic shift, then mask), which is three
// operations per limb instead of ref10's five for the rounding form. Bounds, with
// "reduced" meaning the output of feMul/feSq/feCarry (even limbs in [0, 2^26), odd in
// [0, 2^25) plus a carry of a few units on h1):
//   - inputs to feMul/feSq may be sums or differences of up to three reduced values
//     (even limbs |x| < 1.5·2^27, odd |x| < 1.5·2^26); the largest column sum is then
//     below 2^62.1, inside i64. Every point formula in point.ts stays within this.
//   - feAdd/feSub/feNeg do no carrying; their outputs must be fed to a product or to
//     feCarry before being added again more than the bound above allows.
// Constant time: every function here runs in data-independent time (feIsZero, feEqual and
// feIsNegative return data-dependent values, but compute them without branches).
//
// All functions take pointers to elements in linear memory; outputs may alias inputs.
// Scratch elements are static (no allocation); none of these functions is re-entrant
// across the scratch of feInvert/fePow22523 (the firmware is single-threaded).

/** Bytes of one field element in memory (ten i32 limbs). */
export const FE_BYTES: i32 = 40;
/** Bytes of an encoded field element. */
export const FE_ENCODED_BYTES: i32 = 32;

const M26: i64 = 0x3ffffff;
const M25: i64 = 0x1ffffff;

// Constants as limbs (computed from their definitions with exact integer arithmetic).
/** d = -121665/121666 of the twisted Edwards curve. */
export const FE_D: usize = memory.data<i32>([
  56195235, 13857412, 51736253, 6949390, 114729, 24766616, 60832955, 30306712, 48412415, 21499315,
]);
/** 2·d, used in the cached/niels forms. */
export const FE_D2: usize = memory.data<i32>([
  45281625, 27714825, 36363642, 13898781, 229458, 15978800, 54557047, 27058993, 29715967, 9444199,
]);
/** sqrt(-1) = 2^((p-1)/4), used by decompression. */
export const FE_SQRTM1: usize = memory.data<i32>([
  34513072, 25610706, 9377949, 3500415, 12389472, 33281959, 41962654, 31548777, 326685, 11406482,
]);

// Scratch for feInvert / fePow22523 / feToBytes.
const t0: usize = memory.data(FE_BYTES, 8);
const t1: usize = memory.data(FE_BYTES, 8);
const t2: usize = memory.data(FE_BYTES, 8);
const t3: usize = memory.data(FE_BYTES, 8);
const bytesTmp: usize = memory.data(32, 8);

/** h = 0 */
export function feZero(h: usize): void {
  store<u64>(h, 0, 0); store<u64>(h, 0, 8); store<u64>(h, 0, 16); store<u64>(h, 0, 24);
  store<u64>(h, 0, 32);
}

/** h = 1 */
export function feOne(h: usize): void {
  store<u64>(h, 1, 0); store<u64>(h, 0, 8); store<u64>(h, 0, 16); store<u64>(h, 0, 24);
  store<u64>(h, 0, 32);
}

/** h = f */
export function feCopy(h: usize, f: usize): void {
  store<u64>(h, load<u64>(f, 0), 0); store<u64>(h, load<u64>(f, 8), 8);
  store<u64>(h, load<u64>(f, 16), 16); store<u64>(h, load<u64>(f, 24), 24);
  store<u64>(h, load<u64>(f, 32), 32);
}

/** h = f + g (no carry). */
export function feAdd(h: usize, f: usize, g: usize): void {
  store<i32>(h, load<i32>(f, 0) + load<i32>(g, 0), 0);
  store<i32>(h, load<i32>(f, 4) + load<i32>(g, 4), 4);
  store<i32>(h, load<i32>(f, 8) + load<i32>(g, 8), 8);
  store<i32>(h, load<i32>(f, 12) + load<i32>(g, 12), 12);
  store<i32>(h, load<i32>(f, 16) + load<i32>(g, 16), 16);
  store<i32>(h, load<i32>(f, 20) + load<i32>(g, 20), 20);
  store<i32>(h, load<i32>(f, 24) + load<i32>(g, 24), 24);
  store<i32>(h, load<i32>(f, 28) + load<i32>(g, 28), 28);
  store<i32>(h, load<i32>(f, 32) + load<i32>(g, 32), 32);
  store<i32>(h, load<i32>(f, 36) + load<i32>(g, 36), 36);
}

/** h = f - g (no carry; limbs may become negative, which every consumer accepts). */
export function feSub(h: usize, f: usize, g: usize): void {
  store<i32>(h, load<i32>(f, 0) - load<i32>(g, 0), 0);
  store<i32>(h, load<i32>(f, 4) - load<i32>(g, 4), 4);
  store<i32>(h, load<i32>(f, 8) - load<i32>(g, 8), 8);
  store<i32>(h, load<i32>(f, 12) - load<i32>(g, 12), 12);
  store<i32>(h, load<i32>(f, 16) - load<i32>(g, 16), 16);
  store<i32>(h, load<i32>(f, 20) - load<i32>(g, 20), 20);
  store<i32>(h, load<i32>(f, 24) - load<i32>(g, 24), 24);
  store<i32>(h, load<i32>(f, 28) - load<i32>(g, 28), 28);
  store<i32>(h, load<i32>(f, 32) - load<i32>(g, 32), 32);
  store<i32>(h, load<i32>(f, 36) - load<i32>(g, 36), 36);
}

/**
 * s = f + g and d = f - g in one pass (no carry): the point formulas take sums and
 * differences of the same two elements, and one pass reads each limb once (under WASM3
 * ~80 interpreted instructions instead of ~110 for feAdd and feSub). Each limb is read
 * before either output limb is written, so s or d may alias f or g.
 */
export function feAddSub(s: usize, d: usize, f: usize, g: usize): void {
  let a: i32, b: i32;
  a = load<i32>(f, 0); b = load<i32>(g, 0); store<i32>(s, a + b, 0); store<i32>(d, a - b, 0);
  a = load<i32>(f, 4); b = load<i32>(g, 4); store<i32>(s, a + b, 4); store<i32>(d, a - b, 4);
  a = load<i32>(f, 8); b = load<i32>(g, 8); store<i32>(s, a + b, 8); store<i32>(d, a - b, 8);
  a = load<i32>(f, 12); b = load<i32>(g, 12); store<i32>(s, a + b, 12); store<i32>(d, a - b, 12);
  a = load<i32>(f, 16); b = load<i32>(g, 16); store<i32>(s, a + b, 16); store<i32>(d, a - b, 16);
  a = load<i32>(f, 20); b = load<i32>(g, 20); store<i32>(s, a + b, 20); store<i32>(d, a - b, 20);
  a = load<i32>(f, 24); b = load<i32>(g, 24); store<i32>(s, a + b, 24); store<i32>(d, a - b, 24);
  a = load<i32>(f, 28); b = load<i32>(g, 28); store<i32>(s, a + b, 28); store<i32>(d, a - b, 28);
  a = load<i32>(f, 32); b = load<i32>(g, 32); store<i32>(s, a + b, 32); store<i32>(d, a - b, 32);
  a = load<i32>(f, 36); b = load<i32>(g, 36); store<i32>(s, a + b, 36); store<i32>(d, a - b, 36);
}

/** s = 2f + g and d = 2f - g in one pass (no carry): the addition formulas' D ± C with
 *  D = 2·Z1·Z2. Same aliasing rule as feAddSub. */
export function feAddSub2(s: usize, d: usize, f: usize, g: usize): void {
  let a: i32, b: i32;
  a = load<i32>(f, 0) << 1; b = load<i32>(g, 0);
  store<i32>(s, a + b, 0); store<i32>(d, a - b, 0);
  a = load<i32>(f, 4) << 1; b = load<i32>(g, 4);
  store<i32>(s, a + b, 4); store<i32>(d, a - b, 4);
  a = load<i32>(f, 8) << 1; b = load<i32>(g, 8);
  store<i32>(s, a + b, 8); store<i32>(d, a - b, 8);
  a = load<i32>(f, 12) << 1; b = load<i32>(g, 12);
  store<i32>(s, a + b, 12); store<i32>(d, a - b, 12);
  a = load<i32>(f, 16) << 1; b = load<i32>(g, 16);
  store<i32>(s, a + b, 16); store<i32>(d, a - b, 16);
  a = load<i32>(f, 20) << 1; b = load<i32>(g, 20);
  store<i32>(s, a + b, 20); store<i32>(d, a - b, 20);
  a = load<i32>(f, 24) << 1; b = load<i32>(g, 24);
  store<i32>(s, a + b, 24); store<i32>(d, a - b, 24);
  a = load<i32>(f, 28) << 1; b = load<i32>(g, 28);
  store<i32>(s, a + b, 28); store<i32>(d, a - b, 28);
  a = load<i32>(f, 32) << 1; b = load<i32>(g, 32);
  store<i32>(s, a + b, 32); store<i32>(d, a - b, 32);
  a = load<i32>(f, 36) << 1; b = load<i32>(g, 36);
  store<i32>(s, a + b, 36); store<i32>(d, a - b, 36);
}

/** h = -f (no carry). */
export function feNeg(h: usize, f: usize): void {
  store<i32>(h, -load<i32>(f, 0), 0);
  store<i32>(h, -load<i32>(f, 4), 4);
  store<i32>(h, -load<i32>(f, 8), 8);
  store<i32>(h, -load<i32>(f, 12), 12);
  store<i32>(h, -load<i32>(f, 16), 16);
  store<i32>(h, -load<i32>(f, 20), 20);
  store<i32>(h, -load<i32>(f, 24), 24);
  store<i32>(h, -load<i32>(f, 28), 28);
  store<i32>(h, -load<i32>(f, 32), 32);
  store<i32>(h, -load<i32>(f, 36), 36);
}

/** f = b ? g : f, in constant time (b must be 0 or 1). */
export function feCmov(f: usize, g: usize, b: i32): void {
  const mask = -b;
  for (let i: usize = 0; i < <usize>FE_BYTES; i += 4) {
    const x = load<i32>(f + i);
    store<i32>(f + i, x ^ ((x ^ load<i32>(g + i)) & mask));
  }
}

/** f = b ? -f : f, in constant time (b must be 0 or 1). */
export function feCneg(f: usize, b: i32): void {
  const mask = -b;
  for (let i: usize = 0; i < <usize>FE_BYTES; i += 4) {
    const x = load<i32>(f + i);
    store<i32>(f + i, x ^ ((x ^ -x) & mask));
  }
}

/** h = f with limbs carried back to 26/25 bits (value unchanged mod p). */
export function feCarry(h: usize, f: usize): void {
  let h0 = i64.load32_s(f, 0), h1 = i64.load32_s(f, 4), h2 = i64.load32_s(f, 8);
  let h3 = i64.load32_s(f, 12), h4 = i64.load32_s(f, 16), h5 = i64.load32_s(f, 20);
  let h6 = i64.load32_s(f, 24), h7 = i64.load32_s(f, 28), h8 = i64.load32_s(f, 32);
  let h9 = i64.load32_s(f, 36);
  let c: i64;
  c = h0 >> 26; h1 += c; h0 &= M26;
  c = h4 >> 26; h5 += c; h4 &= M26;
  c = h1 >> 25; h2 += c; h1 &= M25;
  c = h5 >> 25; h6 += c; h5 &= M25;
  c = h2 >> 26; h3 += c; h2 &= M26;
  c = h6 >> 26; h7 += c; h6 &= M26;
  c = h3 >> 25; h4 += c; h3 &= M25;
  c = h7 >> 25; h8 += c; h7 &= M25;
  c = h4 >> 26; h5 += c; h4 &= M26;
  c = h8 >> 26; h9 += c; h8 &= M26;
  c = h9 >> 25; h0 += c * 19; h9 &= M25;
  c = h0 >> 26; h1 += c; h0 &= M26;
  i64.store32(h, h0, 0); i64.store32(h, h1, 4); i64.store32(h, h2, 8); i64.store32(h, h3, 12);
  i64.store32(h, h4, 16); i64.store32(h, h5, 20); i64.store32(h, h6, 24); i64.store32(h, h7, 28);
  i64.store32(h, h8, 32); i64.store32(h, h9, 36);
}

/** h = f·g */
export function feMul(h: usize, f: usize, g: usize): void {
  const f0 = i64.load32_s(f, 0), f1 = i64.load32_s(f, 4), f2 = i64.load32_s(f, 8);
  const f3 = i64.load32_s(f, 12), f4 = i64.load32_s(f, 16), f5 = i64.load32_s(f, 20);
  const f6 = i64.load32_s(f, 24), f7 = i64.load32_s(f, 28), f8 = i64.load32_s(f, 32);
  const f9 = i64.load32_s(f, 36);
  const g0 = i64.load32_s(g, 0), g1 = i64.load32_s(g, 4), g2 = i64.load32_s(g, 8);
  const g3 = i64.load32_s(g, 12), g4 = i64.load32_s(g, 16), g5 = i64.load32_s(g, 20);
  const g6 = i64.load32_s(g, 24), g7 = i64.load32_s(g, 28), g8 = i64.load32_s(g, 32);
  const g9 = i64.load32_s(g, 36);
  // Odd limbs sit half a bit lower than their weight: odd × odd products count twice.
  const f1_2 = f1 << 1, f3_2 = f3 << 1, f5_2 = f5 << 1, f7_2 = f7 << 1, f9_2 = f9 << 1;
  // Column k = its own products (i ≤ k) + 19 × the products that wrap past 2^255 (i > k),
  // the wrapped part summed first and multiplied by 19 once: the same 100 products with
  // nine fewer interpreted instructions than 19× copies of g (bounds: field.ts header).
  let h0 = f0 * g0 + 19 * (f1_2 * g9 + f2 * g8 + f3_2 * g7 + f4 * g6 + f5_2 * g5 + f6 * g4
      + f7_2 * g3 + f8 * g2 + f9_2 * g1);
  let h1 = f0 * g1 + f1 * g0 + 19 * (f2 * g9 + f3 * g8 + f4 * g7 + f5 * g6 + f6 * g5 + f7 * g4
      + f8 * g3 + f9 * g2);
  let h2 = f0 * g2 + f1_2 * g1 + f2 * g0 + 19 * (f3_2 * g9 + f4 * g8 + f5_2 * g7 + f6 * g6
      + f7_2 * g5 + f8 * g4 + f9_2 * g3);
  let h3 = f0 * g3 + f1 * g2 + f2 * g1 + f3 * g0 + 19 * (f4 * g9 + f5 * g8 + f6 * g7 + f7 * g6
      + f8 * g5 + f9 * g4);
  let h4 = f0 * g4 + f1_2 * g3 + f2 * g2 + f3_2 * g1 + f4 * g0 + 19 * (f5_2 * g9 + f6 * g8
      + f7_2 * g7 + f8 * g6 + f9_2 * g5);
  let h5 = f0 * g5 + f1 * g4 + f2 * g3 + f3 * g2 + f4 * g1 + f5 * g0 + 19 * (f6 * g9 + f7 * g8
      + f8 * g7 + f9 * g6);
  let h6 = f0 * g6 + f1_2 * g5 + f2 * g4 + f3_2 * g3 + f4 * g2 + f5_2 * g1 + f6 * g0
      + 19 * (f7_2 * g9 + f8 * g8 + f9_2 * g7);
  let h7 = f0 * g7 + f1 * g6 + f2 * g5 + f3 * g4 + f4 * g3 + f5 * g2 + f6 * g1 + f7 * g0
      + 19 * (f8 * g9 + f9 * g8);
  let h8 = f0 * g8 + f1_2 * g7 + f2 * g6 + f3_2 * g5 + f4 * g4 + f5_2 * g3 + f6 * g2 + f7_2 * g1
      + f8 * g0 + 19 * (f9_2 * g9);
  let h9 = f0 * g9 + f1 * g8 + f2 * g7 + f3 * g6 + f4 * g5 + f5 * g4 + f6 * g3 + f7 * g2 + f8 * g1
      + f9 * g0;

  let c: i64;
  c = h0 >> 26; h1 += c; h0 &= M26;
  c = h4 >> 26; h5 += c; h4 &= M26;
  c = h1 >> 25; h2 += c; h1 &= M25;
  c = h5 >> 25; h6 += c; h5 &= M25;
  c = h2 >> 26; h3 += c; h2 &= M26;
  c = h6 >> 26; h7 += c; h6 &= M26;
  c = h3 >> 25; h4 += c; h3 &= M25;
  c = h7 >> 25; h8 += c; h7 &= M25;
  c = h4 >> 26; h5 += c; h4 &= M26;
  c = h8 >> 26; h9 += c; h8 &= M26;
  c = h9 >> 25; h0 += c * 19; h9 &= M25;
  c = h0 >> 26; h1 += c; h0 &= M26;
  i64.store32(h, h0, 0); i64.store32(h, h1, 4); i64.store32(h, h2, 8); i64.store32(h, h3, 12);
  i64.store32(h, h4, 16); i64.store32(h, h5, 20); i64.store32(h, h6, 24); i64.store32(h, h7, 28);
  i64.store32(h, h8, 32); i64.store32(h, h9, 36);
}

/**
 * h = f^(2^n) for n ≥ 1: n squarings with the limbs kept in locals between rounds
 * (exponent chains of feInvert/fePow22523 are mostly long runs of squarings).
 */
export function feSqN(h: usize, f: usize, n: i32): void {
  let f0 = i64.load32_s(f, 0), f1 = i64.load32_s(f, 4), f2 = i64.load32_s(f, 8);
  let f3 = i64.load32_s(f, 12), f4 = i64.load32_s(f, 16), f5 = i64.load32_s(f, 20);
  let f6 = i64.load32_s(f, 24), f7 = i64.load32_s(f, 28), f8 = i64.load32_s(f, 32);
  let f9 = i64.load32_s(f, 36);
  do {
    const f0_2 = f0 << 1, f1_2 = f1 << 1, f2_2 = f2 << 1, f3_2 = f3 << 1;
    const f4_2 = f4 << 1, f5_2 = f5 << 1, f6_2 = f6 << 1, f7_2 = f7 << 1;
    const f5_38 = f5 * 38, f6_19 = f6 * 19, f7_38 = f7 * 38, f8_19 = f8 * 19, f9_38 = f9 * 38;
    let h0 = f0 * f0 + f1_2 * f9_38 + f2_2 * f8_19 + f3_2 * f7_38 + f4_2 * f6_19 + f5 * f5_38;
    let h1 = f0_2 * f1 + f2 * f9_38 + f3_2 * f8_19 + f4 * f7_38 + f5_2 * f6_19;
    let h2 = f0_2 * f2 + f1_2 * f1 + f3_2 * f9_38 + f4_2 * f8_19 + f5_2 * f7_38 + f6 * f6_19;
    let h3 = f0_2 * f3 + f1_2 * f2 + f4 * f9_38 + f5_2 * f8_19 + f6 * f7_38;
    let h4 = f0_2 * f4 + f1_2 * f3_2 + f2 * f2 + f5_2 * f9_38 + f6_2 * f8_19 + f7 * f7_38;
    let h5 = f0_2 * f5 + f1_2 * f4 + f2_2 * f3 + f6 * f9_38 + f7_2 * f8_19;
    let h6 = f0_2 * f6 + f1_2 * f5_2 + f2_2 * f4 + f3_2 * f3 + f7_2 * f9_38 + f8 * f8_19;
    let h7 = f0_2 * f7 + f1_2 * f6 + f2_2 * f5 + f3_2 * f4 + f8 * f9_38;
    let h8 = f0_2 * f8 + f1_2 * f7_2 + f2_2 * f6 + f3_2 * f5_2 + f4 * f4 + f9 * f9_38;
    let h9 = f0_2 * f9 + f1_2 * f8 + f2_2 * f7 + f3_2 * f6 + f4_2 * f5;
    let c: i64;
    c = h0 >> 26; h1 += c; h0 &= M26;
    c = h4 >> 26; h5 += c; h4 &= M26;
    c = h1 >> 25; h2 += c; h1 &= M25;
    c = h5 >> 25; h6 += c; h5 &= M25;
    c = h2 >> 26; h3 += c; h2 &= M26;
    c = h6 >> 26; h7 += c; h6 &= M26;
    c = h3 >> 25; h4 += c; h3 &= M25;
    c = h7 >> 25; h8 += c; h7 &= M25;
    c = h4 >> 26; h5 += c; h4 &= M26;
    c = h8 >> 26; h9 += c; h8 &= M26;
    c = h9 >> 25; h0 += c * 19; h9 &= M25;
    c = h0 >> 26; h1 += c; h0 &= M26;
    f0 = h0; f1 = h1; f2 = h2; f3 = h3; f4 = h4; f5 = h5; f6 = h6; f7 = h7; f8 = h8; f9 = h9;
  } while (--n > 0);
  i64.store32(h, f0, 0); i64.store32(h, f1, 4); i64.store32(h, f2, 8); i64.store32(h, f3, 12);
  i64.store32(h, f4, 16); i64.store32(h, f5, 20); i64.store32(h, f6, 24); i64.store32(h, f7, 28);
  i64.store32(h, f8, 32); i64.store32(h, f9, 36);
}

/** h = f² (feSqN's body without its loop: single squarings are most of a verify's, and the
 *  loop's copies between rounds cost 15 interpreted instructions of ~280 per squaring). */
export function feSq(h: usize, f: usize): void {
  const f0 = i64.load32_s(f, 0), f1 = i64.load32_s(f, 4), f2 = i64.load32_s(f, 8);
  const f3 = i64.load32_s(f, 12), f4 = i64.load32_s(f, 16), f5 = i64.load32_s(f, 20);
  const f6 = i64.load32_s(f, 24), f7 = i64.load32_s(f, 28), f8 = i64.load32_s(f, 32);
  const f9 = i64.load32_s(f, 36);
  const f0_2 = f0 << 1, f1_2 = f1 << 1, f2_2 = f2 << 1, f3_2 = f3 << 1;
  const f4_2 = f4 << 1, f5_2 = f5 << 1, f6_2 = f6 << 1, f7_2 = f7 << 1;
  const f5_38 = f5 * 38, f6_19 = f6 * 19, f7_38 = f7 * 38, f8_19 = f8 * 19, f9_38 = f9 * 38;
  let h0 = f0 * f0 + f1_2 * f9_38 + f2_2 * f8_19 + f3_2 * f7_38 + f4_2 * f6_19 + f5 * f5_38;
  let h1 = f0_2 * f1 + f2 * f9_38 + f3_2 * f8_19 + f4 * f7_38 + f5_2 * f6_19;
  let h2 = f0_2 * f2 + f1_2 * f1 + f3_2 * f9_38 + f4_2 * f8_19 + f5_2 * f7_38 + f6 * f6_19;
  let h3 = f0_2 * f3 + f1_2 * f2 + f4 * f9_38 + f5_2 * f8_19 + f6 * f7_38;
  let h4 = f0_2 * f4 + f1_2 * f3_2 + f2 * f2 + f5_2 * f9_38 + f6_2 * f8_19 + f7 * f7_38;
  let h5 = f0_2 * f5 + f1_2 * f4 + f2_2 * f3 + f6 * f9_38 + f7_2 * f8_19;
  let h6 = f0_2 * f6 + f1_2 * f5_2 + f2_2 * f4 + f3_2 * f3 + f7_2 * f9_38 + f8 * f8_19;
  let h7 = f0_2 * f7 + f1_2 * f6 + f2_2 * f5 + f3_2 * f4 + f8 * f9_38;
  let h8 = f0_2 * f8 + f1_2 * f7_2 + f2_2 * f6 + f3_2 * f5_2 + f4 * f4 + f9 * f9_38;
  let h9 = f0_2 * f9 + f1_2 * f8 + f2_2 * f7 + f3_2 * f6 + f4_2 * f5;
  let c: i64;
  c = h0 >> 26; h1 += c; h0 &= M26;
  c = h4 >> 26; h5 += c; h4 &= M26;
  c = h1 >> 25; h2 += c; h1 &= M25;
  c = h5 >> 25; h6 += c; h5 &= M25;
  c = h2 >> 26; h3 += c; h2 &= M26;
  c = h6 >> 26; h7 += c; h6 &= M26;
  c = h3 >> 25; h4 += c; h3 &= M25;
  c = h7 >> 25; h8 += c; h7 &= M25;
  c = h4 >> 26; h5 += c; h4 &= M26;
  c = h8 >> 26; h9 += c; h8 &= M26;
  c = h9 >> 25; h0 += c * 19; h9 &= M25;
  c = h0 >> 26; h1 += c; h0 &= M26;
  i64.store32(h, h0, 0); i64.store32(h, h1, 4); i64.store32(h, h2, 8); i64.store32(h, h3, 12);
  i64.store32(h, h4, 16); i64.store32(h, h5, 20); i64.store32(h, h6, 24); i64.store32(h, h7, 28);
  i64.store32(h, h8, 32); i64.store32(h, h9, 36);
}

/** h = 2·f² (the doubling formula needs 2Z²; doubling before the carry is free). */
export function feSq2(h: usize, f: usize): void {
  const f0 = i64.load32_s(f, 0), f1 = i64.load32_s(f, 4), f2 = i64.load32_s(f, 8);
  const f3 = i64.load32_s(f, 12), f4 = i64.load32_s(f, 16), f5 = i64.load32_s(f, 20);
  const f6 = i64.load32_s(f, 24), f7 = i64.load32_s(f, 28), f8 = i64.load32_s(f, 32);
  const f9 = i64.load32_s(f, 36);
  const f0_2 = f0 << 1, f1_2 = f1 << 1, f2_2 = f2 << 1, f3_2 = f3 << 1;
  const f4_2 = f4 << 1, f5_2 = f5 << 1, f6_2 = f6 << 1, f7_2 = f7 << 1;
  const f5_38 = f5 * 38, f6_19 = f6 * 19, f7_38 = f7 * 38, f8_19 = f8 * 19, f9_38 = f9 * 38;
  let h0 = f0 * f0 + f1_2 * f9_38 + f2_2 * f8_19 + f3_2 * f7_38 + f4_2 * f6_19 + f5 * f5_38;
  let h1 = f0_2 * f1 + f2 * f9_38 + f3_2 * f8_19 + f4 * f7_38 + f5_2 * f6_19;
  let h2 = f0_2 * f2 + f1_2 * f1 + f3_2 * f9_38 + f4_2 * f8_19 + f5_2 * f7_38 + f6 * f6_19;
  let h3 = f0_2 * f3 + f1_2 * f2 + f4 * f9_38 + f5_2 * f8_19 + f6 * f7_38;
  let h4 = f0_2 * f4 + f1_2 * f3_2 + f2 * f2 + f5_2 * f9_38 + f6_2 * f8_19 + f7 * f7_38;
  let h5 = f0_2 * f5 + f1_2 * f4 + f2_2 * f3 + f6 * f9_38 + f7_2 * f8_19;
  let h6 = f0_2 * f6 + f1_2 * f5_2 + f2_2 * f4 + f3_2 * f3 + f7_2 * f9_38 + f8 * f8_19;
  let h7 = f0_2 * f7 + f1_2 * f6 + f2_2 * f5 + f3_2 * f4 + f8 * f9_38;
  let h8 = f0_2 * f8 + f1_2 * f7_2 + f2_2 * f6 + f3_2 * f5_2 + f4 * f4 + f9 * f9_38;
  let h9 = f0_2 * f9 + f1_2 * f8 + f2_2 * f7 + f3_2 * f6 + f4_2 * f5;
  h0 <<= 1; h1 <<= 1; h2 <<= 1; h3 <<= 1; h4 <<= 1;
  h5 <<= 1; h6 <<= 1; h7 <<= 1; h8 <<= 1; h9 <<= 1;
  let c: i64;
  c = h0 >> 26; h1 += c; h0 &= M26;
  c = h4 >> 26; h5 += c; h4 &= M26;
  c = h1 >> 25; h2 += c; h1 &= M25;
  c = h5 >> 25; h6 += c; h5 &= M25;
  c = h2 >> 26; h3 += c; h2 &= M26;
  c = h6 >> 26; h7 += c; h6 &= M26;
  c = h3 >> 25; h4 += c; h3 &= M25;
  c = h7 >> 25; h8 += c; h7 &= M25;
  c = h4 >> 26; h5 += c; h4 &= M26;
  c = h8 >> 26; h9 += c; h8 &= M26;
  c = h9 >> 25; h0 += c * 19; h9 &= M25;
  c = h0 >> 26; h1 += c; h0 &= M26;
  i64.store32(h, h0, 0); i64.store32(h, h1, 4); i64.store32(h, h2, 8); i64.store32(h, h3, 12);
  i64.store32(h, h4, 16); i64.store32(h, h5, 20); i64.store32(h, h6, 24); i64.store32(h, h7, 28);
  i64.store32(h, h8, 32); i64.store32(h, h9, 36);
}

/**
 * h = (f + g)² - k, carried: the doubling's 2XY = (X+Y)² - (YY+XX) in one call, instead
 * of an add pass, a squaring and a subtract pass (k is subtracted from the column sums
 * before the carry). f and g must be reduced; k at most a sum or difference of two
 * reduced values (its limbs are tiny beside the columns). h may alias any input.
 */
export function feSqSumSub(h: usize, f: usize, g: usize, k: usize): void {
  const f0 = i64.load32_s(f, 0) + i64.load32_s(g, 0);
  const f1 = i64.load32_s(f, 4) + i64.load32_s(g, 4);
  const f2 = i64.load32_s(f, 8) + i64.load32_s(g, 8);
  const f3 = i64.load32_s(f, 12) + i64.load32_s(g, 12);
  const f4 = i64.load32_s(f, 16) + i64.load32_s(g, 16);
  const f5 = i64.load32_s(f, 20) + i64.load32_s(g, 20);
  const f6 = i64.load32_s(f, 24) + i64.load32_s(g, 24);
  const f7 = i64.load32_s(f, 28) + i64.load32_s(g, 28);
  const f8 = i64.load32_s(f, 32) + i64.load32_s(g, 32);
  const f9 = i64.load32_s(f, 36) + i64.load32_s(g, 36);
  const f0_2 = f0 << 1, f1_2 = f1 << 1, f2_2 = f2 << 1, f3_2 = f3 << 1;
  const f4_2 = f4 << 1, f5_2 = f5 << 1, f6_2 = f6 << 1, f7_2 = f7 << 1;
  const f5_38 = f5 * 38, f6_19 = f6 * 19, f7_38 = f7 * 38, f8_19 = f8 * 19, f9_38 = f9 * 38;
  let h0 = f0 * f0 + f1_2 * f9_38 + f2_2 * f8_19 + f3_2 * f7_38 + f4_2 * f6_19 + f5 * f5_38;
  let h1 = f0_2 * f1 + f2 * f9_38 + f3_2 * f8_19 + f4 * f7_38 + f5_2 * f6_19;
  let h2 = f0_2 * f2 + f1_2 * f1 + f3_2 * f9_38 + f4_2 * f8_19 + f5_2 * f7_38 + f6 * f6_19;
  let h3 = f0_2 * f3 + f1_2 * f2 + f4 * f9_38 + f5_2 * f8_19 + f6 * f7_38;
  let h4 = f0_2 * f4 + f1_2 * f3_2 + f2 * f2 + f5_2 * f9_38 + f6_2 * f8_19 + f7 * f7_38;
  let h5 = f0_2 * f5 + f1_2 * f4 + f2_2 * f3 + f6 * f9_38 + f7_2 * f8_19;
  let h6 = f0_2 * f6 + f1_2 * f5_2 + f2_2 * f4 + f3_2 * f3 + f7_2 * f9_38 + f8 * f8_19;
  let h7 = f0_2 * f7 + f1_2 * f6 + f2_2 * f5 + f3_2 * f4 + f8 * f9_38;
  let h8 = f0_2 * f8 + f1_2 * f7_2 + f2_2 * f6 + f3_2 * f5_2 + f4 * f4 + f9 * f9_38;
  let h9 = f0_2 * f9 + f1_2 * f8 + f2_2 * f7 + f3_2 * f6 + f4_2 * f5;
  h0 -= i64.load32_s(k, 0);
  h1 -= i64.load32_s(k, 4);
  h2 -= i64.load32_s(k, 8);
  h3 -= i64.load32_s(k, 12);
  h4 -= i64.load32_s(k, 16);
  h5 -= i64.load32_s(k, 20);
  h6 -= i64.load32_s(k, 24);
  h7 -= i64.load32_s(k, 28);
  h8 -= i64.load32_s(k, 32);
  h9 -= i64.load32_s(k, 36);
  let c: i64;
  c = h0 >> 26; h1 += c; h0 &= M26;
  c = h4 >> 26; h5 += c; h4 &= M26;
  c = h1 >> 25; h2 += c; h1 &= M25;
  c = h5 >> 25; h6 += c; h5 &= M25;
  c = h2 >> 26; h3 += c; h2 &= M26;
  c = h6 >> 26; h7 += c; h6 &= M26;
  c = h3 >> 25; h4 += c; h3 &= M25;
  c = h7 >> 25; h8 += c; h7 &= M25;
  c = h4 >> 26; h5 += c; h4 &= M26;
  c = h8 >> 26; h9 += c; h8 &= M26;
  c = h9 >> 25; h0 += c * 19; h9 &= M25;
  c = h0 >> 26; h1 += c; h0 &= M26;
  i64.store32(h, h0, 0); i64.store32(h, h1, 4); i64.store32(h, h2, 8); i64.store32(h, h3, 12);
  i64.store32(h, h4, 16); i64.store32(h, h5, 20); i64.store32(h, h6, 24); i64.store32(h, h7, 28);
  i64.store32(h, h8, 32); i64.store32(h, h9, 36);
}

/** h = 2f² - k, carried: the doubling's 2ZZ - (YY-XX) in one call (bounds as feSqSumSub). */
export function feSq2Sub(h: usize, f: usize, k: usize): void {
  const f0 = i64.load32_s(f, 0), f1 = i64.load32_s(f, 4), f2 = i64.load32_s(f, 8);
  const f3 = i64.load32_s(f, 12), f4 = i64.load32_s(f, 16), f5 = i64.load32_s(f, 20);
  const f6 = i64.load32_s(f, 24), f7 = i64.load32_s(f, 28), f8 = i64.load32_s(f, 32);
  const f9 = i64.load32_s(f, 36);
  const f0_2 = f0 << 1, f1_2 = f1 << 1, f2_2 = f2 << 1, f3_2 = f3 << 1;
  const f4_2 = f4 << 1, f5_2 = f5 << 1, f6_2 = f6 << 1, f7_2 = f7 << 1;
  const f5_38 = f5 * 38, f6_19 = f6 * 19, f7_38 = f7 * 38, f8_19 = f8 * 19, f9_38 = f9 * 38;
  let h0 = f0 * f0 + f1_2 * f9_38 + f2_2 * f8_19 + f3_2 * f7_38 + f4_2 * f6_19 + f5 * f5_38;
  let h1 = f0_2 * f1 + f2 * f9_38 + f3_2 * f8_19 + f4 * f7_38 + f5_2 * f6_19;
  let h2 = f0_2 * f2 + f1_2 * f1 + f3_2 * f9_38 + f4_2 * f8_19 + f5_2 * f7_38 + f6 * f6_19;
  let h3 = f0_2 * f3 + f1_2 * f2 + f4 * f9_38 + f5_2 * f8_19 + f6 * f7_38;
  let h4 = f0_2 * f4 + f1_2 * f3_2 + f2 * f2 + f5_2 * f9_38 + f6_2 * f8_19 + f7 * f7_38;
  let h5 = f0_2 * f5 + f1_2 * f4 + f2_2 * f3 + f6 * f9_38 + f7_2 * f8_19;
  let h6 = f0_2 * f6 + f1_2 * f5_2 + f2_2 * f4 + f3_2 * f3 + f7_2 * f9_38 + f8 * f8_19;
  let h7 = f0_2 * f7 + f1_2 * f6 + f2_2 * f5 + f3_2 * f4 + f8 * f9_38;
  let h8 = f0_2 * f8 + f1_2 * f7_2 + f2_2 * f6 + f3_2 * f5_2 + f4 * f4 + f9 * f9_38;
  let h9 = f0_2 * f9 + f1_2 * f8 + f2_2 * f7 + f3_2 * f6 + f4_2 * f5;
  h0 = (h0 << 1) - i64.load32_s(k, 0);
  h1 = (h1 << 1) - i64.load32_s(k, 4);
  h2 = (h2 << 1) - i64.load32_s(k, 8);
  h3 = (h3 << 1) - i64.load32_s(k, 12);
  h4 = (h4 << 1) - i64.load32_s(k, 16);
  h5 = (h5 << 1) - i64.load32_s(k, 20);
  h6 = (h6 << 1) - i64.load32_s(k, 24);
  h7 = (h7 << 1) - i64.load32_s(k, 28);
  h8 = (h8 << 1) - i64.load32_s(k, 32);
  h9 = (h9 << 1) - i64.load32_s(k, 36);
  let c: i64;
  c = h0 >> 26; h1 += c; h0 &= M26;
  c = h4 >> 26; h5 += c; h4 &= M26;
  c = h1 >> 25; h2 += c; h1 &= M25;
  c = h5 >> 25; h6 += c; h5 &= M25;
  c = h2 >> 26; h3 += c; h2 &= M26;
  c = h6 >> 26; h7 += c; h6 &= M26;
  c = h3 >> 25; h4 += c; h3 &= M25;
  c = h7 >> 25; h8 += c; h7 &= M25;
  c = h4 >> 26; h5 += c; h4 &= M26;
  c = h8 >> 26; h9 += c; h8 &= M26;
  c = h9 >> 25; h0 += c * 19; h9 &= M25;
  c = h0 >> 26; h1 += c; h0 &= M26;
  i64.store32(h, h0, 0); i64.store32(h, h1, 4); i64.store32(h, h2, 8); i64.store32(h, h3, 12);
  i64.store32(h, h4, 16); i64.store32(h, h5, 20); i64.store32(h, h6, 24); i64.store32(h, h7, 28);
  i64.store32(h, h8, 32); i64.store32(h, h9, 36);
}

/** out = z^(2^250 - 1) into t0-based scratch; shared head of invert and pow22523. */
function pow2to250m1(z: usize): void {
  // Standard ref10 addition chain. On return t1 = z^(2^250-1), t0 = z^11.
  feSq(t0, z);            // 2
  feSqN(t1, t0, 2);       // 8
  feMul(t1, z, t1);       // 9
  feMul(t0, t0, t1);      // 11
  feSq(t2, t0);           // 22
  feMul(t1, t1, t2);      // 31 = 2^5 - 1
  feSqN(t2, t1, 5);       // 2^10 - 2^5
  feMul(t1, t2, t1);      // 2^10 - 1
  feSqN(t2, t1, 10);      // 2^20 - 2^10
  feMul(t2, t2, t1);      // 2^20 - 1
  feSqN(t3, t2, 20);      // 2^40 - 2^20
  feMul(t2, t3, t2);      // 2^40 - 1
  feSqN(t2, t2, 10);      // 2^50 - 2^10
  feMul(t1, t2, t1);      // 2^50 - 1
  feSqN(t2, t1, 50);      // 2^100 - 2^50
  feMul(t2, t2, t1);      // 2^100 - 1
  feSqN(t3, t2, 100);     // 2^200 - 2^100
  feMul(t2, t3, t2);      // 2^200 - 1
  feSqN(t2, t2, 50);      // 2^250 - 2^50
  feMul(t1, t2, t1);      // 2^250 - 1
}

/** out = z^(p-2) = 1/z (0 maps to 0). */
export function feInvert(out: usize, z: usize): void {
  pow2to250m1(z);
  feSqN(t1, t1, 5);       // 2^255 - 2^5
  feMul(out, t1, t0);     // 2^255 - 21 = p - 2
}

/** out = z^((p-5)/8) = z^(2^252 - 3), the core of the square root in decompression. */
export function fePow22523(out: usize, z: usize): void {
  pow2to250m1(z);
  feSqN(t1, t1, 2);       // 2^252 - 4
  feMul(out, t1, z);      // 2^252 - 3
}

/** Reads 255 bits little-endian (the top bit of byte 31 is ignored: it is the sign). */
export function feFromBytes(h: usize, s: usize): void {
  // Limb i starts at bit 0,26,51,77,102,128,153,179,204,230; every window fits a u32 load.
  i64.store32(h, <i64>(load<u32>(s, 0)) & M26, 0);
  i64.store32(h, <i64>(load<u32>(s, 3) >> 2) & M25, 4);
  i64.store32(h, <i64>(load<u32>(s, 6) >> 3) & M26, 8);
  i64.store32(h, <i64>(load<u32>(s, 9) >> 5) & M25, 12);
  i64.store32(h, <i64>(load<u32>(s, 12) >> 6) & M26, 16);
  i64.store32(h, <i64>(load<u32>(s, 16)) & M25, 20);
  i64.store32(h, <i64>(load<u32>(s, 19) >> 1) & M26, 24);
  i64.store32(h, <i64>(load<u32>(s, 22) >> 3) & M25, 28);
  i64.store32(h, <i64>(load<u32>(s, 25) >> 4) & M26, 32);
  i64.store32(h, <i64>(load<u32>(s, 28) >> 6) & M25, 36);
}

/** True iff the 255-bit little-endian value at s (sign bit ignored) is < p. */
export function feBytesAreCanonical(s: usize): bool {
  // y ≥ p iff y ∈ [2^255 - 19, 2^255): all ones above bit 4 and the low byte ≥ 0xed.
  const w3 = load<u64>(s, 24) & 0x7fffffffffffffff;
  const w2 = load<u64>(s, 16);
  const w1 = load<u64>(s, 8);
  const w0 = load<u64>(s, 0);
  const high = w3 == 0x7fffffffffffffff && (w2 & w1) == 0xffffffffffffffff;
  return !(high && w0 >= 0xffffffffffffffed);
}

/** Writes the canonical encoding (value mod p, 32 bytes little-endian, top bit 0). */
export function feToBytes(s: usize, f: usize): void {
  let h0 = i64.load32_s(f, 0), h1 = i64.load32_s(f, 4), h2 = i64.load32_s(f, 8);
  let h3 = i64.load32_s(f, 12), h4 = i64.load32_s(f, 16), h5 = i64.load32_s(f, 20);
  let h6 = i64.load32_s(f, 24), h7 = i64.load32_s(f, 28), h8 = i64.load32_s(f, 32);
  let h9 = i64.load32_s(f, 36);
  // Three sequential carry passes bring any input of the documented bounds to limbs in
  // range with value in [0, 2^255) (the third pass only ever moves ±19 across the fold).
  for (let pass = 0; pass < 3; pass++) {
    let c: i64;
    c = h0 >> 26; h1 += c; h0 &= M26;
    c = h1 >> 25; h2 += c; h1 &= M25;
    c = h2 >> 26; h3 += c; h2 &= M26;
    c = h3 >> 25; h4 += c; h3 &= M25;
    c = h4 >> 26; h5 += c; h4 &= M26;
    c = h5 >> 25; h6 += c; h5 &= M25;
    c = h6 >> 26; h7 += c; h6 &= M26;
    c = h7 >> 25; h8 += c; h7 &= M25;
    c = h8 >> 26; h9 += c; h8 &= M26;
    c = h9 >> 25; h0 += c * 19; h9 &= M25;
  }
  // q = floor((h + 19) / 2^255) ∈ {0, 1}: exactly whether h ≥ p.
  let q = (h0 + 19) >> 26;
  q = (h1 + q) >> 25; q = (h2 + q) >> 26; q = (h3 + q) >> 25; q = (h4 + q) >> 26;
  q = (h5 + q) >> 25; q = (h6 + q) >> 26; q = (h7 + q) >> 25; q = (h8 + q) >> 26;
  q = (h9 + q) >> 25;
  h0 += 19 * q;
  let c: i64;
  c = h0 >> 26; h1 += c; h0 &= M26;
  c = h1 >> 25; h2 += c; h1 &= M25;
  c = h2 >> 26; h3 += c; h2 &= M26;
  c = h3 >> 25; h4 += c; h3 &= M25;
  c = h4 >> 26; h5 += c; h4 &= M26;
  c = h5 >> 25; h6 += c; h5 &= M25;
  c = h6 >> 26; h7 += c; h6 &= M26;
  c = h7 >> 25; h8 += c; h7 &= M25;
  c = h8 >> 26; h9 += c; h8 &= M26;
  h9 &= M25; // drops the 2^255 of the subtracted p
  const u0 = <u64>h0, u1 = <u64>h1, u2 = <u64>h2, u3 = <u64>h3, u4 = <u64>h4;
  const u5 = <u64>h5, u6 = <u64>h6, u7 = <u64>h7, u8 = <u64>h8, u9 = <u64>h9;
  store<u64>(s, u0 | (u1 << 26) | (u2 << 51), 0);
  store<u64>(s, (u2 >> 13) | (u3 << 13) | (u4 << 38), 8);
  store<u64>(s, u5 | (u6 << 25) | (u7 << 51), 16);
  store<u64>(s, (u7 >> 13) | (u8 << 12) | (u9 << 38), 24);
}

/** 1 iff the canonical value of f is odd (the "negative" x of RFC 8032). */
export function feIsNegative(f: usize): i32 {
  feToBytes(bytesTmp, f);
  return load<u8>(bytesTmp) & 1;
}

/** True iff f ≡ 0 (mod p). */
export function feIsZero(f: usize): bool {
  feToBytes(bytesTmp, f);
  const w01 = load<u64>(bytesTmp, 0) | load<u64>(bytesTmp, 8);
  return (w01 | load<u64>(bytesTmp, 16) | load<u64>(bytesTmp, 24)) == 0;
}

/** True iff f ≡ g (mod p). */
export function feEqual(f: usize, g: usize): bool {
  feSub(t3, f, g);
  return feIsZero(t3);
}
