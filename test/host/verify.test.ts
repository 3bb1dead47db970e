// Ed25519 verification in the firmware (build/offtap.wasm) through FirmwareCrypto:
// RFC 8032 §7.1 vectors, random keys and messages signed by node:crypto (OpenSSL), every
// single-bit flip of signature, key and message judged against node:crypto and the host
// reference model of the policy, streaming equal to one-shot at many split points, and the
// registered-key path equal to the plain path on thousands of signed and tampered cases.
// Deterministic: one printed seed drives the random cases; replay with
// OFFTAP_VERIFY_SEED=<seed>.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  createHash,
  createPrivateKey,
  createPublicKey,
  sign as nodeSign,
  verify as nodeVerify,
  type KeyObject,
} from "node:crypto";
import path from "node:path";
import { repoRoot } from "../../host/firmware/paths.ts";
import { FirmwareCrypto } from "../../host/firmware/crypto.ts";
import { VerifyStatus, statusName } from "../../host/crypto/policy.ts";
import { verifyReference } from "../../host/crypto/reference.ts";
import { GROUP_L, bytesToNumberLE, numberToBytesLE, toHex } from "../../host/crypto/encoding.ts";
import { challengeScalar } from "../../host/crypto/reference.ts";
import { torsionPoints } from "../../host/crypto/torsion.ts";
import { Point } from "@noble/ed25519";
import { loadEddsaVerifyFile } from "../../host/vectors/wycheproof.ts";

const seed = process.env.OFFTAP_VERIFY_SEED ?? String(Date.now() % 1_000_000_007);
console.log(`verify.test seed: ${seed} (replay with OFFTAP_VERIFY_SEED=${seed})`);

/** Deterministic byte stream: SHA-256 in counter mode over the seed and a label. */
function makeRandom(label: string): (n: number) => Uint8Array {
  let counter = 0;
  return (n: number): Uint8Array => {
    const out = new Uint8Array(n);
    for (let off = 0; off < n; off += 32) {
      const block = createHash("sha256").update(`${seed}/${label}/${counter++}`).digest();
      out.set(block.subarray(0, Math.min(32, n - off)), off);
    }
    return out;
  };
}

interface Signer {
  publicKey: Uint8Array;
  publicKeyObject: KeyObject;
  sign(message: Uint8Array): Uint8Array;
}

const PKCS8_ED25519_PREFIX = Buffer.from("302e020100300506032b657004220420", "hex");
const SPKI_ED25519_PREFIX = Buffer.from("302a300506032b6570032100", "hex");

function signerFromSeed(seedBytes: Uint8Array): Signer {
  const privateKey = createPrivateKey({
    key: Buffer.concat([PKCS8_ED25519_PREFIX, seedBytes]),
    format: "der",
    type: "pkcs8",
  });
  const publicKeyObject = createPublicKey(privateKey);
  const spki = publicKeyObject.export({ format: "der", type: "spki" });
  return {
    publicKey: new Uint8Array(spki.subarray(SPKI_ED25519_PREFIX.length)),
    publicKeyObject,
    sign: (message) => new Uint8Array(nodeSign(null, message, privateKey)),
  };
}

function nodeAccepts(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  try {
    const key = createPublicKey({
      key: Buffer.concat([SPKI_ED25519_PREFIX, publicKey]),
      format: "der",
      type: "spki",
    });
    return nodeVerify(null, message, key, signature);
  } catch {
    return false; // node:crypto refuses to import some invalid keys at all
  }
}

const fw = new FirmwareCrypto();
/** Registered-key slots of this firmware (assembly/limits.ts REGISTERED_KEYS_MAX, issuer
 *  keys then wallet keys): the first slot it calls invalid. Probing changes nothing. */
function registeredSlots(): number {
  let n = 0;
  const probe = (slot: number): number =>
    fw.verifyRegistered(slot, new Uint8Array(0), new Uint8Array(64));
  while (n < 64 && probe(n) !== VerifyStatus.KeySlotInvalid) n++;
  return n;
}
const SLOTS = registeredSlots();

/** Streams message in pieces cut at the given offsets; returns the firmware status. */
function verifyStreamed(
  publicKey: Uint8Array,
  message: Uint8Array,
  signature: Uint8Array,
  cuts: number[],
): number {
  const e = fw.exports;
  const io = e.ioBufferPtr();
  const mem = (): Uint8Array => new Uint8Array(e.memory.buffer);
  mem().set(publicKey, io);
  mem().set(signature, io + 32);
  const begun = e.ed25519VerifyBegin(io, io + 32);
  if (begun !== VerifyStatus.Valid) return e.ed25519VerifyEnd();
  const room = e.ioBufferBytes() - 96;
  let from = 0;
  for (const to of [...cuts, message.length]) {
    // A piece longer than the I/O buffer goes in buffer-sized slices.
    for (let at = from; at < to || at === from; at += room) {
      const part = message.subarray(at, Math.min(to, at + room));
      mem().set(part, io + 96);
      e.ed25519VerifyUpdate(io + 96, part.length);
      if (to - at <= room) break;
    }
    from = to;
  }
  return e.ed25519VerifyEnd();
}

test("RFC 8032 §7.1 vectors verify on every path (one-shot, streamed, registered)", () => {
  const { cases } = loadEddsaVerifyFile(path.join(repoRoot, "test/vectors/ed25519/rfc8032.json"));
  const comments = cases.map((c) => c.comment);
  for (const name of ["TEST 1", "TEST 2", "TEST 3", "TEST SHA(abc)"])
    assert.ok(comments.includes(name), name);
  for (const c of cases) {
    assert.equal(fw.verify(c.publicKey, c.message, c.signature), VerifyStatus.Valid, c.comment);
    const mid = c.message.length >> 1;
    assert.equal(
      verifyStreamed(c.publicKey, c.message, c.signature, [mid]),
      VerifyStatus.Valid,
      c.comment,
    );
    assert.equal(fw.registerKey(0, c.publicKey), VerifyStatus.Valid, c.comment);
    assert.equal(fw.verifyRegistered(0, c.message, c.signature), VerifyStatus.Valid, c.comment);
  }
});

test("random keys and messages signed by node:crypto verify Valid", () => {
  const rnd = makeRandom("random-valid");
  for (let i = 0; i < 300; i++) {
    const signer = signerFromSeed(rnd(32));
    const message = rnd(i % 160);
    const signature = signer.sign(message);
    assert.equal(
      fw.verify(signer.publicKey, message, signature),
      VerifyStatus.Valid,
      `case ${i} pk ${toHex(signer.publicKey)}`,
    );
  }
});

test("every single-bit flip of signature, key and message is rejected as node:crypto and the policy model say", () => {
  const rnd = makeRandom("bit-flips");
  for (let n = 0; n < 2; n++) {
    const signer = signerFromSeed(rnd(32));
    const message = rnd(12 + n * 10);
    const signature = signer.sign(message);
    assert.equal(fw.verify(signer.publicKey, message, signature), VerifyStatus.Valid);
    const parts = [
      ["sig", signature],
      ["pk", signer.publicKey],
      ["msg", message],
    ] as const;
    for (const [name, original] of parts) {
      for (let bit = 0; bit < original.length * 8; bit++) {
        const flipped = original.slice();
        flipped[bit >> 3]! ^= 1 << (bit & 7);
        const pk = name === "pk" ? flipped : signer.publicKey;
        const msg = name === "msg" ? flipped : message;
        const sig = name === "sig" ? flipped : signature;
        const status = fw.verify(pk, msg, sig);
        const id = `case ${n}: ${name} bit ${bit} → ${statusName(status)}`;
        assert.notEqual(status, VerifyStatus.Valid, id);
        assert.equal(status, verifyReference(pk, msg, sig), id);
        // node:crypto must reject too; where it would accept, only an encoding rule of
        // the strict policy may be the reason (never the equation).
        if (nodeAccepts(pk, msg, sig)) assert.notEqual(status, VerifyStatus.EquationMismatch, id);
      }
    }
  }
});

test("streaming equals one-shot for messages split at many offsets", () => {
  const rnd = makeRandom("streaming");
  for (let i = 0; i < 40; i++) {
    const signer = signerFromSeed(rnd(32));
    const len = [0, 1, 111, 112, 127, 128, 129, 255, 256, 1000, 5000][i % 11]!;
    const message = rnd(len);
    const signature = signer.sign(message);
    if (i % 2 === 1) signature[(i * 7) % 64]! ^= 1 << (i % 8); // half of them tampered
    const oneShot = fw.verify(signer.publicKey, message, signature);
    const cutsList: number[][] = [[], [0], [len], [len >> 1], [1, 2, 3].filter((c) => c < len)];
    for (let c = 0; c < 6; c++) {
      const cuts = [...new Set(Array.from(rnd(4), (b) => Math.floor((b / 256) * (len + 1))))].sort(
        (a, b) => a - b,
      );
      cutsList.push(cuts);
    }
    for (const cuts of cutsList) {
      assert.equal(
        verifyStreamed(signer.publicKey, message, signature, cuts),
        oneShot,
        `case ${i} len ${len} cuts ${cuts.join(",")}`,
      );
    }
    if (i % 2 === 0) assert.equal(oneShot, VerifyStatus.Valid, `case ${i}`);
  }
});

test("registered-key verify equals plain verify on thousands of signed and tampered cases", () => {
  const rnd = makeRandom("registered");
  const signers = Array.from({ length: SLOTS }, () => signerFromSeed(rnd(32)));
  signers.forEach((s, slot) => assert.equal(fw.registerKey(slot, s.publicKey), VerifyStatus.Valid));
  const counts = new Map<number, number>();
  for (let i = 0; i < 3000; i++) {
    const slot = i % SLOTS;
    const signer = signers[slot]!;
    const message = rnd(i % 97);
    const signature = signer.sign(message);
    const mode = i % 4;
    if (mode === 1) signature[rnd(1)[0]! % 64]! ^= 1 << (rnd(1)[0]! % 8);
    if (mode === 2 && message.length > 0) message[rnd(1)[0]! % message.length]! ^= 0x80;
    if (mode === 3) signature.set(rnd(32), 0); // random R (often non-canonical or off-curve)
    const plain = fw.verify(signer.publicKey, message, signature);
    const registered = fw.verifyRegistered(slot, message, signature);
    assert.equal(registered, plain, `case ${i} slot ${slot} mode ${mode}`);
    if (mode === 0) assert.equal(plain, VerifyStatus.Valid, `case ${i}`);
    counts.set(plain, (counts.get(plain) ?? 0) + 1);
  }
  // The tampered cases must really exercise rejection, not only pass through Valid.
  assert.ok((counts.get(VerifyStatus.EquationMismatch) ?? 0) > 1000, JSON.stringify([...counts]));
});

test("registering validates the key by the policy and a signature verifies only under its slot", () => {
  const rnd = makeRandom("slots");
  assert.equal(fw.registerKey(-1, new Uint8Array(32)), VerifyStatus.KeySlotInvalid);
  assert.equal(fw.registerKey(SLOTS, new Uint8Array(32)), VerifyStatus.KeySlotInvalid);
  const identity = new Uint8Array(32);
  identity[0] = 1;
  assert.equal(fw.registerKey(1, identity), VerifyStatus.PublicKeySmallOrder);
  assert.equal(
    fw.verifyRegistered(1, new Uint8Array(0), new Uint8Array(64)),
    VerifyStatus.KeySlotEmpty,
  );
  const signers = Array.from({ length: SLOTS }, () => signerFromSeed(rnd(32)));
  signers.forEach((s, slot) => assert.equal(fw.registerKey(slot, s.publicKey), VerifyStatus.Valid));
  for (let i = 0; i < SLOTS; i++) {
    const message = rnd(20);
    const signature = signers[i]!.sign(message);
    for (let slot = 0; slot < SLOTS; slot++) {
      const want = slot === i ? VerifyStatus.Valid : VerifyStatus.EquationMismatch;
      assert.equal(fw.verifyRegistered(slot, message, signature), want, `signer ${i} slot ${slot}`);
    }
  }
});

test("mixed-order keys and R: the cofactorless equation decides exactly, on every path", () => {
  // A' = [a]B + T with T of order 8 (allowed by the policy). A signature made with the
  // secret a satisfies [S]B - [k]A' = R - [k]T, so it is valid exactly when 8 | k: about
  // one in eight verifies, the rest must be EquationMismatch — the short-vector check in
  // the firmware must not confuse the two (it works modulo 8·L for this reason).
  const rnd = makeRandom("mixed-order");
  const torsion = torsionPoints();
  const scalar = (): bigint => bytesToNumberLE(rnd(64)) % GROUP_L;
  let valid = 0,
    mismatched = 0;
  for (let i = 0; i < 200; i++) {
    const a = scalar();
    const t = torsion[1 + (i % 7)]!;
    const mixedKey = Point.BASE.multiply(a).add(t).toBytes();
    const message = rnd(i % 40);
    const r = scalar();
    let R = Point.BASE.multiply(r);
    if (i % 10 === 9) R = R.add(torsion[4]!); // mixed-order R: never valid
    const rBytes = R.toBytes();
    const k = challengeScalar(rBytes, mixedKey, message);
    const S = (r + k * a) % GROUP_L;
    const signature = new Uint8Array(64);
    signature.set(rBytes, 0);
    signature.set(numberToBytesLE(S, 32), 32);
    const want = verifyReference(mixedKey, message, signature);
    const id = `case ${i}: k mod 8 = ${k % 8n}, pk ${toHex(mixedKey)}`;
    assert.equal(fw.verify(mixedKey, message, signature), want, id);
    assert.equal(fw.registerKey(0, mixedKey), VerifyStatus.Valid, id);
    assert.equal(fw.verifyRegistered(0, message, signature), want, id);
    if (want === VerifyStatus.Valid) valid++;
    if (want === VerifyStatus.EquationMismatch) mismatched++;
  }
  assert.ok(valid >= 5 && mismatched >= 100, `valid ${valid}, mismatched ${mismatched}`);
});
