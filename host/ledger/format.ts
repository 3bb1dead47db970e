// Host codec of the ledger's byte formats (docs/LEDGER.md): configuration, records,
// hash chain, acknowledgements, batches and deny lists. Written from the spec, not from
// the firmware, so the two check each other through the committed vectors.
import { hash } from "node:crypto";
import { crc32 } from "node:zlib";

export const SLOT_BYTES = 512;
export const BODY_BYTES_MAX = 320;
export const RECORD_FIXED_BYTES = 72;
export const LINK_BYTES = 32;
export const HEADER_BYTES = 64;
/** Format version 2 (§2.1–2.3): header copies A and B, mark pairs, 8-byte slot words. */
export const FORMAT_VERSION = 2;
export const HEADER_B_AT = 64;
export const MARKS_AT = 128;
export const MARK_BYTES = 16;
export const MARK_PAIRS_MAX = 12;
export const VOID_AT = 488;
export const SIGNAL_AT = 496;
export const COMMIT_AT = 504;
export const WORD_BYTES = 8;
/** A commit or void word is set when at least this many of its 64 bits read 0. */
export const WORD_SET_ZERO_BITS = 2;
/** A commit or void word with at least this many zero bits was written back (§2.3). */
export const WORD_SOLID_ZERO_BITS = 62;
/** Version-1 sectors (§2.6): one header copy, 28 single marks, 4-byte commit marker. */
export const MARKS_AT_V1 = 64;
export const MARKS_MAX_V1 = 28;
export const COMMIT_AT_V1 = SLOT_BYTES - 4;
export const CONFIG_BYTES = 176;
export const ACK_BYTES = 124;
export const BATCH_HEADER_BYTES = 96;
export const SIG_BYTES = 64;
/** Record kinds (§2.3, §5.1): a payment, or a gap entry standing for an unreadable record. */
export const KIND_PAYMENT = 1;
export const KIND_GAP = 2;
export const GAP_REASON_UNREADABLE = 1;

export const MAGIC = {
  config: 0x3143544f, sector: 0x534c544f, mark: 0x4b41544f, batch: 0x3142544f,
  batchV2: 0x3242544f, ack: 0x314b544f, denyList: 0x4c44544f, denyTrailer: 0x4344544f,
} as const;

export const STATUS: Record<number, string> = {
  0: "OK", [-1]: "ERR_BOUNDS", [-2]: "ERR_IO", [-3]: "ERR_PARTITION", [-10]: "ERR_NOT_CONFIGURED",
  [-11]: "ERR_BAD_CONFIG", [-12]: "ERR_LEDGER_FULL", [-13]: "ERR_BAD_ARGUMENT", [-14]: "ERR_VERIFY",
  [-15]: "ERR_NOT_FOUND", [-16]: "ERR_CORRUPT", [-17]: "ERR_BAD_SIGNATURE", [-18]: "ERR_BAD_ACK",
  [-19]: "ERR_STALE_VERSION", [-20]: "ERR_BAD_FORMAT",
};
export const statusName = (code: number): string => STATUS[code] ?? `status ${code}`;

export function crc32Of(bytes: Uint8Array): number {
  return crc32(bytes) >>> 0;
}

const view = (b: Uint8Array): DataView => new DataView(b.buffer, b.byteOffset, b.byteLength);
export const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.compare(a, b) === 0;
}

export interface LedgerConfig {
  ledgerBytes: number;
  sectorBytes: number;
  pageBytes: number;
  denyBytes: number;
  denyMaxAgeSeconds: number;
  readerId: Uint8Array; // 16
  deviceSecretKey: Uint8Array; // 64: seed ‖ public key
  operatorPublicKey: Uint8Array; // 32
  clearingPublicKey: Uint8Array; // 32
}

function need(b: Uint8Array, len: number, what: string): void {
  if (b.length !== len) throw new RangeError(`${what} must be ${len} bytes, got ${b.length}`);
}

export function encodeConfig(c: LedgerConfig): Uint8Array {
  need(c.readerId, 16, "reader id");
  need(c.deviceSecretKey, 64, "device secret key");
  need(c.operatorPublicKey, 32, "operator public key");
  need(c.clearingPublicKey, 32, "clearing public key");
  const b = new Uint8Array(CONFIG_BYTES);
  const v = view(b);
  v.setUint32(0, MAGIC.config, true);
  v.setUint16(4, 1, true);
  v.setUint32(8, c.ledgerBytes, true);
  v.setUint32(12, c.sectorBytes, true);
  v.setUint32(16, c.pageBytes, true);
  v.setUint32(20, c.denyBytes, true);
  v.setUint32(24, c.denyMaxAgeSeconds, true);
  b.set(c.readerId, 32);
  b.set(c.deviceSecretKey, 48);
  b.set(c.operatorPublicKey, 112);
  b.set(c.clearingPublicKey, 144);
  return b;
}

/** The indexed fields of a payment plus its opaque body. */
export interface Payment {
  walletId: Uint8Array; // 16
  counter: number; // u32
  amount: bigint; // u64 minor units
  time: number; // u32 unix seconds
  body: Uint8Array; // ≤ BODY_BYTES_MAX
}

export interface LedgerRecord extends Payment {
  seq: number;
  kind: number;
  link: Uint8Array;
  /** Record content bytes 0 … 71+b exactly as stored and exported. */
  content: Uint8Array;
}

/** Record content (§2.3) for seq after a chain head `prev`: fields, link, body. */
export function encodeRecordContent(seq: number, p: Payment, prev: Uint8Array): Uint8Array {
  need(p.walletId, 16, "wallet id");
  need(prev, LINK_BYTES, "previous link");
  if (p.body.length > BODY_BYTES_MAX) {
    throw new RangeError(`body of ${p.body.length} bytes exceeds ${BODY_BYTES_MAX}`);
  }
  const b = new Uint8Array(RECORD_FIXED_BYTES + p.body.length);
  const v = view(b);
  v.setUint32(0, seq, true);
  b.set(p.walletId, 4);
  v.setUint32(20, p.counter, true);
  v.setBigUint64(24, p.amount, true);
  v.setUint32(32, p.time, true);
  v.setUint16(36, p.body.length, true);
  v.setUint16(38, 1, true);
  b.set(p.body, RECORD_FIXED_BYTES);
  b.set(chainLink(prev, b), 40);
  return b;
}

/** link(n) = SHA-512(link(n−1) ‖ content[0..40) ‖ body)[0..32) (§2.4). */
export function chainLink(prev: Uint8Array, content: Uint8Array): Uint8Array {
  // One buffer and a one-shot hash: clearing links every record it ingests, and a hash
  // object per record costs more than the copy.
  const body = content.subarray(RECORD_FIXED_BYTES);
  const m = new Uint8Array(prev.length + 40 + body.length);
  m.set(prev);
  m.set(content.subarray(0, 40), prev.length);
  m.set(body, prev.length + 40);
  const d = hash("sha512", m, "buffer");
  return new Uint8Array(d.buffer, d.byteOffset, LINK_BYTES);
}

/** The version-2 slot image a record occupies on flash (§2.3): content, CRC, erased
 *  space, void and signal words erased, commit word programmed. */
export function encodeRecordSlot(content: Uint8Array): Uint8Array {
  const s = new Uint8Array(SLOT_BYTES).fill(0xff);
  s.set(content, 0);
  view(s).setUint32(content.length, crc32Of(content), true);
  s.fill(0, COMMIT_AT, COMMIT_AT + WORD_BYTES);
  return s;
}

/** The version-1 slot image (§2.6): as version 2 but a 4-byte commit marker at 508. */
export function encodeRecordSlotV1(content: Uint8Array): Uint8Array {
  const s = new Uint8Array(SLOT_BYTES).fill(0xff);
  s.set(content, 0);
  view(s).setUint32(content.length, crc32Of(content), true);
  view(s).setUint32(COMMIT_AT_V1, 0, true);
  return s;
}

/** Zero bits among the 8 bytes of a slot word. */
export function zeroBits(word: Uint8Array): number {
  let n = 0;
  for (const b of word) for (let k = 0; k < 8; k++) if (((b >> k) & 1) === 0) n++;
  return n;
}

/** The 72-byte gap entry of an unreadable record (§5.1). */
export function encodeGapEntry(seq: number, reason = GAP_REASON_UNREADABLE): Uint8Array {
  const b = new Uint8Array(RECORD_FIXED_BYTES);
  view(b).setUint32(0, seq >>> 0, true);
  view(b).setUint16(38, KIND_GAP, true);
  view(b).setUint32(40, reason >>> 0, true);
  return b;
}

/** True for a gap entry (§5.1) rather than a payment record. */
export function isGap(r: { kind: number }): boolean {
  return r.kind === KIND_GAP;
}

/** Decodes record content; throws on a malformed one (lengths are checked). */
export function decodeRecordContent(b: Uint8Array): LedgerRecord {
  if (b.length < RECORD_FIXED_BYTES) throw new RangeError("record shorter than its fixed part");
  const v = view(b);
  const bodyLen = v.getUint16(36, true);
  if (bodyLen > BODY_BYTES_MAX || b.length < RECORD_FIXED_BYTES + bodyLen) {
    throw new RangeError("record body length out of range");
  }
  const content = b.slice(0, RECORD_FIXED_BYTES + bodyLen);
  return {
    seq: v.getUint32(0, true),
    walletId: content.slice(4, 20),
    counter: v.getUint32(20, true),
    amount: v.getBigUint64(24, true),
    time: v.getUint32(32, true),
    kind: v.getUint16(38, true),
    link: content.slice(40, 72),
    body: content.slice(RECORD_FIXED_BYTES),
    content,
  };
}

export function encodeAckBody(readerId: Uint8Array, lastSeq: number, head: Uint8Array): Uint8Array {
  need(readerId, 16, "reader id");
  need(head, LINK_BYTES, "chain head");
  const b = new Uint8Array(60);
  const v = view(b);
  v.setUint32(0, MAGIC.ack, true);
  v.setUint16(4, 1, true);
  b.set(readerId, 8);
  v.setUint32(24, lastSeq, true);
  b.set(head, 28);
  return b;
}

export interface DenyList {
  version: number;
  issuedAt: number;
  walletIds: Uint8Array[]; // 16 each
  revokedKeyIds: Uint8Array[]; // 8 each
  /** Vouched certHashes (16 each): any makes the image format 2 (§7). */
  certHashes?: Uint8Array[];
}

const compare = (a: Uint8Array, b: Uint8Array): number => Buffer.compare(a, b);

/** The list image without its signature (§7); ids are sorted here. */
export function encodeDenyListBody(d: DenyList): Uint8Array {
  const wallets = [...d.walletIds].sort(compare);
  const keys = [...d.revokedKeyIds].sort(compare);
  const certs = [...(d.certHashes ?? [])].sort(compare);
  const format = certs.length > 0 ? 2 : 1;
  const header = format === 2 ? 28 : 24;
  const keysAt = header + 16 * wallets.length;
  const certsAt = keysAt + 8 * keys.length;
  const b = new Uint8Array(certsAt + 16 * certs.length);
  const v = view(b);
  v.setUint32(0, MAGIC.denyList, true);
  v.setUint16(4, format, true);
  v.setUint32(8, d.version, true);
  v.setUint32(12, d.issuedAt, true);
  v.setUint32(16, wallets.length, true);
  v.setUint32(20, keys.length, true);
  if (format === 2) v.setUint32(24, certs.length, true);
  wallets.forEach((w, i) => { need(w, 16, "wallet id"); b.set(w, header + 16 * i); });
  keys.forEach((k, i) => { need(k, 8, "issuer key id"); b.set(k, keysAt + 8 * i); });
  certs.forEach((c, i) => { need(c, 16, "certificate hash"); b.set(c, certsAt + 16 * i); });
  return b;
}
