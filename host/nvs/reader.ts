// Reads an NVS partition back (docs/NVS.md): pages, entries and their CRCs, namespaces,
// integers, strings, and blobs reassembled from their chunks. What does not check out is
// reported in `problems`, not thrown: a reader of a flash dump wants to see all of it.
import {
  BITMAP_OFFSET,
  ENTRIES_PER_PAGE,
  ENTRY_BYTES,
  EntryState,
  FIRST_ENTRY_OFFSET,
  INTEGER_TYPES,
  ItemType,
  KEY_FIELD_BYTES,
  NvsError,
  PAGE_BYTES,
  PageState,
  entryCrc,
  nvsCrc32,
  type IntegerType,
  type NvsValue,
} from "./format.ts";
import { decryptEntry } from "./crypt.ts";

export interface NvsPageInfo {
  index: number;
  state: "uninitialized" | "active" | "full" | "freeing" | "corrupt" | "unknown";
  sequence: number | undefined;
  version: number | undefined;
  headerCrcOk: boolean | undefined;
  entriesWritten: number;
}

export interface NvsEntryRead {
  namespace: string;
  key: string;
  value: NvsValue;
}

export interface NvsPartitionRead {
  pages: NvsPageInfo[];
  namespaces: Map<number, string>;
  entries: NvsEntryRead[];
  problems: string[];
}

const STATE_NAMES: Record<number, NvsPageInfo["state"]> = {
  [PageState.UNINITIALIZED]: "uninitialized",
  [PageState.ACTIVE]: "active",
  [PageState.FULL]: "full",
  [PageState.FREEING]: "freeing",
  [PageState.CORRUPT]: "corrupt",
};

const TYPE_BY_CODE = new Map<number, IntegerType>(
  (Object.entries(INTEGER_TYPES) as [IntegerType, { code: number }][]).map(([name, t]) => [
    t.code,
    name,
  ]),
);

interface RawItem {
  page: number;
  ns: number;
  type: number;
  chunk: number;
  key: string;
  data: Uint8Array;
  payload: Uint8Array;
}

export function decodeNvsPartition(
  bytes: Uint8Array,
  options: { encryptionKey?: Uint8Array } = {},
): NvsPartitionRead {
  if (bytes.length % PAGE_BYTES !== 0)
    throw new NvsError(`${bytes.length} bytes is not a whole number of ${PAGE_BYTES}-byte pages`);
  const out: NvsPartitionRead = { pages: [], namespaces: new Map(), entries: [], problems: [] };
  const items: RawItem[] = [];
  for (let p = 0; p < bytes.length / PAGE_BYTES; p++) {
    const page = bytes.subarray(p * PAGE_BYTES, (p + 1) * PAGE_BYTES);
    out.pages.push(readPage(page, p, items, out.problems, options.encryptionKey));
  }
  for (const it of items)
    if (it.ns === 0 && it.type === ItemType.U8) out.namespaces.set(it.data[0]!, it.key);
  assemble(items, out);
  return out;
}

function readPage(
  page: Uint8Array,
  index: number,
  items: RawItem[],
  problems: string[],
  key: Uint8Array | undefined,
): NvsPageInfo {
  const view = new DataView(page.buffer, page.byteOffset, page.byteLength);
  const stateWord = view.getUint32(0, true);
  const info: NvsPageInfo = {
    index,
    state: STATE_NAMES[stateWord] ?? "unknown",
    sequence: undefined,
    version: undefined,
    headerCrcOk: undefined,
    entriesWritten: 0,
  };
  if (stateWord === PageState.UNINITIALIZED) return info;
  info.sequence = view.getUint32(4, true);
  info.version = page[8];
  info.headerCrcOk = view.getUint32(28, true) === nvsCrc32(page.subarray(4, 28));
  if (!info.headerCrcOk) {
    problems.push(`page ${index}: header CRC mismatch`);
    return info;
  }
  const entry = (i: number): Uint8Array => {
    const raw = page.subarray(
      FIRST_ENTRY_OFFSET + i * ENTRY_BYTES,
      FIRST_ENTRY_OFFSET + (i + 1) * ENTRY_BYTES,
    );
    return key === undefined ? raw : decryptEntry(raw, index, i, key);
  };
  for (let i = 0; i < ENTRIES_PER_PAGE;) {
    if (entryState(page, i) !== EntryState.WRITTEN) {
      i++;
      continue;
    }
    const e = entry(i);
    const span = Math.max(1, e[2]!);
    if (entryCrc(e) !== new DataView(e.buffer, e.byteOffset).getUint32(4, true)) {
      problems.push(`page ${index} entry ${i}: header CRC mismatch`);
      i++;
      continue;
    }
    const payload = new Uint8Array(Math.max(0, span - 1) * ENTRY_BYTES);
    for (let j = 1; j < span && i + j < ENTRIES_PER_PAGE; j++)
      payload.set(entry(i + j), (j - 1) * ENTRY_BYTES);
    items.push({
      page: index,
      ns: e[0]!,
      type: e[1]!,
      chunk: e[3]!,
      key: keyOf(e),
      data: e.slice(24, 32),
      payload,
    });
    info.entriesWritten += span;
    i += span;
  }
  return info;
}

function entryState(page: Uint8Array, i: number): number {
  return (page[BITMAP_OFFSET + ((2 * i) >> 3)]! >> ((2 * i) & 7)) & 0b11;
}

function keyOf(e: Uint8Array): string {
  const field = e.subarray(8, 8 + KEY_FIELD_BYTES);
  const end = field.indexOf(0);
  return new TextDecoder().decode(field.subarray(0, end < 0 ? KEY_FIELD_BYTES : end));
}

/** Sized payload (string, blob chunk): size, CRC check. */
function sized(it: RawItem, problems: string[]): Uint8Array | undefined {
  const view = new DataView(it.data.buffer, it.data.byteOffset);
  const size = view.getUint16(0, true);
  const body = it.payload.subarray(0, size);
  if (body.length !== size || nvsCrc32(body) !== view.getUint32(4, true)) {
    problems.push(`${it.key}: data CRC mismatch or truncated (${size} bytes announced)`);
    return undefined;
  }
  return body;
}

function assemble(items: RawItem[], out: NvsPartitionRead): void {
  const nsName = (ns: number): string => out.namespaces.get(ns) ?? `#${ns}`;
  for (const it of items) {
    if (it.ns === 0) continue;
    const integer = TYPE_BY_CODE.get(it.type);
    if (integer !== undefined) {
      const t = INTEGER_TYPES[integer];
      let u = 0n;
      for (let i = t.bytes - 1; i >= 0; i--) u = (u << 8n) | BigInt(it.data[i]!);
      const value = t.signed ? BigInt.asIntN(t.bytes * 8, u) : u;
      out.entries.push({ namespace: nsName(it.ns), key: it.key, value: { type: integer, value } });
    } else if (it.type === ItemType.SZ) {
      const body = sized(it, out.problems);
      if (body !== undefined) {
        const text = new TextDecoder().decode(body.subarray(0, Math.max(0, body.length - 1)));
        out.entries.push({
          namespace: nsName(it.ns),
          key: it.key,
          value: { type: "string", value: text },
        });
      }
    } else if (it.type === ItemType.BLOB_IDX) {
      const blob = joinChunks(it, items, out.problems);
      if (blob !== undefined)
        out.entries.push({
          namespace: nsName(it.ns),
          key: it.key,
          value: { type: "blob", value: blob },
        });
    } else if (it.type !== ItemType.BLOB_DATA) {
      out.problems.push(`${it.key}: type 0x${it.type.toString(16)} is not read here`);
    }
  }
}

function joinChunks(idx: RawItem, items: RawItem[], problems: string[]): Uint8Array | undefined {
  const view = new DataView(idx.data.buffer, idx.data.byteOffset);
  const size = view.getUint32(0, true);
  const count = idx.data[4]!;
  const start = idx.data[5]!;
  const parts: Uint8Array[] = [];
  for (let c = start; c < start + count; c++) {
    const chunk = items.find(
      (x) => x.type === ItemType.BLOB_DATA && x.ns === idx.ns && x.key === idx.key && x.chunk === c,
    );
    const body = chunk === undefined ? undefined : sized(chunk, problems);
    if (body === undefined) {
      problems.push(`${idx.key}: blob chunk ${c} missing`);
      return undefined;
    }
    parts.push(body);
  }
  const blob = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    blob.set(p, at);
    at += p.length;
  }
  if (blob.length !== size) {
    problems.push(`${idx.key}: blob is ${blob.length} bytes, index says ${size}`);
    return undefined;
  }
  return blob;
}
