// The one key/message/signature set every implementation in the benchmark works on.
// Deterministic (seeds derived from fixed labels) and made with node:crypto, so the
// expected signatures come from an implementation independent of the firmware.
import { createHash, createPrivateKey, createPublicKey, sign, type KeyObject } from "node:crypto";

/** Signatures per set: enough that no implementation sees one input over and over. */
export const FIXTURE_COUNT = 64;
/** Message length: a tap's signed payment authorization is of this order (docs/PROTOCOL.md). */
export const MESSAGE_BYTES = 100;

/** PKCS#8 DER header of an Ed25519 private key; the 32-byte seed follows (RFC 8410). */
const PKCS8_ED25519_PREFIX = Buffer.from("302e020100300506032b657004220420", "hex");

export interface Signer {
  seed: Uint8Array;
  publicKey: Uint8Array;
  /** seed || public key, the 64-byte secret key of libsodium, tweetnacl and the firmware. */
  secretKey: Uint8Array;
  privateKeyObject: KeyObject;
  publicKeyObject: KeyObject;
}

export interface Fixture {
  signer: Signer;
  message: Uint8Array;
  signature: Uint8Array;
}

export interface FixtureSet {
  /** FIXTURE_COUNT distinct wallet keys, each signing one message. */
  wallets: Fixture[];
  /** One issuer key signing the same FIXTURE_COUNT messages (for registered-key verify). */
  issuer: Fixture[];
}

function derive(label: string, bytes: number): Uint8Array {
  return new Uint8Array(createHash("sha512").update(label).digest().subarray(0, bytes));
}

function signer(label: string): Signer {
  const seed = derive(`offtap bench seed ${label}`, 32);
  const privateKeyObject = createPrivateKey({ key: Buffer.concat([PKCS8_ED25519_PREFIX, seed]), format: "der", type: "pkcs8" });
  const jwk = privateKeyObject.export({ format: "jwk" });
  if (typeof jwk.x !== "string") throw new Error("node:crypto did not export an Ed25519 public key");
  const publicKey = new Uint8Array(Buffer.from(jwk.x, "base64url"));
  const publicKeyObject = createPublicKey({ key: { kty: "OKP", crv: "Ed25519", x: jwk.x }, format: "jwk" });
  const secretKey = new Uint8Array(64);
  secretKey.set(seed, 0);
  secretKey.set(publicKey, 32);
  return { seed, publicKey, secretKey, privateKeyObject, publicKeyObject };
}

function message(i: number): Uint8Array {
  const m = new Uint8Array(MESSAGE_BYTES);
  m.set(derive(`offtap bench message ${i} a`, 64), 0);
  m.set(derive(`offtap bench message ${i} b`, MESSAGE_BYTES - 64), 64);
  return m;
}

function fixture(s: Signer, msg: Uint8Array): Fixture {
  return { signer: s, message: msg, signature: new Uint8Array(sign(null, msg, s.privateKeyObject)) };
}

export function makeFixtures(): FixtureSet {
  const messages = Array.from({ length: FIXTURE_COUNT }, (_, i) => message(i));
  const issuer = signer("issuer");
  return {
    wallets: messages.map((m, i) => fixture(signer(`wallet ${i}`), m)),
    issuer: messages.map((m) => fixture(issuer, m)),
  };
}
