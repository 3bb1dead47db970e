// The signed reader image (docs/IMAGE.md): header, firmware, provisioning block, key
// reference, Ed25519 signature. Encoding and structural decoding only; what the parts
// mean (board, ABI, provisioning) is judged in verify.ts.
import { createHash } from "node:crypto";
import { crc32 } from "node:zlib";

export const IMAGE_MAGIC = 0x4d49544f; // "OTIM"
export const IMAGE_FORMAT_VERSION = 1;
export const IMAGE_HEADER_BYTES = 160;
export const IMAGE_SIGNATURE_BYTES = 64;
export const IMAGE_BYTES_MIN = IMAGE_HEADER_BYTES + IMAGE_SIGNATURE_BYTES;
export const BOARD_ID_BYTES_MAX = 48;
export const FLAG_SEED_INLINE = 0x01;
export const KEYREF_MAGIC = 0x524b544f; // "OTKR"
export const KEYREF_HEADER_BYTES = 8;
/** NVS namespace and key names are at most 15 characters (ESP-IDF NVS_KEY_NAME_MAX_SIZE − 1). */
export const KEYREF_NAME_BYTES_MAX = 15;
/** docs/CONFIG.md: READER_CONFIG_BYTES_MAX (assembly/limits.ts). */
export const PROVISIONING_BYTES_MAX = 708;
export const WASM_BYTES_MIN = 8;

export const KEY_STORES = { nvs: 1, efuse: 2, "secure-element": 3 } as const;
export type KeyStore = keyof typeof KEY_STORES;

export interface KeyReference {
  store: KeyStore;
  namespace: string;
  key: string;
}

export interface ImageParts {
  abiVersion: number;
  boardId: string;
  buildUnixSeconds: number;
  firmware: Uint8Array;
  provisioning: Uint8Array;
  /** Undefined: the seed is inline in the provisioning block. */
  keyReference: KeyReference | undefined;
}

export interface DecodedImage extends ImageParts {
  formatVersion: number;
  flags: number;
  totalBytes: number;
  firmwareSha256: Uint8Array;
  provisioningSha256: Uint8Array;
  releaseKeyId: Uint8Array;
  headerCrc: number;
  /** Bytes 0 … T−65: what the signature covers. */
  signedBytes: Uint8Array;
  signature: Uint8Array;
  /** Hash mismatches found while decoding (the structure was otherwise sound). */
  hashFindings: string[];
}

export class ImageFormatError extends Error {}

const ascii = /^[\x20-\x7e]*$/;
const sha256 = (...parts: Uint8Array[]): Uint8Array => {
  const h = createHash("sha256");
  for (const p of parts) h.update(p);
  return new Uint8Array(h.digest());
};

/** The 8-byte release key id of docs/IMAGE.md. */
export function releaseKeyId(publicKey: Uint8Array): Uint8Array {
  return sha256(publicKey).subarray(0, 8);
}

export function encodeKeyReference(r: KeyReference): Uint8Array {
  const ns = new TextEncoder().encode(r.namespace);
  const key = new TextEncoder().encode(r.key);
  if (!(r.store in KEY_STORES)) throw new ImageFormatError(`key store '${r.store}' is not one of ${Object.keys(KEY_STORES).join(", ")}`);
  if (!ascii.test(r.namespace) || ns.length > KEYREF_NAME_BYTES_MAX) throw new ImageFormatError(`key namespace must be 0 … ${KEYREF_NAME_BYTES_MAX} ASCII characters`);
  if (!ascii.test(r.key) || key.length < 1 || key.length > KEYREF_NAME_BYTES_MAX) throw new ImageFormatError(`key name must be 1 … ${KEYREF_NAME_BYTES_MAX} ASCII characters`);
  const b = new Uint8Array(KEYREF_HEADER_BYTES + ns.length + key.length);
  new DataView(b.buffer).setUint32(0, KEYREF_MAGIC, true);
  b[4] = KEY_STORES[r.store];
  b[5] = ns.length;
  b[6] = key.length;
  b.set(ns, 8);
  b.set(key, 8 + ns.length);
  return b;
}

export function decodeKeyReference(b: Uint8Array): KeyReference {
  if (b.length < KEYREF_HEADER_BYTES) throw new ImageFormatError(`key reference of ${b.length} bytes is shorter than its 8-byte header`);
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  if (v.getUint32(0, true) !== KEYREF_MAGIC) throw new ImageFormatError("key reference magic is not \"OTKR\"");
  const store = (Object.keys(KEY_STORES) as KeyStore[]).find((k) => KEY_STORES[k] === b[4]);
  if (store === undefined) throw new ImageFormatError(`key reference store ${b[4]} is unknown`);
  const a = b[5]!;
  const k = b[6]!;
  if (b[7] !== 0) throw new ImageFormatError("key reference reserved byte is not zero");
  if (a > KEYREF_NAME_BYTES_MAX || k < 1 || k > KEYREF_NAME_BYTES_MAX || b.length !== KEYREF_HEADER_BYTES + a + k) {
    throw new ImageFormatError(`key reference lengths (namespace ${a}, key ${k}) disagree with its ${b.length} bytes`);
  }
  const text = (x: Uint8Array): string => {
    const s = new TextDecoder().decode(x);
    if (!ascii.test(s)) throw new ImageFormatError("key reference names must be ASCII");
    return s;
  };
  return { store, namespace: text(b.subarray(8, 8 + a)), key: text(b.subarray(8 + a, 8 + a + k)) };
}

/** Header and body, without the signature: the bytes the release key signs. */
export function encodeUnsignedImage(p: ImageParts, releasePublicKey: Uint8Array): Uint8Array {
  const id = new TextEncoder().encode(p.boardId);
  if (!/^[a-z0-9][a-z0-9-]{1,47}$/.test(p.boardId)) throw new ImageFormatError(`board id '${p.boardId}' must be 2 … 48 characters of a-z, 0-9 and '-'`);
  if (p.firmware.length < WASM_BYTES_MIN) throw new ImageFormatError("firmware is shorter than a WebAssembly header");
  if (p.provisioning.length > PROVISIONING_BYTES_MAX) throw new ImageFormatError(`provisioning block of ${p.provisioning.length} bytes exceeds ${PROVISIONING_BYTES_MAX}`);
  if (!Number.isInteger(p.abiVersion) || p.abiVersion < 0 || p.abiVersion > 0xffff) throw new ImageFormatError("ABI version must fit 16 bits");
  const keyRef = p.keyReference === undefined ? new Uint8Array(0) : encodeKeyReference(p.keyReference);
  const W = p.firmware.length;
  const P = p.provisioning.length;
  const R = keyRef.length;
  const T = IMAGE_HEADER_BYTES + W + P + R + IMAGE_SIGNATURE_BYTES;
  const b = new Uint8Array(T - IMAGE_SIGNATURE_BYTES);
  const v = new DataView(b.buffer);
  v.setUint32(0, IMAGE_MAGIC, true);
  v.setUint16(4, IMAGE_FORMAT_VERSION, true);
  v.setUint16(6, IMAGE_HEADER_BYTES, true);
  v.setUint16(8, p.abiVersion, true);
  b[10] = p.keyReference === undefined ? FLAG_SEED_INLINE : 0;
  b[11] = id.length;
  b.set(id, 12);
  v.setUint32(60, W, true);
  v.setUint32(64, P, true);
  v.setUint32(68, R, true);
  v.setUint32(72, T, true);
  v.setUint32(76, p.buildUnixSeconds >>> 0, true);
  b.set(sha256(p.firmware), 80);
  b.set(sha256(p.provisioning, keyRef), 112);
  b.set(releaseKeyId(releasePublicKey), 144);
  v.setUint32(156, crc32(b.subarray(0, 156)) >>> 0, true);
  b.set(p.firmware, IMAGE_HEADER_BYTES);
  b.set(p.provisioning, IMAGE_HEADER_BYTES + W);
  b.set(keyRef, IMAGE_HEADER_BYTES + W + P);
  return b;
}

export function appendSignature(unsigned: Uint8Array, signature: Uint8Array): Uint8Array {
  if (signature.length !== IMAGE_SIGNATURE_BYTES) throw new ImageFormatError("an Ed25519 signature is 64 bytes");
  const out = new Uint8Array(unsigned.length + IMAGE_SIGNATURE_BYTES);
  out.set(unsigned, 0);
  out.set(signature, unsigned.length);
  return out;
}

const hex = (n: number): string => `0x${n.toString(16)}`;

/** Structural decode, steps 1–2 of docs/IMAGE.md; throws ImageFormatError naming the field. */
export function decodeImage(img: Uint8Array): DecodedImage {
  if (img.length < IMAGE_BYTES_MIN) throw new ImageFormatError(`image of ${img.length} bytes is shorter than header and signature (${IMAGE_BYTES_MIN})`);
  const v = new DataView(img.buffer, img.byteOffset, img.byteLength);
  if (v.getUint32(0, true) !== IMAGE_MAGIC) throw new ImageFormatError(`magic ${hex(v.getUint32(0, true))} is not "OTIM": not an offtap image`);
  const formatVersion = v.getUint16(4, true);
  if (formatVersion !== IMAGE_FORMAT_VERSION) throw new ImageFormatError(`image format version ${formatVersion} is not ${IMAGE_FORMAT_VERSION}`);
  if (v.getUint16(6, true) !== IMAGE_HEADER_BYTES) throw new ImageFormatError(`header length ${v.getUint16(6, true)} is not ${IMAGE_HEADER_BYTES}`);
  const headerCrc = v.getUint32(156, true);
  const crc = crc32(img.subarray(0, 156)) >>> 0;
  if (crc !== headerCrc) throw new ImageFormatError(`header CRC-32 ${hex(headerCrc)} does not match ${hex(crc)}: the header is damaged`);
  const flags = img[10]!;
  if ((flags & ~FLAG_SEED_INLINE) !== 0) throw new ImageFormatError(`unknown flag bits ${hex(flags & ~FLAG_SEED_INLINE)}`);
  if (v.getUint32(152, true) !== 0) throw new ImageFormatError("reserved header bytes 152 … 155 are not zero");
  const n = img[11]!;
  const idField = img.subarray(12, 12 + BOARD_ID_BYTES_MAX);
  if (n < 2 || n > BOARD_ID_BYTES_MAX || idField.subarray(n).some((x) => x !== 0)) throw new ImageFormatError(`board id length ${n} is out of range or the id is not zero-padded`);
  const boardId = new TextDecoder().decode(idField.subarray(0, n));
  if (!/^[a-z0-9][a-z0-9-]+$/.test(boardId)) throw new ImageFormatError(`board id '${boardId}' has characters outside a-z, 0-9, '-'`);
  const W = v.getUint32(60, true);
  const P = v.getUint32(64, true);
  const R = v.getUint32(68, true);
  const T = v.getUint32(72, true);
  if (T !== IMAGE_HEADER_BYTES + W + P + R + IMAGE_SIGNATURE_BYTES) throw new ImageFormatError(`total length ${T} is not 160 + ${W} + ${P} + ${R} + 64`);
  if (T !== img.length) throw new ImageFormatError(`total length ${T} differs from the ${img.length} bytes present (truncated or padded image)`);
  if (W < WASM_BYTES_MIN) throw new ImageFormatError(`firmware length ${W} is too short`);
  if (P > PROVISIONING_BYTES_MAX) throw new ImageFormatError(`provisioning length ${P} exceeds ${PROVISIONING_BYTES_MAX}`);
  const inline = (flags & FLAG_SEED_INLINE) !== 0;
  if (inline !== (R === 0)) throw new ImageFormatError(inline ? "SEED_INLINE is set but a key reference is present" : "no key reference although SEED_INLINE is clear");
  const firmware = img.slice(IMAGE_HEADER_BYTES, IMAGE_HEADER_BYTES + W);
  const provisioning = img.slice(IMAGE_HEADER_BYTES + W, IMAGE_HEADER_BYTES + W + P);
  const keyRefBytes = img.subarray(IMAGE_HEADER_BYTES + W + P, IMAGE_HEADER_BYTES + W + P + R);
  const keyReference = inline ? undefined : decodeKeyReference(keyRefBytes);
  const firmwareSha256 = img.slice(80, 112);
  const provisioningSha256 = img.slice(112, 144);
  const hashFindings: string[] = [];
  if (Buffer.compare(Buffer.from(sha256(firmware)), Buffer.from(firmwareSha256)) !== 0) hashFindings.push("firmware SHA-256 does not match the header: the firmware is damaged");
  if (Buffer.compare(Buffer.from(sha256(provisioning, keyRefBytes)), Buffer.from(provisioningSha256)) !== 0) hashFindings.push("provisioning SHA-256 does not match the header: the provisioning block is damaged");
  return {
    formatVersion, flags, abiVersion: v.getUint16(8, true), boardId, buildUnixSeconds: v.getUint32(76, true), totalBytes: T,
    firmware, provisioning, keyReference, firmwareSha256, provisioningSha256, releaseKeyId: img.slice(144, 152), headerCrc,
    signedBytes: img.subarray(0, T - IMAGE_SIGNATURE_BYTES), signature: img.slice(T - IMAGE_SIGNATURE_BYTES), hashFindings,
  };
}
