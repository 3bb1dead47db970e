// Ed25519 key derivation and signing (RFC 8032 §5.1.5, §5.1.6), for the reader's device
// key (signed ledger batches, receipts). Byte-identical to RFC 8032, libsodium and OpenSSL.
//
// Secret handling:
// - Every operation on secret data is constant-time: the fixed-base multiplication
//   (basetable.ts) scans its whole table with masks, and the scalar arithmetic
//   (scalar.ts) has no data-dependent branches or indices.
// - The public key used in k = SHA-512(R || A || M) is always the one derived from the
//   seed, never the caller's copy in sk[32..64]. Signing with a mismatched public key
//   would hand out two signatures with the same r and different k — enough to solve for
//   the secret scalar (the "double public key oracle" attack). To keep that free, the
//   last derived (seed, A) pair is cached; the cache is checked with a constant-time
//   compare of the seed, and a different seed is simply derived again.
// - Intermediate secrets (the expanded key, the nonce) are wiped before returning.
//
// The message is hashed twice (prefix || M, then R || A || M) by streaming it through
// SHA-512 where it lies: it is never copied, so its length is bounded only by i32.
import { SHA512_CTX_BYTES, sha512, sha512Init, sha512Update, sha512Final } from "./sha512";
import { scalarReduce64, scalarMulAdd } from "./scalar";
import { baseMulEncode } from "./basetable";

const SEED_BYTES: i32 = 32;
const PUBLIC_KEY_BYTES: i32 = 32;
const HASH_BYTES: i32 = 64;

const shaCtx: usize = memory.data(SHA512_CTX_BYTES, 16);
/** SHA-512(seed): the clamped scalar a in bytes 0..31, the nonce prefix in 32..63. */
const expanded: usize = memory.data(HASH_BYTES, 16);
/** A 64-byte hash to reduce (nonce r, then challenge k). */
const wide: usize = memory.data(HASH_BYTES, 16);
const nonce: usize = memory.data(32, 16);
const challenge: usize = memory.data(32, 16);
/** R then S, assembled here so `sigOut` may overlap the inputs. */
const signature: usize = memory.data(64, 16);

/** The last seed whose public key was derived, and that key. */
const cachedSeed: usize = memory.data(SEED_BYTES, 16);
const cachedPublicKey: usize = memory.data(PUBLIC_KEY_BYTES, 16);
let cacheValid: bool = false;

/** Overwrites n bytes (a multiple of 8) with zeros: used to wipe secrets. */
function wipe(p: usize, n: i32): void {
  for (let i = 0; i < n; i += 8) store<u64>(p + <usize>i, 0);
}

function copy32(dst: usize, src: usize): void {
  store<u64>(dst, load<u64>(src, 0), 0);
  store<u64>(dst, load<u64>(src, 8), 8);
  store<u64>(dst, load<u64>(src, 16), 16);
  store<u64>(dst, load<u64>(src, 24), 24);
}

/** Constant-time equality of two 32-byte strings (the seed is secret). */
function equal32(x: usize, y: usize): bool {
  let diff: u64 = 0;
  for (let i = 0; i < 32; i += 8) diff |= load<u64>(x + <usize>i) ^ load<u64>(y + <usize>i);
  return diff == 0;
}

/** expanded = SHA-512(seed) with the scalar half clamped (RFC 8032 §5.1.5 step 2). */
function expandSeed(seed: usize): void {
  sha512(seed, SEED_BYTES, expanded);
  store<u8>(expanded, load<u8>(expanded) & 248);
  store<u8>(expanded + 31, (load<u8>(expanded + 31) & 127) | 64);
}

/** Derives A = [a]B for the seed whose expansion is in `expanded`, through the cache. */
function publicKeyOfExpanded(seed: usize): usize {
  if (!cacheValid || !equal32(seed, cachedSeed)) {
    // Invalidate first: a trap midway must not leave a stale pair marked valid.
    cacheValid = false;
    baseMulEncode(expanded, cachedPublicKey);
    copy32(cachedSeed, seed);
    cacheValid = true;
  }
  return cachedPublicKey;
}

/** pkOut = the 32-byte Ed25519 public key of the 32-byte seed. pkOut may alias seed. */
export function ed25519PublicKey(seed: usize, pkOut: usize): void {
  expandSeed(seed);
  const a = publicKeyOfExpanded(seed);
  wipe(expanded, HASH_BYTES);
  copy32(pkOut, a);
}

/**
 * sigOut = the 64-byte Ed25519 signature of msg[0..len) under sk = seed || publicKey.
 * Only the seed half of sk is used (see the header). sigOut may overlap any input.
 */
export function ed25519Sign(sk: usize, msg: usize, len: i32, sigOut: usize): void {
  expandSeed(sk);
  const publicKey = publicKeyOfExpanded(sk);

  // r = SHA-512(prefix || M) mod L; R = [r]B.
  sha512Init(shaCtx);
  sha512Update(shaCtx, expanded + 32, 32);
  sha512Update(shaCtx, msg, len);
  sha512Final(shaCtx, wide);
  scalarReduce64(wide, nonce);
  baseMulEncode(nonce, signature);

  // k = SHA-512(R || A || M) mod L.
  sha512Init(shaCtx);
  sha512Update(shaCtx, signature, 32);
  sha512Update(shaCtx, publicKey, PUBLIC_KEY_BYTES);
  sha512Update(shaCtx, msg, len);
  sha512Final(shaCtx, wide);
  scalarReduce64(wide, challenge);

  // S = (k·a + r) mod L.
  scalarMulAdd(challenge, expanded, nonce, signature + 32);

  wipe(expanded, HASH_BYTES);
  wipe(wide, HASH_BYTES);
  wipe(nonce, 32);
  wipe(shaCtx, SHA512_CTX_BYTES & ~7);
  copy32(sigOut, signature);
  copy32(sigOut + 32, signature + 32);
}
