// Board profiles (boards/<id>.json): loading, validation and the typed profile the
// simulator, the image builder and the flasher share. Validation runs the schema
// (boards/board.schema.json) first, then the rules a schema cannot express — partition
// alignment and overlaps, required partitions, pins, the RAM budget against the device
// profile — and reports every finding with its JSON path.
import { readFileSync, readdirSync } from "node:fs";
import path from "node:path";
import { repoRoot } from "../firmware/paths.ts";
import { validateSchema, type Json, type Schema } from "./schema.ts";
import {
  APP_ALIGN_BYTES, DATA_ALIGN_BYTES, FLAG_ENCRYPTED, FLAG_READONLY, OTADATA_BYTES, TABLE_SECTOR_BYTES, TYPE_APP, TYPE_DATA,
  parseIntField, parseSubtype, parseType, subtypeName, typeName, type PartitionEntry,
} from "./partitions.ts";
import { checkBoardPins } from "./pins.ts";

export const boardsDir = path.join(repoRoot, "boards");
export const boardSchemaPath = path.join(boardsDir, "board.schema.json");

/** Data subtypes of offtap's own partitions (ESP-IDF leaves 0x40 … 0x7F to applications). */
export const OFFTAP_SUBTYPES = { wasm: 0x40, ledger: 0x41, denylist: 0x42, config: 0x43 } as const;
export type OfftapPartitionName = keyof typeof OFFTAP_SUBTYPES;
/** Room in the `wasm` partition beyond the largest firmware: image header, provisioning block
 *  and signature (docs/IMAGE.md) take under 1.5 KiB; one spare sector keeps the rule simple. */
export const IMAGE_OVERHEAD_BYTES_MAX = 4096;
/** docs/LEDGER.md §1: 2 … LEDGER_SECTORS_MAX (assembly/limits.ts) sectors. */
export const LEDGER_SECTORS_MIN = 2;
export const LEDGER_SECTORS_MAX = 256;
const PAGE_BYTES = 65536;

/** The three numbers of the device profile (boards/wasm3-profile.json) a board is checked
 *  against. Read directly: tools/profile/ (which checks binaries against the whole profile)
 *  loads binaryen, which takes seconds and is not needed to read a board. */
export interface DeviceLimits { name: string; wasmBytesMax: number; memory: { pagesMax: number } }
export const deviceProfilePath = path.join(repoRoot, "boards", "wasm3-profile.json");

let deviceCache: DeviceLimits | undefined;
export function deviceLimits(): DeviceLimits {
  if (deviceCache === undefined) {
    const j = JSON.parse(readFileSync(deviceProfilePath, "utf8")) as { name?: unknown; wasmBytesMax?: unknown; memory?: { pagesMax?: unknown } };
    if (typeof j.name !== "string" || typeof j.wasmBytesMax !== "number" || typeof j.memory?.pagesMax !== "number") {
      throw new Error(`${deviceProfilePath}: name, wasmBytesMax and memory.pagesMax are required`);
    }
    deviceCache = { name: j.name, wasmBytesMax: j.wasmBytesMax, memory: { pagesMax: j.memory.pagesMax } };
  }
  return deviceCache;
}

export type BoardMode = "gate" | "kiosk";

export interface BoardPartition extends PartitionEntry {
  typeName: string;
  subtypeName: string;
}

export interface OutputSignal { pin: number; activeLevel: "high" | "low" }

export interface BoardProfile {
  id: string;
  name: string;
  description: string;
  abiVersion: number;
  deviceProfile: string;
  mode: BoardMode;
  chip: { family: "esp32" | "esp32s3"; module: string; cpuMhz: number; ramBytes: number };
  flash: { sizeBytes: number; sectorBytes: number; pageBytes: number; partitionTableOffset: number };
  nfc: {
    chip: "PN532" | "PN5180";
    bus: "spi" | "i2c" | "hsu";
    spi?: { host: string; clockHz: number; mode: number; bitOrder: "msb-first" | "lsb-first" };
    pins: Record<string, number>;
  };
  signals: {
    gateRelay?: OutputSignal & { pulseMs: number };
    ledGreen: OutputSignal;
    ledRed: OutputSignal;
    buzzer: OutputSignal;
    display: { kind: string; widthPx: number; heightPx: number; i2cAddress?: number; pins: Record<string, number> };
  };
  memory: { wasm3StackBytes: number; linearMemoryPages: number; heapBytes: number; reserveBytes: number };
  defaults: {
    currency: number; fare: number; amountMin: number; amountMax: number;
    nfcTimeoutMs: number; driftToleranceS: number; denyMaxAgeS: number;
  };
  partitions: BoardPartition[];
  /** Where the profile was read from (for messages). */
  source: string;
}

export interface BoardFinding { path: string; message: string }

export class BoardError extends Error {
  constructor(readonly source: string, readonly findings: BoardFinding[]) {
    super(findings.map((f) => `${source}: ${f.path}: ${f.message}`).join("\n"));
  }
}

export interface BoardCheck {
  board: BoardProfile | undefined;
  errors: BoardFinding[];
  warnings: BoardFinding[];
}

const hex = (n: number): string => `0x${n.toString(16)}`;
const kib = (n: number): string => (n % 1024 === 0 ? `${n / 1024} KiB` : `${n} bytes`);

let schemaCache: Schema | undefined;
function boardSchema(): Schema {
  schemaCache ??= JSON.parse(readFileSync(boardSchemaPath, "utf8")) as Schema;
  return schemaCache;
}

function address(v: Json | undefined): number {
  return typeof v === "number" ? v : parseIntField(String(v), "address");
}

/** Validates parsed JSON as a board profile; never throws for a bad document. */
export function checkBoard(json: Json, source: string, device: DeviceLimits = deviceLimits()): BoardCheck {
  const errors: BoardFinding[] = validateSchema(json, boardSchema());
  const warnings: BoardFinding[] = [];
  if (errors.length > 0) return { board: undefined, errors, warnings };
  const o = json as Record<string, Json>;
  const board = toProfile(o, source, errors);
  if (board === undefined) return { board, errors, warnings };
  const base = path.basename(source).replace(/\.json$/, "");
  if (source.endsWith(".json") && base !== board.id) errors.push({ path: "id", message: `'${board.id}' differs from the file name '${base}.json'` });
  checkDevice(board, device, errors);
  checkPartitions(board, device, errors);
  checkBoardPins(board, errors, warnings);
  checkNfcDriver(board, errors);
  checkDefaults(board, errors);
  return { board: errors.length === 0 ? board : undefined, errors, warnings };
}

function toProfile(o: Record<string, Json>, source: string, errors: BoardFinding[]): BoardProfile | undefined {
  const raw = o as unknown as Omit<BoardProfile, "partitions" | "flash" | "source"> & {
    flash: { sizeBytes: number; sectorBytes: number; pageBytes: number; partitionTableOffset: Json };
    partitions: { name: string; type: string; subtype: string; offset: Json; size: Json; flags?: string[] }[];
  };
  const partitions: BoardPartition[] = [];
  raw.partitions.forEach((p, i) => {
    try {
      const type = parseType(p.type);
      const subtype = parseSubtype(type, p.subtype);
      const flags = (p.flags ?? []).reduce((f, n) => f | (n === "encrypted" ? FLAG_ENCRYPTED : FLAG_READONLY), 0);
      partitions.push({
        name: p.name, type, subtype, offset: address(p.offset), size: address(p.size), flags,
        typeName: typeName(type), subtypeName: subtypeName(type, subtype),
      });
    } catch (e) {
      errors.push({ path: `partitions[${i}]`, message: (e as Error).message });
    }
  });
  if (errors.length > 0) return undefined;
  const strip = <T extends object>(x: T): T => JSON.parse(JSON.stringify(x, (k, v: unknown) => (k === "comment" ? undefined : v))) as T;
  return {
    id: raw.id, name: raw.name, description: raw.description ?? "", abiVersion: raw.abiVersion, deviceProfile: raw.deviceProfile,
    mode: raw.mode, chip: strip(raw.chip), nfc: strip(raw.nfc), signals: strip(raw.signals), memory: strip(raw.memory),
    defaults: strip(raw.defaults),
    flash: { sizeBytes: raw.flash.sizeBytes, sectorBytes: raw.flash.sectorBytes, pageBytes: raw.flash.pageBytes, partitionTableOffset: address(raw.flash.partitionTableOffset) },
    partitions, source,
  };
}

function checkDevice(b: BoardProfile, device: DeviceLimits, errors: BoardFinding[]): void {
  if (b.deviceProfile !== device.name) errors.push({ path: "deviceProfile", message: `'${b.deviceProfile}' is not the device profile '${device.name}' (boards/wasm3-profile.json)` });
  const m = b.memory;
  if (m.linearMemoryPages > device.memory.pagesMax) {
    errors.push({ path: "memory.linearMemoryPages", message: `${m.linearMemoryPages} pages exceed the device profile's ${device.memory.pagesMax}` });
  }
  if (m.heapBytes < device.wasmBytesMax) {
    errors.push({ path: "memory.heapBytes", message: `${kib(m.heapBytes)} cannot hold a ${kib(device.wasmBytesMax)} module, which WASM3 parses into its heap` });
  }
  const total = m.wasm3StackBytes + m.linearMemoryPages * PAGE_BYTES + m.heapBytes + m.reserveBytes;
  if (total > b.chip.ramBytes) {
    errors.push({ path: "memory", message: `stack ${kib(m.wasm3StackBytes)} + ${m.linearMemoryPages} pages + heap ${kib(m.heapBytes)} + reserve ${kib(m.reserveBytes)} = ${kib(total)} exceeds chip.ramBytes ${kib(b.chip.ramBytes)}` });
  }
}

/** NFC front ends the board runtime has a driver for (boards/runtime/drivers/), and on
 *  which host buses. A board whose front end is not here cannot take a tap. */
export const NFC_DRIVERS: Readonly<Record<string, readonly string[]>> = { PN532: ["spi", "hsu"] };

function checkNfcDriver(b: BoardProfile, errors: BoardFinding[]): void {
  const buses = NFC_DRIVERS[b.nfc.chip];
  if (buses === undefined) {
    errors.push({
      path: "nfc.chip",
      message: `the board runtime has no driver for the ${b.nfc.chip} (boards/runtime/drivers/ ` +
        `has: ${Object.keys(NFC_DRIVERS).join(", ")})`,
    });
  } else if (!buses.includes(b.nfc.bus)) {
    errors.push({
      path: "nfc.bus",
      message: `the runtime's ${b.nfc.chip} driver speaks ${buses.join(" and ")}, not ${b.nfc.bus}`,
    });
  }
}

const REQUIRED_DATA: readonly OfftapPartitionName[] = ["wasm", "ledger", "denylist", "config"];

function checkPartitions(b: BoardProfile, device: DeviceLimits, errors: BoardFinding[]): void {
  const ps = b.partitions;
  const tableEnd = b.flash.partitionTableOffset + TABLE_SECTOR_BYTES;
  if (b.flash.partitionTableOffset % DATA_ALIGN_BYTES !== 0) errors.push({ path: "flash.partitionTableOffset", message: `${hex(b.flash.partitionTableOffset)} is not 4 KiB aligned` });
  const seen = new Map<string, number>();
  ps.forEach((p, i) => {
    const at = `partitions[${i}]`;
    const prev = seen.get(p.name);
    if (prev !== undefined) errors.push({ path: `${at}.name`, message: `'${p.name}' is already the name of partitions[${prev}]` });
    seen.set(p.name, i);
    const app = p.type === TYPE_APP;
    const align = app ? APP_ALIGN_BYTES : DATA_ALIGN_BYTES;
    if (p.offset % align !== 0) errors.push({ path: `${at}.offset`, message: `${hex(p.offset)} is not ${kib(align)} aligned for ${app ? "an app" : "a data"} partition` });
    if (p.size === 0 || p.size % DATA_ALIGN_BYTES !== 0) errors.push({ path: `${at}.size`, message: `${hex(p.size)} is not a positive multiple of the 4 KiB flash sector` });
    if (p.offset < tableEnd) errors.push({ path: `${at}.offset`, message: `${hex(p.offset)} lies below the end of the partition table sector (${hex(tableEnd)})` });
    if (p.offset + p.size > b.flash.sizeBytes) errors.push({ path: `${at}.size`, message: `'${p.name}' ends at ${hex(p.offset + p.size)}, beyond the ${kib(b.flash.sizeBytes)} flash (${hex(b.flash.sizeBytes)})` });
    if (p.type !== TYPE_APP && p.type !== TYPE_DATA) errors.push({ path: `${at}.type`, message: `${hex(p.type)} is neither app nor data` });
  });
  const order = ps.map((p, i) => ({ p, i })).sort((x, y) => x.p.offset - y.p.offset);
  for (let k = 1; k < order.length; k++) {
    const a = order[k - 1]!;
    const c = order[k]!;
    if (c.p.offset < a.p.offset + a.p.size) {
      errors.push({ path: `partitions[${c.i}].offset`, message: `'${c.p.name}' at ${hex(c.p.offset)} overlaps '${a.p.name}' (partitions[${a.i}], ${hex(a.p.offset)} … ${hex(a.p.offset + a.p.size - 1)})` });
    }
  }
  checkRoles(b, device, errors);
}

function checkRoles(b: BoardProfile, device: DeviceLimits, errors: BoardFinding[]): void {
  const ps = b.partitions;
  const find = (name: string): [BoardPartition, number] | undefined => {
    const i = ps.findIndex((p) => p.name === name);
    return i < 0 ? undefined : [ps[i]!, i];
  };
  if (!ps.some((p) => p.type === TYPE_APP)) errors.push({ path: "partitions", message: "no app partition: the WASM3 runtime firmware needs a factory (or ota_0) partition" });
  const nvs = ps.find((p) => p.type === TYPE_DATA && p.subtype === 0x02);
  if (nvs === undefined) errors.push({ path: "partitions", message: "no nvs data partition: ESP-IDF's Wi-Fi/PHY calibration and key storage need one" });
  const otadata = ps.filter((p) => p.type === TYPE_DATA && p.subtype === 0x00);
  const otaApps = ps.filter((p) => p.type === TYPE_APP && p.subtype >= 0x10 && p.subtype < 0x20);
  if (otadata.length > 1) errors.push({ path: "partitions", message: "more than one otadata (data/ota) partition" });
  otadata.forEach((p) => { if (p.size !== OTADATA_BYTES) errors.push({ path: `partitions[${ps.indexOf(p)}].size`, message: `otadata must be 0x2000 bytes, is ${hex(p.size)}` }); });
  if (otaApps.length > 0 && otadata.length === 0) errors.push({ path: "partitions", message: "ota_N app partitions need an otadata partition" });
  for (const role of REQUIRED_DATA) {
    const f = find(role);
    if (f === undefined) { errors.push({ path: "partitions", message: `missing the '${role}' partition (offtap needs ${REQUIRED_DATA.join(", ")})` }); continue; }
    const [p, i] = f;
    if (p.type !== TYPE_DATA || p.subtype !== OFFTAP_SUBTYPES[role]) {
      errors.push({ path: `partitions[${i}]`, message: `'${role}' must be data/${hex(OFFTAP_SUBTYPES[role])}, is ${p.typeName}/${p.subtypeName}` });
    }
  }
  const sector = b.flash.sectorBytes;
  const wasm = find("wasm");
  if (wasm !== undefined && wasm[0].size < device.wasmBytesMax + IMAGE_OVERHEAD_BYTES_MAX) {
    errors.push({ path: `partitions[${wasm[1]}].size`, message: `${hex(wasm[0].size)} cannot hold an image with a ${kib(device.wasmBytesMax)} firmware (needs ${hex(device.wasmBytesMax + IMAGE_OVERHEAD_BYTES_MAX)})` });
  }
  const ledger = find("ledger");
  if (ledger !== undefined) {
    const sectors = ledger[0].size / sector;
    if (!Number.isInteger(sectors) || sectors < LEDGER_SECTORS_MIN || sectors > LEDGER_SECTORS_MAX) {
      errors.push({ path: `partitions[${ledger[1]}].size`, message: `${hex(ledger[0].size)} must be ${LEDGER_SECTORS_MIN} … ${LEDGER_SECTORS_MAX} whole ${kib(sector)} sectors (docs/LEDGER.md §1)` });
    }
  }
  const deny = find("denylist");
  if (deny !== undefined && deny[0].size % (2 * sector) !== 0) {
    errors.push({ path: `partitions[${deny[1]}].size`, message: `${hex(deny[0].size)} must be a multiple of two sectors (${hex(2 * sector)}, docs/LEDGER.md §1)` });
  }
}

function checkDefaults(b: BoardProfile, errors: BoardFinding[]): void {
  const d = b.defaults;
  if (d.amountMin > d.amountMax) errors.push({ path: "defaults.amountMin", message: `${d.amountMin} exceeds amountMax ${d.amountMax}` });
  if (b.mode === "gate" && (d.fare < d.amountMin || d.fare > d.amountMax)) {
    errors.push({ path: "defaults.fare", message: `a gate's fare ${d.fare} must lie within amountMin … amountMax (${d.amountMin} … ${d.amountMax})` });
  }
  if (b.mode === "kiosk" && d.fare !== 0) errors.push({ path: "defaults.fare", message: `a kiosk has no fixed fare: must be 0, is ${d.fare}` });
  if (b.mode === "gate" && b.signals.gateRelay === undefined) errors.push({ path: "signals", message: "a gate board needs signals.gateRelay" });
}

/** Reads and validates a profile file; throws BoardError listing every finding. */
export function loadBoardFile(file: string, device?: DeviceLimits): BoardProfile {
  const source = path.relative(repoRoot, file).startsWith("..") ? file : path.relative(repoRoot, file);
  let json: Json;
  try {
    json = JSON.parse(readFileSync(file, "utf8")) as Json;
  } catch (e) {
    throw new BoardError(source, [{ path: "(file)", message: (e as Error).message }]);
  }
  const r = checkBoard(json, source, device);
  if (r.board === undefined) throw new BoardError(source, r.errors);
  return r.board;
}

/** The ids of the profiles in boards/ (every boards/*.json except the schema and device profile). */
export function listBoards(dir = boardsDir): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith(".json") && f !== "board.schema.json" && !f.endsWith("-profile.json"))
    .map((f) => f.slice(0, -5))
    .sort();
}

/** Loads boards/<id>.json, validated. Throws BoardError for an unknown id or a bad profile. */
export function loadBoard(id: string, dir = boardsDir): BoardProfile {
  if (!/^[a-z0-9][a-z0-9-]{1,47}$/.test(id) || !listBoards(dir).includes(id)) {
    throw new BoardError(`boards/${id}.json`, [{ path: "(file)", message: `no board '${id}' (known: ${listBoards(dir).join(", ")})` }]);
  }
  return loadBoardFile(path.join(dir, `${id}.json`));
}
