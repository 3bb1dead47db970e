// Provisioning: a reader's installation data (provisioning JSON, docs/IMAGE.md) joined
// with its board profile into the init block of docs/CONFIG.md, and the block decoded
// back for inspection. The block is encoded by host/sim/config.ts, the encoder the
// simulator uses, so an image provisions a reader exactly as the simulator does.
import { crc32 } from "node:zlib";
import { Ed25519Key } from "../issuer/ed25519.ts";
import { decodePoint } from "../crypto/reference.ts";
import { isCanonicalPointEncoding } from "../crypto/encoding.ts";
import { fromHex, toHex } from "../protocol/index.ts";
import { boardGeometry, type BoardProfile } from "../boards/index.ts";
import {
  LEDGER_CONFIG_BYTES, LEDGER_CONFIG_MAGIC, READER_CONFIG_HEADER_BYTES, READER_CONFIG_KEY_BYTES, READER_CONFIG_MAGIC,
  READER_CONFIG_VERSION, encodeReaderConfig, type ReaderConfig,
} from "../sim/config.ts";
import { KEY_STORES, type KeyReference, type KeyStore } from "./format.ts";

/** docs/CONFIG.md and assembly/limits.ts. */
const ISSUER_KEYS_MAX = 4;
const NFC_TIMEOUT_MS_MIN = 20;
const NFC_TIMEOUT_MS_MAX = 500;
const DRIFT_TOLERANCE_S_MAX = 3600;
const AMOUNT_MAX = 0x7fff_ffff;
const SEED_AT = READER_CONFIG_HEADER_BYTES; // + 36k + 48 inside the ledger block

export class ProvisioningError extends Error {
  constructor(readonly field: string, message: string) {
    super(`${field}: ${message}`);
  }
}

export interface Provisioning {
  config: ReaderConfig;
  /** Undefined: the seed is in the block (development). */
  keyReference: KeyReference | undefined;
}

type Obj = Record<string, unknown>;

const PROVISIONING_FIELDS = [
  "$comment", "readerId", "mode", "issuerKeys", "operatorPublicKey", "clearingPublicKey", "deviceKey",
  "currency", "fare", "amountMin", "amountMax", "nfcTimeoutMs", "driftToleranceS", "denyMaxAgeS",
];

function hexField(o: Obj, field: string, bytes: number, at = field): Uint8Array {
  const v = o[field];
  if (typeof v !== "string") throw new ProvisioningError(at, `must be a hex string of ${bytes} bytes`);
  let b: Uint8Array;
  try { b = fromHex(v, at); } catch (e) { throw new ProvisioningError(at, (e as Error).message); }
  if (b.length !== bytes) throw new ProvisioningError(at, `must be ${bytes} bytes (${2 * bytes} hex digits), got ${b.length}`);
  return b;
}

function intField(o: Obj, field: string, fallback: number, min: number, max: number): number {
  const v = o[field] ?? fallback;
  if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max) throw new ProvisioningError(field, `must be an integer in ${min} … ${max}, got ${JSON.stringify(v)}`);
  return v;
}

/** A public key the strict policy accepts: canonical, on the curve, not of small order. */
function checkPublicKey(key: Uint8Array, at: string): void {
  if (!isCanonicalPointEncoding(key)) throw new ProvisioningError(at, "is not a canonical point encoding");
  const p = decodePoint(key);
  if (p === null) throw new ProvisioningError(at, "is not a point on the curve");
  if (p.isSmallOrder()) throw new ProvisioningError(at, "is a small-order point");
}

function issuerKeys(o: Obj): ReaderConfig["issuerKeys"] {
  const list = o["issuerKeys"];
  if (!Array.isArray(list) || list.length < 1 || list.length > ISSUER_KEYS_MAX) throw new ProvisioningError("issuerKeys", `must list 1 … ${ISSUER_KEYS_MAX} issuer keys`);
  const ids = new Set<number>();
  return list.map((item: unknown, i) => {
    const at = `issuerKeys[${i}]`;
    if (typeof item !== "object" || item === null) throw new ProvisioningError(at, "must be { keyId, publicKey }");
    const e = item as Obj;
    const keyId = e["keyId"];
    if (typeof keyId !== "number" || !Number.isInteger(keyId) || keyId < 0 || keyId > 0xffff_ffff) throw new ProvisioningError(`${at}.keyId`, "must be a 32-bit unsigned integer");
    if (ids.has(keyId)) throw new ProvisioningError(`${at}.keyId`, `${keyId} is listed twice`);
    ids.add(keyId);
    const publicKey = hexField(e, "publicKey", 32, `${at}.publicKey`);
    checkPublicKey(publicKey, `${at}.publicKey`);
    return { keyId, publicKey };
  });
}

function deviceKey(o: Obj): { secretKey: Uint8Array; keyReference: KeyReference | undefined } {
  const d = o["deviceKey"];
  if (typeof d !== "object" || d === null) throw new ProvisioningError("deviceKey", "must be { seed } or { publicKey, store, namespace, key }");
  const dk = d as Obj;
  const secretKey = new Uint8Array(64);
  if (dk["seed"] !== undefined) {
    const key = new Ed25519Key(hexField(dk, "seed", 32, "deviceKey.seed"));
    if (dk["publicKey"] !== undefined && toHex(hexField(dk, "publicKey", 32, "deviceKey.publicKey")) !== toHex(key.publicKey)) {
      throw new ProvisioningError("deviceKey.publicKey", "is not the public key the seed derives");
    }
    if (dk["store"] !== undefined) throw new ProvisioningError("deviceKey", "give either a seed (inline) or a store reference, not both");
    return { secretKey: key.secretKey(), keyReference: undefined };
  }
  const publicKey = hexField(dk, "publicKey", 32, "deviceKey.publicKey");
  checkPublicKey(publicKey, "deviceKey.publicKey");
  secretKey.set(publicKey, 32); // the seed half stays zero: the board fills it from its store
  const store = dk["store"];
  if (typeof store !== "string" || !(store in KEY_STORES)) throw new ProvisioningError("deviceKey.store", `must be one of ${Object.keys(KEY_STORES).join(", ")}`);
  const ns = dk["namespace"] ?? "";
  const key = dk["key"];
  if (typeof ns !== "string" || typeof key !== "string") throw new ProvisioningError("deviceKey", "namespace and key must be strings");
  return { secretKey, keyReference: { store: store as KeyStore, namespace: ns, key } };
}

/** Validates a provisioning JSON document against a board and returns the reader config. */
export function provisionFromJson(json: unknown, board: BoardProfile): Provisioning {
  if (typeof json !== "object" || json === null || Array.isArray(json)) throw new ProvisioningError("(document)", "must be a JSON object");
  const o = json as Obj;
  const unknown = Object.keys(o).find((k) => !PROVISIONING_FIELDS.includes(k));
  if (unknown !== undefined) throw new ProvisioningError(unknown, `is not a provisioning field (known: ${PROVISIONING_FIELDS.slice(1).join(", ")})`);
  if (o["mode"] !== undefined && o["mode"] !== board.mode) {
    throw new ProvisioningError("mode", `'${String(o["mode"])}' contradicts board ${board.id}, which is a ${board.mode}`);
  }
  const d = board.defaults;
  const amountMin = intField(o, "amountMin", d.amountMin, 1, AMOUNT_MAX);
  const amountMax = intField(o, "amountMax", d.amountMax, 1, AMOUNT_MAX);
  if (amountMin > amountMax) throw new ProvisioningError("amountMin", `${amountMin} exceeds amountMax ${amountMax}`);
  const fare = intField(o, "fare", d.fare, 0, AMOUNT_MAX);
  if (board.mode === "kiosk" && fare !== 0) {
    throw new ProvisioningError("fare", `board ${board.id} is a kiosk: each tap brings its amount, so a fixed fare (${fare}) cannot be provisioned`);
  }
  if (board.mode === "gate" && (fare < amountMin || fare > amountMax)) {
    throw new ProvisioningError("fare", `board ${board.id} is a gate: its fare must lie within ${amountMin} … ${amountMax}, got ${fare}`);
  }
  const dev = deviceKey(o);
  const operatorPublicKey = hexField(o, "operatorPublicKey", 32);
  checkPublicKey(operatorPublicKey, "operatorPublicKey");
  const clearingPublicKey = hexField(o, "clearingPublicKey", 32);
  checkPublicKey(clearingPublicKey, "clearingPublicKey");
  const config: ReaderConfig = {
    readerId: hexField(o, "readerId", 8),
    mode: board.mode,
    currency: intField(o, "currency", d.currency, 1, 999),
    fare, amountMin, amountMax,
    driftToleranceS: intField(o, "driftToleranceS", d.driftToleranceS, 0, DRIFT_TOLERANCE_S_MAX),
    nfcTimeoutMs: intField(o, "nfcTimeoutMs", d.nfcTimeoutMs, NFC_TIMEOUT_MS_MIN, NFC_TIMEOUT_MS_MAX),
    issuerKeys: issuerKeys(o),
    geometry: boardGeometry(board),
    denyMaxAgeS: intField(o, "denyMaxAgeS", d.denyMaxAgeS, 1, 0xffff_ffff),
    deviceSecretKey: dev.secretKey,
    operatorPublicKey, clearingPublicKey,
  };
  return { config, keyReference: dev.keyReference };
}

export function encodeProvisioning(p: Provisioning): Uint8Array {
  return encodeReaderConfig(p.config);
}

/** The init block's fields (docs/CONFIG.md), decoded for inspection and the board checks. */
export interface DecodedProvisioning {
  readerId: string;
  mode: "gate" | "kiosk" | number;
  currency: number;
  fare: number;
  amountMin: number;
  amountMax: number;
  driftToleranceS: number;
  nfcTimeoutMs: number;
  issuerKeys: { keyId: number; publicKey: string }[];
  ledger: { ledgerBytes: number; sectorBytes: number; pageBytes: number; denyBytes: number; denyMaxAgeS: number };
  deviceSeedPresent: boolean;
  devicePublicKey: string;
  operatorPublicKey: string;
  clearingPublicKey: string;
}

/** Decodes and checks the block's framing (magic, version, lengths, CRC); throws ProvisioningError. */
export function decodeProvisioning(b: Uint8Array): DecodedProvisioning {
  const at = "provisioning";
  if (b.length < READER_CONFIG_HEADER_BYTES + 4) throw new ProvisioningError(at, `${b.length} bytes is shorter than the header`);
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  if (v.getUint32(0, true) !== READER_CONFIG_MAGIC) throw new ProvisioningError(at, "magic is not \"OTRC\"");
  if (v.getUint16(4, true) !== READER_CONFIG_VERSION) throw new ProvisioningError(at, `config version ${v.getUint16(4, true)} is not ${READER_CONFIG_VERSION}`);
  const k = b[17]!;
  const L = v.getUint16(40, true);
  const total = READER_CONFIG_HEADER_BYTES + READER_CONFIG_KEY_BYTES * k + L + 4;
  if (v.getUint16(6, true) !== b.length || total !== b.length || L !== LEDGER_CONFIG_BYTES) {
    throw new ProvisioningError(at, `lengths disagree: field ${v.getUint16(6, true)}, ${k} keys and a ${L}-byte ledger block make ${total}, block has ${b.length}`);
  }
  const crc = crc32(b.subarray(0, b.length - 4)) >>> 0;
  if (crc !== v.getUint32(b.length - 4, true)) throw new ProvisioningError(at, "CRC-32 mismatch: the block is damaged");
  const keys: DecodedProvisioning["issuerKeys"] = [];
  for (let i = 0; i < k; i++) {
    const o = READER_CONFIG_HEADER_BYTES + i * READER_CONFIG_KEY_BYTES;
    keys.push({ keyId: v.getUint32(o, true), publicKey: toHex(b.subarray(o + 4, o + 36)) });
  }
  const lb = READER_CONFIG_HEADER_BYTES + READER_CONFIG_KEY_BYTES * k;
  if (v.getUint32(lb, true) !== LEDGER_CONFIG_MAGIC) throw new ProvisioningError(at, "ledger block magic is not \"OTC1\"");
  const mode = b[16] === 0 ? "gate" : b[16] === 1 ? "kiosk" : b[16]!;
  return {
    readerId: toHex(b.subarray(8, 16)), mode, currency: v.getUint16(18, true), fare: v.getUint32(20, true),
    amountMin: v.getUint32(24, true), amountMax: v.getUint32(28, true), driftToleranceS: v.getUint32(32, true), nfcTimeoutMs: v.getUint32(36, true),
    issuerKeys: keys,
    ledger: {
      ledgerBytes: v.getUint32(lb + 8, true), sectorBytes: v.getUint32(lb + 12, true), pageBytes: v.getUint32(lb + 16, true),
      denyBytes: v.getUint32(lb + 20, true), denyMaxAgeS: v.getUint32(lb + 24, true),
    },
    deviceSeedPresent: b.subarray(lb + 48, lb + 80).some((x) => x !== 0),
    devicePublicKey: toHex(b.subarray(lb + 80, lb + 112)),
    operatorPublicKey: toHex(b.subarray(lb + 112, lb + 144)),
    clearingPublicKey: toHex(b.subarray(lb + 144, lb + 176)),
  };
}

/** Board-consistency findings for a decoded block (step 7 of docs/IMAGE.md). */
export function provisioningBoardFindings(p: DecodedProvisioning, board: BoardProfile): string[] {
  const out: string[] = [];
  const g = boardGeometry(board);
  if (p.mode !== board.mode) out.push(`provisioning mode ${String(p.mode)} differs from board ${board.id} (${board.mode})`);
  if (board.mode === "kiosk" && p.fare !== 0) out.push(`a kiosk's provisioning carries a fare (${p.fare})`);
  if (p.ledger.ledgerBytes !== g.ledgerBytes || p.ledger.denyBytes !== g.denyBytes || p.ledger.sectorBytes !== g.sectorBytes || p.ledger.pageBytes !== g.pageBytes) {
    out.push(`ledger geometry (${p.ledger.ledgerBytes}/${p.ledger.denyBytes} bytes, ${p.ledger.sectorBytes}-byte sectors) differs from board ${board.id}'s partitions (${g.ledgerBytes}/${g.denyBytes}, ${g.sectorBytes})`);
  }
  return out;
}

/** Where the device seed sits in an encoded block with k issuer keys. */
export function seedOffset(issuerKeyCount: number): number {
  return SEED_AT + READER_CONFIG_KEY_BYTES * issuerKeyCount + 48;
}
