// Arithmetic on Ed25519 scalars modulo the group order
//   L = 2^252 + 27742317777372353535851937790883648493.
// Scalars are 32-byte little-endian integers in linear memory; wide inputs (SHA-512
// digests) are 64-byte little-endian integers.
//
// Representation: signed 21-bit limbs held in i64 (the ref10 sc_reduce / sc_muladd
// scheme). A limb at index i >= 12 stands for x·2^(21·i) = x·2^252·2^(21·(i-12)), and
// 2^252 ≡ -(L - 2^252) (mod L), so it folds into limbs i-12 .. i-7 with the six signed
// 21-bit digits of L - 2^252 below. The fold/carry order is the proven one of ref10: with
// it every intermediate stays far inside i64 for all inputs up to 2^512 - 1, and the
// result is fully reduced (< L). The steps run as fixed-count loops (same operations,
// smaller code than the unrolled form, which matters under the 48 KiB .wasm budget).
//
// Constant time: scalarReduce64 and scalarMulAdd have no data-dependent branches or
// memory indices (loop counts and limb indices are public), so they are safe on secret
// scalars (the signing nonce r and the secret scalar a). scalarIsCanonical is only used
// on public signature values but is branch-free anyway.
//
// Nothing here allocates: the working limbs live in static buffers, so these functions
// are not re-entrant (the firmware is single-threaded).

/** Bytes in an encoded scalar. */
export const SCALAR_BYTES: i32 = 32;
/** Bytes in a wide (hash-sized) input of scalarReduce64. */
export const SCALAR_WIDE_BYTES: i32 = 64;

const LIMB_BITS: i64 = 21;
const LIMB_MASK: u32 = (1 << 21) - 1;
/** 24 limbs cover a 64-byte input (23 × 21 bits + a 29-bit top limb). */
const WIDE_LIMBS: i32 = 24;
/** 12 limbs cover a 32-byte input (11 × 21 bits + a 25-bit top limb). */
const NARROW_LIMBS: i32 = 12;

// L as four little-endian 64-bit words, for the canonical check.
const L0: u64 = 0x5812631a5cf5d3ed;
const L1: u64 = 0x14def9dea2f79cd6;
const L2: u64 = 0x0000000000000000;
const L3: u64 = 0x1000000000000000;

// L - 2^252 in signed 21-bit digits (little-endian): the value subtracted per unit of 2^252.
const M0: i64 = 666643;
const M1: i64 = 470296;
const M2: i64 = 654183;
const M3: i64 = -997805;
const M4: i64 = 136657;
const M5: i64 = -683901;

/** Working limbs (i64 × 24) shared by reduce and mul-add. */
const limbs: usize = memory.data(WIDE_LIMBS * 8, 16);
/** Limbs of the factors a and b of scalarMulAdd. */
const limbsA: usize = memory.data(NARROW_LIMBS * 8, 16);
const limbsB: usize = memory.data(NARROW_LIMBS * 8, 16);

@inline function limbGet(base: usize, i: i32): i64 { return load<i64>(base + (<usize>i << 3)); }
@inline function limbSet(base: usize, i: i32, v: i64): void { store<i64>(base + (<usize>i << 3), v); }

/** Borrow out (0 or 1) of the word subtraction d = a - b - borrowIn. */
@inline function borrowOut(a: u64, b: u64, d: u64): u64 {
  // Full-subtractor formula, branch-free.
  return ((~a & b) | (~(a ^ b) & d)) >> 63;
}

/** True iff the 32-byte little-endian value at `s` is < L (the strict policy's S check). */
export function scalarIsCanonical(s: usize): bool {
  let borrow: u64 = 0;
  let a = load<u64>(s, 0);
  let d = a - L0;
  borrow = borrowOut(a, L0, d);
  a = load<u64>(s, 8);
  d = a - L1 - borrow;
  borrow = borrowOut(a, L1, d);
  a = load<u64>(s, 16);
  d = a - L2 - borrow;
  borrow = borrowOut(a, L2, d);
  a = load<u64>(s, 24);
  d = a - L3 - borrow;
  borrow = borrowOut(a, L3, d);
  // s - L borrows exactly when s < L.
  return borrow == 1;
}

/** Loads 21-bit limb i of a little-endian byte string (i below the top limb). */
@inline function loadLimb(p: usize, i: i32): i64 {
  const bit = i * 21;
  // A 21-bit field starting at bit offset 0..7 of a byte fits in the 32 bits read here.
  return <i64>((load<u32>(p + <usize>(bit >> 3)) >> <u32>(bit & 7)) & LIMB_MASK);
}

/** Splits a 32-byte value into 12 limbs (the top limb keeps bits 231..255, 25 bits). */
function loadNarrow(p: usize, out: usize): void {
  for (let i = 0; i < NARROW_LIMBS - 1; i++) limbSet(out, i, loadLimb(p, i));
  limbSet(out, NARROW_LIMBS - 1, <i64>(load<u32>(p, 28) >> 7));
}

/** Folds limb i (12 <= i < 24) into limbs i-12 .. i-7 using 2^252 ≡ -(L - 2^252). */
@inline function fold(i: i32): void {
  const s = limbGet(limbs, i);
  const o = limbs + (<usize>(i - 12) << 3);
  store<i64>(o, load<i64>(o, 0) + s * M0, 0);
  store<i64>(o, load<i64>(o, 8) + s * M1, 8);
  store<i64>(o, load<i64>(o, 16) + s * M2, 16);
  store<i64>(o, load<i64>(o, 24) + s * M3, 24);
  store<i64>(o, load<i64>(o, 32) + s * M4, 32);
  store<i64>(o, load<i64>(o, 40) + s * M5, 40);
  limbSet(limbs, i, 0);
}

/** Moves the excess of limb i into limb i+1, leaving limb i in [-2^20, 2^20). */
@inline function carryRound(i: i32): void {
  const s = limbGet(limbs, i);
  const c = (s + (1 << 20)) >> LIMB_BITS;
  limbSet(limbs, i + 1, limbGet(limbs, i + 1) + c);
  limbSet(limbs, i, s - (c << LIMB_BITS));
}

/** Moves the excess of limb i into limb i+1, leaving limb i in [0, 2^21). */
@inline function carryFloor(i: i32): void {
  const s = limbGet(limbs, i);
  const c = s >> LIMB_BITS;
  limbSet(limbs, i + 1, limbGet(limbs, i + 1) + c);
  limbSet(limbs, i, s - (c << LIMB_BITS));
}

/** Rounding carries on limbs first, first+2, ... up to last (inclusive). */
function carryStride2(first: i32, last: i32): void {
  for (let i = first; i <= last; i += 2) carryRound(i);
}

/** Reduces the 24 working limbs (each well inside ±2^50) mod L and writes 32 bytes. */
function reduceLimbs(out: usize): void {
  for (let i = 23; i >= 18; i--) fold(i);
  carryStride2(6, 16);
  carryStride2(7, 15);
  for (let i = 17; i >= 12; i--) fold(i);
  carryStride2(0, 10);
  carryStride2(1, 11);
  fold(12);
  for (let i = 0; i <= 11; i++) carryFloor(i);
  fold(12);
  for (let i = 0; i <= 10; i++) carryFloor(i);
  packLimbs(out);
}

/** Writes limbs 0..11 (each now in [0, 2^21)) as 32 little-endian bytes. */
function packLimbs(out: usize): void {
  let acc: u64 = 0;
  let accBits: i32 = 0;
  let o = out;
  for (let i = 0; i < NARROW_LIMBS; i++) {
    acc |= <u64>limbGet(limbs, i) << <u64>accBits;
    accBits += 21;
    // The number of bytes emitted per limb depends only on i, never on the data.
    while (accBits >= 8) {
      store<u8>(o, <u8>acc);
      o++;
      acc >>= 8;
      accBits -= 8;
    }
  }
  // 12 × 21 = 252 bits: 31 whole bytes were written, the last 4 bits remain.
  store<u8>(o, <u8>acc);
}

/**
 * out32 = in64 mod L, for any 64-byte little-endian input (0 .. 2^512 - 1).
 * Constant-time. `out32` may alias `in64` (the input is fully read first).
 */
export function scalarReduce64(in64: usize, out32: usize): void {
  for (let i = 0; i < WIDE_LIMBS - 1; i++) limbSet(limbs, i, loadLimb(in64, i));
  limbSet(limbs, WIDE_LIMBS - 1, <i64>(load<u32>(in64, 60) >> 3));
  reduceLimbs(out32);
}

/**
 * out = (a·b + c) mod L, for any 32-byte little-endian a, b, c (0 .. 2^256 - 1).
 * Constant-time. `out` may alias any input (all inputs are read first).
 */
export function scalarMulAdd(a: usize, b: usize, c: usize, out: usize): void {
  loadNarrow(a, limbsA);
  loadNarrow(b, limbsB);
  loadNarrow(c, limbs);
  for (let i = NARROW_LIMBS; i < WIDE_LIMBS; i++) limbSet(limbs, i, 0);
  // Schoolbook product: 12 terms of at most 2^25·2^25 per limb, < 2^54.
  for (let i = 0; i < NARROW_LIMBS; i++) {
    const ai = limbGet(limbsA, i);
    const row = limbs + (<usize>i << 3);
    for (let j = 0; j < NARROW_LIMBS; j++) {
      const p = row + (<usize>j << 3);
      store<i64>(p, load<i64>(p) + ai * limbGet(limbsB, j));
    }
  }
  // Bring every limb back near 21 bits before folding (limb 23 receives limb 22's carry).
  carryStride2(0, 22);
  carryStride2(1, 21);
  reduceLimbs(out);
}
