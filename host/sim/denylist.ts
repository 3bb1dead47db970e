// The operator-signed deny list image (docs/LEDGER.md §7), built on the host and
// installed through the firmware's ledgerDeny* exports. Issuer key ids are stored in
// 8 bytes: the certificate's u32 key id as a big-endian u64 (what the reader looks up).
import type { Ed25519Key } from "../issuer/ed25519.ts";
import { WALLET_ID_BYTES, toHex } from "../protocol/index.ts";

export const DENY_LIST_MAGIC = 0x4c44544f; // "OTDL"

export interface DenyList {
  version: number;
  issuedAt: number;
  walletIds: Uint8Array[];
  revokedIssuerKeyIds: number[];
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}

export function issuerKeyId8(keyId: number): Uint8Array {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setUint32(4, keyId, false);
  return out;
}

export function encodeDenyList(list: DenyList, operatorKey: Ed25519Key): Uint8Array {
  for (const w of list.walletIds) if (w.length !== WALLET_ID_BYTES) throw new RangeError("wallet ids are 16 bytes");
  const wallets = [...new Map(list.walletIds.map((w) => [toHex(w), w])).values()].sort(compareBytes);
  const keys = [...new Set(list.revokedIssuerKeyIds)].map(issuerKeyId8).sort(compareBytes);
  const signedLen = 24 + 16 * wallets.length + 8 * keys.length;
  const b = new Uint8Array(signedLen + 64);
  const v = new DataView(b.buffer);
  v.setUint32(0, DENY_LIST_MAGIC, true);
  v.setUint16(4, 1, true);
  v.setUint32(8, list.version, true);
  v.setUint32(12, list.issuedAt, true);
  v.setUint32(16, wallets.length, true);
  v.setUint32(20, keys.length, true);
  let at = 24;
  for (const w of wallets) { b.set(w, at); at += 16; }
  for (const k of keys) { b.set(k, at); at += 8; }
  b.set(operatorKey.sign(b.subarray(0, signedLen)), signedLen);
  return b;
}
