// Which certificates the deny list vouches for (docs/CLEARING.md §8, docs/LEDGER.md §7
// format 2), and how many fit a reader's deny-list slot. A row of `certificates` exists
// only for a certificate whose issuer signature ingest verified under the strict policy
// (settle.ts stores only records `check` accepted), so every row is a candidate; left out
// are the ones a reader must refuse anyway or that clearing no longer stands behind.
import { createHash } from "node:crypto";
import {
  CERT_HASH_BYTES,
  DENY_LIST_HEADER_BYTES,
  DENY_SLOT_TAIL_BYTES,
  denyListImageBytes,
} from "../sim/denylist.ts";
import type { Tx } from "./db.ts";

/** Half of the default 32 KiB deny partition (`DEFAULT_GEOMETRY`, the gate board's). */
export const DENY_SLOT_BYTES_DEFAULT = 16_384;
/** A slot is a whole number of sectors, and the firmware accepts sectors from 1 KiB. */
export const DENY_SLOT_BYTES_MIN = 1_024;
/** Half of a 16 MiB flash, the largest an ESP32 module carries. */
export const DENY_SLOT_BYTES_MAX = 8 * 1024 * 1024;
/** A change of the vouched set alone issues a new list at most this often: each install
 *  erases a slot of every reader's flash. */
export const VOUCH_REFRESH_S_DEFAULT = 3_600;

/** The first `denySlotBytes` problem, or undefined when it is a usable slot size. */
export function denySlotBytesProblem(n: number): string | undefined {
  if (!Number.isInteger(n) || n < DENY_SLOT_BYTES_MIN || n > DENY_SLOT_BYTES_MAX)
    return `must be an integer from ${DENY_SLOT_BYTES_MIN} to ${DENY_SLOT_BYTES_MAX}`;
  if (n % DENY_SLOT_BYTES_MIN !== 0)
    return `must be a multiple of ${DENY_SLOT_BYTES_MIN}: a slot is whole flash sectors`;
  return undefined;
}

/** How many certificates a list with `wallets` denied wallets and `keys` revoked keys can
 *  vouch for in a slot of `slotBytes`: image ≤ slot − DENY_SLOT_TAIL_BYTES, with the
 *  format-2 header (4 bytes longer than format 1's). 0 when the denials alone fill it. */
export function vouchCapacity(slotBytes: number, wallets: number, keys: number): number {
  const headerGrowth = DENY_LIST_HEADER_BYTES[2] - DENY_LIST_HEADER_BYTES[1];
  const base = denyListImageBytes(wallets, keys, 0) + headerGrowth;
  return Math.max(0, Math.floor((slotBytes - DENY_SLOT_TAIL_BYTES - base) / CERT_HASH_BYTES));
}

/** Up to `limit` certHashes (hex) to vouch for at `nowS`, most recently seen first:
 *  a payment settled under it (last_seen), not expired, its wallet not denied, its
 *  issuer key not revoked. */
export async function vouchable(tx: Tx, nowS: number, limit: number): Promise<string[]> {
  if (limit <= 0) return [];
  const rows = await tx.query(
    `SELECT c.cert_hash FROM certificates c
     WHERE c.last_seen > 0 AND c.valid_until >= $1
       AND NOT EXISTS (SELECT 1 FROM deny_wallets d WHERE d.wallet_id = c.wallet_id)
       AND NOT EXISTS (SELECT 1 FROM issuer_keys k WHERE k.key_id = c.issuer_key_id
         AND k.revoked_at IS NOT NULL AND k.revoked_at <= $1)
     ORDER BY c.last_seen DESC, c.cert_hash LIMIT $2`,
    [nowS, limit],
  );
  return rows.map((r) => String(r["cert_hash"]));
}

/** Identifies a vouched set whatever its order; '' for none (every list before vouching). */
export function vouchSha(certHashesHex: readonly string[]): string {
  if (certHashesHex.length === 0) return "";
  const sorted = [...certHashesHex].sort();
  return createHash("sha256").update(sorted.join(",")).digest("hex");
}

/** The vouched certHashes (hex, ascending) of a stored image (docs/LEDGER.md §7). */
export function vouchedOfImage(image: Uint8Array): string[] {
  const v = new DataView(image.buffer, image.byteOffset, image.byteLength);
  if (v.getUint16(4, true) !== 2) return [];
  const w = v.getUint32(16, true);
  const k = v.getUint32(20, true);
  const c = v.getUint32(24, true);
  const at = DENY_LIST_HEADER_BYTES[2] + 16 * w + 8 * k;
  const out: string[] = [];
  for (let i = 0; i < c; i++) {
    const from = at + i * CERT_HASH_BYTES;
    out.push(Buffer.from(image.subarray(from, from + CERT_HASH_BYTES)).toString("hex"));
  }
  return out;
}
