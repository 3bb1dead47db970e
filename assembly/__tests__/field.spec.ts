// Field arithmetic GF(2^255 - 19): products, squares, exponent chains and canonical
// encoding against values computed independently with arbitrary-precision integers
// (JavaScript BigInt, exact modular arithmetic), plus algebraic identities.
import {
  FE_BYTES, FE_D, FE_SQRTM1,
  feAdd, feSub, feNeg, feMul, feSq, feSq2, feSqN, feInvert, fePow22523, feCarry, feCmov, feCneg,
  feAddSub, feAddSub2, feSqSumSub, feSq2Sub,
  feFromBytes, feToBytes, feBytesAreCanonical, feIsZero, feIsNegative, feEqual, feOne, feZero, feCopy,
} from "../crypto/field";
import { putHex } from "./hex";

const a: usize = memory.data(64, 16);
const b: usize = memory.data(64, 16);
const c: usize = memory.data(64, 16);
const d: usize = memory.data(64, 16);
const e: usize = memory.data(64, 16);
const bytes: usize = memory.data(64, 16);

function getHex(src: usize, n: i32): string {
  let s = "";
  for (let i = 0; i < n; i++) { const v = load<u8>(src + <usize>i); s += (v < 16 ? "0" : "") + v.toString(16); }
  return s;
}
function fe(dst: usize, hex: string): void { putHex(bytes, hex); feFromBytes(dst, bytes); }
function hexOf(f: usize): string { feToBytes(bytes, f); return getHex(bytes, 32); }

// Columns (32-byte little-endian hex, BigInt-computed): a, b, a·b, a², a^(2^10), a^(p-2), a^((p-5)/8).
// Rows: a ∈ {0, 1, 2, p-1, p-2, 2^254, 19, p-1} and four random; b random.
const VECTORS: string[][] = [
  ["0000000000000000000000000000000000000000000000000000000000000000", "ee54b6b6aa1e04f829810cc5528c6f377be7416b4e1c67189b3e943590b6af2c", "0000000000000000000000000000000000000000000000000000000000000000", "0000000000000000000000000000000000000000000000000000000000000000", "0000000000000000000000000000000000000000000000000000000000000000", "0000000000000000000000000000000000000000000000000000000000000000", "0000000000000000000000000000000000000000000000000000000000000000"],
  ["0100000000000000000000000000000000000000000000000000000000000000", "e6b24c4e69dd7051277e11d2f156259397621ca1630b8e60cd93bd9817eb9404", "e6b24c4e69dd7051277e11d2f156259397621ca1630b8e60cd93bd9817eb9404", "0100000000000000000000000000000000000000000000000000000000000000", "0100000000000000000000000000000000000000000000000000000000000000", "0100000000000000000000000000000000000000000000000000000000000000", "0100000000000000000000000000000000000000000000000000000000000000"],
  ["0200000000000000000000000000000000000000000000000000000000000000", "9a1060ab24bdedd09f9bf1a7bc53dd3ca9a2ef420890c58c7cbd1ca1f399045d", "4721c056497adba13f37e34f79a7ba795245df8510208b19f97a3942e733093a", "0400000000000000000000000000000000000000000000000000000000000000", "10d11f0000000000000000000000000000000000000000000000000000000000", "f7ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff3f", "4f5007a5930d77623cf29756038ca197d3ebfd9e4c80a69585efe0274092c155"],
  ["ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", "c1c9830e4402d2eccf981cce32cc6dfaef7bccd1aa7e1a6538bf1780cc4b4d5f", "2c367cf1bbfd2d133067e331cd3392051084332e5581e59ac740e87f33b4b220", "0100000000000000000000000000000000000000000000000000000000000000", "0100000000000000000000000000000000000000000000000000000000000000", "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f"],
  ["ebffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", "080a76a0a2fe1fa7863d95825722ee34191ea59b380fd75608553e0944426f02", "ddeb13bfba02c0b1f284d5fa50bb2396cdc3b5c88ee15152ef5583ed777b217b", "0400000000000000000000000000000000000000000000000000000000000000", "10d11f0000000000000000000000000000000000000000000000000000000000", "f6ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff3f", "9eaff85a6cf2889dc30d68a9fc735e682c140261b37f596a7a101fd8bf6d3e2a"],
  ["0000000000000000000000000000000000000000000000000000000000000040", "4d5b5aa53d1eaa25a7b3ddf4561c084cbd4d54222fd572f4410ae446f87dc81a", "7863daa2491fd0e5b32a3a163a0d4d5286e220c63fe94292726176a1b6ac703e", "4c00000000000000000000000000000000000000000000000000000000000060", "d0e625847bd3f62499ae50a299e5a59c46283246c6c1dc0e34a3aa338331c60b", "2894d7505e43790de53594d7505e43790de53594d7505e43790de53594d7505e", "a2500884cdfe65a9e9417c60ffb6f9a86f2d1afce25c29e87201f0db934f4d69"],
  ["1300000000000000000000000000000000000000000000000000000000000000", "0c51c2e974e075e06920793b09614f79034e4bfedef6914411c9acf146902a2e", "56046c59ada8bfa8db67fd69af33e40042ca96df8c52d51648ecd2ef43b5286d", "6901000000000000000000000000000000000000000000000000000000000000", "61d83527320f0a6ea36a2128e36e6b0864229136c67b019f1e80354d0b77b209", "14ca6b28afa1bc86f21aca6b28afa1bc86f21aca6b28afa1bc86f21aca6b282f", "562804c266ffb2d4f4203eb07fdb7c54c5fb421249ff72b7320edd235e7ff712"],
  ["ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", "4a71b2d7280be2e5c649fad0b619c730a9560a491d09d2decf797a5b1509bb03", "a38e4d28d7f41d1a39b6052f49e638cf56a9f5b6e2f62d21308685a4eaf6447c", "0100000000000000000000000000000000000000000000000000000000000000", "0100000000000000000000000000000000000000000000000000000000000000", "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f"],
  ["ceedaa69a0998addb0517bb233c5aec05d82acfe8e0c791b62e94809312acd63", "ec9a35d7500febe2d9330a6478f650b2eafd78777f67affa4aec640651a72809", "01abf507468190854e0ff6d7d1a5acbab19a7d19ddc7f963150548446411e02d", "0380cf52b0c53893375b0b2f4de3fac579c46e91bb3b48f49130e9fc37db9e57", "421394c6cee50706a4472edf8fae10c4b96e6148c577abe3d454a9d91625765e", "9ce6ae2692cfec3ccd6ff33126fe4a5ae20fa71a352eda374fdeeeaf2593374f", "da7f89d61ed5f5d4ccc76388ea9a67f66ff002016f0dc2cac92cde2420197371"],
  ["6a61cd4ab2a17429720524bcc0c8ddca77f40e516a01f542841d9463bd724e5b", "2c9d9e16c5260e5bef7803c176b1ed46455f5194359b53f797aa6088f5a4b92c", "9c4146a76a00e4fe039f671ba5cbe1981f06e97ab659eba24df63aadf13b0a73", "3e69d956210cd5605818496c439d01a613db0968a9b6a4157dfebccd0ead9042", "ff5c0fae81ea875fb0900ab8d3c724976b413a258595dc4e6908a85b0c209334", "82c7cd68d86a60855e0db3772e621519a520df8ded60a1312fbc37f5cb10107d", "2af1923e69b9436a095c653102266db444fefd2160f9d429d8f57eea48975078"],
  ["7d1e968a88991197604eb6823540f7560ee099793f0b893c79c0d130a38b3c74", "b28f6b75fc8411bacab1018356ac726c1eee352850f7ae7d30255e6296cb560f", "8058b47ef4b6c92d13ec74d3a579dd5a422920ccc7e48ce9b33e543ddc01b504", "18fa0946f024007ec03288df2949dc223887aec6e1d3f9c47d30a1c3745f6353", "6fdb16d03f4478be99925848f89f3bc2002d262ad96bfac74db388745b36452a", "88d902b487821ecdd6436804012edd970876c1694be757b3c00eed749a4e050c", "ea3d0dd981e69568e96c172414c277047b4562eb7fb5bac101b121af1a25b30b"],
  ["ded1e969f8facae8faf69a923d01dc8f6160ca83f078919a046f91dbf1d5940a", "d5675c5439977c9159a4d543fbce817c0a15adfc11edab0076d31b51a531b174", "413d415cde7d5a90ee599d3f86fa6c9790fcf912ca778a34d8877b6236c6f145", "36aaa637783190d934bcde0f4139ce1e25811fb0864701153898cb26dd657f53", "56634949d7937e69b30491dbc80c327c2dd007d327c583c57b44cac885ade172", "ec4abdd858e8002d809a05034b48409fcc9c0431de51d6093c6b3827ba8dd22c", "24e8b645884b83adb6ffeb54238587518c3d0f19c6ea4f14c751eeccf9be8f6b"]
];

const P_HEX = "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f";
const ONE_HEX = "0100000000000000000000000000000000000000000000000000000000000000";
const ZERO_HEX = "0000000000000000000000000000000000000000000000000000000000000000";

describe("field: products and exponents (BigInt vectors)", () => {
  it("multiplies, squares and chains exactly", () => {
    for (let i = 0; i < VECTORS.length; i++) {
      const v = VECTORS[i];
      const id = " (vector " + i.toString() + ")";
      fe(a, v[0]); fe(b, v[1]);
      feMul(c, a, b); expect(hexOf(c)).toBe(v[2], "a·b" + id);
      feSq(c, a); expect(hexOf(c)).toBe(v[3], "a²" + id);
      feSq2(c, a); feAdd(d, a, a); feMul(d, d, a); expect(hexOf(c)).toBe(hexOf(d), "2a²" + id);
      feSqN(c, a, 10); expect(hexOf(c)).toBe(v[4], "a^(2^10)" + id);
      feInvert(c, a); expect(hexOf(c)).toBe(v[5], "1/a" + id);
      fePow22523(c, a); expect(hexOf(c)).toBe(v[6], "a^((p-5)/8)" + id);
    }
  });
  it("fused sums, differences and squares equal their composition", () => {
    for (let i = 0; i < VECTORS.length; i++) {
      const v = VECTORS[i];
      const id = " (vector " + i.toString() + ")";
      fe(a, v[0]); fe(b, v[1]);
      feAddSub(c, d, a, b);
      feAdd(e, a, b); expect(hexOf(c)).toBe(hexOf(e), "a+b" + id);
      feSub(e, a, b); expect(hexOf(d)).toBe(hexOf(e), "a-b" + id);
      feAddSub2(c, d, a, b);
      feAdd(e, a, a); feAdd(e, e, b); expect(hexOf(c)).toBe(hexOf(e), "2a+b" + id);
      feAdd(e, a, a); feSub(e, e, b); expect(hexOf(d)).toBe(hexOf(e), "2a-b" + id);
      // k is a difference of two reduced values, as in the doubling.
      feSub(d, b, a);
      feSqSumSub(c, a, b, d);
      feAdd(e, a, b); feSq(e, e); feSub(e, e, d);
      expect(hexOf(c)).toBe(hexOf(e), "(a+b)²-k" + id);
      feSq2Sub(c, a, d);
      feSq2(e, a); feSub(e, e, d); expect(hexOf(c)).toBe(hexOf(e), "2a²-k" + id);
    }
  });
  it("fused sums and differences let outputs alias inputs", () => {
    const v = VECTORS[10];
    fe(a, v[0]); fe(b, v[1]);
    feAdd(c, a, b); feSub(d, a, b);
    feAddSub(b, a, a, b);
    expect(hexOf(b)).toBe(hexOf(c)); expect(hexOf(a)).toBe(hexOf(d));
  });
  it("lets outputs alias inputs", () => {
    const v = VECTORS[9];
    fe(a, v[0]); fe(b, v[1]);
    feMul(a, a, b); expect(hexOf(a)).toBe(v[2]);
    fe(a, v[0]); feSq(a, a); expect(hexOf(a)).toBe(v[3]);
    fe(a, v[0]); feInvert(a, a); expect(hexOf(a)).toBe(v[5]);
  });
});

describe("field: identities", () => {
  it("a · (1/a) = 1 for nonzero a", () => {
    for (let i = 1; i < VECTORS.length; i++) {
      fe(a, VECTORS[i][0]); feInvert(b, a); feMul(c, a, b);
      expect(hexOf(c)).toBe(ONE_HEX, "vector " + i.toString());
    }
  });
  it("square roots: r = a²·(a²)^((p-5)/8) satisfies r² = ±a², and sqrt(-1)² = -1", () => {
    feOne(d); feNeg(d, d);
    feSq(c, FE_SQRTM1); expect(feEqual(c, d)).toBe(true, "sqrt(-1)² = -1");
    for (let i = 1; i < VECTORS.length; i++) {
      fe(a, VECTORS[i][1]); feSq(a, a);              // a square
      fePow22523(b, a); feMul(b, b, a);                // candidate root
      feSq(c, b);
      if (!feEqual(c, a)) { feMul(b, b, FE_SQRTM1); feSq(c, b); }
      expect(feEqual(c, a)).toBe(true, "root of vector " + i.toString());
    }
  });
  it("d = -121665/121666", () => {
    fe(a, "42db010000000000000000000000000000000000000000000000000000000000"); // 121666
    feMul(b, a, FE_D);
    fe(c, "41db010000000000000000000000000000000000000000000000000000000000"); // 121665
    feAdd(b, b, c);
    expect(feIsZero(b)).toBe(true);
  });
  it("(a + b) - b = a and -(-a) = a, with carries", () => {
    fe(a, VECTORS[10][0]); fe(b, VECTORS[10][1]);
    feAdd(c, a, b); feSub(c, c, b); expect(hexOf(c)).toBe(VECTORS[10][0]);
    feNeg(c, a); feNeg(c, c); feCarry(c, c); expect(hexOf(c)).toBe(VECTORS[10][0]);
  });
});

describe("field: canonical encoding", () => {
  it("reduces inputs in [p, 2^255) on decode-encode", () => {
    // p → 0, p + 1 → 1, 2^255 - 1 → 18; the sign bit (bit 255) is ignored.
    fe(a, P_HEX); expect(hexOf(a)).toBe(ZERO_HEX);
    fe(a, "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f"); expect(hexOf(a)).toBe(ONE_HEX);
    fe(a, "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f");
    expect(hexOf(a)).toBe("1200000000000000000000000000000000000000000000000000000000000000");
    fe(a, "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff");
    expect(hexOf(a)).toBe("ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f");
  });
  it("encodes unreduced and negative limbs canonically", () => {
    feZero(a); feOne(b); feSub(a, a, b);            // limbs (-1, 0, …): value p - 1
    expect(hexOf(a)).toBe("ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f");
    // every limb at its maximum: 2^255 - 1 spread without carries, plus 19 more of them
    for (let i = 0; i < 10; i++) store<i32>(a + <usize>(i << 2), (i & 1) ? (1 << 25) - 1 : (1 << 26) - 1);
    expect(hexOf(a)).toBe("1200000000000000000000000000000000000000000000000000000000000000");
    feAdd(a, a, a); feAdd(a, a, a);                 // 4·(2^255 - 1) = 4·18 = 72 mod p
    expect(hexOf(a)).toBe("4800000000000000000000000000000000000000000000000000000000000000");
    // a value exactly p in limbs: (2^26 - 19, 2^25 - 1, 2^26 - 1, …)
    for (let i = 0; i < 10; i++) store<i32>(a + <usize>(i << 2), (i & 1) ? (1 << 25) - 1 : (1 << 26) - 1);
    store<i32>(a, (1 << 26) - 19);
    expect(hexOf(a)).toBe(ZERO_HEX);
    expect(feIsZero(a)).toBe(true);
  });
  it("recognizes y < p on 255 bits", () => {
    putHex(bytes, "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f"); expect(feBytesAreCanonical(bytes)).toBe(true);
    putHex(bytes, "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"); expect(feBytesAreCanonical(bytes)).toBe(true);
    putHex(bytes, P_HEX); expect(feBytesAreCanonical(bytes)).toBe(false);
    putHex(bytes, "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"); expect(feBytesAreCanonical(bytes)).toBe(false);
    putHex(bytes, "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f"); expect(feBytesAreCanonical(bytes)).toBe(false);
    putHex(bytes, "edfffffffffffffffffffffffffffffffffffffffffffffffffeffffffffff7f"); expect(feBytesAreCanonical(bytes)).toBe(true);
  });
  it("reports sign (parity) and zero of the reduced value", () => {
    fe(a, P_HEX); expect(feIsZero(a)).toBe(true); expect(feIsNegative(a)).toBe(0);
    fe(a, "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f"); expect(feIsNegative(a)).toBe(1); // p + 1 ≡ 1
    fe(a, ONE_HEX); feNeg(a, a); expect(feIsNegative(a)).toBe(0);  // p - 1 is even
  });
});

describe("field: constant-time selection", () => {
  it("cmov and cneg select by the flag", () => {
    fe(a, VECTORS[8][0]); fe(b, VECTORS[8][1]);
    feCopy(c, a); feCmov(c, b, 0); expect(hexOf(c)).toBe(VECTORS[8][0]);
    feCmov(c, b, 1); expect(hexOf(c)).toBe(VECTORS[8][1]);
    feCopy(c, a); feCneg(c, 0); expect(hexOf(c)).toBe(VECTORS[8][0]);
    feCneg(c, 1); feAdd(c, c, a); expect(feIsZero(c)).toBe(true);
  });
});
