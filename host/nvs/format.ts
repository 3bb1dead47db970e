// ESP-IDF's NVS format, version 2 (docs/NVS.md): page and entry layout, type codes, limits,
// and the CRC-32 every header carries.
import { crc32 as zlibCrc32 } from "node:zlib";

export const PAGE_BYTES = 4096;
export const ENTRY_BYTES = 32;
export const ENTRIES_PER_PAGE = 126;
export const PAGE_HEADER_BYTES = 32;
export const BITMAP_OFFSET = 32;
export const BITMAP_BYTES = 32;
export const FIRST_ENTRY_OFFSET = 64;
/** ESP-IDF keeps one page free for reclaiming space, and needs two more to run. */
export const PAGES_MIN = 3;

export const PageState = {
  UNINITIALIZED: 0xffffffff,
  ACTIVE: 0xfffffffe,
  FULL: 0xfffffffc,
  FREEING: 0xfffffff8,
  CORRUPT: 0xfffffff0,
} as const;

export const FORMAT_VERSION_2 = 0xfe;
export const FORMAT_VERSION_1 = 0xff;

export const ItemType = {
  U8: 0x01,
  I8: 0x11,
  U16: 0x02,
  I16: 0x12,
  U32: 0x04,
  I32: 0x14,
  U64: 0x08,
  I64: 0x18,
  SZ: 0x21,
  BLOB_V1: 0x41,
  BLOB_DATA: 0x42,
  BLOB_IDX: 0x48,
} as const;

/** Entry states in the bitmap (2 bits each). */
export const EntryState = { EMPTY: 0b11, WRITTEN: 0b10, ERASED: 0b00 } as const;

export const CHUNK_ANY = 0xff;
/** Keys and namespace names: 15 characters and a NUL in 16 bytes. */
export const KEY_CHARS_MAX = 15;
export const KEY_FIELD_BYTES = 16;
/** Namespace indexes 1 … 254 (0 holds the definitions, 255 is reserved). */
export const NAMESPACES_MAX = 254;
/** Strings, NUL included (nvs_partition_gen.py's max_blob_size for version 2 strings). */
export const STRING_BYTES_MAX = 4000;
/** NVS keys partition: eky, tky, CRC-32. */
export const NVS_KEY_BYTES = 64;

export type IntegerType = "u8" | "i8" | "u16" | "i16" | "u32" | "i32" | "u64" | "i64";

export const INTEGER_TYPES: Readonly<
  Record<IntegerType, { code: number; bytes: number; signed: boolean }>
> = {
  u8: { code: ItemType.U8, bytes: 1, signed: false },
  i8: { code: ItemType.I8, bytes: 1, signed: true },
  u16: { code: ItemType.U16, bytes: 2, signed: false },
  i16: { code: ItemType.I16, bytes: 2, signed: true },
  u32: { code: ItemType.U32, bytes: 4, signed: false },
  i32: { code: ItemType.I32, bytes: 4, signed: true },
  u64: { code: ItemType.U64, bytes: 8, signed: false },
  i64: { code: ItemType.I64, bytes: 8, signed: true },
};

export type NvsValue =
  | { type: IntegerType; value: bigint }
  | { type: "string"; value: string }
  | { type: "blob"; value: Uint8Array };

export interface NvsItem {
  key: string;
  value: NvsValue;
}
export interface NvsNamespace {
  name: string;
  items: NvsItem[];
}

export class NvsError extends Error {}

/** zlib's crc32(data, 0xFFFFFFFF), as nvs_partition_gen.py and the ESP ROM compute it. */
export function nvsCrc32(...parts: Uint8Array[]): number {
  let crc = 0xffffffff;
  for (const p of parts) crc = zlibCrc32(p, crc);
  return crc >>> 0;
}

/** CRC of an entry: bytes 0 … 3 and 8 … 31. */
export function entryCrc(entry: Uint8Array): number {
  return nvsCrc32(entry.subarray(0, 4), entry.subarray(8, 32));
}

export function checkKey(key: string, what: string): void {
  if (key.length < 1 || key.length > KEY_CHARS_MAX || !/^[\x21-\x7e]+$/.test(key)) {
    throw new NvsError(`${what} '${key}' must be 1 … ${KEY_CHARS_MAX} printable ASCII characters`);
  }
}
