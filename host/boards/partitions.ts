// The ESP-IDF partition table, in both of its forms: the binary the second-stage
// bootloader reads at 0x8000 (32-byte entries, an MD5 entry, 0xFF padding to 0xC00
// bytes) and the CSV that ESP-IDF's gen_esp32part.py accepts. Written from the ESP-IDF
// documentation ("Partition Tables") and checked against tables that ESP-IDF's own tool
// produced (test/vectors/image/).
import { createHash } from "node:crypto";

export const ENTRY_BYTES = 32;
/** The table region the bootloader reads: 96 entry slots (the MD5 entry takes one). */
export const TABLE_BYTES = 0xc00;
/** The table occupies one 4 KiB sector; the first partition starts after it. */
export const TABLE_SECTOR_BYTES = 0x1000;
export const ENTRY_MAGIC = [0xaa, 0x50] as const;
export const MD5_MAGIC = [0xeb, 0xeb] as const;
/** Entries that fit beside the MD5 entry in TABLE_BYTES. */
export const ENTRIES_MAX = TABLE_BYTES / ENTRY_BYTES - 1;
export const LABEL_BYTES = 16;

export const TYPE_APP = 0x00;
export const TYPE_DATA = 0x01;
/** ESP-IDF aligns app partitions to 64 KiB (the MMU page the app is mapped through)
 *  and data partitions to a 4 KiB flash sector. */
export const APP_ALIGN_BYTES = 0x10000;
export const DATA_ALIGN_BYTES = 0x1000;
export const OTADATA_BYTES = 0x2000;

export const FLAG_ENCRYPTED = 1 << 0;
export const FLAG_READONLY = 1 << 1;

export const TYPE_NAMES: Readonly<Record<string, number>> = { app: TYPE_APP, data: TYPE_DATA };
const APP_SUBTYPES: Record<string, number> = { factory: 0x00, test: 0x20 };
for (let i = 0; i < 16; i++) APP_SUBTYPES[`ota_${i}`] = 0x10 + i;
const DATA_SUBTYPES: Record<string, number> = {
  ota: 0x00, phy: 0x01, nvs: 0x02, coredump: 0x03, nvs_keys: 0x04, efuse: 0x05, undefined: 0x06,
  esphttpd: 0x80, fat: 0x81, spiffs: 0x82, littlefs: 0x83,
};
export const SUBTYPE_NAMES: Readonly<Record<number, Readonly<Record<string, number>>>> = {
  [TYPE_APP]: APP_SUBTYPES, [TYPE_DATA]: DATA_SUBTYPES,
};

export interface PartitionEntry {
  name: string;
  type: number;
  subtype: number;
  offset: number;
  size: number;
  flags: number;
}

export class PartitionTableError extends Error {}

const hex = (n: number): string => `0x${n.toString(16)}`;

export function typeName(type: number): string {
  return Object.entries(TYPE_NAMES).find(([, v]) => v === type)?.[0] ?? hex(type);
}

export function subtypeName(type: number, subtype: number): string {
  return Object.entries(SUBTYPE_NAMES[type] ?? {}).find(([, v]) => v === subtype)?.[0] ?? hex(subtype);
}

/** "app"/"data" or a number (0x40, 64). */
export function parseType(text: string): number {
  const named = TYPE_NAMES[text.toLowerCase()];
  if (named !== undefined) return named;
  return parseByte(text, "type");
}

/** A subtype keyword of the given type ("nvs", "ota_0") or a number. */
export function parseSubtype(type: number, text: string): number {
  const named = SUBTYPE_NAMES[type]?.[text.toLowerCase()];
  if (named !== undefined) return named;
  return parseByte(text, "subtype");
}

function parseByte(text: string, what: string): number {
  const n = parseIntField(text, what);
  if (n > 0xfe) throw new PartitionTableError(`${what} ${text} is outside 0 … 0xfe`);
  return n;
}

/** gen_esp32part.py's integer syntax: decimal, 0x hex, 0o octal, with an optional K or M suffix. */
export function parseIntField(text: string, what: string): number {
  const t = text.trim();
  // Python's int(v, 0): no leading zeros on decimals.
  const m = /^(0x[0-9a-f]+|0o[0-7]+|0b[01]+|0|[1-9]\d*)([km]?)$/i.exec(t);
  if (m === null) throw new PartitionTableError(`${what} '${text}' is not a number`);
  const base = Number(m[1]!.toLowerCase());
  if (!Number.isSafeInteger(base)) throw new PartitionTableError(`${what} '${text}' is not a number`);
  const scale = m[2]!.toLowerCase() === "k" ? 1024 : m[2]!.toLowerCase() === "m" ? 1024 * 1024 : 1;
  const n = base * scale;
  if (n > 0xffff_ffff) throw new PartitionTableError(`${what} '${text}' does not fit 32 bits`);
  return n;
}

function checkEntry(e: PartitionEntry, at: string): void {
  const label = new TextEncoder().encode(e.name);
  if (label.length === 0 || label.length > LABEL_BYTES) throw new PartitionTableError(`${at}: name '${e.name}' must be 1 … 16 bytes`);
  for (const [k, max] of [["type", 0xfe], ["subtype", 0xfe], ["offset", 0xffff_ffff], ["size", 0xffff_ffff], ["flags", 0xffff_ffff]] as const) {
    const v = e[k];
    if (!Number.isInteger(v) || v < 0 || v > max) throw new PartitionTableError(`${at}: ${k} ${String(v)} is outside 0 … ${hex(max)}`);
  }
}

/** The 32-byte entry: magic, type, subtype, offset (LE), size (LE), 16-byte NUL-padded label, flags (LE). */
export function encodeEntry(e: PartitionEntry): Uint8Array {
  checkEntry(e, `partition '${e.name}'`);
  const b = new Uint8Array(ENTRY_BYTES);
  const v = new DataView(b.buffer);
  b[0] = ENTRY_MAGIC[0];
  b[1] = ENTRY_MAGIC[1];
  b[2] = e.type;
  b[3] = e.subtype;
  v.setUint32(4, e.offset, true);
  v.setUint32(8, e.size, true);
  b.set(new TextEncoder().encode(e.name), 12);
  v.setUint32(28, e.flags, true);
  return b;
}

/** The whole 0xC00-byte table: entries, the MD5 entry over them, 0xFF padding. */
export function encodePartitionTable(entries: readonly PartitionEntry[], options: { md5?: boolean } = {}): Uint8Array {
  if (entries.length > ENTRIES_MAX) throw new PartitionTableError(`${entries.length} partitions exceed the ${ENTRIES_MAX} a table holds`);
  const out = new Uint8Array(TABLE_BYTES).fill(0xff);
  entries.forEach((e, i) => out.set(encodeEntry(e), i * ENTRY_BYTES));
  if (options.md5 ?? true) {
    const at = entries.length * ENTRY_BYTES;
    const md5 = createHash("md5").update(out.subarray(0, at)).digest();
    out[at] = MD5_MAGIC[0];
    out[at + 1] = MD5_MAGIC[1]; // bytes 2 … 15 stay 0xFF
    out.set(md5, at + 16);
  }
  return out;
}

export interface DecodedTable {
  entries: PartitionEntry[];
  /** True when an MD5 entry was present (and matched: a mismatch throws). */
  md5: boolean;
}

/** Decodes a binary table (0xC00 bytes or a whole 4 KiB sector): stops at the first all-0xFF entry. */
export function decodePartitionTable(bytes: Uint8Array): DecodedTable {
  const entries: PartitionEntry[] = [];
  const md5 = createHash("md5");
  let sawMd5 = false;
  const limit = Math.min(bytes.length, TABLE_BYTES);
  for (let at = 0; at + ENTRY_BYTES <= limit; at += ENTRY_BYTES) {
    const e = bytes.subarray(at, at + ENTRY_BYTES);
    if (e.every((x) => x === 0xff)) return { entries, md5: sawMd5 };
    if (e[0] === MD5_MAGIC[0] && e[1] === MD5_MAGIC[1]) {
      const want = md5.copy().digest();
      if (Buffer.compare(Buffer.from(e.subarray(16)), want) !== 0) {
        throw new PartitionTableError(`entry ${at / ENTRY_BYTES}: MD5 ${Buffer.from(e.subarray(16)).toString("hex")} does not match the entries before it (${want.toString("hex")})`);
      }
      sawMd5 = true;
      continue;
    }
    if (e[0] !== ENTRY_MAGIC[0] || e[1] !== ENTRY_MAGIC[1]) {
      throw new PartitionTableError(`entry ${at / ENTRY_BYTES} at byte ${hex(at)}: magic ${hex(e[0]!)} ${hex(e[1]!)} is neither 0xaa 0x50 nor the MD5 entry`);
    }
    md5.update(e);
    try {
      entries.push(decodeEntry(e));
    } catch (err) {
      throw new PartitionTableError(`entry ${at / ENTRY_BYTES}: label is not UTF-8 (${(err as Error).message})`);
    }
  }
  throw new PartitionTableError(`no end-of-table marker (an all-0xFF entry) within ${hex(limit)} bytes`);
}

function decodeEntry(e: Uint8Array): PartitionEntry {
  const v = new DataView(e.buffer, e.byteOffset, e.byteLength);
  const label = e.subarray(12, 28);
  const nul = label.indexOf(0);
  return {
    type: e[2]!, subtype: e[3]!, offset: v.getUint32(4, true), size: v.getUint32(8, true),
    name: new TextDecoder("utf-8", { fatal: true }).decode(nul < 0 ? label : label.subarray(0, nul)),
    flags: v.getUint32(28, true),
  };
}

function flagNames(flags: number): string {
  const names: string[] = [];
  if (flags & FLAG_ENCRYPTED) names.push("encrypted");
  if (flags & FLAG_READONLY) names.push("readonly");
  return names.join(":");
}

/** CSV as gen_esp32part.py writes and reads it (numeric offsets and sizes in hex). */
export function partitionTableToCsv(entries: readonly PartitionEntry[]): string {
  const rows = ["# ESP-IDF Partition Table", "# Name, Type, SubType, Offset, Size, Flags"];
  for (const e of entries) {
    rows.push([e.name, typeName(e.type), subtypeName(e.type, e.subtype), hex(e.offset), hex(e.size), flagNames(e.flags)].join(","));
  }
  return rows.join("\n") + "\n";
}

/** Parses gen_esp32part.py CSV: '#' comments, empty offsets placed after the previous
 *  partition at the type's alignment, the first one after the table sector. */
export function partitionTableFromCsv(text: string, tableOffset = 0x8000): PartitionEntry[] {
  const out: PartitionEntry[] = [];
  let lastEnd = tableOffset + TABLE_SECTOR_BYTES;
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) return;
    const at = `CSV line ${i + 1}`;
    try {
      const f = `${line},,,,`.split(",").map((s) => s.trim());
      if (f[1] === "") throw new PartitionTableError("type is empty");
      const type = parseType(f[1]!);
      if (f[2] === "" && type === TYPE_APP) throw new PartitionTableError("an app partition needs a subtype");
      const subtype = f[2] === "" ? DATA_SUBTYPES.undefined! : parseSubtype(type, f[2]!);
      if (f[4] === "") throw new PartitionTableError("size is empty");
      let offset: number;
      if (f[3] === "") {
        const align = type === TYPE_APP ? APP_ALIGN_BYTES : DATA_ALIGN_BYTES;
        offset = Math.ceil(lastEnd / align) * align;
      } else {
        offset = parseIntField(f[3]!, "offset");
        if (offset < lastEnd) throw new PartitionTableError(`offset ${hex(offset)} overlaps the previous partition or the table (ends ${hex(lastEnd)})`);
      }
      const size = parseIntField(f[4]!, "size");
      let flags = 0;
      for (const flag of f[5]!.split(":").filter((s) => s !== "")) {
        if (flag === "encrypted") flags |= FLAG_ENCRYPTED;
        else if (flag === "readonly") flags |= FLAG_READONLY;
        else throw new PartitionTableError(`unknown flag '${flag}'`);
      }
      const e: PartitionEntry = { name: f[0]!, type, subtype, offset, size, flags };
      checkEntry(e, "entry");
      out.push(e);
      lastEnd = offset + size;
    } catch (err) {
      throw new PartitionTableError(`${at}: ${err instanceof Error ? err.message : String(err)}`);
    }
  });
  return out;
}
