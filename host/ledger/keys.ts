// Ed25519 through node:crypto (OpenSSL): the host's independent signer and verifier
// for batches, acknowledgements and deny lists.
import { createPrivateKey, createPublicKey, sign, verify, type KeyObject } from "node:crypto";

const PKCS8_PREFIX = Buffer.from("302e020100300506032b657004220420", "hex");
const SPKI_PREFIX = Buffer.from("302a300506032b6570032100", "hex");

export interface Ed25519KeyPair {
  seed: Uint8Array;
  publicKey: Uint8Array;
  /** seed ‖ public key: the firmware's 64-byte secret key form. */
  secretKey: Uint8Array;
}

function privateKeyOf(seed: Uint8Array): KeyObject {
  if (seed.length !== 32) throw new RangeError("an Ed25519 seed is 32 bytes");
  const der = Buffer.concat([PKCS8_PREFIX, seed]);
  return createPrivateKey({ key: der, format: "der", type: "pkcs8" });
}

export function keyPairFromSeed(seed: Uint8Array): Ed25519KeyPair {
  const spki = createPublicKey(privateKeyOf(seed)).export({ format: "der", type: "spki" });
  const publicKey = new Uint8Array(spki.subarray(spki.length - 32));
  const secretKey = new Uint8Array(64);
  secretKey.set(seed, 0);
  secretKey.set(publicKey, 32);
  return { seed: Uint8Array.from(seed), publicKey, secretKey };
}

export function signEd25519(seed: Uint8Array, message: Uint8Array): Uint8Array {
  return new Uint8Array(sign(null, message, privateKeyOf(seed)));
}

/** Parsed public keys by their bytes: a reader's device key verifies every batch it uploads,
 *  and parsing it costs as much as the verify. At most this many are kept (then all go). */
const PUBLIC_KEYS_CACHED_MAX = 1_024;
const publicKeys = new Map<string, KeyObject>();

function publicKeyOf(publicKey: Uint8Array): KeyObject {
  const id = Buffer.from(publicKey.buffer, publicKey.byteOffset, 32).toString("hex");
  let key = publicKeys.get(id);
  if (key === undefined) {
    const der = Buffer.concat([SPKI_PREFIX, publicKey]);
    key = createPublicKey({ key: der, format: "der", type: "spki" });
    if (publicKeys.size >= PUBLIC_KEYS_CACHED_MAX) publicKeys.clear();
    publicKeys.set(id, key);
  }
  return key;
}

export function verifyEd25519(
  publicKey: Uint8Array,
  message: Uint8Array,
  signature: Uint8Array,
): boolean {
  if (publicKey.length !== 32 || signature.length !== 64) return false;
  return verify(null, message, publicKeyOf(publicKey), signature);
}
