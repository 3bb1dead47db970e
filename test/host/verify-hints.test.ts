// Decoding hints (docs/PROTOCOL.md, "Decoding hints") never change a verify's status: the
// firmware's hinted exports against its plain verify and the host reference model, with
// true, negated, zero, random, off-curve, non-canonical and top-bit-set hints for R and
// for the key, on every committed Ed25519 vector, mixed-order keys and R, off-curve
// encodings and random signatures (valid and tampered), on the plain and registered paths.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import path from "node:path";
import { Point } from "@noble/ed25519";
import { repoRoot } from "../../host/firmware/paths.ts";
import { FirmwareCrypto } from "../../host/firmware/crypto.ts";
import { VerifyStatus } from "../../host/crypto/policy.ts";
import { decodePoint, challengeScalar, verifyReference } from "../../host/crypto/reference.ts";
import {
  FIELD_P, GROUP_L, bytesToNumberLE, numberToBytesLE, toHex,
} from "../../host/crypto/encoding.ts";
import { torsionPoints } from "../../host/crypto/torsion.ts";
import { loadEddsaVerifyFile } from "../../host/vectors/wycheproof.ts";

const fw = new FirmwareCrypto();
/** The status of a call whose pointers leave the I/O buffer (assembly/index.ts). */
const VERIFY_BAD_INPUT = 10;

/** Deterministic bytes: SHA-256 in counter mode over a label. */
function makeRandom(label: string): (n: number) => Uint8Array {
  let counter = 0;
  return (n: number): Uint8Array => {
    const out = new Uint8Array(n);
    for (let off = 0; off < n; off += 32) {
      const block = createHash("sha256").update(`${label}/${counter++}`).digest();
      out.set(block.subarray(0, Math.min(32, n - off)), off);
    }
    return out;
  };
}

interface Case { id: string; publicKey: Uint8Array; message: Uint8Array; signature: Uint8Array }

const HINT_KINDS = ["true", "negated", "zero", "random", "same-parity", "p", "top-bit"] as const;
type HintKind = (typeof HINT_KINDS)[number];

/** A hint of `kind` for the 32-byte encoding `enc`. Kinds other than "true" must never be
 *  used by the firmware unless they happen to equal the true x (x = 0). */
function hint(enc: Uint8Array, kind: HintKind, rnd: (n: number) => Uint8Array): Uint8Array {
  const point = decodePoint(enc);
  const x = point === null ? null : point.toAffine().x;
  const sign = enc[31]! >> 7;
  const random = (): Uint8Array => {
    const b = rnd(32);
    b[31]! &= 0x3f;
    return b;
  };
  switch (kind) {
    case "true": return x === null ? random() : numberToBytesLE(x, 32);
    case "negated": return x === null ? random() : numberToBytesLE((FIELD_P - x) % FIELD_P, 32);
    case "zero": return new Uint8Array(32);
    case "random": return rnd(32);
    case "same-parity": {
      const b = random();
      b[0] = (b[0]! & 0xfe) | sign;
      return b;
    }
    case "p": return numberToBytesLE(FIELD_P, 32);
    case "top-bit": {
      const b = x === null ? random() : numberToBytesLE(x, 32);
      b[31]! |= 0x80;
      return b;
    }
  }
}

/** Every (R hint, key hint) pair: none with none, each kind beside a true or absent other
 *  hint, and both of the same kind. */
function hintPairs(): [HintKind | null, HintKind | null][] {
  const pairs: [HintKind | null, HintKind | null][] = [[null, null]];
  for (const k of HINT_KINDS) {
    pairs.push([k, null], [null, k], [k, "true"], ["true", k]);
    if (k !== "true") pairs.push([k, k]);
  }
  return pairs;
}
const PAIRS = hintPairs();

let hintedCalls = 0;

function expectHintsChangeNothing(c: Case, rnd: (n: number) => Uint8Array): void {
  const want = verifyReference(c.publicKey, c.message, c.signature);
  assert.equal(fw.verify(c.publicKey, c.message, c.signature), want, `${c.id}: plain`);
  const rEnc = c.signature.subarray(0, 32);
  for (const [rk, kk] of PAIRS) {
    const r = rk === null ? null : hint(rEnc, rk, rnd);
    const k = kk === null ? null : hint(c.publicKey, kk, rnd);
    const got = fw.verifyHinted(c.publicKey, c.message, c.signature, r, k);
    assert.equal(got, want, `${c.id}: hints R ${rk ?? "none"} / key ${kk ?? "none"}`);
    hintedCalls++;
  }
  if (fw.registerKey(0, c.publicKey) !== VerifyStatus.Valid) return;
  const registered = fw.verifyRegistered(0, c.message, c.signature);
  assert.equal(registered, want, `${c.id}: registered`);
  for (const rk of HINT_KINDS) {
    const got = fw.verifyRegisteredHinted(0, c.message, c.signature, hint(rEnc, rk, rnd));
    assert.equal(got, want, `${c.id}: registered, R hint ${rk}`);
  }
}

function vectorCases(): Case[] {
  const cases: Case[] = [];
  for (const f of ["rfc8032", "wycheproof-ed25519_test", "lattice-fallback"]) {
    const file = loadEddsaVerifyFile(path.join(repoRoot, `test/vectors/ed25519/${f}.json`));
    for (const v of file.cases) {
      if (v.publicKey.length !== 32 || v.signature.length !== 64) continue;
      cases.push({ id: `${f} #${v.tcId}`, ...v });
    }
  }
  return cases;
}

test("hints change no status on the committed Ed25519 vectors", () => {
  const rnd = makeRandom("vectors");
  const cases = vectorCases();
  assert.ok(cases.length >= 140, `${cases.length} vectors`);
  for (const c of cases) expectHintsChangeNothing(c, rnd);
});

test("hints change no status for mixed-order keys and R, off-curve encodings and "
  + "random signatures", () => {
  const rnd = makeRandom("signed");
  const torsion = torsionPoints();
  const scalar = (): bigint => bytesToNumberLE(rnd(64)) % GROUP_L;
  let valid = 0;
  for (let i = 0; i < 48; i++) {
    const a = scalar();
    let A = Point.BASE.multiply(a);
    if (i % 3 === 1) A = A.add(torsion[1 + (i % 7)]!);             // mixed-order key
    const publicKey = A.toBytes();
    const message = rnd(i % 50);
    const r = scalar();
    let R = Point.BASE.multiply(r);
    if (i % 8 === 5) R = R.add(torsion[2 + (i % 5)]!);            // mixed-order R
    const rBytes = R.toBytes();
    const k = challengeScalar(rBytes, publicKey, message);
    const signature = new Uint8Array(64);
    signature.set(rBytes, 0);
    signature.set(numberToBytesLE((r + k * a) % GROUP_L, 32), 32);
    const c = { id: `signed ${i} (pk ${toHex(publicKey)})`, publicKey, message, signature };
    if (verifyReference(publicKey, message, signature) === VerifyStatus.Valid) valid++;
    expectHintsChangeNothing(c, rnd);
    const tampered = Uint8Array.from(message.length > 0 ? message : [0]);
    tampered[0]! ^= 1 << (i % 8);
    expectHintsChangeNothing({ ...c, id: `${c.id}, tampered`, message: tampered }, rnd);
    if (i % 4 === 0) {                                             // an off-curve R or key
      const offCurve = rnd(32);
      offCurve[31]! &= 0x7f;
      if (decodePoint(offCurve) !== null) continue;
      const bad = Uint8Array.from(signature);
      bad.set(offCurve, 0);
      expectHintsChangeNothing({ ...c, id: `${c.id}, R off the curve`, signature: bad }, rnd);
      expectHintsChangeNothing({ ...c, id: `${c.id}, key off the curve`, publicKey: offCurve },
        rnd);
    }
  }
  assert.ok(valid >= 20, `${valid} valid signatures among the cases`);
  assert.ok(hintedCalls > 5_000, `${hintedCalls} hinted verifies`);
});

test("the hinted exports refuse hints outside the I/O buffer", () => {
  const e = fw.exports;
  const io = e.ioBufferPtr();
  assert.equal(e.ed25519VerifyHinted(io, io + 200, 0, io + 32, 8, 0), VERIFY_BAD_INPUT);
  assert.equal(e.ed25519VerifyHinted(io, io + 200, 0, io + 32, 0, io + e.ioBufferBytes()), VERIFY_BAD_INPUT);
  assert.equal(e.ed25519VerifyRegisteredHinted(0, io + 200, 0, io, 16), VERIFY_BAD_INPUT);
});
