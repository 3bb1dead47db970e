// Writes an NVS partition the way ESP-IDF's nvs_partition_gen.py does (docs/NVS.md), so
// the bytes equal its output for the same entries: same page order, same chunking of
// blobs, same page states, the last page left blank.
import {
  BITMAP_OFFSET,
  CHUNK_ANY,
  ENTRIES_PER_PAGE,
  ENTRY_BYTES,
  FIRST_ENTRY_OFFSET,
  FORMAT_VERSION_2,
  INTEGER_TYPES,
  ItemType,
  KEY_FIELD_BYTES,
  NAMESPACES_MAX,
  NvsError,
  PAGES_MIN,
  PAGE_BYTES,
  PageState,
  STRING_BYTES_MAX,
  checkKey,
  entryCrc,
  nvsCrc32,
  type NvsNamespace,
  type NvsValue,
} from "./format.ts";
import { encryptEntries } from "./crypt.ts";

export interface NvsWriteOptions {
  /** 64-byte NVS key (eky ‖ tky): write the encrypted form. */
  encryptionKey?: Uint8Array;
}

class PageFull extends Error {}

class Page {
  readonly buf = new Uint8Array(PAGE_BYTES).fill(0xff);
  entryCount = 0;

  constructor(
    readonly index: number,
    reserved: boolean,
  ) {
    if (reserved) return;
    const view = new DataView(this.buf.buffer);
    view.setUint32(0, PageState.ACTIVE, true);
    view.setUint32(4, index, true);
    this.buf[8] = FORMAT_VERSION_2;
    view.setUint32(28, nvsCrc32(this.buf.subarray(4, 28)), true);
  }

  get state(): number {
    return new DataView(this.buf.buffer).getUint32(0, true);
  }
  set state(s: number) {
    new DataView(this.buf.buffer).setUint32(0, s, true);
  }
}

/** The partition being built: pages in order, the size still available. */
class Builder {
  readonly pages: Page[] = [];
  private bytesLeft: number;
  private namespaceCount = 0;

  constructor(
    sizeBytes: number,
    private readonly key: Uint8Array | undefined,
  ) {
    this.bytesLeft = sizeBytes - PAGE_BYTES; // the last page stays blank
    this.newPage(false);
  }

  get current(): Page {
    return this.pages.at(-1)!;
  }

  newPage(reserved: boolean): Page {
    const previous = this.pages.at(-1);
    if (previous !== undefined && previous.state === PageState.ACTIVE)
      previous.state = PageState.FULL;
    if (!reserved) {
      if (this.bytesLeft === 0)
        throw new NvsError("the entries do not fit the partition; give it more pages");
      this.bytesLeft -= PAGE_BYTES;
    }
    const page = new Page(this.pages.length, reserved);
    this.pages.push(page);
    return page;
  }

  /** Fills the size with started pages, then the blank last page. */
  finish(): Uint8Array {
    while (this.bytesLeft > 0) this.newPage(false);
    this.newPage(true);
    const out = new Uint8Array(this.pages.length * PAGE_BYTES);
    this.pages.forEach((p, i) => out.set(p.buf, i * PAGE_BYTES));
    return out;
  }

  /** Runs `write` on the current page, or on a new one when the current one is full. */
  onSomePage(write: (page: Page) => void): void {
    try {
      write(this.current);
    } catch (err) {
      if (!(err instanceof PageFull)) throw err;
      write(this.newPage(false));
    }
  }

  defineNamespace(name: string): number {
    checkKey(name, "namespace");
    if (this.namespaceCount === NAMESPACES_MAX)
      throw new NvsError(`more than ${NAMESPACES_MAX} namespaces`);
    const index = ++this.namespaceCount;
    this.onSomePage((page) =>
      this.writePrimitive(page, 0, name, { type: "u8", value: BigInt(index) }),
    );
    return index;
  }

  writeItem(ns: number, key: string, value: NvsValue): void {
    checkKey(key, "key");
    if (value.type === "string")
      this.onSomePage((page) => this.writeString(page, ns, key, value.value));
    else if (value.type === "blob")
      this.onSomePage((page) => this.writeBlob(page, ns, key, value.value));
    else this.onSomePage((page) => this.writePrimitive(page, ns, key, value));
  }

  /** Writes `data` (≤ count × 32 bytes) into the next `count` entries and marks them written. */
  writeEntries(page: Page, data: Uint8Array, count: number): void {
    const at = FIRST_ENTRY_OFFSET + ENTRY_BYTES * page.entryCount;
    const bytes =
      this.key === undefined
        ? data
        : encryptEntries(data, count, page.index, page.entryCount, this.key);
    page.buf.set(bytes, at);
    for (let i = 0; i < count; i++) {
      const bit = page.entryCount * 2;
      page.buf[BITMAP_OFFSET + (bit >> 3)]! &= ~(1 << (bit & 7));
      page.entryCount++;
    }
  }

  private header(ns: number, type: number, span: number, chunk: number, key: string): Uint8Array {
    const e = new Uint8Array(ENTRY_BYTES).fill(0xff);
    e[0] = ns;
    e[1] = type;
    e[2] = span;
    e[3] = chunk;
    e.fill(0, 8, 8 + KEY_FIELD_BYTES);
    e.set(new TextEncoder().encode(key), 8);
    return e;
  }

  private sealed(e: Uint8Array): Uint8Array {
    new DataView(e.buffer).setUint32(4, entryCrc(e), true);
    return e;
  }

  writePrimitive(
    page: Page,
    ns: number,
    key: string,
    v: { type: keyof typeof INTEGER_TYPES; value: bigint },
  ): void {
    if (page.entryCount >= ENTRIES_PER_PAGE) throw new PageFull();
    const t = INTEGER_TYPES[v.type];
    const bits = BigInt(t.bytes * 8);
    const min = t.signed ? -(1n << (bits - 1n)) : 0n;
    const max = t.signed ? (1n << (bits - 1n)) - 1n : (1n << bits) - 1n;
    if (v.value < min || v.value > max)
      throw new NvsError(`${key}: ${v.value} does not fit ${v.type}`);
    const e = this.header(ns, t.code, 1, CHUNK_ANY, key);
    let u = BigInt.asUintN(t.bytes * 8, v.value);
    for (let i = 0; i < t.bytes; i++) {
      e[24 + i] = Number(u & 0xffn);
      u >>= 8n;
    }
    this.writeEntries(page, this.sealed(e), 1);
  }

  writeString(page: Page, ns: number, key: string, text: string): void {
    const data = new TextEncoder().encode(`${text}\0`);
    if (data.length > STRING_BYTES_MAX)
      throw new NvsError(`${key}: a string of ${data.length} bytes exceeds ${STRING_BYTES_MAX}`);
    const dataEntries = Math.ceil(data.length / ENTRY_BYTES);
    if (
      page.entryCount >= ENTRIES_PER_PAGE ||
      page.entryCount + dataEntries + 1 >= ENTRIES_PER_PAGE
    )
      throw new PageFull();
    const e = this.header(ns, ItemType.SZ, dataEntries + 1, CHUNK_ANY, key);
    this.writeSized(page, e, data, dataEntries);
  }

  /** A header with size, 0xFFFF and the data's CRC, then the data entries. */
  private writeSized(page: Page, e: Uint8Array, data: Uint8Array, dataEntries: number): void {
    const view = new DataView(e.buffer);
    view.setUint16(24, data.length, true);
    view.setUint32(28, nvsCrc32(data), true);
    this.writeEntries(page, this.sealed(e), 1);
    this.writeEntries(page, data, dataEntries);
  }

  /** Version-2 blob: chunks as big as each page allows, then the index entry. */
  writeBlob(first: Page, ns: number, key: string, data: Uint8Array): void {
    if (first.entryCount >= ENTRIES_PER_PAGE) throw new PageFull();
    let page = first;
    let offset = 0;
    let chunks = 0;
    for (;;) {
      const tailroom = (ENTRIES_PER_PAGE - page.entryCount - 1) * ENTRY_BYTES;
      const size = Math.min(tailroom, data.length - offset);
      const dataEntries = Math.ceil(size / ENTRY_BYTES);
      const e = this.header(ns, ItemType.BLOB_DATA, dataEntries + 1, chunks, key);
      this.writeSized(page, e, data.subarray(offset, offset + size), dataEntries);
      chunks++;
      offset += size;
      const more = offset < data.length;
      if (more || tailroom - size < ENTRY_BYTES) page = this.newPage(false);
      if (more) continue;
      const idx = this.header(ns, ItemType.BLOB_IDX, 1, CHUNK_ANY, key);
      new DataView(idx.buffer).setUint32(24, data.length, true);
      idx[28] = chunks;
      idx[29] = 0;
      this.writeEntries(page, this.sealed(idx), 1);
      return;
    }
  }
}

/** The partition bytes for `namespaces`, in order (each defined where it first appears). */
export function encodeNvsPartition(
  namespaces: readonly NvsNamespace[],
  sizeBytes: number,
  options: NvsWriteOptions = {},
): Uint8Array {
  if (sizeBytes % PAGE_BYTES !== 0 || sizeBytes < PAGES_MIN * PAGE_BYTES) {
    throw new NvsError(
      `an NVS partition is a multiple of ${PAGE_BYTES} bytes, at least ` +
      `${PAGES_MIN * PAGE_BYTES}; got ${sizeBytes}`,
    );
  }
  const b = new Builder(sizeBytes, options.encryptionKey);
  for (const ns of namespaces) {
    const index = b.defineNamespace(ns.name);
    for (const item of ns.items) b.writeItem(index, item.key, item.value);
  }
  return b.finish();
}
