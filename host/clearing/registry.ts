// Who clearing knows: issuer keys, operators, readers (with their device keys and the
// limits they were provisioned with), and the wallets it has denied.
import { fromHex, toHex } from "../protocol/index.ts";
import { num, type Db, type Row, type Tx } from "./db.ts";
import { ensureOperatorAccount } from "./accounts.ts";
import type { Reader, ReaderSpec } from "./types.ts";

export const LEDGER_READER_ID_BYTES = 16;
export const WIRE_READER_ID_BYTES = 8;

function bytesOf(v: Uint8Array | string, what: string): Uint8Array {
  if (typeof v !== "string") return v;
  if (!/^([0-9a-fA-F]{2})*$/.test(v)) throw new RangeError(`${what} must be hex, got '${v}'`);
  return fromHex(v, what);
}

/** The 16-byte ledger reader id as hex; an 8-byte wire id is zero-padded (docs/LEDGER.md). */
export function readerIdHex(v: Uint8Array | string): string {
  const b = bytesOf(v, "reader id");
  if (b.length === WIRE_READER_ID_BYTES) {
    const p = new Uint8Array(LEDGER_READER_ID_BYTES);
    p.set(b);
    return toHex(p);
  }
  if (b.length !== LEDGER_READER_ID_BYTES)
    throw new RangeError(`reader id must be 8 or 16 bytes, got ${b.length}`);
  return toHex(b);
}

export function keyHex(v: Uint8Array | string, what: string): string {
  const b = bytesOf(v, what);
  if (b.length !== 32) throw new RangeError(`${what} must be 32 bytes, got ${b.length}`);
  return toHex(b);
}

export function walletIdHex(v: Uint8Array | string): string {
  const b = bytesOf(v, "wallet id");
  if (b.length !== 16) throw new RangeError(`wallet id must be 16 bytes, got ${b.length}`);
  return toHex(b);
}

export async function registerIssuerKey(
  db: Db,
  keyId: number,
  publicKey: Uint8Array | string,
): Promise<void> {
  if (!Number.isInteger(keyId) || keyId < 0 || keyId > 0xffffffff)
    throw new RangeError(`issuer key id must be a u32, got ${keyId}`);
  const pk = keyHex(publicKey, "issuer public key");
  const rows = await db.query(
    "INSERT INTO issuer_keys (key_id, public_key) VALUES ($1, $2) ON CONFLICT (key_id) DO UPDATE SET key_id = EXCLUDED.key_id RETURNING public_key",
    [keyId, pk],
  );
  if (rows[0]?.["public_key"] !== pk)
    throw new RangeError(`issuer key ${keyId} is already registered with another public key`);
}

export async function revokeIssuerKey(db: Db, keyId: number, atUnix: number): Promise<void> {
  const rows = await db.query(
    "UPDATE issuer_keys SET revoked_at = LEAST(coalesce(revoked_at, $2), $2) WHERE key_id = $1 RETURNING key_id",
    [keyId, atUnix],
  );
  if (rows.length === 0) throw new RangeError(`issuer key ${keyId} is not registered`);
}

function toReader(r: Row): Reader {
  return {
    readerId: String(r["reader_id"]),
    devicePublicKey: String(r["device_key"]),
    operatorId: String(r["operator_id"]),
    currency: num(r["currency"]),
    amountMin: num(r["amount_min"]),
    amountMax: num(r["amount_max"]),
    driftToleranceS: num(r["drift_tolerance"]),
    name: String(r["name"]),
    lastSeq: num(r["last_seq"]),
    lastHead: String(r["last_head"]),
    status: String(r["status"]) as Reader["status"],
    statusReason: String(r["status_reason"]),
    ackedSeq: num(r["acked_seq"]),
    denyMaxAgeS: r["deny_max_age_s"] === null ? null : num(r["deny_max_age_s"]),
  };
}

/** Reader names are labels for people (dashboards, reports): one line, bounded. */
export const READER_NAME_CHARS_MAX = 80;
const READER_NAME = new RegExp(`^[^\\u0000-\\u001f\\u007f]{0,${READER_NAME_CHARS_MAX}}$`, "u");

/** Registers a reader (or checks an existing registration has the same device key). A
 *  registration again with the same key and a name gives the reader that name. */
export async function registerReaderTx(tx: Tx, s: ReaderSpec): Promise<Reader> {
  const id = readerIdHex(s.readerId);
  const key = keyHex(s.devicePublicKey, "device public key");
  if (!/^[A-Za-z0-9._-]{1,64}$/.test(s.operatorId))
    throw new RangeError(`operator id '${s.operatorId}' must be 1…64 of A-Z a-z 0-9 . _ -`);
  const currency = s.currency ?? 978;
  const name = s.name ?? "";
  if (!READER_NAME.test(name)) {
    const max = READER_NAME_CHARS_MAX;
    throw new RangeError(`reader name must be at most ${max} printable characters`);
  }
  await tx.query("INSERT INTO operators (operator_id) VALUES ($1) ON CONFLICT DO NOTHING", [
    s.operatorId,
  ]);
  await tx.query(
    `INSERT INTO readers (reader_id, device_key, operator_id, name, currency, amount_min, amount_max,
       drift_tolerance, deny_max_age_s)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
     ON CONFLICT (reader_id) DO UPDATE SET name = EXCLUDED.name
       WHERE EXCLUDED.name <> '' AND readers.device_key = EXCLUDED.device_key`,
    [
      id,
      key,
      s.operatorId,
      name,
      currency,
      s.amountMin ?? 1,
      s.amountMax ?? 10_000,
      s.driftToleranceS ?? 300,
      s.denyMaxAgeS ?? null,
    ],
  );
  const r = toReader((await tx.query("SELECT * FROM readers WHERE reader_id = $1", [id]))[0]!);
  if (r.devicePublicKey !== key)
    throw new RangeError(`reader ${id} is already registered with another device key`);
  await ensureOperatorAccount(tx, r.operatorId, r.currency);
  return r;
}

export function registerReader(db: Db, s: ReaderSpec): Promise<Reader> {
  return db.transaction((tx) => registerReaderTx(tx, s));
}

export async function getReader(
  db: Db | Tx,
  readerId: Uint8Array | string,
): Promise<Reader | undefined> {
  const rows = await db.query("SELECT * FROM readers WHERE reader_id = $1", [
    readerIdHex(readerId),
  ]);
  return rows[0] === undefined ? undefined : toReader(rows[0]);
}

export async function listReaders(db: Db): Promise<Reader[]> {
  return (await db.query("SELECT * FROM readers ORDER BY reader_id")).map(toReader);
}

export async function denyWallet(
  db: Db | Tx,
  walletId: Uint8Array | string,
  reason: string,
): Promise<void> {
  await db.query(
    "INSERT INTO deny_wallets (wallet_id, reason) VALUES ($1, $2) ON CONFLICT DO NOTHING",
    [walletIdHex(walletId), reason],
  );
}
