// Scalar arithmetic mod L against values computed independently with arbitrary-precision
// integers (JavaScript BigInt): x mod L and (a·b + c) mod L. The exhaustive cross-check on
// thousands of random and edge inputs lives on the host side; these are the fixed anchors.
import { scalarIsCanonical, scalarReduce64, scalarMulAdd } from "../crypto/scalar";
import { putHex } from "./hex";

const buf: usize = memory.data(256, 16);

function getHex(src: usize, n: i32): string {
  let s = "";
  for (let i = 0; i < n; i++) {
    const b = load<u8>(src + <usize>i);
    s += (b < 16 ? "0" : "") + b.toString(16);
  }
  return s;
}

// [input (64 bytes LE), input mod L (32 bytes LE)]; inputs: 0, L-1, L, L+1, 2^256-1,
// 2^512-1, the largest multiple of L below 2^512, three SHA-512 digests.
const REDUCE_VECTORS: string[][] = [
  ["00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000", "0000000000000000000000000000000000000000000000000000000000000000"],
  ["ecd3f55c1a631258d69cf7a2def9de14000000000000000000000000000000100000000000000000000000000000000000000000000000000000000000000000", "ecd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010"],
  ["edd3f55c1a631258d69cf7a2def9de14000000000000000000000000000000100000000000000000000000000000000000000000000000000000000000000000", "0000000000000000000000000000000000000000000000000000000000000000"],
  ["eed3f55c1a631258d69cf7a2def9de14000000000000000000000000000000100000000000000000000000000000000000000000000000000000000000000000", "0100000000000000000000000000000000000000000000000000000000000000"],
  ["ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff0000000000000000000000000000000000000000000000000000000000000000", "1c95988d7431ecd670cf7d73f45befc6feffffffffffffffffffffffffffff0f"],
  ["ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff", "000f9c44e31106a447938568a71b0ed065bef517d273ecce3d9a307c1b419903"],
  ["fff063bb1ceef95bb86c7a9758e4f12f9a410ae82d8c1331c265cf83e4be66fcffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff", "0000000000000000000000000000000000000000000000000000000000000000"],
  ["aa968493f5d8382a6313692202d481db646b1f976c691f4571148249429a20ad0b971eebc9fa03716dc49ba84cd38092cb9f5c7fa76f7c1085ed95dfee2ae8ef", "d9abaf315b4124785fd285564df8b12ccf1fc5548ff6615f8e157c0c552f3e0f"],
  ["1579040b04f9e00afc1c28c9404d09df0ca4cf9f8144f8b31f5ff7223f419f6f6b02acc3923568e2041d3d6bbc39bdffda8f08ea2c5e821cc41bfa44313d7075", "fde639c4a11786f694180019add281e61bbe4d812f561ad0a559451f18f78e06"],
  ["8009230aaf02393986e18dc0ab497755c830985b6fba45982325d9dfb8f8108988511a035a28bbb3d75992814780fc1a7675b0c4574ab9a9d2914fffedad82df", "fed882cb3cc8220c49cf20026ddcece115f8e5398684eacd192787dcc07d420b"],
];

// [a, b, c, (a·b + c) mod L], all 32 bytes LE: zeros, L-1 thrice, 2^256-1 thrice,
// (1, L, 1), unreduced digests, reduced digests.
const MULADD_VECTORS: string[][] = [
  ["0000000000000000000000000000000000000000000000000000000000000000", "0000000000000000000000000000000000000000000000000000000000000000", "0000000000000000000000000000000000000000000000000000000000000000", "0000000000000000000000000000000000000000000000000000000000000000"],
  ["ecd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010", "ecd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010", "ecd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010", "0000000000000000000000000000000000000000000000000000000000000000"],
  ["ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff", "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff", "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff", "d14df91389432c25ad60ff9791b9fd1d67bef517d273ecce3d9a307c1b419903"],
  ["0100000000000000000000000000000000000000000000000000000000000000", "edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010", "0100000000000000000000000000000000000000000000000000000000000000", "0100000000000000000000000000000000000000000000000000000000000000"],
  ["8d65de765fb79571ea0fe1cf6430f9836bf86b5f6703d77eebbb22b4ef26a235", "2fa17c8ac26a9c8855b084d64d0ce866c7f03dfd0a6c120dd154f5e01111f185", "e9e87302def3a8d43b244bca79b8b4f85d93d3c9be75a66be2cb13ceecdbe0ec", "22e559ad60c0094fdfa4dfbad98b2bb49a0e4604056d2470e9fed52e2e04df0f"],
  ["ee7c3e5e45fcd2f4b9a1edf4954d70514bdb5f66efe9953c91cf9c194ad7170a", "bd976eeb4a27226f0babd185faa65aea36c282525d23d6906cc5bd292e7db706", "fe684c61e2bdede8340283b861a6b297e289c06e2ce155ceab5610f9a5d9360b", "f1048aa40a5fddc3a60dd5b266e5824c5726997fcc52eb362e1611ab2c03f903"],
];

const L_HEX = "edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010";

describe("scalarReduce64", () => {
  it("reduces 64-byte values mod L", () => {
    for (let i = 0; i < REDUCE_VECTORS.length; i++) {
      const v = REDUCE_VECTORS[i];
      putHex(buf, v[0]);
      scalarReduce64(buf, buf + 64);
      expect(getHex(buf + 64, 32)).toBe(v[1], "reduce vector " + i.toString());
    }
  });
  it("allows the output to alias the input", () => {
    const v = REDUCE_VECTORS[REDUCE_VECTORS.length - 1];
    putHex(buf, v[0]);
    scalarReduce64(buf, buf);
    expect(getHex(buf, 32)).toBe(v[1]);
  });
});

describe("scalarMulAdd", () => {
  it("computes (a·b + c) mod L", () => {
    for (let i = 0; i < MULADD_VECTORS.length; i++) {
      const v = MULADD_VECTORS[i];
      putHex(buf, v[0]);
      putHex(buf + 32, v[1]);
      putHex(buf + 64, v[2]);
      scalarMulAdd(buf, buf + 32, buf + 64, buf + 96);
      expect(getHex(buf + 96, 32)).toBe(v[3], "muladd vector " + i.toString());
    }
  });
  it("allows the output to alias an input", () => {
    const v = MULADD_VECTORS[MULADD_VECTORS.length - 1];
    putHex(buf, v[0]);
    putHex(buf + 32, v[1]);
    putHex(buf + 64, v[2]);
    scalarMulAdd(buf, buf + 32, buf + 64, buf);
    expect(getHex(buf, 32)).toBe(v[3]);
  });
});

describe("scalarIsCanonical", () => {
  it("accepts 0 and L-1, rejects L, L+1 and 2^256-1", () => {
    putHex(buf, "0000000000000000000000000000000000000000000000000000000000000000");
    expect(scalarIsCanonical(buf)).toBe(true);
    putHex(buf, L_HEX);
    expect(scalarIsCanonical(buf)).toBe(false);
    store<u8>(buf, 0xec); // L - 1
    expect(scalarIsCanonical(buf)).toBe(true);
    store<u8>(buf, 0xee); // L + 1
    expect(scalarIsCanonical(buf)).toBe(false);
    store<u8>(buf + 31, 0x0f); // L - 2^252 + ... < L (top nibble cleared)
    expect(scalarIsCanonical(buf)).toBe(true);
    putHex(buf, "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff");
    expect(scalarIsCanonical(buf)).toBe(false);
  });
});

// ---- Cross-check against a naive bit-serial reference -------------------------
// The reference shares nothing with scalar.ts: it keeps r < L in four 64-bit words and
// runs r = 2r + bit, subtracting L when r >= L, over every input bit (schoolbook binary
// long division), and builds a·b + c by double-and-add.

const REF_L: StaticArray<u64> = [0x5812631a5cf5d3ed, 0x14def9dea2f79cd6, 0, 0x1000000000000000];
const ref: usize = memory.data(32, 16);
const refB: usize = memory.data(32, 16);

function refGeL(r: usize): bool {
  for (let i = 3; i >= 0; i--) {
    const w = load<u64>(r + <usize>(i * 8));
    const l = REF_L[i];
    if (w != l) return w > l;
  }
  return true;
}

function refSubL(r: usize): void {
  let borrow: u64 = 0;
  for (let i = 0; i < 4; i++) {
    const w = load<u64>(r + <usize>(i * 8));
    const l = REF_L[i];
    const d = w - l - borrow;
    borrow = (w < l || (w == l && borrow == 1)) ? 1 : 0;
    store<u64>(r + <usize>(i * 8), d);
  }
}

/** r = 2r + bit mod L (r < L on entry). */
function refShiftIn(r: usize, bit: u64): void {
  let carry = bit;
  for (let i = 0; i < 4; i++) {
    const w = load<u64>(r + <usize>(i * 8));
    store<u64>(r + <usize>(i * 8), (w << 1) | carry);
    carry = w >> 63;
  }
  if (refGeL(r)) refSubL(r);
}

/** r = r + x mod L (both < L on entry). */
function refAddMod(r: usize, x: usize): void {
  let carry: u64 = 0;
  for (let i = 0; i < 4; i++) {
    const a = load<u64>(r + <usize>(i * 8));
    const b = load<u64>(x + <usize>(i * 8));
    const s = a + b + carry;
    carry = (s < a || (s == a && carry == 1)) ? 1 : 0;
    store<u64>(r + <usize>(i * 8), s);
  }
  if (refGeL(r)) refSubL(r);
}

function refReduce(src: usize, bytes: i32, r: usize): void {
  memory.fill(r, 0, 32);
  for (let bit = bytes * 8 - 1; bit >= 0; bit--) {
    refShiftIn(r, <u64>((load<u8>(src + <usize>(bit >> 3)) >> <u8>(bit & 7)) & 1));
  }
}

function refMulAdd(a: usize, b: usize, c: usize, r: usize): void {
  refReduce(b, 32, refB);
  memory.fill(r, 0, 32);
  for (let bit = 255; bit >= 0; bit--) {
    refShiftIn(r, 0);
    if (((load<u8>(a + <usize>(bit >> 3)) >> <u8>(bit & 7)) & 1) != 0) refAddMod(r, refB);
  }
  refReduce(c, 32, buf + 224);
  refAddMod(r, buf + 224);
}

let rngState: u64 = 0x9e3779b97f4a7c15;
/** xorshift64*: deterministic test inputs. Every 4th byte run is forced to 0x00 or 0xff
 *  so carries and near-boundary values get exercised too. */
function fillRandom(dst: usize, n: i32): void {
  const mode = <i32>(rngState & 3);
  for (let i = 0; i < n; i += 8) {
    rngState ^= rngState >> 12;
    rngState ^= rngState << 25;
    rngState ^= rngState >> 27;
    let w = rngState * 0x2545f4914f6cdd1d;
    if (mode == 1) w = (w & 1) != 0 ? 0xffffffffffffffff : 0;
    store<u64>(dst + <usize>i, w);
  }
}

function equal32(x: usize, y: usize): bool {
  for (let i = 0; i < 32; i += 8) if (load<u64>(x + <usize>i) != load<u64>(y + <usize>i)) return false;
  return true;
}

describe("scalar arithmetic vs the bit-serial reference", () => {
  it("agrees on 3,000 pseudo-random 64-byte reductions", () => {
    for (let i = 0; i < 3000; i++) {
      fillRandom(buf, 64);
      scalarReduce64(buf, buf + 64);
      refReduce(buf, 64, ref);
      expect(equal32(buf + 64, ref)).toBe(true, "reduce case " + i.toString());
    }
  });
  it("agrees on 1,000 pseudo-random multiply-adds", () => {
    for (let i = 0; i < 1000; i++) {
      fillRandom(buf, 96);
      scalarMulAdd(buf, buf + 32, buf + 64, buf + 96);
      refMulAdd(buf, buf + 32, buf + 64, ref);
      expect(equal32(buf + 96, ref)).toBe(true, "muladd case " + i.toString());
    }
  });
  it("agrees with the canonical check on random values near L", () => {
    for (let i = 0; i < 2000; i++) {
      putHex(buf, L_HEX);
      fillRandom(buf + 64, 8);
      // Perturb the low 16 bits of L by a signed random offset.
      const lo = <i32>load<u16>(buf) + (<i32>load<i16>(buf + 64) >> 4);
      store<u16>(buf, <u16>lo);
      const expected = lo < 0xd3ed;
      expect(scalarIsCanonical(buf)).toBe(expected, "canonical case " + i.toString());
    }
  });
});
