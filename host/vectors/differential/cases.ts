// Generator of Ed25519 verification inputs for differential testing: valid signatures and
// the mutations on which verifiers are known to disagree (bit flips, S >= L, small-order
// and non-canonical A and R, mixed-order A, y >= p, random points). Case i depends only on
// (seed, i); see prng.ts.
import { type KeyObject, createHash, createPrivateKey, createPublicKey, sign as nodeSign } from "node:crypto";
import { Point } from "@noble/ed25519";
import { FIELD_P, GROUP_L, bytesToNumberLE, numberToBytesLE } from "../../crypto/encoding.ts";
import { type TorsionEncoding, torsionEncodings, torsionPoints } from "../../crypto/torsion.ts";
import { Prng } from "./prng.ts";

export interface VerifyCase {
  index: number;
  category: Category;
  publicKey: Uint8Array;
  message: Uint8Array;
  signature: Uint8Array;
}

/** Each category with its share of the run (weights out of 100). */
export const CATEGORY_WEIGHTS = {
  "valid": 22,
  "flip-R": 7,
  "flip-S": 7,
  "flip-A": 7,
  "flip-M": 7,
  "S-out-of-range": 6,
  "small-order-A": 5,
  "small-order-A-equation-holds": 4,
  "small-order-R": 4,
  "small-order-R-S=ka": 5,
  "mixed-order-A-resigned": 7,
  "mixed-order-A-cofactored-only": 6,
  "mixed-order-A-unchanged-sig": 2,
  "A-y>=p": 3,
  "R-y>=p": 3,
  "random-A": 3,
  "random-R": 2,
} as const;
export type Category = keyof typeof CATEGORY_WEIGHTS;
export const CATEGORIES = Object.keys(CATEGORY_WEIGHTS) as Category[];
const WEIGHT_TOTAL = CATEGORIES.reduce((n, c) => n + CATEGORY_WEIGHTS[c], 0);

const MESSAGE_BYTES_MAX = 300;
/** Bound on re-signing attempts when a case needs the hash to land on a torsion class. */
const FORGE_TRIES_MAX = 64;
const PKCS8_ED25519_PREFIX = Buffer.from("302e020100300506032b657004220420", "hex");

type Triple = { publicKey: Uint8Array; message: Uint8Array; signature: Uint8Array };

const TORSION_ENCODINGS: readonly TorsionEncoding[] = torsionEncodings();
const TORSION_POINTS: readonly Point[] = torsionPoints();

interface Signer {
  seed: Uint8Array;
  scalar: bigint;
  publicKey: Uint8Array;
}

/**
 * k = SHA-512(R || A || M) mod L with node:crypto's SHA-512: the generator only needs speed
 * (some cases retry until k lands in a torsion class); the oracle uses its own hash.
 */
function challengeScalar(rBytes: Uint8Array, publicKey: Uint8Array, message: Uint8Array): bigint {
  const h = createHash("sha512").update(rBytes).update(publicKey).update(message).digest();
  return bytesToNumberLE(h) % GROUP_L;
}

/** RFC 8032 §5.1.5 key derivation: a = clamp(SHA-512(seed)[0..32]), A = [a]B. */
function signerFrom(seed: Uint8Array): Signer {
  const head = createHash("sha512").update(seed).digest().subarray(0, 32);
  head[0] = head[0]! & 248;
  head[31] = (head[31]! & 127) | 64;
  const scalar = bytesToNumberLE(head) % GROUP_L;
  return { seed, scalar, publicKey: Point.BASE.multiply(scalar).toBytes() };
}

function randomScalar(rng: Prng): bigint {
  const r = bytesToNumberLE(rng.bytes(64)) % GROUP_L;
  return r === 0n ? 1n : r;
}

function randomMessage(rng: Prng): Uint8Array {
  return rng.bytes(rng.below(MESSAGE_BYTES_MAX + 1));
}

function concatSig(r: Uint8Array, s: bigint): Uint8Array {
  const sig = new Uint8Array(64);
  sig.set(r, 0);
  sig.set(numberToBytesLE(s, 32), 32);
  return sig;
}

/** S = r + k·a for the given R bytes and public-key bytes (which need not be a·B). */
function signWith(a: bigint, publicKey: Uint8Array, rBytes: Uint8Array, r: bigint, message: Uint8Array): Uint8Array {
  const k = challengeScalar(rBytes, publicKey, message);
  return concatSig(rBytes, (r + k * a) % GROUP_L);
}

/**
 * Keys for ordinary signatures come from a pool of NODE_KEYS_POOL seeds derived from the run
 * seed: importing a key into node:crypto costs more than a verify, and a few hundred random
 * keys signing random messages cover the same ground as one key per case.
 */
const NODE_KEYS_POOL = 512;
const POOL_SALT = 0x6b657973; // "keys": keeps pool seeds apart from case seeds
const nodeKeys = new Map<string, { key: KeyObject; publicKey: Uint8Array }>();

function nodeKey(runSeed: number, slot: number): { key: KeyObject; publicKey: Uint8Array } {
  const id = `${runSeed}:${slot}`;
  let entry = nodeKeys.get(id);
  if (entry === undefined) {
    const seed = new Prng(runSeed ^ POOL_SALT, slot).bytes(32);
    const key = createPrivateKey({ key: Buffer.concat([PKCS8_ED25519_PREFIX, seed]), format: "der", type: "pkcs8" });
    const spki = createPublicKey(key).export({ format: "der", type: "spki" });
    entry = { key, publicKey: new Uint8Array(spki.subarray(12)) };
    if (nodeKeys.size >= NODE_KEYS_POOL) nodeKeys.clear(); // only when switching run seeds
    nodeKeys.set(id, entry);
  }
  return entry;
}

/** An ordinary signature made by node:crypto (OpenSSL), independent of our arithmetic. */
function nodeSigned(rng: Prng): Triple {
  const { key, publicKey } = nodeKey(rng.runSeed, rng.below(NODE_KEYS_POOL));
  const message = randomMessage(rng);
  return { publicKey, message, signature: new Uint8Array(nodeSign(null, message, key)) };
}

function flipBit(bytes: Uint8Array, from: number, len: number, rng: Prng): Uint8Array {
  const out = bytes.slice();
  const bit = rng.below(len * 8);
  const at = from + (bit >> 3);
  out[at] = out[at]! ^ (1 << (bit & 7));
  return out;
}

function sOutOfRange(rng: Prng): Uint8Array {
  const base = nodeSigned(rng);
  const s = bytesToNumberLE(base.signature.subarray(32));
  const variants: bigint[] = [
    s + GROUP_L * BigInt(1 + rng.below(15)), // still < 2^256: 16·L > 2^256 > 15·L + L
    s + 2n ** 253n,
    s + 2n ** 254n,
    s | (1n << 255n),
    GROUP_L,
    2n ** 256n - 1n,
  ];
  return concatSig(base.signature.subarray(0, 32), rng.pick(variants));
}

/** A y in [p, 2^255) with a random sign bit: every encoding that is non-canonical by y alone. */
function yAtLeastP(rng: Prng): Uint8Array {
  const b = numberToBytesLE(FIELD_P + BigInt(rng.below(19)), 32);
  if (rng.below(2) === 1) b[31] = b[31]! | 0x80;
  return b;
}

/** A = a torsion encoding T; R = [r]B, S = r, retried until [k]T = O so R = [S]B - [k]A holds. */
function smallOrderAEquationHolds(rng: Prng): Triple {
  const t = rng.pick(TORSION_ENCODINGS);
  const message = randomMessage(rng);
  let signature: Uint8Array = new Uint8Array(64);
  for (let tries = 0; tries < FORGE_TRIES_MAX; tries++) {
    const r = randomScalar(rng);
    const rBytes = Point.BASE.multiply(r).toBytes();
    signature = concatSig(rBytes, r);
    const k = challengeScalar(rBytes, t.bytes, message);
    if ((k * BigInt(t.index)) % 8n === 0n) break;
  }
  return { publicKey: t.bytes, message, signature };
}

/**
 * A' = A + T (T a non-identity torsion point) with a signature that satisfies the
 * cofactorless equation: R = [r]B + T_j, where the hash k must make -[k]T = T_j.
 * Returns null when no attempt landed (then the caller keeps a cofactored-only case).
 */
function mixedOrderResigned(s: Signer, tIndex: number, message: Uint8Array, rng: Prng): Uint8Array | null {
  const aMixed = Point.BASE.multiply(s.scalar).add(TORSION_POINTS[tIndex]!).toBytes();
  for (let tries = 0; tries < FORGE_TRIES_MAX / 8; tries++) {
    const r = randomScalar(rng);
    const rB = Point.BASE.multiply(r);
    for (let j = 0; j < 8; j++) {
      const rBytes = rB.add(TORSION_POINTS[j]!).toBytes();
      const k = challengeScalar(rBytes, aMixed, message);
      const needed = Number((((-k * BigInt(tIndex)) % 8n) + 8n) % 8n);
      if (needed === j) return signWith(s.scalar, aMixed, rBytes, r, message);
    }
  }
  return null;
}

function mixedOrderKey(s: Signer, tIndex: number): Uint8Array {
  return Point.BASE.multiply(s.scalar).add(TORSION_POINTS[tIndex]!).toBytes();
}

function pickCategory(rng: Prng): Category {
  let x = rng.below(WEIGHT_TOTAL);
  for (const c of CATEGORIES) {
    x -= CATEGORY_WEIGHTS[c];
    if (x < 0) return c;
  }
  throw new Error("unreachable: weights exhausted");
}

/** Builds case `index` of the run seeded with `seed`. */
export function generateCase(seed: number, index: number): VerifyCase {
  const rng = new Prng(seed, index);
  const category = pickCategory(rng);
  return { index, category, ...build(category, rng) };
}

function build(category: Category, rng: Prng): Triple {
  switch (category) {
    case "valid":
      return nodeSigned(rng);
    case "flip-R": {
      const b = nodeSigned(rng);
      return { ...b, signature: flipBit(b.signature, 0, 32, rng) };
    }
    case "flip-S": {
      const b = nodeSigned(rng);
      return { ...b, signature: flipBit(b.signature, 32, 32, rng) };
    }
    case "flip-A": {
      const b = nodeSigned(rng);
      return { ...b, publicKey: flipBit(b.publicKey, 0, 32, rng) };
    }
    case "flip-M": {
      const b = nodeSigned(rng);
      const message = b.message.length === 0 ? rng.bytes(1) : flipBit(b.message, 0, b.message.length, rng);
      return { ...b, message };
    }
    case "S-out-of-range": {
      const b = nodeSigned(rng);
      return { ...b, signature: sOutOfRange(rng) };
    }
    default:
      return buildCrafted(category, rng);
  }
}

function buildCrafted(category: Category, rng: Prng): Triple {
  switch (category) {
    case "small-order-A": {
      const b = nodeSigned(rng);
      return { ...b, publicKey: rng.pick(TORSION_ENCODINGS).bytes };
    }
    case "small-order-A-equation-holds":
      return smallOrderAEquationHolds(rng);
    case "small-order-R": {
      const b = nodeSigned(rng);
      const sig = b.signature.slice();
      sig.set(rng.pick(TORSION_ENCODINGS).bytes, 0);
      return { ...b, signature: sig };
    }
    case "small-order-R-S=ka": {
      // R = a torsion encoding T and S = k·a, so [S]B - [k]A = O: cofactored verifiers accept.
      const s = signerFrom(rng.bytes(32));
      const message = randomMessage(rng);
      const t = rng.pick(TORSION_ENCODINGS);
      return { publicKey: s.publicKey, message, signature: signWith(s.scalar, s.publicKey, t.bytes, 0n, message) };
    }
    default:
      return buildMixedOrEncoding(category, rng);
  }
}

function buildMixedOrEncoding(category: Category, rng: Prng): Triple {
  switch (category) {
    case "mixed-order-A-resigned": {
      const s = signerFrom(rng.bytes(32));
      const tIndex = 1 + rng.below(7);
      const message = randomMessage(rng);
      const signature = mixedOrderResigned(s, tIndex, message, rng);
      if (signature !== null) return { publicKey: mixedOrderKey(s, tIndex), message, signature };
      return cofactoredOnly(s, tIndex, message, rng);
    }
    case "mixed-order-A-cofactored-only": {
      const s = signerFrom(rng.bytes(32));
      return cofactoredOnly(s, 1 + rng.below(7), randomMessage(rng), rng);
    }
    case "mixed-order-A-unchanged-sig": {
      const s = signerFrom(rng.bytes(32));
      const message = randomMessage(rng);
      const r = randomScalar(rng);
      const signature = signWith(s.scalar, s.publicKey, Point.BASE.multiply(r).toBytes(), r, message);
      return { publicKey: mixedOrderKey(s, 1 + rng.below(7)), message, signature };
    }
    case "A-y>=p": {
      const b = nodeSigned(rng);
      return { ...b, publicKey: yAtLeastP(rng) };
    }
    case "R-y>=p": {
      const b = nodeSigned(rng);
      const sig = b.signature.slice();
      sig.set(yAtLeastP(rng), 0);
      return { ...b, signature: sig };
    }
    case "random-A": {
      const b = nodeSigned(rng);
      return { ...b, publicKey: rng.bytes(32) };
    }
    case "random-R": {
      const b = nodeSigned(rng);
      const sig = b.signature.slice();
      sig.set(rng.bytes(32), 0);
      return { ...b, signature: sig };
    }
    default:
      throw new Error(`no builder for category ${category}`);
  }
}

/** A' = A + T signed as if it were A·B with R = [r]B: only the cofactored equation is sure to hold. */
function cofactoredOnly(s: Signer, tIndex: number, message: Uint8Array, rng: Prng): Triple {
  const publicKey = mixedOrderKey(s, tIndex);
  const r = randomScalar(rng);
  return { publicKey, message, signature: signWith(s.scalar, publicKey, Point.BASE.multiply(r).toBytes(), r, message) };
}
