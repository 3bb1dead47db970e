// Ed25519 keys for the host tools (issuer, simulated wallets): node:crypto (OpenSSL),
// byte-identical to RFC 8032 and fast enough to sign thousands of simulated taps a second.
import { createPrivateKey, createPublicKey, randomBytes, sign as nodeSign, verify as nodeVerify, type KeyObject } from "node:crypto";

const PKCS8_ED25519_PREFIX = Buffer.from("302e020100300506032b657004220420", "hex");
const SPKI_ED25519_PREFIX = Buffer.from("302a300506032b6570032100", "hex");

export class Ed25519Key {
  readonly seed: Uint8Array;
  readonly publicKey: Uint8Array;
  private readonly privateKey: KeyObject;

  constructor(seed: Uint8Array) {
    if (!(seed instanceof Uint8Array) || seed.length !== 32) throw new RangeError("an Ed25519 seed is 32 bytes");
    this.seed = Uint8Array.from(seed);
    this.privateKey = createPrivateKey({ key: Buffer.concat([PKCS8_ED25519_PREFIX, seed]), format: "der", type: "pkcs8" });
    const spki = createPublicKey(this.privateKey).export({ format: "der", type: "spki" });
    this.publicKey = Uint8Array.from(spki.subarray(SPKI_ED25519_PREFIX.length));
  }

  static random(): Ed25519Key {
    return new Ed25519Key(Uint8Array.from(randomBytes(32)));
  }

  sign(message: Uint8Array): Uint8Array {
    return Uint8Array.from(nodeSign(null, message, this.privateKey));
  }

  /** seed ‖ public key, the 64-byte secret key form the firmware takes. */
  secretKey(): Uint8Array {
    const out = new Uint8Array(64);
    out.set(this.seed, 0);
    out.set(this.publicKey, 32);
    return out;
  }
}

/** Plain RFC 8032 verification (node:crypto), for host-side sanity checks only. */
export function verifyEd25519(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  try {
    const key = createPublicKey({ key: Buffer.concat([SPKI_ED25519_PREFIX, publicKey]), format: "der", type: "spki" });
    return nodeVerify(null, message, key, signature);
  } catch {
    return false;
  }
}
