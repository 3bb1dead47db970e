// Receipt (46 bytes), docs/PROTOCOL.md "3. RECEIPT".
import { READER_ID_BYTES, RECEIPT_BYTES, RECEIPT_VERSION, RECORD_HASH_BYTES } from "./constants.ts";
import {
  ProtocolError, checkBytes, checkLength, checkUint, readU16, readU32, writeU16, writeU32,
} from "./bytes.ts";

export interface Receipt {
  version: number;
  /** 0 accepted now, 1 already accepted (re-tap, gate opened now), 2 already used
   *  (re-tap, the gate opened before and stays shut). */
  outcome: number;
  readerId: Uint8Array;
  sequence: number;
  counter: number;
  amount: number;
  currency: number;
  readerTime: number;
  recordHash: Uint8Array;
}

export function encodeReceipt(r: Receipt): Uint8Array {
  checkUint("receipt.version", r.version, 8);
  if (!isOutcome(r.outcome)) {
    throw new ProtocolError("receipt.outcome", `must be 0, 1 or 2, got ${r.outcome}`);
  }
  checkBytes("receipt.readerId", r.readerId, READER_ID_BYTES);
  checkUint("receipt.sequence", r.sequence, 32);
  checkUint("receipt.counter", r.counter, 32);
  checkUint("receipt.amount", r.amount, 32);
  checkUint("receipt.currency", r.currency, 16);
  checkUint("receipt.readerTime", r.readerTime, 32);
  checkBytes("receipt.recordHash", r.recordHash, RECORD_HASH_BYTES);
  const b = new Uint8Array(RECEIPT_BYTES);
  b[0] = r.version;
  b[1] = r.outcome;
  b.set(r.readerId, 2);
  writeU32(b, 10, r.sequence);
  writeU32(b, 14, r.counter);
  writeU32(b, 18, r.amount);
  writeU16(b, 22, r.currency);
  writeU32(b, 24, r.readerTime);
  b.set(r.recordHash, 30);
  return b;
}

export function decodeReceipt(bytes: Uint8Array): Receipt {
  checkLength("receipt", bytes, RECEIPT_BYTES);
  if (bytes[0] !== RECEIPT_VERSION) {
    const what = `unsupported version ${bytes[0]} (this codec speaks ${RECEIPT_VERSION})`;
    throw new ProtocolError("receipt.version", what);
  }
  if (!isOutcome(bytes[1]!)) {
    throw new ProtocolError("receipt.outcome", `must be 0, 1 or 2, got ${bytes[1]}`);
  }
  if (bytes[28] !== 0 || bytes[29] !== 0) {
    throw new ProtocolError("receipt.reserved", "bytes 28–29 must be zero");
  }
  return {
    version: bytes[0]!,
    outcome: bytes[1]!,
    readerId: bytes.slice(2, 10),
    sequence: readU32(bytes, 10),
    counter: readU32(bytes, 14),
    amount: readU32(bytes, 18),
    currency: readU16(bytes, 22),
    readerTime: readU32(bytes, 24),
    recordHash: bytes.slice(30, 46),
  };
}

function isOutcome(v: number): boolean {
  return v === 0 || v === 1 || v === 2;
}
