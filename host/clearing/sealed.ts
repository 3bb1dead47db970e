// Secrets at rest (docs/CLEARING.md "Secrets at rest"): TOTP secrets, bank details, payout
// files and the service keys' seeds are stored as
//   v1:<keyId>:<nonce>:<ciphertext+tag>      (nonce and ciphertext base64)
// AES-256-GCM, a random 96-bit nonce per value, associated data binding the value to its
// table, column and row. Keys come from OFFTAP_DATA_KEY_FILE or OFFTAP_DATA_KEY, or, for an
// embedded database only, from a key file created next to its data directory.
import { createCipheriv, createDecipheriv, createHash, randomBytes } from "node:crypto";
import { appendFileSync, existsSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import type { Db, Tx } from "./db.ts";

export const SEALED_VERSION = "v1";
export const DATA_KEY_BYTES = 32;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const SEALED_RE = /^v1:([0-9a-f]{8}):([A-Za-z0-9+/]{16}):([A-Za-z0-9+/=]+)$/;

/** Missing key, unreadable key file, a value sealed under an absent key, a failed check. */
export class DataKeyError extends Error {}

/** Every sealed column: the legacy migration and `offtap clear rekey` walk this list. */
export const SEALED_COLUMNS: readonly { table: string; id: string; column: string }[] = [
  { table: "service_keys", id: "name", column: "seed_hex" },
  { table: "cashout_owners", id: "id", column: "totp_secret" },
  { table: "cashout_bank_accounts", id: "id", column: "iban" },
  { table: "cashout_bank_accounts", id: "id", column: "bic" },
  { table: "cashout_bank_accounts", id: "id", column: "holder_name" },
  { table: "cashout_payout_files", id: "id", column: "xml" },
  { table: "cashout_payout_files", id: "id", column: "csv" },
];

export function keyId(key: Buffer): string {
  return createHash("sha256").update("offtap data key id\0").update(key).digest("hex").slice(0, 8);
}

export function isSealed(v: string): boolean { return SEALED_RE.test(v); }

/** Several keys for rotation: writes use the newest (last), reads the one the value names. */
export class Sealer {
  private readonly keys = new Map<string, Buffer>();
  readonly newestId: string;

  constructor(keys: readonly Buffer[], readonly source: string) {
    if (keys.length === 0) throw new DataKeyError(`no data key in ${source}`);
    for (const k of keys) {
      if (k.length !== DATA_KEY_BYTES) {
        throw new DataKeyError(`a data key in ${source} is ${k.length} bytes, not 32`);
      }
      this.keys.set(keyId(k), k);
    }
    this.newestId = keyId(keys[keys.length - 1]!);
  }

  get keyIds(): string[] { return [...this.keys.keys()]; }

  seal(plain: string, table: string, column: string, rowId: string): string {
    const nonce = randomBytes(NONCE_BYTES);
    const c = createCipheriv("aes-256-gcm", this.keys.get(this.newestId)!, nonce);
    c.setAAD(aad(this.newestId, table, column, rowId));
    const body = Buffer.concat([c.update(plain, "utf8"), c.final(), c.getAuthTag()]);
    const b64 = (b: Buffer): string => b.toString("base64");
    return `${SEALED_VERSION}:${this.newestId}:${b64(nonce)}:${b64(body)}`;
  }

  open(stored: string, table: string, column: string, rowId: string): string {
    const m = SEALED_RE.exec(stored);
    const what = `${table}.${column} of ${rowId}`;
    if (m === null) throw new DataKeyError(`${what} is not a sealed value`);
    const key = this.keys.get(m[1]!);
    if (key === undefined) {
      throw new DataKeyError(`${what} is sealed under data key ${m[1]}, which ${this.source} ` +
        `does not hold (give the key file that holds it: OFFTAP_DATA_KEY_FILE)`);
    }
    const body = Buffer.from(m[3]!, "base64");
    if (body.length < TAG_BYTES) throw new DataKeyError(`${what}: truncated sealed value`);
    const d = createDecipheriv("aes-256-gcm", key, Buffer.from(m[2]!, "base64"));
    d.setAAD(aad(m[1]!, table, column, rowId));
    d.setAuthTag(body.subarray(body.length - TAG_BYTES));
    try {
      return Buffer.concat([d.update(body.subarray(0, body.length - TAG_BYTES)), d.final()])
        .toString("utf8");
    } catch {
      throw new DataKeyError(`${what} fails authentication (tampered, or moved from another row)`);
    }
  }

  /** open() for a nullable column. */
  openOrNull(v: unknown, table: string, column: string, rowId: string): string | null {
    return v === null || v === undefined ? null : this.open(String(v), table, column, rowId);
  }
}

function aad(kid: string, table: string, column: string, rowId: string): Buffer {
  return Buffer.from(`offtap sealed ${SEALED_VERSION}\0${kid}\0${table}\0${column}\0${rowId}`);
}

/** One key per line (64 hex digits or base64 of 32 bytes), `#` comments; the last is newest. */
export function parseKeys(text: string, source: string): Buffer[] {
  return text.split(/[\n,]/).map((l) => l.replace(/#.*/, "").trim()).filter((l) => l !== "")
    .map((l) => {
      const k = /^[0-9a-fA-F]{64}$/.test(l) ? Buffer.from(l, "hex") : Buffer.from(l, "base64");
      if (k.length !== DATA_KEY_BYTES) {
        throw new DataKeyError(`${source}: a key must be 32 bytes (64 hex digits or base64)`);
      }
      return k;
    });
}

export function readKeyFile(path: string): Sealer {
  let st;
  try {
    st = statSync(path);
  } catch {
    throw new DataKeyError(`data key file ${path} not found`);
  }
  if ((st.mode & 0o077) !== 0) {
    throw new DataKeyError(`data key file ${path} is readable by group or others ` +
      `(mode ${(st.mode & 0o777).toString(8)}; chmod 600 ${path})`);
  }
  return new Sealer(parseKeys(readFileSync(path, "utf8"), path), `key file ${path}`);
}

/** Appends a fresh random key (the newest from now on) to a valid key file; returns its id. */
export function addKeyToFile(path: string): string {
  readKeyFile(path); // exists, private, well-formed
  const key = randomBytes(DATA_KEY_BYTES);
  const text = readFileSync(path, "utf8");
  appendFileSync(path, `${text.endsWith("\n") || text === "" ? "" : "\n"}${key.toString("hex")}\n`);
  return keyId(key);
}

/** Where an embedded database's key file is created: beside the directory, never inside. */
export function defaultKeyFile(dataDir: string): string {
  const abs = resolve(dataDir);
  return join(dirname(abs), `${basename(abs)}.key`);
}

export interface KeySource {
  /** The embedded database's directory; absent with a server or in memory. */
  dataDir?: string;
  /** The database already holds sealed values: a missing default key file is an error,
   *  never replaced by a new key. */
  sealedData?: boolean;
  /** In memory: a fresh random key (the data dies with the process). */
  memory?: boolean;
  env?: NodeJS.ProcessEnv;
}

/** OFFTAP_DATA_KEY_FILE, else OFFTAP_DATA_KEY, else the embedded default (created 0600). */
export function loadSealer(s: KeySource): Sealer {
  const env = s.env ?? process.env;
  const file = env["OFFTAP_DATA_KEY_FILE"];
  if (file !== undefined && file !== "") return readKeyFile(file);
  const inline = env["OFFTAP_DATA_KEY"];
  if (inline !== undefined && inline !== "") {
    return new Sealer(parseKeys(inline, "OFFTAP_DATA_KEY"), "OFFTAP_DATA_KEY");
  }
  if (s.dataDir !== undefined) {
    const path = defaultKeyFile(s.dataDir);
    if (!existsSync(path)) {
      if (s.sealedData === true) {
        throw new DataKeyError(`the database in ${s.dataDir} holds encrypted secrets but its ` +
          `key file ${path} is missing (restore it, or set OFFTAP_DATA_KEY_FILE)`);
      }
      writeFileSync(path, `${randomBytes(DATA_KEY_BYTES).toString("hex")}\n`,
        { mode: 0o600, flag: "wx" });
    }
    return readKeyFile(path);
  }
  if (s.memory === true) return new Sealer([randomBytes(DATA_KEY_BYTES)], "a key in memory");
  throw new DataKeyError("no data key for the PostgreSQL server (set OFFTAP_DATA_KEY_FILE " +
    "to a 0600 file of 32 random bytes in hex, or OFFTAP_DATA_KEY)");
}

const bound = new WeakMap<Db, Sealer>();
/** The sealer a database was opened with, for a second service on the same connection. */
export function sealerOf(db: Db): Sealer | undefined { return bound.get(db); }
export function bindSealer(db: Db, sealer: Sealer): void { bound.set(db, sealer); }

/** Whether the database holds any sealed value yet (before migrations: service keys). */
export async function holdsSealed(db: Db): Promise<boolean> {
  if (!(await tableExists(db, "service_keys"))) return false;
  return (await db.query("SELECT 1 FROM service_keys WHERE seed_hex LIKE 'v1:%' LIMIT 1"))
    .length > 0;
}

async function tableExists(tx: Tx, table: string): Promise<boolean> {
  return (await tx.query("SELECT to_regclass($1) AS t", [table]))[0]?.["t"] !== null;
}

/** Seals every value not yet sealed (clear-text rows from before sealing), and with
 *  `rekey` re-seals every value under the newest key. One transaction; returns the count. */
export async function resealAll(db: Db, sealer: Sealer, rekey: boolean): Promise<number> {
  return db.transaction(async (tx) => {
    let n = 0;
    for (const c of SEALED_COLUMNS) {
      if (!(await tableExists(tx, c.table))) continue;
      const rows = await tx.query(
        `SELECT ${c.id} AS id, ${c.column} AS v FROM ${c.table} WHERE ${c.column} IS NOT NULL` +
        `${rekey ? "" : ` AND ${c.column} NOT LIKE 'v1:%'`} ORDER BY ${c.id} FOR UPDATE`);
      for (const r of rows) {
        const id = String(r["id"]);
        const v = String(r["v"]);
        const sealed = isSealed(v);
        if (sealed && (!rekey || v.startsWith(`${SEALED_VERSION}:${sealer.newestId}:`))) continue;
        const plain = sealed ? sealer.open(v, c.table, c.column, id) : v;
        await tx.query(`UPDATE ${c.table} SET ${c.column} = $2 WHERE ${c.id} = $1`,
          [id, sealer.seal(plain, c.table, c.column, id)]);
        n++;
      }
    }
    return n;
  });
}
