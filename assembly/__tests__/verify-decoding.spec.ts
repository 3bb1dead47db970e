// The merged path of verify.ts — a registered verify that decodes the next key in its own
// exponentiation (point.ts, p2ToBytesDecoding), then a plain verify under that key using
// the decoded point — against the separate calls, for valid, invalid, non-canonical,
// off-curve, small-order and mixed-order keys. The vectors are those of
// test/vectors/ed25519: speccheck-cases.json (the 12 "Taming the many EdDSAs" cases) and
// lattice-fallback.json (the ground inputs whose verify takes the classic path), copied
// below with their names. The keys cover both roots of the decoding (ζ = 1 and ζ = -1,
// see GENERATED_KEYS and CASES) and the off-curve ζ = ±√-1 (BAD_KEYS).
import { VerifyStatus } from "../crypto/policy";
import {
  ed25519Verify, ed25519RegisterKey, ed25519VerifyRegistered, ed25519VerifyRegisteredDecoding,
  ed25519VerifyDecoded, ed25519ForgetDecoded,
} from "../crypto/verify";
import { ed25519PublicKey, ed25519Sign } from "../crypto/sign";
import {
  P2_BYTES, P3_BYTES, DECODE_OK, DECODE_NOT_CANONICAL, DECODE_NOT_ON_CURVE,
  p3FromBytes, p2ToBytes, p2ToBytesDecoding, p3FromHint, p2EqualsHinted,
  HINT_EQUAL, HINT_NOT_EQUAL, HINT_UNUSABLE,
} from "../crypto/point";
import { FE_BYTES, feFromBytes, feMul, feNeg, feToBytes, feZero } from "../crypto/field";
import { putHex } from "./hex";
import { bytesEqual } from "../reader/bytes";

const pk: usize = memory.data(32, 16);
const otherPk: usize = memory.data(32, 16);
const sig: usize = memory.data(64, 16);
const msg: usize = memory.data(256, 16);
const seed: usize = memory.data(64, 16);
const issuerSk: usize = memory.data(64, 16);
const certMsg: usize = memory.data(64, 16);
const certSig: usize = memory.data(64, 16);
const merged: usize = memory.data(P3_BYTES, 16);
const separate: usize = memory.data(P3_BYTES, 16);
const point: usize = memory.data(P2_BYTES, 16);
const scale: usize = memory.data(FE_BYTES, 16);
const scaleBytes: usize = memory.data(32, 16);
const bytesA: usize = memory.data(32, 16);
const bytesB: usize = memory.data(32, 16);

const ISSUER_SLOT = 0;
/** Seeds of the generated keys: 32 bytes of i·17 + 1. Their keys' roots (ζ = v·x²/u of
 *  the decoding, BigInt): +1 -1 +1 +1 -1 -1 +1 -1 -1 -1 -1 +1 -1 +1 +1 +1. */
const GENERATED_KEYS = 16;

/** True iff field elements a and b are equal mod p. */
function feSame(a: usize, b: usize): bool {
  feToBytes(bytesA, a); feToBytes(bytesB, b);
  return bytesEqual(bytesA, bytesB, 32);
}

function generatedKey(i: i32, out: usize): void {
  memory.fill(seed, <u8>(i * 17 + 1), 32);
  ed25519PublicKey(seed, out);
}

// [public key, message, signature] (ζ of the keys: c717… +1, f7ba… -1, cdb2… -1,
// 4164… +1, aa82… -1).
const CASES: string[][] = [
  // speccheck
  ["c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa",
   "8c93255d71dcab10e8f379c26200f3c7bd5f09d9bc3068d3ef4edeb4853022b6",
   "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a"
   + "0000000000000000000000000000000000000000000000000000000000000000"],
  // speccheck
  ["c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa",
   "9bd9f44f4dcc75bd531b56b2cd280b0bb38fc1cd6d1230e14861d861de092e79",
   "f7badec5b8abeaf699583992219b7b223f1df3fbbea919844e3f7c554a43dd43"
   + "a5bb704786be79fc476f91d3f3f89b03984d8068dcf1bb7dfc6637b45450ac04"],
  // speccheck
  ["f7badec5b8abeaf699583992219b7b223f1df3fbbea919844e3f7c554a43dd43",
   "aebf3f2601a0c8c5d39cc7d8911642f740b78168218da8471772b35f9d35b9ab",
   "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa"
   + "8c4bd45aecaca5b24fb97bc10ac27ac8751a7dfe1baff8b953ec9f5833ca260e"],
  // speccheck
  ["cdb267ce40c5cd45306fa5d2f29731459387dbf9eb933b7bd5aed9a765b88d4d",
   "9bd9f44f4dcc75bd531b56b2cd280b0bb38fc1cd6d1230e14861d861de092e79",
   "9046a64750444938de19f227bb80485e92b83fdb4b6506c160484c016cc1852f"
   + "87909e14428a7a1d62e9f22f3d3ad7802db02eb2e688b6c52fcd6648a98bd009"],
  // speccheck
  ["cdb267ce40c5cd45306fa5d2f29731459387dbf9eb933b7bd5aed9a765b88d4d",
   "e47d62c63f830dc7a6851a0b1f33ae4bb2f507fb6cffec4011eaccd55b53f56c",
   "160a1cb0dc9c0258cd0a7d23e94d8fa878bcb1925f2c64246b2dee1796bed512"
   + "5ec6bc982a269b723e0668e540911a9a6a58921d6925e434ab10aa7940551a09"],
  // speccheck
  ["cdb267ce40c5cd45306fa5d2f29731459387dbf9eb933b7bd5aed9a765b88d4d",
   "e47d62c63f830dc7a6851a0b1f33ae4bb2f507fb6cffec4011eaccd55b53f56c",
   "21122a84e0b5fca4052f5b1235c80a537878b38f3142356b2c2384ebad4668b7"
   + "e40bc836dac0f71076f9abe3a53f9c03c1ceeeddb658d0030494ace586687405"],
  // speccheck
  ["442aad9f089ad9e14647b1ef9099a1ff4798d78589e66f28eca69c11f582a623",
   "85e241a07d148b41e47d62c63f830dc7a6851a0b1f33ae4bb2f507fb6cffec40",
   "e96f66be976d82e60150baecff9906684aebb1ef181f67a7189ac78ea23b6c0e"
   + "547f7690a0e2ddcd04d87dbc3490dc19b3b3052f7ff0538cb68afb369ba3a514"],
  // speccheck
  ["442aad9f089ad9e14647b1ef9099a1ff4798d78589e66f28eca69c11f582a623",
   "85e241a07d148b41e47d62c63f830dc7a6851a0b1f33ae4bb2f507fb6cffec40",
   "8ce5b96c8f26d0ab6c47958c9e68b937104cd36e13c33566acd2fe8d38aa1942"
   + "7e71f98a473474f2f13f06f97c20d58cc3f54b8bd0d272f42b695dd7e89a8c22"],
  // speccheck
  ["f7badec5b8abeaf699583992219b7b223f1df3fbbea919844e3f7c554a43dd43",
   "9bedc267423725d473888631ebf45988bad3db83851ee85c85e241a07d148b41",
   "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"
   + "03be9678ac102edcd92b0210bb34d7428d12ffc5df5f37e359941266a4e35f0f"],
  // speccheck
  ["f7badec5b8abeaf699583992219b7b223f1df3fbbea919844e3f7c554a43dd43",
   "9bedc267423725d473888631ebf45988bad3db83851ee85c85e241a07d148b41",
   "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"
   + "ca8c5b64cd208982aa38d4936621a4775aa233aa0505711d8fdcfdaa943d4908"],
  // speccheck
  ["ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
   "e96b7021eb39c1a163b6da4e3093dcd3f21387da4cc4572be588fafae23c155b",
   "a9d55260f765261eb9b84e106f665e00b867287a761990d7135963ee0a7d59dc"
   + "a5bb704786be79fc476f91d3f3f89b03984d8068dcf1bb7dfc6637b45450ac04"],
  // speccheck
  ["ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
   "39a591f5321bbe07fd5a23dc2f39d025d74526615746727ceefd6e82ae65c06f",
   "a9d55260f765261eb9b84e106f665e00b867287a761990d7135963ee0a7d59dc"
   + "a5bb704786be79fc476f91d3f3f89b03984d8068dcf1bb7dfc6637b45450ac04"],
  // fallback 1
  ["416421b9d72a3f735459664cd3921a9911456d2cc910cb4a610aae347ccf2358",
   "6f6666746170206c6174746963652066616c6c6261636b20313736333231",
   "50d40239deb13ebb12756a42b3b6c4a87f3dd0d5227eb60ac761d05e48d91fd5"
   + "4d98f9e7306a653ba2ce27113a1b243f7afa9a55d75e23e9e8d1dbead3dc3f08"],
  // fallback 2
  ["416421b9d72a3f735459664cd3921a9911456d2cc910cb4a610aae347ccf2358",
   "6f6666746170206c6174746963652066616c6c6261636b20313736333231",
   "50d40239deb13ebb12756a42b3b6c4a87f3dd0d5227eb60ac761d05e48d91fd5"
   + "4e98f9e7306a653ba2ce27113a1b243f7afa9a55d75e23e9e8d1dbead3dc3f08"],
  // fallback 3
  ["aa8281c98cdcabf1971a711e02ac2fd9bb39eb20e330da3892629c37dd632331",
   "6f6666746170206c6174746963652066616c6c6261636b206d697865642034383137353939",
   "50d40239deb13ebb12756a42b3b6c4a87f3dd0d5227eb60ac761d05e48d91fd5"
   + "79f3d7d98a259e97001a8c20730e1818a589c3792b22ac89d2e45c618e192b0f"],
  // fallback 4
  ["aa8281c98cdcabf1971a711e02ac2fd9bb39eb20e330da3892629c37dd632331",
   "6f6666746170206c6174746963652066616c6c6261636b206d697865642d6f666620323337383235",
   "50d40239deb13ebb12756a42b3b6c4a87f3dd0d5227eb60ac761d05e48d91fd5"
   + "cb0d6682dba0389d49433c1f85999fb9e5e7bd45dd82804dc3060c21db854e09"]
];

// Keys that are not valid: non-canonical (y ≥ p; x = 0 with the sign bit), off the curve
// (ζ = ±√-1), and the eight small-order points (y = ±1 among them: u = 0).
const BAD_KEYS: string[] = [
  "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
  "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
  "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
  "0100000000000000000000000000000000000000000000000000000000000080",
  "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
  "0200000000000000000000000000000000000000000000000000000000000000",
  "0200000000000000000000000000000000000000000000000000000000000080",
  "0100000000000000000000000000000000000000000000000000000000000000",
  "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a",
  "0000000000000000000000000000000000000000000000000000000000000080",
  "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05",
  "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
  "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85",
  "0000000000000000000000000000000000000000000000000000000000000000",
  "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa",
];
const BAD_KEY_STATUS: i32[] = [2, 2, 2, 2, 2, 3, 3, 4, 4, 4, 4, 4, 4, 4, 4];

// Scales for the projective point to encode: Z·c for c = 1 and three other values.
const SCALES: string[] = [
  "0100000000000000000000000000000000000000000000000000000000000000",
  "0200000000000000000000000000000000000000000000000000000000000000",
  "5a17e3c1d2b4a6f8091a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f10",
  "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
];

/** point = the decoded first RFC-like key with every coordinate times scale c. */
function scaledPoint(c: i32): void {
  generatedKey(3, bytesA);
  expect(p3FromBytes(separate, bytesA)).toBe(DECODE_OK);
  putHex(scaleBytes, SCALES[c]);
  feFromBytes(scale, scaleBytes);
  for (let f = 0; f < 3; f++) {
    const at = <usize>(f * FE_BYTES);
    feMul(point + at, separate + at, scale);
  }
}

/** p2ToBytesDecoding(point, key at pk) against p2ToBytes + p3FromBytes. */
function expectSameAsSeparate(label: string): void {
  const status = p2ToBytesDecoding(bytesB, point, merged, pk);
  memory.copy(otherPk, bytesB, 32);
  p2ToBytes(bytesB, point);
  expect(bytesEqual(otherPk, bytesB, 32)).toBe(true, "encoding " + label);
  expect(status).toBe(p3FromBytes(separate, pk), "status " + label);
  if (status != DECODE_OK) return;
  for (let f = 0; f < 4; f++) {
    const at = <usize>(f * FE_BYTES);
    expect(feSame(merged + at, separate + at)).toBe(true, "coordinate " + label);
  }
}

/** Every key of the tests, one at a time in pk: CASES, generated (and negated), bad. */
function keyCount(): i32 { return CASES.length + 2 * GENERATED_KEYS + BAD_KEYS.length; }
function loadKey(i: i32): void {
  if (i < CASES.length) { putHex(pk, CASES[i][0]); return; }
  i -= CASES.length;
  if (i < 2 * GENERATED_KEYS) {
    generatedKey(i >> 1, pk);
    if ((i & 1) != 0) store<u8>(pk, load<u8>(pk, 31) ^ 0x80, 31);   // -A: the other x
    return;
  }
  putHex(pk, BAD_KEYS[i - 2 * GENERATED_KEYS]);
}

describe("p2ToBytesDecoding: one exponentiation for an encoding and a decoding", () => {
  it("encodes like p2ToBytes and decodes like p3FromBytes, every key, every Z", () => {
    for (let c = 0; c < SCALES.length; c++) {
      scaledPoint(c);
      for (let i = 0; i < keyCount(); i++) {
        loadKey(i);
        expectSameAsSeparate("key " + i.toString() + ", scale " + c.toString());
      }
    }
  });

  it("gives each bad key the status of the separate decoding", () => {
    scaledPoint(2);
    const want: i32[] = [DECODE_NOT_CANONICAL, DECODE_NOT_ON_CURVE, DECODE_OK];
    for (let i = 0; i < BAD_KEYS.length; i++) {
      putHex(pk, BAD_KEYS[i]);
      const status = p2ToBytesDecoding(bytesB, point, merged, pk);
      expect(status).toBe(want[BAD_KEY_STATUS[i] - 2], BAD_KEYS[i]);
    }
  });

  it("falls back for Z = 0 (no inverse: encodes as p2ToBytes does, decodes all the same)", () => {
    scaledPoint(1);
    feZero(point + <usize>(2 * FE_BYTES));
    for (let i = 0; i < keyCount(); i++) {
      loadKey(i);
      expectSameAsSeparate("Z = 0, key " + i.toString());
    }
  });
});

/** A certificate-like message for the key at pk, signed by the registered issuer. */
function signCertificate(): i32 {
  memory.copy(certMsg, pk, 32);
  memory.fill(certMsg + 32, 0x43, 8);
  ed25519Sign(issuerSk, certMsg, 40, certSig);
  return 40;
}

/** The merged pair against the separate calls for the key at pk and (msg, len, sig). */
function expectPairSame(len: i32, label: string): void {
  const certLen = signCertificate();
  const registered = ed25519VerifyRegistered(ISSUER_SLOT, certMsg, certLen, certSig);
  expect(registered).toBe(VerifyStatus.Valid, label);
  const m = ed25519VerifyRegisteredDecoding(ISSUER_SLOT, certMsg, certLen, certSig, pk);
  expect(m).toBe(registered, label);
  const decoded = ed25519VerifyDecoded(pk, msg, len, sig);
  expect(decoded).toBe(ed25519Verify(pk, msg, len, sig), label);
  // The same held key again (a re-tap's proof): still the same status.
  expect(ed25519VerifyDecoded(pk, msg, len, sig)).toBe(decoded, label + " again");
}

function setUpIssuer(): void {
  memory.fill(issuerSk, 0x5a, 32);
  ed25519PublicKey(issuerSk, issuerSk + 32);
  expect(ed25519RegisterKey(ISSUER_SLOT, issuerSk + 32)).toBe(VerifyStatus.Valid);
}

describe("ed25519VerifyRegisteredDecoding + ed25519VerifyDecoded", () => {
  it("match the separate calls on the speccheck and lattice-fallback vectors", () => {
    setUpIssuer();
    const want: i32[] = [
      VerifyStatus.Valid, VerifyStatus.EquationMismatch, VerifyStatus.Valid,
      VerifyStatus.EquationMismatch,
    ];
    for (let i = 0; i < CASES.length; i++) {
      putHex(pk, CASES[i][0]); putHex(msg, CASES[i][1]); putHex(sig, CASES[i][2]);
      const len = CASES[i][1].length / 2;
      expectPairSame(len, "case " + i.toString());
      // The lattice-fallback vectors (the last four) with their files' expected status.
      const f = i - (CASES.length - want.length);
      if (f >= 0) expect(ed25519VerifyDecoded(pk, msg, len, sig)).toBe(want[f], "fallback");
    }
  });

  it("match them on generated keys: a valid signature, then a changed message and S ≥ L", () => {
    setUpIssuer();
    for (let i = 0; i < GENERATED_KEYS; i++) {
      memory.fill(seed, <u8>(i * 17 + 1), 32);
      ed25519PublicKey(seed, seed + 32);
      memory.copy(pk, seed + 32, 32);
      memory.fill(msg, <u8>i, 24);
      ed25519Sign(seed, msg, 24, sig);
      expectPairSame(24, "key " + i.toString());
      expect(ed25519VerifyDecoded(pk, msg, 24, sig)).toBe(VerifyStatus.Valid);
      store<u8>(msg, load<u8>(msg) ^ 1);
      expectPairSame(24, "changed message " + i.toString());
      expect(ed25519VerifyDecoded(pk, msg, 24, sig)).toBe(VerifyStatus.EquationMismatch);
      store<u64>(sig, 0xffffffffffffffff, 56);
      expectPairSame(24, "S ≥ L " + i.toString());
      expect(ed25519VerifyDecoded(pk, msg, 24, sig)).toBe(VerifyStatus.SNotCanonical);
    }
  });

  it("give bad keys their rule 2–4 status, after rule 1 and before R's rules", () => {
    setUpIssuer();
    for (let i = 0; i < BAD_KEYS.length; i++) {
      putHex(pk, BAD_KEYS[i]);
      putHex(sig, BAD_KEYS[0]); memory.fill(sig + 32, 0, 32);   // R not canonical
      expectPairSame(1, BAD_KEYS[i]);
      expect(ed25519VerifyDecoded(pk, msg, 1, sig)).toBe(BAD_KEY_STATUS[i], BAD_KEYS[i]);
      store<u64>(sig, 0xffffffffffffffff, 56);                   // S ≥ L comes first
      expectPairSame(1, "S ≥ L " + BAD_KEYS[i]);
      expect(ed25519VerifyDecoded(pk, msg, 1, sig)).toBe(VerifyStatus.SNotCanonical);
    }
  });

  it("return the registered verify's status for bad certificate signatures", () => {
    setUpIssuer();
    generatedKey(5, pk);
    const len = signCertificate();
    store<u8>(certMsg, load<u8>(certMsg, 39) ^ 1, 39);          // message changed
    const a = ed25519VerifyRegistered(ISSUER_SLOT, certMsg, len, certSig);
    expect(a).toBe(VerifyStatus.EquationMismatch);
    expect(ed25519VerifyRegisteredDecoding(ISSUER_SLOT, certMsg, len, certSig, pk)).toBe(a);
    store<u64>(certSig, 0xffffffffffffffff, 56);                 // S ≥ L
    expect(ed25519VerifyRegisteredDecoding(ISSUER_SLOT, certMsg, len, certSig, pk))
      .toBe(VerifyStatus.SNotCanonical);
    putHex(certSig, BAD_KEYS[12]);                               // R of small order
    memory.fill(certSig + 32, 0, 32);
    expect(ed25519VerifyRegisteredDecoding(ISSUER_SLOT, certMsg, len, certSig, pk))
      .toBe(ed25519VerifyRegistered(ISSUER_SLOT, certMsg, len, certSig));
    expect(ed25519VerifyRegisteredDecoding(-1, certMsg, len, certSig, pk))
      .toBe(VerifyStatus.KeySlotInvalid);
    expect(ed25519VerifyRegisteredDecoding(ISSUER_SLOT + 1, certMsg, len, certSig, pk))
      .toBe(VerifyStatus.KeySlotEmpty);
  });

  it("never lend the held key to a verify under other key bytes", () => {
    setUpIssuer();
    // Hold a bad key, then verify under a valid one whose signature is good: Valid (the
    // held status would say otherwise); and the other way round.
    putHex(pk, BAD_KEYS[5]);
    signCertificate();
    expect(ed25519VerifyRegisteredDecoding(ISSUER_SLOT, certMsg, 40, certSig, pk)).toBe(0);
    generatedKey(7, otherPk);
    memory.fill(seed, <u8>(7 * 17 + 1), 32);
    memory.fill(msg, 9, 16);
    ed25519Sign(seed, msg, 16, sig);
    expect(ed25519VerifyDecoded(otherPk, msg, 16, sig)).toBe(VerifyStatus.Valid);
    // The caller's buffer rewritten after the call: the held bytes are a copy.
    memory.copy(pk, otherPk, 32);
    expect(ed25519VerifyDecoded(pk, msg, 16, sig)).toBe(VerifyStatus.Valid);
    // Holding the valid key: a bad key's verify still reports the bad key.
    signCertificate();
    expect(ed25519VerifyRegisteredDecoding(ISSUER_SLOT, certMsg, 40, certSig, pk)).toBe(0);
    putHex(otherPk, BAD_KEYS[5]);
    expect(ed25519VerifyDecoded(otherPk, msg, 16, sig)).toBe(VerifyStatus.PublicKeyNotOnCurve);
    expect(ed25519VerifyDecoded(pk, msg, 16, sig)).toBe(VerifyStatus.Valid);
    ed25519ForgetDecoded();
    expect(ed25519VerifyDecoded(pk, msg, 16, sig)).toBe(VerifyStatus.Valid);
  });
});

// ---- decoding hints (docs/PROTOCOL.md, "Decoding hints") ----------------------------

const hintPoint: usize = memory.data(P3_BYTES, 16);
const hintFe: usize = memory.data(FE_BYTES, 16);
const keyHint: usize = memory.data(32, 16);
const rHint: usize = memory.data(32, 16);
const certRHint: usize = memory.data(32, 16);

/** Hint kinds: none (a null pointer), the true x, then six that must not be used: the
 *  other root -x, zero, a pattern of the right parity (off the curve), p (not
 *  canonical), the true x with the top bit set, and the true x of another point. */
const HINT_NONE = 0;
const HINT_TRUE = 1;
const HINT_KINDS = 8;

/** A hint of `kind` for the encoding at enc, written to out; returns the pointer to pass.
 *  Encodings that do not decode get the pattern for the kinds built on a true x. */
function makeHint(out: usize, enc: usize, kind: i32): usize {
  if (kind == HINT_NONE) return 0;
  const decodes = p3FromBytes(hintPoint, enc) == DECODE_OK;
  const sign = <u8>(load<u8>(enc, 31) >> 7);
  if (!decodes || kind == 4) {
    for (let i = 0; i < 32; i++) store<u8>(out + <usize>i, <u8>(i * 37 + kind * 11 + 5));
    store<u8>(out, (load<u8>(out) & 0xfe) | sign);
    store<u8>(out, load<u8>(out, 31) & 0x3f, 31);
    return out;
  }
  if (kind == 3) { memory.fill(out, 0, 32); return out; }
  if (kind == 5) { putHex(out, BAD_KEYS[0]); return out; }            // p itself
  if (kind == 7) {
    generatedKey(GENERATED_KEYS + 3, bytesA);          // not one of the tested keys
    p3FromBytes(hintPoint, bytesA);
  }
  if (kind == 2) feNeg(hintFe, hintPoint); else memory.copy(hintFe, hintPoint, FE_BYTES);
  feToBytes(out, hintFe);
  if (kind == 6) store<u8>(out, load<u8>(out, 31) | 0x80, 31);
  return out;
}

/** The (R hint, key hint) kind pairs tried: each kind with a true or no other hint, and
 *  both hints of the same kind. */
function pairCount(): i32 { return HINT_KINDS * HINT_KINDS; }
function pairTried(r: i32, k: i32): bool {
  return r == k || r <= HINT_TRUE || k <= HINT_TRUE;
}

describe("p3FromHint and p2EqualsHinted", () => {
  it("take exactly the true x of a decodable encoding and nothing else", () => {
    for (let i = 0; i < keyCount(); i++) {
      loadKey(i);
      const status = p3FromBytes(separate, pk);
      if (status == DECODE_NOT_CANONICAL) continue;    // callers check the encoding first
      const decodes = status == DECODE_OK;
      // x = 0 (y = ±1: small order) is its own negation, and the zero hint is its x.
      feToBytes(bytesB, separate);
      const xIsZero = decodes && (load<u64>(bytesB) | load<u64>(bytesB, 8)
        | load<u64>(bytesB, 16) | load<u64>(bytesB, 24)) == 0;
      for (let kind = HINT_TRUE; kind < HINT_KINDS; kind++) {
        const hint = makeHint(keyHint, pk, kind);
        const isTrueX = decodes && (kind == HINT_TRUE || ((kind == 2 || kind == 3) && xIsZero));
        const label = "key " + i.toString() + ", hint kind " + kind.toString();
        const used = p3FromHint(merged, pk, hint);
        if (kind == HINT_TRUE) expect(used).toBe(decodes, label);
        if (kind == 4 || kind == 5 || kind == 6 || kind == 7) expect(used).toBe(false, label);
        if (kind == 2 || kind == 3) expect(used).toBe(isTrueX, label);
        if (!used) continue;
        for (let f = 0; f < 4; f++) {
          const at = <usize>(f * FE_BYTES);
          expect(feSame(merged + at, separate + at)).toBe(true, "coordinate " + label);
        }
      }
    }
  });

  it("compare a projective point with an encoding without inverting Z", () => {
    for (let c = 0; c < SCALES.length; c++) {
      scaledPoint(c);
      p2ToBytes(bytesB, point);                        // point's own encoding
      const hint = makeHint(rHint, bytesB, HINT_TRUE);
      expect(p2EqualsHinted(point, bytesB, hint, hintPoint)).toBe(HINT_EQUAL);
      generatedKey(9, otherPk);                        // another point, its true x
      const other = makeHint(keyHint, otherPk, HINT_TRUE);
      expect(p2EqualsHinted(point, otherPk, other, hintPoint)).toBe(HINT_NOT_EQUAL);
      store<u8>(bytesB, load<u8>(bytesB, 31) ^ 0x80, 31);  // -point: the other x
      const negated = makeHint(keyHint, bytesB, HINT_TRUE);
      expect(p2EqualsHinted(point, bytesB, negated, hintPoint)).toBe(HINT_NOT_EQUAL);
      for (let kind = 3; kind < HINT_KINDS; kind++) {
        p2ToBytes(bytesB, point);
        const bad = makeHint(keyHint, bytesB, kind);
        expect(p2EqualsHinted(point, bytesB, bad, hintPoint)).toBe(HINT_UNUSABLE);
      }
    }
    scaledPoint(1);
    p2ToBytes(bytesB, point);
    const hint = makeHint(rHint, bytesB, HINT_TRUE);
    feZero(point + <usize>(2 * FE_BYTES));             // Z = 0: never trusted
    expect(p2EqualsHinted(point, bytesB, hint, hintPoint)).toBe(HINT_UNUSABLE);
  });
});

/** Every hinted entry against the unhinted one for the key at pk and (msg, len, sig). */
function expectHintsChangeNothing(len: i32, label: string): void {
  const certLen = signCertificate();
  const plain = ed25519Verify(pk, msg, len, sig);
  const registered = ed25519VerifyRegistered(ISSUER_SLOT, certMsg, certLen, certSig);
  for (let i = 0; i < pairCount(); i++) {
    const kr = i / HINT_KINDS, kk = i % HINT_KINDS;
    if (!pairTried(kr, kk)) continue;
    const l = label + ", hints " + kr.toString() + "/" + kk.toString();
    const r = makeHint(rHint, sig, kr);
    const k = makeHint(keyHint, pk, kk);
    const c = makeHint(certRHint, certSig, kr);
    expect(ed25519Verify(pk, msg, len, sig, r, k)).toBe(plain, "verify " + l);
    expect(ed25519VerifyRegistered(ISSUER_SLOT, certMsg, certLen, certSig, c))
      .toBe(registered, "registered " + l);
    expect(ed25519VerifyRegisteredDecoding(ISSUER_SLOT, certMsg, certLen, certSig, pk, c, k))
      .toBe(registered, "decoding " + l);
    expect(ed25519VerifyDecoded(pk, msg, len, sig, r, k)).toBe(plain, "decoded " + l);
    ed25519ForgetDecoded();
  }
}

describe("decoding hints never change a status", () => {
  it("on the speccheck and lattice-fallback vectors", () => {
    setUpIssuer();
    for (let i = 0; i < CASES.length; i++) {
      putHex(pk, CASES[i][0]); putHex(msg, CASES[i][1]); putHex(sig, CASES[i][2]);
      expectHintsChangeNothing(CASES[i][1].length / 2, "case " + i.toString());
    }
  });

  it("on generated keys: valid, changed message, and a certificate signature changed", () => {
    setUpIssuer();
    for (let i = 0; i < GENERATED_KEYS; i += 3) {
      memory.fill(seed, <u8>(i * 17 + 1), 32);
      ed25519PublicKey(seed, seed + 32);
      memory.copy(pk, seed + 32, 32);
      memory.fill(msg, <u8>i, 24);
      ed25519Sign(seed, msg, 24, sig);
      expectHintsChangeNothing(24, "key " + i.toString());
      expect(ed25519Verify(pk, msg, 24, sig, makeHint(rHint, sig, HINT_TRUE),
        makeHint(keyHint, pk, HINT_TRUE))).toBe(VerifyStatus.Valid);
      store<u8>(msg, load<u8>(msg) ^ 1);
      expectHintsChangeNothing(24, "changed message " + i.toString());
    }
    generatedKey(5, pk);
    const len = signCertificate();
    store<u8>(certMsg, load<u8>(certMsg, 39) ^ 1, 39);
    for (let kr = 0; kr < HINT_KINDS; kr++) {
      for (let kk = 0; kk < HINT_KINDS; kk++) {
        const c = makeHint(certRHint, certSig, kr);
        const k = makeHint(keyHint, pk, kk);
        expect(ed25519VerifyRegisteredDecoding(ISSUER_SLOT, certMsg, len, certSig, pk, c, k))
          .toBe(VerifyStatus.EquationMismatch);
      }
    }
  });

  it("on bad keys, whose rule 2–4 status comes after rule 1 and before R's rules", () => {
    setUpIssuer();
    for (let i = 0; i < BAD_KEYS.length; i++) {
      putHex(pk, BAD_KEYS[i]);
      memory.fill(seed, 3, 32);
      memory.fill(msg, 7, 16);
      ed25519Sign(seed, msg, 16, sig);                 // a good R, under another key
      expectHintsChangeNothing(16, BAD_KEYS[i]);
      expect(ed25519Verify(pk, msg, 16, sig, makeHint(rHint, sig, HINT_TRUE),
        makeHint(keyHint, pk, HINT_TRUE))).toBe(BAD_KEY_STATUS[i], BAD_KEYS[i]);
    }
  });
});
