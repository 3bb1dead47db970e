// The provisioning block the board passes to the firmware's `init` (docs/CONFIG.md),
// with the ledger configuration block of docs/LEDGER.md §1 embedded. Little-endian: the
// block never crosses the NFC field. Built and validated here so a bad profile is a
// clear host error, not a silent firmware decline.
import { crc32 } from "node:zlib";
import { READER_ID_BYTES, checkBytes, checkUint } from "../protocol/index.ts";

export const READER_CONFIG_MAGIC = 0x4352544f; // "OTRC"
export const READER_CONFIG_VERSION = 1;
export const READER_CONFIG_HEADER_BYTES = 48;
export const READER_CONFIG_KEY_BYTES = 36;
export const LEDGER_CONFIG_MAGIC = 0x3143544f; // "OTC1"
export const LEDGER_CONFIG_BYTES = 176;
export const MODE_GATE = 0;
export const MODE_KIOSK = 1;

export interface FlashGeometry {
  ledgerBytes: number;
  sectorBytes: number;
  pageBytes: number;
  denyBytes: number;
  configBytes: number;
}

export interface IssuerKeyEntry {
  keyId: number;
  publicKey: Uint8Array;
}

export interface ReaderConfig {
  readerId: Uint8Array;
  mode: "gate" | "kiosk";
  currency: number;
  /** Gate mode: the fixed fare; kiosk mode: 0. */
  fare: number;
  amountMin: number;
  amountMax: number;
  driftToleranceS: number;
  nfcTimeoutMs: number;
  issuerKeys: IssuerKeyEntry[];
  geometry: FlashGeometry;
  denyMaxAgeS: number;
  /** Ed25519 seed ‖ public key of the reader's device key (signs ledger batches). */
  deviceSecretKey: Uint8Array;
  operatorPublicKey: Uint8Array;
  clearingPublicKey: Uint8Array;
}

/** docs/LEDGER.md §1: the 176-byte ledger configuration block. */
export function encodeLedgerConfig(c: ReaderConfig): Uint8Array {
  const b = new Uint8Array(LEDGER_CONFIG_BYTES);
  const v = new DataView(b.buffer);
  v.setUint32(0, LEDGER_CONFIG_MAGIC, true);
  v.setUint16(4, 1, true);
  v.setUint32(8, c.geometry.ledgerBytes, true);
  v.setUint32(12, c.geometry.sectorBytes, true);
  v.setUint32(16, c.geometry.pageBytes, true);
  v.setUint32(20, c.geometry.denyBytes, true);
  v.setUint32(24, c.denyMaxAgeS, true);
  b.set(c.readerId, 32); // the 16-byte ledger reader id is the 8-byte wire id, zero-padded
  b.set(c.deviceSecretKey, 48);
  b.set(c.operatorPublicKey, 112);
  b.set(c.clearingPublicKey, 144);
  return b;
}

function validate(c: ReaderConfig): void {
  checkBytes("readerId", c.readerId, READER_ID_BYTES);
  checkUint("currency", c.currency, 16);
  checkUint("fare", c.fare, 32);
  checkUint("amountMin", c.amountMin, 32);
  checkUint("amountMax", c.amountMax, 32);
  checkUint("driftToleranceS", c.driftToleranceS, 32);
  checkUint("nfcTimeoutMs", c.nfcTimeoutMs, 32);
  checkUint("denyMaxAgeS", c.denyMaxAgeS, 32);
  checkBytes("deviceSecretKey", c.deviceSecretKey, 64);
  checkBytes("operatorPublicKey", c.operatorPublicKey, 32);
  checkBytes("clearingPublicKey", c.clearingPublicKey, 32);
  if (c.issuerKeys.length > 255) throw new RangeError("at most 255 issuer keys fit the key count byte");
  for (const k of c.issuerKeys) { checkUint("issuerKeys[].keyId", k.keyId, 32); checkBytes("issuerKeys[].publicKey", k.publicKey, 32); }
}

/** The whole `init` block: header, issuer keys, ledger block, CRC-32. */
export function encodeReaderConfig(c: ReaderConfig): Uint8Array {
  validate(c);
  const ledger = encodeLedgerConfig(c);
  const len = READER_CONFIG_HEADER_BYTES + c.issuerKeys.length * READER_CONFIG_KEY_BYTES + ledger.length + 4;
  const b = new Uint8Array(len);
  const v = new DataView(b.buffer);
  v.setUint32(0, READER_CONFIG_MAGIC, true);
  v.setUint16(4, READER_CONFIG_VERSION, true);
  v.setUint16(6, len, true);
  b.set(c.readerId, 8);
  b[16] = c.mode === "gate" ? MODE_GATE : MODE_KIOSK;
  b[17] = c.issuerKeys.length;
  v.setUint16(18, c.currency, true);
  v.setUint32(20, c.fare, true);
  v.setUint32(24, c.amountMin, true);
  v.setUint32(28, c.amountMax, true);
  v.setUint32(32, c.driftToleranceS, true);
  v.setUint32(36, c.nfcTimeoutMs, true);
  v.setUint16(40, ledger.length, true);
  let at = READER_CONFIG_HEADER_BYTES;
  for (const k of c.issuerKeys) {
    v.setUint32(at, k.keyId, true);
    b.set(k.publicKey, at + 4);
    at += READER_CONFIG_KEY_BYTES;
  }
  b.set(ledger, at);
  at += ledger.length;
  v.setUint32(at, crc32(b.subarray(0, at)) >>> 0, true);
  return b;
}
