// Cache of certificates whose issuer signature verified recently (check 3), keyed by
// certHash = H16(certificate), so that a regular's tap skips one Ed25519 verify.
//
// Why 16 bytes of SHA-512 are enough: a hit lets a certificate through unverified, so
// an attacker would need a certificate C' ≠ C with H16(C') = H16(C) for some C already in
// the cache. Every cached C was signed by an issuer, and the hash covers that signature:
// Ed25519's R is derived from the issuer's secret nonce key, so nobody but the issuer can
// know H16(C) before C exists. A collision found in advance (birthday bound, 2^64 work)
// therefore does not help; what is needed is a second preimage of a fixed 128-bit value,
// 2^128 work. The same argument covers certHash inside the wallet-signed authorization.
//
// Bounded: CERT_CACHE_ENTRIES slots, replaced round-robin (oldest insertion first). A
// re-provisioning clears it, because the issuer keys behind the entries may change.
import { CERT_CACHE_ENTRIES } from "../limits";
import { CERT_HASH_BYTES } from "./cert";

const entries: usize = memory.data(CERT_CACHE_ENTRIES * CERT_HASH_BYTES, 16);
let used: i32 = 0;
let nextSlot: i32 = 0;

@inline function slot(i: i32): usize { return entries + <usize>(i * CERT_HASH_BYTES); }

/** True when the 16-byte certHash at hash was inserted and not yet evicted. */
export function certCacheContains(hash: usize): bool {
  const a = load<u64>(hash);
  const b = load<u64>(hash, 8);
  for (let i = 0; i < used; i++) { // used ≤ CERT_CACHE_ENTRIES
    const p = slot(i);
    if (load<u64>(p) == a && load<u64>(p, 8) == b) return true;
  }
  return false;
}

/** Remembers certHash; evicts the oldest entry when full. Callers insert only after the
 *  issuer signature verified, and only hashes not already present. */
export function certCacheInsert(hash: usize): void {
  const p = slot(nextSlot);
  store<u64>(p, load<u64>(hash));
  store<u64>(p, load<u64>(hash, 8), 8);
  nextSlot = nextSlot + 1 == CERT_CACHE_ENTRIES ? 0 : nextSlot + 1;
  if (used < CERT_CACHE_ENTRIES) used++;
}

export function certCacheClear(): void {
  used = 0;
  nextSlot = 0;
}

export function certCacheSize(): i32 { return used; }
