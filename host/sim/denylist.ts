// The operator-signed deny list image (docs/LEDGER.md §7), built on the host and
// installed through the firmware's ledgerDeny* exports. Issuer key ids are stored in
// 8 bytes: the certificate's u32 key id as a big-endian u64 (what the reader looks up).
// Format version 2 adds the certificates clearing vouches for (16-byte certHashes); a
// list that vouches for none is written as version 1, byte for byte as before.
import type { Ed25519Key } from "../issuer/ed25519.ts";
import { encodeDenyListBody } from "../ledger/format.ts";
import { toHex } from "../protocol/index.ts";

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

/** Distinct values (the body encoder sorts them). */
function unique(values: Uint8Array[]): Uint8Array[] {
  return [...new Map(values.map((v) => [toHex(v), v])).values()];
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

/** The signed image: the body as `host/ledger/format.ts` lays it out (one encoder of the
 *  layout; it checks every id's length), duplicates dropped, then the operator's
 *  signature over it. */
export function encodeDenyList(list: DenyList, operatorKey: Ed25519Key): Uint8Array {
  const body = encodeDenyListBody({
    version: list.version,
    issuedAt: list.issuedAt,
    walletIds: unique(list.walletIds),
    revokedKeyIds: [...new Set(list.revokedIssuerKeyIds)].map(issuerKeyId8),
    certHashes: unique(list.vouchedCertHashes ?? []),
  });
  const b = new Uint8Array(body.length + 64);
  b.set(body);
  b.set(operatorKey.sign(body), body.length);
  return b;
}
