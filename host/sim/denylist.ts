// The operator-signed deny list image (docs/LEDGER.md §7), built on the host and
// installed through the firmware's ledgerDeny* exports. Issuer key ids are stored in
// 8 bytes: the certificate's u32 key id as a big-endian u64 (what the reader looks up).
// Format version 2 adds the certificates clearing vouches for (16-byte certHashes); a
// list that vouches for none is written as version 1, byte for byte as before.
import type { Ed25519Key } from "../issuer/ed25519.ts";
import { WALLET_ID_BYTES, toHex } from "../protocol/index.ts";

export const DENY_LIST_MAGIC = 0x4c44544f; // "OTDL"
/** Header bytes of format versions 1 and 2 (version 2 adds the vouched count). */
export const DENY_LIST_HEADER_BYTES = { 1: 24, 2: 28 } as const;
export const CERT_HASH_BYTES = 16;
/** Bytes of a slot's end that an image may not use: two version floors, two trailers. */
export const DENY_SLOT_TAIL_BYTES = 64;

export interface DenyList {
  version: number;
  issuedAt: number;
  walletIds: Uint8Array[];
  revokedIssuerKeyIds: number[];
  /** certHashes (first 16 bytes of SHA-512 over the 131-byte certificate) whose issuer
   *  signature clearing verified: a reader treats them as it treats its own cache's. */
  vouchedCertHashes?: Uint8Array[];
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}

/** Distinct values, ascending bytewise. */
function sortedUnique(values: Uint8Array[]): Uint8Array[] {
  return [...new Map(values.map((v) => [toHex(v), v])).values()].sort(compareBytes);
}

export function issuerKeyId8(keyId: number): Uint8Array {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setUint32(4, keyId, false);
  return out;
}

/** Image bytes (signature included) of a list with these counts. */
export function denyListImageBytes(wallets: number, keys: number, vouched: number): number {
  const header = DENY_LIST_HEADER_BYTES[vouched > 0 ? 2 : 1];
  return header + 16 * wallets + 8 * keys + CERT_HASH_BYTES * vouched + 64;
}

export function encodeDenyList(list: DenyList, operatorKey: Ed25519Key): Uint8Array {
  for (const w of list.walletIds) {
    if (w.length !== WALLET_ID_BYTES) throw new RangeError("wallet ids are 16 bytes");
  }
  const vouchedIn = list.vouchedCertHashes ?? [];
  for (const h of vouchedIn) {
    if (h.length !== CERT_HASH_BYTES) throw new RangeError("certificate hashes are 16 bytes");
  }
  const wallets = sortedUnique(list.walletIds);
  const keys = sortedUnique([...new Set(list.revokedIssuerKeyIds)].map(issuerKeyId8));
  const vouched = sortedUnique(vouchedIn);
  const format = vouched.length > 0 ? 2 : 1;
  const header = DENY_LIST_HEADER_BYTES[format];
  const signedLen = denyListImageBytes(wallets.length, keys.length, vouched.length) - 64;
  const b = new Uint8Array(signedLen + 64);
  const v = new DataView(b.buffer);
  v.setUint32(0, DENY_LIST_MAGIC, true);
  v.setUint16(4, format, true);
  v.setUint32(8, list.version, true);
  v.setUint32(12, list.issuedAt, true);
  v.setUint32(16, wallets.length, true);
  v.setUint32(20, keys.length, true);
  if (format === 2) v.setUint32(24, vouched.length, true);
  let at = header;
  for (const w of wallets) { b.set(w, at); at += 16; }
  for (const k of keys) { b.set(k, at); at += 8; }
  for (const h of vouched) { b.set(h, at); at += CERT_HASH_BYTES; }
  b.set(operatorKey.sign(b.subarray(0, signedLen)), signedLen);
  return b;
}
