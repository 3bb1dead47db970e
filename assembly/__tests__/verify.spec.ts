// Strict Ed25519 verification: RFC 8032 §7.1 vectors, every rule of the policy in its
// order (policy.ts), the streaming and registered-key paths agreeing with one-shot.
// Torsion encodings are [i]T for a generator T computed with BigInt arithmetic (they match
// the published list of the eight small-order points).
import { REGISTERED_KEYS_MAX } from "../limits";
import { VerifyStatus } from "../crypto/policy";
import {
  ed25519Verify, ed25519VerifyBegin, ed25519VerifyUpdate, ed25519VerifyEnd,
  ed25519RegisterKey, ed25519VerifyRegistered,
} from "../crypto/verify";
import { shortLatticeVector, bitLength, LATTICE_BITS_MAX } from "../crypto/verify-lattice";
import { doubleScalarMulBase } from "../crypto/verify-msm";
import { scalarMulAdd, scalarReduce64 } from "../crypto/scalar";
import { sha512Init, sha512Update, sha512Final } from "../crypto/sha512";
import { P2_BYTES, P3_BYTES, p3FromBytes, p2ToBytes } from "../crypto/point";
import { putHex } from "./hex";

const pk: usize = memory.data(32, 16);
const sig: usize = memory.data(64, 16);
const msg: usize = memory.data(256, 16);
const shaCtx: usize = memory.data(256, 16);
const scratch: usize = memory.data(256, 16);
const pointA: usize = memory.data(P3_BYTES, 16);
const pointOut: usize = memory.data(P2_BYTES, 16);

// RFC 8032 §7.1: [public key, message, signature].
const RFC: string[][] = [
  ["d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", "",
   "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"],
  ["3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c", "72",
   "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00"],
  ["fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025", "af82",
   "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a"],
];

const TORSION: string[] = [
  "0100000000000000000000000000000000000000000000000000000000000000",
  "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a",
  "0000000000000000000000000000000000000000000000000000000000000080",
  "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05",
  "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
  "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85",
  "0000000000000000000000000000000000000000000000000000000000000000",
  "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa",
];
const L_HEX = "edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010";
const Y_P = "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f";
const Y_P_PLUS_1 = "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f";
const Y_1_SIGN = "0100000000000000000000000000000000000000000000000000000000000080";
const Y_PM1_SIGN = "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff";
const NO_ROOT = "0200000000000000000000000000000000000000000000000000000000000000";

/** Loads RFC case i into pk/msg/sig; returns the message length. */
function loadCase(i: i32): i32 {
  putHex(pk, RFC[i][0]); putHex(msg, RFC[i][1]); putHex(sig, RFC[i][2]);
  return RFC[i][1].length / 2;
}

function streamed(len: i32, split: i32): i32 {
  const begun = ed25519VerifyBegin(pk, sig);
  if (begun != VerifyStatus.Valid) return ed25519VerifyEnd();
  ed25519VerifyUpdate(msg, split);
  ed25519VerifyUpdate(msg + <usize>split, len - split);
  return ed25519VerifyEnd();
}

describe("verify: RFC 8032 §7.1", () => {
  it("accepts TEST 1, 2, 3 (one-shot, streamed at every split, registered)", () => {
    for (let i = 0; i < RFC.length; i++) {
      const len = loadCase(i);
      expect(ed25519Verify(pk, msg, len, sig)).toBe(VerifyStatus.Valid, "one-shot " + i.toString());
      for (let split = 0; split <= len; split++) expect(streamed(len, split)).toBe(VerifyStatus.Valid, "stream " + i.toString());
      expect(ed25519RegisterKey(i, pk)).toBe(VerifyStatus.Valid);
      expect(ed25519VerifyRegistered(i, msg, len, sig)).toBe(VerifyStatus.Valid, "registered " + i.toString());
    }
  });
  it("rejects a changed message, R or S with EquationMismatch on every path", () => {
    for (let i = 0; i < RFC.length; i++) {
      for (let which = 0; which < 3; which++) {
        let len = loadCase(i);
        if (which == 0) { if (len == 0) len = 1; store<u8>(msg, load<u8>(msg) ^ 1); }
        if (which == 1) store<u8>(sig, load<u8>(sig, 2) ^ 4, 2);
        if (which == 2) store<u8>(sig, load<u8>(sig, 40) ^ 1, 40);
        const id = "case " + i.toString() + "/" + which.toString();
        expect(ed25519Verify(pk, msg, len, sig)).toBe(VerifyStatus.EquationMismatch, id);
        expect(streamed(len, len >> 1)).toBe(VerifyStatus.EquationMismatch, id);
        expect(ed25519RegisterKey(0, pk)).toBe(VerifyStatus.Valid);
        expect(ed25519VerifyRegistered(0, msg, len, sig)).toBe(VerifyStatus.EquationMismatch, id);
      }
    }
  });
});

describe("verify: policy rules in order", () => {
  it("1. S ≥ L is reported before anything else", () => {
    loadCase(1);
    putHex(sig + 32, L_HEX);
    expect(ed25519Verify(pk, msg, 1, sig)).toBe(VerifyStatus.SNotCanonical);
    putHex(pk, Y_P); putHex(sig, Y_P);           // every later rule broken too
    expect(ed25519Verify(pk, msg, 1, sig)).toBe(VerifyStatus.SNotCanonical);
    store<u64>(sig, 0xffffffffffffffff, 56);       // S = 2^256 - …
    expect(ed25519Verify(pk, msg, 1, sig)).toBe(VerifyStatus.SNotCanonical);
  });
  it("2–4. public key: non-canonical, not on the curve, small order", () => {
    const keys: string[] = [Y_P, Y_P_PLUS_1, Y_1_SIGN, Y_PM1_SIGN, NO_ROOT];
    const want: i32[] = [2, 2, 2, 2, 3];
    for (let i = 0; i < keys.length; i++) {
      loadCase(1); putHex(pk, keys[i]); putHex(sig, Y_P);   // R broken too: key rules come first
      expect(ed25519Verify(pk, msg, 1, sig)).toBe(want[i], keys[i]);
      expect(ed25519VerifyBegin(pk, sig)).toBe(want[i], keys[i]);
      expect(ed25519VerifyEnd()).toBe(want[i], keys[i]);
      expect(ed25519RegisterKey(1, pk)).toBe(want[i], keys[i]);
    }
    for (let i = 0; i < TORSION.length; i++) {
      loadCase(1); putHex(pk, TORSION[i]);
      expect(ed25519Verify(pk, msg, 1, sig)).toBe(VerifyStatus.PublicKeySmallOrder, TORSION[i]);
      expect(ed25519RegisterKey(1, pk)).toBe(VerifyStatus.PublicKeySmallOrder, TORSION[i]);
    }
  });
  it("5–6. R: non-canonical, then small order (all 8 torsion points)", () => {
    const rs: string[] = [Y_P, Y_P_PLUS_1, Y_1_SIGN, Y_PM1_SIGN];
    loadCase(1);
    expect(ed25519RegisterKey(2, pk)).toBe(VerifyStatus.Valid);
    for (let i = 0; i < rs.length; i++) {
      loadCase(1); putHex(sig, rs[i]);
      expect(ed25519Verify(pk, msg, 1, sig)).toBe(VerifyStatus.RNotCanonical, rs[i]);
      expect(ed25519VerifyRegistered(2, msg, 1, sig)).toBe(VerifyStatus.RNotCanonical, rs[i]);
    }
    for (let i = 0; i < TORSION.length; i++) {
      loadCase(1); putHex(sig, TORSION[i]);
      expect(ed25519Verify(pk, msg, 1, sig)).toBe(VerifyStatus.RSmallOrder, TORSION[i]);
      expect(ed25519VerifyRegistered(2, msg, 1, sig)).toBe(VerifyStatus.RSmallOrder, TORSION[i]);
    }
    // canonical but off-curve R is not a rule of its own: the equation cannot hold.
    loadCase(1); putHex(sig, NO_ROOT);
    expect(ed25519Verify(pk, msg, 1, sig)).toBe(VerifyStatus.EquationMismatch);
  });
});

describe("verify: registered keys and streams", () => {
  it("reports invalid and empty slots", () => {
    loadCase(0);
    expect(ed25519RegisterKey(-1, pk)).toBe(VerifyStatus.KeySlotInvalid);
    expect(ed25519RegisterKey(REGISTERED_KEYS_MAX, pk)).toBe(VerifyStatus.KeySlotInvalid);
    expect(ed25519VerifyRegistered(REGISTERED_KEYS_MAX, msg, 0, sig)).toBe(VerifyStatus.KeySlotInvalid);
    expect(ed25519VerifyRegistered(-1, msg, 0, sig)).toBe(VerifyStatus.KeySlotInvalid);
    expect(ed25519RegisterKey(3, pk)).toBe(VerifyStatus.Valid);
    expect(ed25519VerifyRegistered(3, msg, 0, sig)).toBe(VerifyStatus.Valid);
    putHex(pk, NO_ROOT);
    expect(ed25519RegisterKey(3, pk)).toBe(VerifyStatus.PublicKeyNotOnCurve);
    expect(ed25519VerifyRegistered(3, msg, 0, sig)).toBe(VerifyStatus.KeySlotEmpty);
  });
  it("keeps slots apart: a signature verifies only under its own slot", () => {
    for (let i = 0; i < RFC.length; i++) { loadCase(i); expect(ed25519RegisterKey(i, pk)).toBe(VerifyStatus.Valid); }
    for (let i = 0; i < RFC.length; i++) {
      const len = loadCase(i);
      for (let s = 0; s < RFC.length; s++) {
        const want = s == i ? VerifyStatus.Valid : VerifyStatus.EquationMismatch;
        expect(ed25519VerifyRegistered(s, msg, len, sig)).toBe(want, "sig " + i.toString() + " slot " + s.toString());
      }
    }
  });
  it("closes a stream at End; End without Begin rejects; one-shot does not disturb a stream", () => {
    expect(ed25519VerifyEnd()).toBe(VerifyStatus.EquationMismatch);
    const len = loadCase(2);
    expect(ed25519VerifyBegin(pk, sig)).toBe(VerifyStatus.Valid);
    ed25519VerifyUpdate(msg, 1);
    loadCase(1);
    expect(ed25519Verify(pk, msg, 1, sig)).toBe(VerifyStatus.Valid);
    loadCase(2);
    ed25519VerifyUpdate(msg + 1, len - 1);
    expect(ed25519VerifyEnd()).toBe(VerifyStatus.Valid);
    expect(ed25519VerifyEnd()).toBe(VerifyStatus.EquationMismatch);
  });
});

describe("verify: the multiplication paths", () => {
  it("classic path: encode([S]B - [k]A) == R for the RFC vectors", () => {
    for (let i = 0; i < RFC.length; i++) {
      const len = loadCase(i);
      sha512Init(shaCtx); sha512Update(shaCtx, sig, 32); sha512Update(shaCtx, pk, 32); sha512Update(shaCtx, msg, len);
      sha512Final(shaCtx, scratch);
      scalarReduce64(scratch, scratch + 64);                       // k
      p3FromBytes(pointA, pk);
      doubleScalarMulBase(pointOut, sig + 32, scratch + 64, pointA);
      p2ToBytes(scratch + 128, pointOut);
      for (let j = 0; j < 32; j += 8) expect(load<u64>(scratch + 128 + <usize>j)).toBe(load<u64>(sig + <usize>j), "R word " + j.toString());
    }
  });
  it("short lattice vector: m odd and short, r ≡ σ·m·k modulo 8 and modulo L", () => {
    // k: 0, 1, 2^128 - 1, 2^128, L - 1, and pseudo-random values below L.
    const k = scratch, r = scratch + 32, m = scratch + 64, check = scratch + 96, zero = scratch + 160;
    for (let j: usize = 0; j < 32; j += 8) store<u64>(zero + j, 0);
    for (let i = 0; i < 40; i++) {
      for (let j: usize = 0; j < 32; j += 8) store<u64>(k + j, 0);
      if (i == 1) store<u64>(k, 1);
      if (i == 2) { store<u64>(k, 0xffffffffffffffff); store<u64>(k, 0xffffffffffffffff, 8); }
      if (i == 3) store<u64>(k, 1, 16);
      if (i == 4) putHex(k, "ecd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010");
      if (i >= 5) {
        let x: u64 = 0x9e3779b97f4a7c15 * <u64>(i + 1);
        for (let j: usize = 0; j < 32; j += 8) { x ^= x << 13; x ^= x >> 7; x ^= x << 17; store<u64>(k + j, x); }
        store<u8>(k, load<u8>(k, 31) & 0x0f, 31);                 // < 2^252 < L
      }
      const sigma = shortLatticeVector(k, r, m);
      const id = "k #" + i.toString();
      // k = L - 1: 8L = 8·k + 8, the remainder jumps from 2^252 to 8 with an even t: no
      // short odd pair exists and the caller must take the classic path.
      if (i == 4) { expect(sigma).toBe(0, id); continue; }
      expect(sigma == 1 || sigma == -1).toBe(true, id);
      expect(load<u8>(m) & 1).toBe(1, id + " m odd");
      expect(bitLength(m) <= LATTICE_BITS_MAX && bitLength(r) <= LATTICE_BITS_MAX).toBe(true, id + " short");
      // modulo 8 (8·L ≡ 0 mod 8): r - σ·m·k ≡ 0
      const low = <i64>(load<u64>(r)) - <i64>sigma * <i64>(load<u64>(m) * load<u64>(k));
      expect(low & 7).toBe(0, id + " mod 8");
      // modulo L: σ = 1 → m·k - r ≡ 0; σ = -1 → m·k + r ≡ 0
      if (sigma == 1) {
        scalarMulAdd(m, k, zero, check);
        for (let j: usize = 0; j < 32; j += 8) expect(load<u64>(check + j)).toBe(load<u64>(r + j), id + " mod L");
      } else {
        scalarMulAdd(m, k, r, check);
        for (let j: usize = 0; j < 32; j += 8) expect(load<u64>(check + j)).toBe(0, id + " mod L");
      }
    }
  });
});
