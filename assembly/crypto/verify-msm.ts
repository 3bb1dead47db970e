// Variable-time multi-scalar multiplication for verification, with width-w NAF
// recoding and static tables:
//   - the base table: odd multiples of B (width VERIFY_BASE_WNAF_BITS), built at start-up;
//   - base part tables: odd multiples of 2^(i·PART_BITS)·B for i = 1 … PARTS-1;
//   - the base-128 table: odd multiples of 2^128·B (width VERIFY_BASE_WNAF_BITS) for the
//     high half of plain verify's [u]B;
//   - registered key slots: odd multiples of -2^(i·PART_BITS)·A for i = 0 … PARTS-1, so a
//     registered verify splits both scalars into PARTS parts and doubles PART_BITS times;
//   - per-signature CACHED tables of A and R for plain verify (see verify-lattice.ts for
//     why plain verify needs only ~128 doublings).
//
// Only for public inputs (signature scalars, public keys): lookups and branches depend
// on the scalars. Signing must use its own constant-time code.
//
// Memory (all static; widths and sizes are set and justified in limits.ts):
//   base table        2^(BASE-2) NIELS entries
//   base parts        (PARTS-1) × 2^(BPW-2) NIELS entries (part 0 is the base table)
//   base-128 table    2^(BASE-2) NIELS entries
//   key slots         REGISTERED_KEYS_MAX × PARTS × 2^(KPW-2) NIELS entries
//   normalize scratch one field element per base entry (the three base tables are one
//                     block, normalized with one inversion at start-up)
import {
  VERIFY_BASE_WNAF_BITS, VERIFY_KEY_WNAF_BITS, VERIFY_REGISTERED_PARTS,
  VERIFY_REGISTERED_KEY_WNAF_BITS, VERIFY_BASE_PART_WNAF_BITS, REGISTERED_KEYS_MAX,
} from "../limits";
import { FE_BYTES, feMul, feOne, feCopy, feInvert } from "./field";
import {
  P2_BYTES, P3_BYTES, P1P1_BYTES, CACHED_BYTES, NIELS_BYTES,
  p2Identity, p2Dbl, p3Dbl, p1p1ToP2, p1p1ToP3, p3ToCached, p3Copy, p3Neg,
  geAdd, geSub, geMadd, geMsub, nielsFromAffine,
} from "./point";
import { bitLength } from "./verify-lattice";

const BASE_ENTRIES: i32 = 1 << (VERIFY_BASE_WNAF_BITS - 2);
const KEY_ENTRIES: i32 = 1 << (VERIFY_KEY_WNAF_BITS - 2);
const PARTS: i32 = VERIFY_REGISTERED_PARTS;
const PART_BITS: i32 = 256 / VERIFY_REGISTERED_PARTS;
const BASE_PART_ENTRIES: i32 = 1 << (VERIFY_BASE_PART_WNAF_BITS - 2);
const KEY_PART_ENTRIES: i32 = 1 << (VERIFY_REGISTERED_KEY_WNAF_BITS - 2);
const BASE_PART_TABLE_BYTES: i32 = BASE_PART_ENTRIES * NIELS_BYTES;
const KEY_PART_TABLE_BYTES: i32 = KEY_PART_ENTRIES * NIELS_BYTES;
/** Bytes of one registered key's tables. */
export const KEY_SLOT_TABLE_BYTES: i32 = PARTS * KEY_PART_TABLE_BYTES;

/** Entries of the three base tables, one block: base table, part tables, base-128 table. */
const BASE_BLOCK_ENTRIES: i32 = 2 * BASE_ENTRIES + (PARTS - 1) * BASE_PART_ENTRIES;
/** The most entries one normalizeTable call converts (the base block; a key slot has fewer). */
const NORMALIZE_ENTRIES_MAX: i32 = BASE_BLOCK_ENTRIES;
const baseBlock: usize = memory.data(BASE_BLOCK_ENTRIES * NIELS_BYTES, 16);
/** NIELS odd multiples of B for plain verify. */
const baseTable: usize = baseBlock;
/** NIELS odd multiples of 2^(i·PART_BITS)·B, i = 1 … PARTS-1 (part 0 is the base table). */
const basePartTables: usize = baseBlock + <usize>(BASE_ENTRIES * NIELS_BYTES);
/** NIELS odd multiples of 2^128·B: the high half of plain verify's [u]B. */
const base128Table: usize = basePartTables + <usize>((PARTS - 1) * BASE_PART_TABLE_BYTES);
/** Registered keys: NIELS odd multiples of -2^(i·PART_BITS)·A, i = 0 … PARTS-1, per slot. */
const keySlotTables: usize = memory.data(REGISTERED_KEYS_MAX * KEY_SLOT_TABLE_BYTES, 16);
/** Prefix products for the batch inversion that normalizes tables to affine. */
const normalizeScratch: usize = memory.data(NORMALIZE_ENTRIES_MAX * FE_BYTES, 16);

/** Bytes of static table memory used by verification (checked against the budget). */
export const VERIFY_TABLE_BYTES: i32 = BASE_BLOCK_ENTRIES * NIELS_BYTES
  + REGISTERED_KEYS_MAX * KEY_SLOT_TABLE_BYTES + NORMALIZE_ENTRIES_MAX * FE_BYTES;

// Working memory of one multiplication.
const keyTable: usize = memory.data(KEY_ENTRIES * CACHED_BYTES, 16);
const nafS: usize = memory.data(256, 16);
const nafK: usize = memory.data(256, 16);
const nafWords: usize = memory.data(40, 16);
const nafU: usize = memory.data(256, 16);
const nafM: usize = memory.data(256, 16);
const rTable: usize = memory.data(KEY_ENTRIES * CACHED_BYTES, 16);
const halfScalar: usize = memory.data(32, 16);
const accP2: usize = memory.data(P2_BYTES, 16);
const accP1P1: usize = memory.data(P1P1_BYTES, 16);
const accP3: usize = memory.data(P3_BYTES, 16);
const buildP3: usize = memory.data(P3_BYTES, 16);
const buildCached: usize = memory.data(CACHED_BYTES, 16);
const affX: usize = memory.data(FE_BYTES, 16);
const affY: usize = memory.data(FE_BYTES, 16);
const invAcc: usize = memory.data(FE_BYTES, 16);
const zInv: usize = memory.data(FE_BYTES, 16);

// The base point B in extended coordinates (x, y, 1, x·y).
const BASE_X: usize = memory.data<i32>([
  52811034, 25909283, 16144682, 17082669, 27570973, 30858332, 40966398, 8378388, 20764389, 8758491,
]);
const BASE_Y: usize = memory.data<i32>([
  40265304, 26843545, 13421772, 20132659, 26843545, 6710886, 53687091, 13421772, 40265318, 26843545,
]);
const BASE_T: usize = memory.data<i32>([
  28827043, 27438313, 39759291, 244362, 8635006, 11264893, 19351346, 13413597, 16611511, 27139452,
]);

const FE: usize = <usize>FE_BYTES;

// ---- recoding ------------------------------------------------------------------------

/**
 * naf[0..256) = width-w NAF of the 32-byte little-endian scalar s (< 2^255): every
 * nonzero digit is odd with |d| < 2^(w-1), and nonzero digits are ≥ w positions apart.
 */
export function wnaf(naf: usize, s: usize, w: i32): void {
  for (let i: usize = 0; i < 256; i += 8) store<u64>(naf + i, 0);
  store<u64>(nafWords, load<u64>(s, 0), 0);
  store<u64>(nafWords, load<u64>(s, 8), 8);
  store<u64>(nafWords, load<u64>(s, 16), 16);
  store<u64>(nafWords, load<u64>(s, 24), 24);
  store<u64>(nafWords, 0, 32);
  const width: u64 = <u64>1 << <u64>w;
  const mask: u64 = width - 1;
  let carry: u64 = 0;
  let pos: i32 = 0;
  // Above the scalar's top bit every window is the carry alone: once it is 0 no digit is
  // left, so the scan stops there (plain verify's scalars are ~128 bits: half the scan).
  const top = bitLength(nafWords);
  while (pos < 256 && (pos < top || carry != 0)) {
    const word = nafWords + (<usize>(pos >>> 6) << 3);
    const bit = <u64>(pos & 63);
    let buf = load<u64>(word) >> bit;
    if (bit > <u64>(64 - w)) buf |= load<u64>(word, 8) << (64 - bit);
    const window = carry + (buf & mask);
    if ((window & 1) == 0) { pos++; continue; }
    if (window < (width >> 1)) {
      carry = 0;
      store<i8>(naf + <usize>pos, <i8>window);
    } else {
      carry = 1;
      store<i8>(naf + <usize>pos, <i8>(<i64>window - <i64>width));
    }
    pos += w;
  }
}

// ---- table building ------------------------------------------------------------------

/**
 * Writes (X, Y, Z) of P, 3P, 5P, … ((2n-1)·P) into n consecutive NIELS-sized entries of
 * `table` (P is a P3), ready for normalizeTable.
 */
function oddMultiplesProjective(table: usize, p: usize, n: i32): void {
  // Uses buildP3/buildCached/accP1P1 only: callers keep state in accP3.
  p3Dbl(accP1P1, p);
  p1p1ToP3(buildP3, accP1P1);
  p3ToCached(buildCached, buildP3);          // 2P
  p3Copy(buildP3, p);
  for (let i = 0; i < n; i++) {
    const e = table + <usize>(i * NIELS_BYTES);
    feCopy(e, buildP3); feCopy(e + FE, buildP3 + FE); feCopy(e + 2 * FE, buildP3 + 2 * FE);
    if (i + 1 < n) {
      geAdd(accP1P1, buildP3, buildCached);
      p1p1ToP3(buildP3, accP1P1);
    }
  }
}

/** Converts n ≤ NORMALIZE_ENTRIES_MAX projective entries in place to NIELS with one
 *  inversion. */
function normalizeTable(table: usize, n: i32): void {
  assert(n <= NORMALIZE_ENTRIES_MAX, "normalize scratch too small");
  feOne(invAcc);
  for (let i = 0; i < n; i++) {
    const e = table + <usize>(i * NIELS_BYTES);
    feCopy(normalizeScratch + <usize>(i * FE_BYTES), invAcc);
    feMul(invAcc, invAcc, e + 2 * FE);
  }
  feInvert(invAcc, invAcc);                  // 1 / (Z0·Z1·…·Z(n-1))
  for (let i = n - 1; i >= 0; i--) {
    const e = table + <usize>(i * NIELS_BYTES);
    feMul(zInv, invAcc, normalizeScratch + <usize>(i * FE_BYTES));
    feMul(invAcc, invAcc, e + 2 * FE);
    feMul(affX, e, zInv);
    feMul(affY, e + FE, zInv);
    nielsFromAffine(e, affX, affY);
  }
}

/** r (P3) = 2^PART_BITS · p (P3); r may alias p. */
function timesPart(r: usize, p: usize): void {
  p3Dbl(accP1P1, p);
  for (let i = 1; i < PART_BITS; i++) {
    p1p1ToP2(accP2, accP1P1);
    p2Dbl(accP1P1, accP2);
  }
  p1p1ToP3(r, accP1P1);
}

/**
 * Fills `tables` with PARTS - first consecutive tables of `entries` NIELS odd multiples
 * of 2^(i·PART_BITS)·P for i = first … PARTS-1, normalized with one inversion.
 */
function buildPartTables(tables: usize, p: usize, first: i32, entries: i32): void {
  const tableBytes = entries * NIELS_BYTES;
  p3Copy(accP3, p);
  for (let i = 1; i <= first; i++) timesPart(accP3, accP3);
  for (let i = first; i < PARTS; i++) {
    if (i > first) timesPart(accP3, accP3);
    p3Copy(keyTable, accP3);                 // keyTable is free scratch here
    oddMultiplesProjective(tables + <usize>((i - first) * tableBytes), keyTable, entries);
  }
  normalizeTable(tables, (PARTS - first) * entries);
}

// The base-128 table is built on the way through the parts: 128 must be a part boundary.
assert(128 % PART_BITS == 0, "2^128·B is not a part");

/** Builds the base tables (one block, one inversion). Runs once at start-up. */
export function buildBaseTables(): void {
  feCopy(accP3, BASE_X); feCopy(accP3 + FE, BASE_Y); feOne(accP3 + 2 * FE);
  feCopy(accP3 + 3 * FE, BASE_T);
  p3Copy(keyTable, accP3);                   // keyTable is free scratch here
  oddMultiplesProjective(baseTable, keyTable, BASE_ENTRIES);
  for (let i = 1; i < PARTS; i++) {
    timesPart(accP3, accP3);                 // 2^(i·PART_BITS)·B
    p3Copy(keyTable, accP3);
    oddMultiplesProjective(basePartTables + <usize>((i - 1) * BASE_PART_TABLE_BYTES), keyTable,
      BASE_PART_ENTRIES);
    if (i * PART_BITS == 128) oddMultiplesProjective(base128Table, keyTable, BASE_ENTRIES);
  }
  normalizeTable(baseBlock, BASE_BLOCK_ENTRIES);
}

/** Builds the tables of registered slot `slot` for -A (A is a validated P3 point). */
export function buildKeySlotTables(slot: i32, a: usize): void {
  p3Neg(buildP3, a);
  const tables = keySlotTables + <usize>(slot * KEY_SLOT_TABLE_BYTES);
  buildPartTables(tables, buildP3, 0, KEY_PART_ENTRIES);
}

// ---- multiplication ------------------------------------------------------------------

/** table = CACHED odd multiples 1, 3, …, of P (or of -P when negate), KEY_ENTRIES of them. */
function cachedOddMultiples(table: usize, p: usize, negate: bool): void {
  if (negate) p3Neg(buildP3, p); else p3Copy(buildP3, p);
  p3Dbl(accP1P1, buildP3);
  p1p1ToP3(accP3, accP1P1);
  p3ToCached(buildCached, accP3);            // 2P
  p3ToCached(table, buildP3);
  for (let i = 1; i < KEY_ENTRIES; i++) {
    geAdd(accP1P1, buildP3, buildCached);
    p1p1ToP3(buildP3, accP1P1);
    p3ToCached(table + <usize>(i * CACHED_BYTES), buildP3);
  }
}

/** Adds digit d·T (T a CACHED table of odd multiples) to the P1P1 accumulator. */
@inline function addCached(d: i32, table: usize): void {
  p1p1ToP3(accP3, accP1P1);
  if (d > 0) geAdd(accP1P1, accP3, table + <usize>((d >> 1) * CACHED_BYTES));
  else geSub(accP1P1, accP3, table + <usize>((-d >> 1) * CACHED_BYTES));
}

/** Adds digit d·T (T a NIELS table of odd multiples) to the P1P1 accumulator. */
@inline function addNiels(d: i32, table: usize): void {
  p1p1ToP3(accP3, accP1P1);
  if (d > 0) geMadd(accP1P1, accP3, table + <usize>((d >> 1) * NIELS_BYTES));
  else geMsub(accP1P1, accP3, table + <usize>((-d >> 1) * NIELS_BYTES));
}

/**
 * out (P2) = [s]B - [k]A for 32-byte scalars s, k < 2^253 and the P3 point A.
 * Variable time.
 */
export function doubleScalarMulBase(out: usize, s: usize, k: usize, a: usize): void {
  cachedOddMultiples(keyTable, a, true);
  wnaf(nafS, s, VERIFY_BASE_WNAF_BITS);
  wnaf(nafK, k, VERIFY_KEY_WNAF_BITS);
  let i = 255;
  while (i >= 0 && (load<i8>(nafS + <usize>i) | load<i8>(nafK + <usize>i)) == 0) i--;
  p2Identity(out);
  for (; i >= 0; i--) {
    p2Dbl(accP1P1, out);
    const dk = <i32>load<i8>(nafK + <usize>i);
    if (dk != 0) addCached(dk, keyTable);
    const ds = <i32>load<i8>(nafS + <usize>i);
    if (ds != 0) addNiels(ds, baseTable);
    p1p1ToP2(out, accP1P1);
  }
}

/**
 * out (P2) = [s]B - [k]A where A is the key registered in `slot` (tables built by
 * buildKeySlotTables). PART_BITS - 1 doublings: the NAF digit at position i + PART_BITS·q
 * stands for 2^i · 2^(PART_BITS·q), and part q has its own table.
 */
export function doubleScalarMulRegistered(out: usize, s: usize, k: usize, slot: i32): void {
  const keyTables = keySlotTables + <usize>(slot * KEY_SLOT_TABLE_BYTES);
  wnaf(nafS, s, VERIFY_BASE_PART_WNAF_BITS);
  wnaf(nafK, k, VERIFY_REGISTERED_KEY_WNAF_BITS);
  p2Identity(out);
  let started = false;
  for (let i = PART_BITS - 1; i >= 0; i--) {
    if (started) p2Dbl(accP1P1, out);
    for (let q = 0; q < PARTS; q++) {
      const pos = <usize>(i + q * PART_BITS);
      const dk = <i32>load<i8>(nafK + pos);
      const ds = <i32>load<i8>(nafS + pos);
      if ((dk | ds) == 0) continue;
      if (!started) { p2Dbl(accP1P1, out); started = true; }
      if (dk != 0) addNiels(dk, keyTables + <usize>(q * KEY_PART_TABLE_BYTES));
      if (ds != 0) {
        const part = basePartTables + <usize>((q - 1) * BASE_PART_TABLE_BYTES);
        addNiels(ds, q == 0 ? baseTable : part);
      }
    }
    if (started) p1p1ToP2(out, accP1P1);
  }
}

/**
 * out (P2) = [u]B ∓ [r]A - [m]R for the short-vector check of verify-lattice.ts: u < L is
 * split into two 128-bit halves (tables for B and 2^128·B), r and m are short. The A term
 * is subtracted when subtractA, added otherwise. Variable time.
 */
export function tripleScalarMulShort(
  out: usize, u: usize, r: usize, m: usize, a: usize, subtractA: bool, rPoint: usize,
): void {
  cachedOddMultiples(keyTable, a, subtractA);
  cachedOddMultiples(rTable, rPoint, true);
  store<u64>(halfScalar, load<u64>(u, 0), 0); store<u64>(halfScalar, load<u64>(u, 8), 8);
  store<u64>(halfScalar, 0, 16); store<u64>(halfScalar, 0, 24);
  wnaf(nafS, halfScalar, VERIFY_BASE_WNAF_BITS);
  store<u64>(halfScalar, load<u64>(u, 16), 0); store<u64>(halfScalar, load<u64>(u, 24), 8);
  wnaf(nafU, halfScalar, VERIFY_BASE_WNAF_BITS);
  wnaf(nafK, r, VERIFY_KEY_WNAF_BITS);
  wnaf(nafM, m, VERIFY_KEY_WNAF_BITS);
  let i = 255;
  while (i >= 0) {
    const at = <usize>i;
    const any = load<i8>(nafS + at) | load<i8>(nafU + at) | load<i8>(nafK + at)
      | load<i8>(nafM + at);
    if (any != 0) break;
    i--;
  }
  p2Identity(out);
  for (; i >= 0; i--) {
    p2Dbl(accP1P1, out);
    const dk = <i32>load<i8>(nafK + <usize>i);
    if (dk != 0) addCached(dk, keyTable);
    const dm = <i32>load<i8>(nafM + <usize>i);
    if (dm != 0) addCached(dm, rTable);
    const ds = <i32>load<i8>(nafS + <usize>i);
    if (ds != 0) addNiels(ds, baseTable);
    const du = <i32>load<i8>(nafU + <usize>i);
    if (du != 0) addNiels(du, base128Table);
    p1p1ToP2(out, accP1P1);
  }
}
