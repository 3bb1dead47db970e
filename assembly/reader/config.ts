// The provisioning block `init(config, len)` takes (docs/CONFIG.md): parsed and checked
// here, without crypto or board calls, into static fields the tap reads. Little-endian
// (the block never crosses the NFC field). Pure, so the unit tests drive it directly.
import {
  ISSUER_KEYS_MAX, READER_CONFIG_BYTES_MAX, NFC_TIMEOUT_MS_MIN, NFC_TIMEOUT_MS_MAX,
  CLOCK_DRIFT_TOLERANCE_S_MAX,
} from "../limits";
import {
  INIT_OK, ERR_CONFIG_LENGTH, ERR_CONFIG_MAGIC, ERR_CONFIG_VERSION, ERR_CONFIG_CRC,
  ERR_CONFIG_FIELD,
  ERR_CONFIG_KEY,
} from "./codes";
import { loadLe16, loadLe32, bytesCopy, bytesEqual, bytesAllZero } from "./bytes";
import { crc32 } from "../ledger/crc32"; // one CRC-32 in the firmware, shared with the ledger
import { READER_ID_BYTES } from "./auth";

export const CONFIG_MAGIC: u32 = 0x4352544F; // "OTRC"
export const CONFIG_VERSION: u32 = 1;
export const CONFIG_HEADER_BYTES: i32 = 48;
export const CONFIG_KEY_BYTES: i32 = 36; // id u32 ‖ Ed25519 public key
export const CONFIG_CRC_BYTES: i32 = 4;
export const MODE_GATE: u32 = 0;
export const MODE_KIOSK: u32 = 1;
/** The ledger block's reader id is 16 bytes (docs/LEDGER.md §1) and starts here in it. */
export const LEDGER_READER_ID_AT: usize = 32;
export const LEDGER_READER_ID_BYTES: i32 = 16;
/** Currencies are ISO 4217 numeric codes, 001 … 999. */
const CURRENCY_MAX: u32 = 999;

/** The accepted block, copied: the caller's buffer (usually the I/O buffer) is reused. */
const block: usize = memory.data(READER_CONFIG_BYTES_MAX, 16);

export let mode: u32 = MODE_GATE;
export let keyCount: i32 = 0;
export let currency: u32 = 0;
export let fare: u32 = 0;
export let amountMin: u32 = 0;
export let amountMax: u32 = 0;
export let driftToleranceS: u32 = 0;
export let nfcTimeoutMs: i32 = 0;
let ledgerBlockBytes: i32 = 0;

@inline export function readerIdPtr(): usize { return block + 8; }
@inline export function keyIdAt(i: i32): u32 {
  return loadLe32(block + <usize>(CONFIG_HEADER_BYTES + i * CONFIG_KEY_BYTES));
}
@inline export function keyPtrAt(i: i32): usize {
  return block + <usize>(CONFIG_HEADER_BYTES + i * CONFIG_KEY_BYTES + 4);
}
@inline export function ledgerBlockPtr(): usize {
  return block + <usize>(CONFIG_HEADER_BYTES + keyCount * CONFIG_KEY_BYTES);
}
@inline export function ledgerBlockLen(): i32 { return ledgerBlockBytes; }

/** Slot of the provisioned issuer key with this id, or -1. */
export function keySlotOf(id: u32): i32 {
  // keyCount ≤ ISSUER_KEYS_MAX
  for (let i = 0; i < keyCount; i++) if (keyIdAt(i) == id) return i;
  return -1;
}

/** Framing: length, magic, version, declared sizes, CRC. `p` holds len bytes. */
function checkFrame(p: usize, len: i32, ledgerBytes: i32): i32 {
  const minBytes = CONFIG_HEADER_BYTES + CONFIG_KEY_BYTES + CONFIG_CRC_BYTES;
  if (len < minBytes || len > READER_CONFIG_BYTES_MAX) return ERR_CONFIG_LENGTH;
  if (loadLe32(p) != CONFIG_MAGIC) return ERR_CONFIG_MAGIC;
  if (loadLe16(p + 4) != CONFIG_VERSION) return ERR_CONFIG_VERSION;
  const k = <i32>load<u8>(p + 17);
  const l = <i32>loadLe16(p + 40);
  if (<i32>loadLe16(p + 6) != len || k < 1 || k > ISSUER_KEYS_MAX) return ERR_CONFIG_LENGTH;
  if (l != ledgerBytes) return ERR_CONFIG_LENGTH;
  if (CONFIG_HEADER_BYTES + k * CONFIG_KEY_BYTES + l + CONFIG_CRC_BYTES != len) {
    return ERR_CONFIG_LENGTH;
  }
  const crcAt = p + <usize>(len - CONFIG_CRC_BYTES);
  if (crc32(p, len - CONFIG_CRC_BYTES) != loadLe32(crcAt)) return ERR_CONFIG_CRC;
  return INIT_OK;
}

/** Values: mode, currency, amounts, tolerance, timeout, reserved bytes, reader id. */
function checkFields(p: usize, ledgerAt: usize): i32 {
  const m = <u32>load<u8>(p + 16);
  const cur = loadLe16(p + 18);
  const f = loadLe32(p + 20);
  const lo = loadLe32(p + 24);
  const hi = loadLe32(p + 28);
  if (m != MODE_GATE && m != MODE_KIOSK) return ERR_CONFIG_FIELD;
  if (cur < 1 || cur > CURRENCY_MAX) return ERR_CONFIG_FIELD;
  // Amounts stay below 2^31 so that tap's i32 amount argument can name every one of them.
  if (lo < 1 || hi < lo || hi > <u32>i32.MAX_VALUE) return ERR_CONFIG_FIELD;
  if (m == MODE_GATE ? (f < lo || f > hi) : f != 0) return ERR_CONFIG_FIELD;
  if (loadLe32(p + 32) > <u32>CLOCK_DRIFT_TOLERANCE_S_MAX) return ERR_CONFIG_FIELD;
  const t = loadLe32(p + 36);
  if (t < <u32>NFC_TIMEOUT_MS_MIN || t > <u32>NFC_TIMEOUT_MS_MAX) return ERR_CONFIG_FIELD;
  if (!bytesAllZero(p + 42, 6)) return ERR_CONFIG_FIELD;
  // One reader identity: the ledger's 16-byte id is the wire's 8-byte id, zero-padded.
  if (!bytesEqual(ledgerAt + LEDGER_READER_ID_AT, p + 8, READER_ID_BYTES)) return ERR_CONFIG_FIELD;
  const padAt = ledgerAt + LEDGER_READER_ID_AT + <usize>READER_ID_BYTES;
  if (!bytesAllZero(padAt, LEDGER_READER_ID_BYTES - READER_ID_BYTES)) {
    return ERR_CONFIG_FIELD;
  }
  return INIT_OK;
}

/** Issuer key ids must be distinct: a certificate names exactly one key. */
function checkKeyIds(p: usize, k: i32): i32 {
  for (let i = 1; i < k; i++) {
    const id = loadLe32(p + <usize>(CONFIG_HEADER_BYTES + i * CONFIG_KEY_BYTES));
    for (let j = 0; j < i; j++) {
      const other = loadLe32(p + <usize>(CONFIG_HEADER_BYTES + j * CONFIG_KEY_BYTES));
      if (other == id) return ERR_CONFIG_KEY;
    }
  }
  return INIT_OK;
}

/**
 * Checks the len bytes at p (already known to lie inside memory) and, when they pass,
 * installs them. ledgerBytes is the size of the ledger configuration block the build's
 * ledger expects. On failure nothing changes except that the caller must treat the
 * reader as unconfigured. Crypto checks of the keys happen in the caller.
 */
export function configParse(p: usize, len: i32, ledgerBytes: i32): i32 {
  let r = checkFrame(p, len, ledgerBytes);
  if (r != INIT_OK) return r;
  const k = <i32>load<u8>(p + 17);
  const ledgerAt = p + <usize>(CONFIG_HEADER_BYTES + k * CONFIG_KEY_BYTES);
  r = checkFields(p, ledgerAt);
  if (r != INIT_OK) return r;
  r = checkKeyIds(p, k);
  if (r != INIT_OK) return r;
  bytesCopy(block, p, len);
  mode = <u32>load<u8>(p + 16);
  keyCount = k;
  currency = loadLe16(p + 18);
  fare = loadLe32(p + 20);
  amountMin = loadLe32(p + 24);
  amountMax = loadLe32(p + 28);
  driftToleranceS = loadLe32(p + 32);
  nfcTimeoutMs = <i32>loadLe32(p + 36);
  ledgerBlockBytes = ledgerBytes;
  return INIT_OK;
}
