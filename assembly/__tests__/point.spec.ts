// Point arithmetic and strict decompression against points computed independently with
// BigInt affine Edwards formulas (exact arithmetic), and the RFC 8032 §5.1.3 edge cases.
import { FE_BYTES } from "../crypto/field";
import {
  P3_BYTES, P1P1_BYTES, CACHED_BYTES, NIELS_BYTES, DECODE_OK, DECODE_NOT_CANONICAL, DECODE_NOT_ON_CURVE,
  p3FromBytes, p3ToBytes, p2ToBytes, p3Identity, p3Copy, p3Neg, p3Dbl, p2Dbl, p1p1ToP2, p1p1ToP3, p3ToCached,
  geAdd, geSub, geMadd, geMsub, nielsFromAffine, nielsIdentity, nielsCmov, nielsCneg, encodingIsCanonical,
  p3HasSmallOrder, p3IsIdentity,
} from "../crypto/point";
import { putHex } from "./hex";

const buf: usize = memory.data(64, 16);
const out: usize = memory.data(64, 16);
const P: usize = memory.data(P3_BYTES, 16);
const Q: usize = memory.data(P3_BYTES, 16);
const acc: usize = memory.data(P3_BYTES, 16);
const t: usize = memory.data(P1P1_BYTES, 16);
const cached: usize = memory.data(CACHED_BYTES, 16);
const niels: usize = memory.data(NIELS_BYTES, 16);
const niels2: usize = memory.data(NIELS_BYTES, 16);

function getHex(src: usize, n: i32): string {
  let s = "";
  for (let i = 0; i < n; i++) { const v = load<u8>(src + <usize>i); s += (v < 16 ? "0" : "") + v.toString(16); }
  return s;
}
function decode(dst: usize, hex: string): i32 { putHex(buf, hex); return p3FromBytes(dst, buf); }
function encode(p: usize): string { p3ToBytes(out, p); return getHex(out, 32); }

/** acc = [k]P by double-and-add over the 64 bits of k, with P3 doubling and cached addition. */
function mulSmall(p: usize, k: u64): void {
  p3Identity(acc);
  p3ToCached(cached, p);
  for (let i = 63; i >= 0; i--) {
    p3Dbl(t, acc); p1p1ToP3(acc, t);
    if ((k >> <u64>i) & 1) { geAdd(t, acc, cached); p1p1ToP3(acc, t); }
  }
}

// Encodings of [k]B (BigInt affine arithmetic).
const B_HEX = "5866666666666666666666666666666666666666666666666666666666666666";
const B2_HEX = "c9a3f86aae465f0e56513864510f3997561fa2c9e85ea21dc2292309f3cd6022";
const B3_HEX = "d4b4f5784868c3020403246717ec169ff79e26608ea126a1ab69ee77d1b16712";
const B8_HEX = "b4b937fca95b2f1e93e41e62fc3c78818ff38a66096fad6e7973e5c90006d321";
const B2POW64_HEX = "1353e48257fa1e8f062b90ba08b610544f7c1b26edda6bdd25d04eea42bb2503";
const BLM1_HEX = "58666666666666666666666666666666666666666666666666666666666666e6"; // [L-1]B = -B
const B123456789_HEX = "17ffad8068dc0de9935d36636f3ad1b5de6de3413b12388e453b05f2a4c1d3db";
/** [i]T for a generator T of the 8-element torsion subgroup (T = [L]P for a point P). */
const TORSION: string[] = [
  "0100000000000000000000000000000000000000000000000000000000000000",
  "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a",
  "0000000000000000000000000000000000000000000000000000000000000080",
  "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05",
  "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
  "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85",
  "0000000000000000000000000000000000000000000000000000000000000000",
  "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa"
];
/** B + T: a mixed-order point (large order, nonzero torsion component). */
const MIXED_HEX = "98519eadf35b995233b51b5cd23e9cc5a28b639b5a4af0ec903cb960d81b7819";
/** y values with no x on the curve. */
const NO_ROOT: string[] = ["0200000000000000000000000000000000000000000000000000000000000000", "0700000000000000000000000000000000000000000000000000000000000000", "0800000000000000000000000000000000000000000000000000000000000000"];

describe("point: decompression (RFC 8032 §5.1.3, strict)", () => {
  it("round-trips encodings of base-point multiples", () => {
    const hexes: string[] = [B_HEX, B2_HEX, B3_HEX, B8_HEX, B2POW64_HEX, BLM1_HEX, B123456789_HEX, MIXED_HEX];
    for (let i = 0; i < hexes.length; i++) {
      expect(decode(P, hexes[i])).toBe(DECODE_OK, "decode " + i.toString());
      expect(encode(P)).toBe(hexes[i], "encode " + i.toString());
    }
  });
  it("rejects y = p, y = p + 1 and y = 2^255 - 1 as non-canonical", () => {
    expect(decode(P, "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f")).toBe(DECODE_NOT_CANONICAL);
    expect(decode(P, "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f")).toBe(DECODE_NOT_CANONICAL);
    expect(decode(P, "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff")).toBe(DECODE_NOT_CANONICAL);
    expect(decode(P, "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f")).toBe(DECODE_NOT_CANONICAL);
  });
  it("rejects x = 0 with the sign bit set (y = 1 and y = p - 1)", () => {
    expect(decode(P, "0100000000000000000000000000000000000000000000000000000000000080")).toBe(DECODE_NOT_CANONICAL);
    expect(decode(P, "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff")).toBe(DECODE_NOT_CANONICAL);
    expect(decode(P, "0100000000000000000000000000000000000000000000000000000000000000")).toBe(DECODE_OK);
    expect(decode(P, "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f")).toBe(DECODE_OK);
  });
  it("rejects y with no square root, with either sign bit", () => {
    for (let i = 0; i < NO_ROOT.length; i++) {
      expect(decode(P, NO_ROOT[i])).toBe(DECODE_NOT_ON_CURVE, NO_ROOT[i]);
      putHex(buf, NO_ROOT[i]); store<u8>(buf, load<u8>(buf, 31) | 0x80, 31);
      expect(p3FromBytes(P, buf)).toBe(DECODE_NOT_ON_CURVE, NO_ROOT[i] + " with sign");
    }
  });
  it("applies the byte rule of canonical encodings without decoding", () => {
    putHex(buf, "0100000000000000000000000000000000000000000000000000000000000080"); expect(encodingIsCanonical(buf)).toBe(false);
    putHex(buf, "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"); expect(encodingIsCanonical(buf)).toBe(false);
    putHex(buf, "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f"); expect(encodingIsCanonical(buf)).toBe(false);
    putHex(buf, "0000000000000000000000000000000000000000000000000000000000000080"); expect(encodingIsCanonical(buf)).toBe(true);
    putHex(buf, NO_ROOT[0]); expect(encodingIsCanonical(buf)).toBe(true);  // off-curve but canonical bytes
    putHex(buf, B_HEX); expect(encodingIsCanonical(buf)).toBe(true);
  });
});

describe("point: small order", () => {
  it("detects all 8 torsion points and only them", () => {
    for (let i = 0; i < TORSION.length; i++) {
      expect(decode(P, TORSION[i])).toBe(DECODE_OK, "torsion " + i.toString());
      expect(p3HasSmallOrder(P)).toBe(true, "torsion " + i.toString());
      expect(encode(P)).toBe(TORSION[i], "torsion encode " + i.toString());
    }
    decode(P, B_HEX); expect(p3HasSmallOrder(P)).toBe(false);
    decode(P, MIXED_HEX); expect(p3HasSmallOrder(P)).toBe(false);
  });
  it("T generates the torsion subgroup: [i]T by repeated addition, [8]T = 0", () => {
    decode(P, TORSION[1]);
    p3Identity(Q); p3ToCached(cached, P);
    for (let i = 1; i <= 8; i++) {
      geAdd(t, Q, cached); p1p1ToP3(Q, t);
      expect(encode(Q)).toBe(TORSION[i & 7], "[" + i.toString() + "]T");
    }
    expect(p3IsIdentity(Q)).toBe(true);
  });
});

describe("point: group law", () => {
  it("double, add and scalar multiples agree with BigInt", () => {
    decode(P, B_HEX);
    p3Dbl(t, P); p1p1ToP3(Q, t); expect(encode(Q)).toBe(B2_HEX, "2B by doubling");
    p3ToCached(cached, P); geAdd(t, P, cached); p1p1ToP3(Q, t); expect(encode(Q)).toBe(B2_HEX, "B + B");
    mulSmall(P, 3); expect(encode(acc)).toBe(B3_HEX, "[3]B");
    mulSmall(P, 8); expect(encode(acc)).toBe(B8_HEX, "[8]B");
    mulSmall(P, 123456789); expect(encode(acc)).toBe(B123456789_HEX, "[123456789]B");
    p3Copy(Q, P);
    for (let i = 0; i < 64; i++) { p2Dbl(t, Q); p1p1ToP3(Q, t); }
    expect(encode(Q)).toBe(B2POW64_HEX, "[2^64]B");
    p3Neg(Q, P); expect(encode(Q)).toBe(BLM1_HEX, "-B = [L-1]B");
  });
  it("subtraction and mixed (niels) addition agree with cached addition", () => {
    decode(P, B_HEX); decode(Q, B3_HEX);
    p3ToCached(cached, P); geSub(t, Q, cached); p1p1ToP3(acc, t); expect(encode(acc)).toBe(B2_HEX, "3B - B");
    // B is decoded with Z = 1, so (X, Y) are its affine coordinates.
    nielsFromAffine(niels, P, P + <usize>FE_BYTES);
    geMadd(t, Q, niels); p1p1ToP3(acc, t); mulSmall(P, 4); const four = encode(acc);
    geMadd(t, Q, niels); p1p1ToP3(acc, t); expect(encode(acc)).toBe(four, "3B + B (niels)");
    geMsub(t, Q, niels); p1p1ToP3(acc, t); expect(encode(acc)).toBe(B2_HEX, "3B - B (niels)");
    p1p1ToP2(acc, t); p2ToBytes(out, acc); expect(getHex(out, 32)).toBe(B2_HEX, "P2 encoding");
  });
  it("niels selection and negation in constant time", () => {
    decode(P, B2_HEX); decode(Q, B3_HEX);
    nielsFromAffine(niels, P, P + <usize>FE_BYTES);
    nielsIdentity(niels2);
    nielsCmov(niels2, niels, 0); geMadd(t, Q, niels2); p1p1ToP3(acc, t); expect(encode(acc)).toBe(B3_HEX, "+0");
    nielsCmov(niels2, niels, 1); nielsCneg(niels2, 1);
    geMadd(t, Q, niels2); p1p1ToP3(acc, t); expect(encode(acc)).toBe(B_HEX, "3B + (-2B)");
  });
});
