// The implementations compared, each wrapped as a benchmark Subject over the shared
// fixtures. Keys are decoded or wrapped once, before timing (node:crypto KeyObjects,
// the firmware's registered issuer key); each op checks its own result.
import { createHash, sign as nodeSign, verify as nodeVerify } from "node:crypto";
import sodium from "libsodium-wrappers";
import nacl from "tweetnacl";
import * as ed from "@noble/ed25519";
import { sha512 as nobleSha512 } from "@noble/hashes/sha2.js";
import type { FirmwareCrypto } from "../../host/firmware/crypto.ts";
import type { Fixture, FixtureSet } from "./fixtures.ts";
import type { Subject } from "./measure.ts";

export const OFFTAP = "offtap (V8)";
export const OFFTAP_REGISTERED = "offtap registered key (V8)";
export const LIBSODIUM = "libsodium-wrappers";

/** Issuer-key slot the benchmark registers (any slot below REGISTERED_KEYS_MAX). */
const ISSUER_SLOT = 0;

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function pick(set: readonly Fixture[], i: number): Fixture {
  return set[i % set.length]!;
}

function verifier(name: string, set: readonly Fixture[], check: (f: Fixture) => boolean): Subject {
  return {
    name,
    op(i: number): void {
      if (!check(pick(set, i))) throw new Error(`${name}: a valid signature (fixture ${i % set.length}) did not verify`);
    },
  };
}

function signer(name: string, set: readonly Fixture[], make: (f: Fixture) => Uint8Array): Subject {
  return {
    name,
    op(i: number): void {
      const f = pick(set, i);
      if (!equalBytes(make(f), f.signature)) throw new Error(`${name}: signature for fixture ${i % set.length} differs from node:crypto's`);
    },
  };
}

/** Must be awaited once before any libsodium subject runs. */
export async function peersReady(): Promise<void> {
  await sodium.ready;
  ed.hashes.sha512 = nobleSha512;
}

export function verifySubjects(fx: FixtureSet, fc: FirmwareCrypto): Subject[] {
  const issuerKey = fx.issuer[0]!.signer.publicKey;
  const status = fc.registerKey(ISSUER_SLOT, issuerKey);
  if (status !== 0) throw new Error(`offtap: ed25519RegisterKey refused the issuer key (status ${status})`);
  const w = fx.wallets;
  return [
    verifier(OFFTAP, w, (f) => fc.verify(f.signer.publicKey, f.message, f.signature) === 0),
    verifier(OFFTAP_REGISTERED, fx.issuer, (f) => fc.verifyRegistered(ISSUER_SLOT, f.message, f.signature) === 0),
    verifier("node:crypto", w, (f) => nodeVerify(null, f.message, f.signer.publicKeyObject, f.signature)),
    verifier(LIBSODIUM, w, (f) => sodium.crypto_sign_verify_detached(f.signature, f.message, f.signer.publicKey)),
    verifier("@noble/ed25519", w, (f) => ed.verify(f.signature, f.message, f.signer.publicKey, { zip215: false })),
    verifier("tweetnacl", w, (f) => nacl.sign.detached.verify(f.message, f.signature, f.signer.publicKey)),
  ];
}

export function signSubjects(fx: FixtureSet, fc: FirmwareCrypto): Subject[] {
  const w = fx.wallets;
  return [
    signer(OFFTAP, w, (f) => fc.sign(f.signer.secretKey, f.message)),
    signer("node:crypto", w, (f) => new Uint8Array(nodeSign(null, f.message, f.signer.privateKeyObject))),
    signer(LIBSODIUM, w, (f) => sodium.crypto_sign_detached(f.message, f.signer.secretKey)),
    signer("@noble/ed25519", w, (f) => ed.sign(f.message, f.signer.seed)),
    signer("tweetnacl", w, (f) => nacl.sign.detached(f.message, f.signer.secretKey)),
  ];
}

/** SHA-512 subjects for one message size; each op checks the digest against node:crypto's. */
export function shaSubjects(sizeBytes: number, fc: FirmwareCrypto): Subject[] {
  const data = new Uint8Array(sizeBytes);
  for (let i = 0; i < sizeBytes; i++) data[i] = (i * 131 + 7) & 0xff;
  const expected = new Uint8Array(createHash("sha512").update(data).digest());
  const hasher = (name: string, hash: (d: Uint8Array) => Uint8Array): Subject => ({
    name,
    op(): void {
      if (!equalBytes(hash(data), expected)) throw new Error(`${name}: wrong SHA-512 digest of ${sizeBytes} bytes`);
    },
  });
  return [
    hasher(OFFTAP, (d) => fc.sha512(d)),
    hasher("node:crypto", (d) => new Uint8Array(createHash("sha512").update(d).digest())),
    hasher("@noble/hashes", (d) => nobleSha512(d)),
  ];
}
