// What clearing sends back to readers (docs/CLEARING.md §8): the signed acknowledgement
// that lets a reader free flash, and the signed, versioned deny list. The byte formats are
// the ledger's (docs/LEDGER.md §5, §7), encoded by the ledger and simulator codecs.
import { createHash } from "node:crypto";
import type { Ed25519Key } from "../issuer/ed25519.ts";
import { encodeAckBody } from "../ledger/format.ts";
import { DENY_SLOT_TAIL_BYTES, encodeDenyList } from "../sim/denylist.ts";
import { fromHex } from "../protocol/index.ts";
import { num, type Db, type Tx } from "./db.ts";
import { getReader } from "./registry.ts";
import type { DenyListImage } from "./types.ts";
import { vouchCapacity, vouchable, vouchedOfImage, vouchSha } from "./vouch.ts";

/** The 124-byte OTK1 acknowledgement of every record processed from this reader. */
export async function acknowledgement(
  db: Db,
  clearingKey: Ed25519Key,
  readerId: Uint8Array | string,
): Promise<Uint8Array | undefined> {
  const r = await getReader(db, readerId);
  if (r === undefined) throw new RangeError(`reader ${String(readerId)} is not registered`);
  if (r.lastSeq === 0) return undefined;
  const body = encodeAckBody(fromHex(r.readerId), r.lastSeq, fromHex(r.lastHead));
  // Records up to lastSeq may leave the reader's flash from now on (docs/CLEARING.md §7a).
  await db.query("UPDATE readers SET acked_seq = GREATEST(acked_seq, $2) WHERE reader_id = $1",
    [r.readerId, r.lastSeq]);
  const ack = new Uint8Array(body.length + 64);
  ack.set(body);
  ack.set(clearingKey.sign(body), body.length);
  return ack;
}

/** How the deny list is built (docs/CLEARING.md §8). */
export interface DenyListPolicy {
  /** Readers hold lists up to minVersion − 1 from elsewhere (a simulator's start-up list). */
  minVersion: number;
  /** The readers' deny-list slot: image bytes ≤ slot − DENY_SLOT_TAIL_BYTES. */
  denySlotBytes: number;
  /** A change of the vouched set alone issues a new version at most this often. */
  vouchRefreshS: number;
}

/** A reader declines every tap once its list is older than its maximum age
 *  (`DENY_LIST_STALE`), and it can only take a newer version: a list with unchanged
 *  content is therefore issued again, as a new version, once the last one is half the
 *  smallest maximum age the registered readers declared (`--deny-max-age`) old, or half of
 *  this when none declared one. */
export const DENY_MAX_AGE_ASSUMED_S = 86_400;
/** Never re-issued more often than this, whatever maximum age a reader declared. */
const DENY_REISSUE_MIN_S = 60;

/** Seconds after which a list with unchanged content is issued again (see above). */
async function reissueAge(tx: Tx): Promise<number> {
  const row = (await tx.query(
    "SELECT min(deny_max_age_s) AS m FROM readers WHERE deny_max_age_s IS NOT NULL",
  ))[0];
  const declared = row === undefined || row["m"] === null ? undefined : num(row["m"]);
  return Math.max(DENY_REISSUE_MIN_S, Math.floor((declared ?? DENY_MAX_AGE_ASSUMED_S) / 2));
}

/** The current deny list. A new version is signed and stored when the denied wallets or
 *  revoked keys changed (at once), when only the vouched certificates did and the last
 *  version is vouchRefreshS old, or when the last version is reissueAge old (readers must
 *  never hold a stale list); else the last version is answered again. */
export async function denyList(
  db: Db,
  operatorKey: Ed25519Key,
  now: () => number,
  policy: DenyListPolicy,
): Promise<DenyListImage> {
  return db.transaction(async (tx) => {
    await tx.query("LOCK TABLE deny_lists IN EXCLUSIVE MODE");
    const walletIds = (await tx.query("SELECT wallet_id FROM deny_wallets ORDER BY wallet_id"))
      .map((r) => String(r["wallet_id"]));
    const nowS = now();
    const revokedIssuerKeyIds = (
      await tx.query(
        `SELECT key_id FROM issuer_keys WHERE revoked_at IS NOT NULL AND revoked_at <= $1
         ORDER BY key_id`,
        [nowS],
      )
    ).map((r) => num(r["key_id"]));
    const contentSha = createHash("sha256")
      .update(JSON.stringify([walletIds, revokedIssuerKeyIds]))
      .digest("hex");
    const last = (
      await tx.query(
        `SELECT version, issued_at, content_sha, vouch_sha, image FROM deny_lists
         ORDER BY version DESC LIMIT 1`,
      )
    )[0];
    const same = last !== undefined && sameDenials(last, contentSha, policy) &&
      nowS - num(last["issued_at"]) < (await reissueAge(tx));
    // Within the refresh period the vouched set is not even looked at (readers poll).
    if (same && nowS - num(last["issued_at"]) < policy.vouchRefreshS) {
      return stored(last, walletIds, revokedIssuerKeyIds);
    }
    // Denials come first: only what room they leave is given to vouches.
    const room = vouchCapacity(policy.denySlotBytes, walletIds.length, revokedIssuerKeyIds.length);
    const vouched = (await vouchable(tx, nowS, room)).sort();
    const vouchedSha = vouchSha(vouched);
    if (same && String(last["vouch_sha"]) === vouchedSha) {
      return stored(last, walletIds, revokedIssuerKeyIds);
    }
    const version = Math.max(policy.minVersion, last === undefined ? 1 : num(last["version"]) + 1);
    const image = encodeDenyList(
      {
        version,
        issuedAt: nowS,
        walletIds: walletIds.map((w) => fromHex(w)),
        revokedIssuerKeyIds,
        vouchedCertHashes: vouched.map((h) => fromHex(h)),
      },
      operatorKey,
    );
    await tx.query(
      `INSERT INTO deny_lists (version, issued_at, content_sha, vouch_sha, image)
       VALUES ($1, $2, $3, $4, $5)`,
      [version, nowS, contentSha, vouchedSha, Buffer.from(image) as unknown as string],
    );
    // From now on a reader's list names these wallets once it is fresher than this list.
    await tx.query(
      `UPDATE deny_wallets SET listed_at = $1
       WHERE listed_at IS NULL AND wallet_id = ANY($2::text[])`,
      [nowS, walletIds],
    );
    return { version, issuedAt: nowS, walletIds, revokedIssuerKeyIds,
      vouchedCertHashes: vouched, image };
  });
}

/** The last stored list names the same wallets and keys, is at least minVersion, and fits
 *  the slot (a list issued for a bigger slot, another caller's denySlotBytes, fits only
 *  when it vouches for none: its vouches must shrink now). */
function sameDenials(
  last: Record<string, unknown>,
  contentSha: string,
  policy: DenyListPolicy,
): boolean {
  if (String(last["content_sha"]) !== contentSha) return false;
  if (num(last["version"]) < policy.minVersion) return false;
  const bytes = (last["image"] as Uint8Array).length;
  return bytes <= policy.denySlotBytes - DENY_SLOT_TAIL_BYTES || String(last["vouch_sha"]) === "";
}

/** The stored list answered again (its vouched set read from its image). */
function stored(
  last: Record<string, unknown>,
  walletIds: string[],
  revokedIssuerKeyIds: number[],
): DenyListImage {
  const image = new Uint8Array(last["image"] as Uint8Array);
  return {
    version: num(last["version"]),
    issuedAt: num(last["issued_at"]),
    walletIds,
    revokedIssuerKeyIds,
    vouchedCertHashes: vouchedOfImage(image),
    image,
  };
}
