// The runtime application from an ESP-IDF build directory: `flasher_args.json` (written by
// `idf.py build`) names every file and its flash offset. Each is checked against the board
// profile before anything is written: the chip, the bootloader's offset for that chip, the
// partition table (it must be the board's own, byte for byte), the application's offset
// and size (the board's factory partition), and the ESP image headers.
import { existsSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { partitionTableBinary, type BoardProfile } from "../boards/index.ts";
import { CHIPS } from "./protocol.ts";
import type { FlashRegion } from "./flash.ts";

export class BuildDirError extends Error {}

/** First byte of every ESP-IDF image (bootloader, application). */
export const ESP_IMAGE_MAGIC = 0xe9;
/** ESP image header (8 bytes) + extended header (16): chip id at byte 12. */
const ESP_IMAGE_HEADER_BYTES = 24;
const CHIP_ID_AT = 12;
/** esptool's IMAGE_CHIP_ID per family. */
const IMAGE_CHIP_IDS: Readonly<Record<string, number>> = { esp32: 0, esp32s3: 9 };
/** Files from a build directory are read whole; none of them comes near this. */
const BUILD_FILE_BYTES_MAX = 16 << 20;

export interface BuildFile extends FlashRegion {
  /** Path of the file, relative to the build directory. */
  file: string;
}

export interface IdfBuild {
  dir: string;
  chip: string;
  flashSize: string | undefined;
  files: BuildFile[];
}

type Json = Record<string, unknown>;

function obj(v: unknown, what: string): Json {
  if (typeof v !== "object" || v === null || Array.isArray(v))
    throw new BuildDirError(`flasher_args.json: ${what} is not an object`);
  return v as Json;
}

/** Reads `DIR/flasher_args.json` and the files it names. */
export function readIdfBuild(dir: string): IdfBuild {
  const argsPath = path.join(dir, "flasher_args.json");
  if (!existsSync(argsPath)) {
    throw new BuildDirError(
      `${dir} has no flasher_args.json — give the ESP-IDF build directory of the runtime (after ` +
      `idf.py build)`,
    );
  }
  let json: Json;
  try {
    json = obj(JSON.parse(readFileSync(argsPath, "utf8")), "the file");
  } catch (err) {
    if (err instanceof BuildDirError) throw err;
    throw new BuildDirError(`${argsPath}: not JSON (${(err as Error).message})`);
  }
  const extra = obj(json["extra_esptool_args"] ?? {}, "extra_esptool_args");
  const settings = obj(json["flash_settings"] ?? {}, "flash_settings");
  const names = new Map<string, string>();
  for (const [name, entry] of Object.entries(json)) {
    if (typeof entry === "object" && entry !== null && "offset" in entry && "file" in entry)
      names.set(String((entry as Json)["file"]), name);
  }
  const files: BuildFile[] = [];
  for (const [offsetText, file] of Object.entries(obj(json["flash_files"], "flash_files"))) {
    if (typeof file !== "string")
      throw new BuildDirError(`flasher_args.json: file at ${offsetText} is not a path`);
    const offset = Number(offsetText);
    if (!Number.isInteger(offset) || offset < 0)
      throw new BuildDirError(`flasher_args.json: '${offsetText}' is not an offset`);
    const full = path.resolve(dir, file);
    if (!full.startsWith(path.resolve(dir) + path.sep))
      throw new BuildDirError(`flasher_args.json: ${file} is outside the build directory`);
    if (!existsSync(full) || !statSync(full).isFile())
      throw new BuildDirError(
        `${dir}: ${file} (named in flasher_args.json) is missing — rebuild with idf.py build`,
      );
    if (statSync(full).size > BUILD_FILE_BYTES_MAX)
      throw new BuildDirError(`${file} is larger than any flash`);
    files.push({
      name: names.get(file) ?? path.basename(file),
      offset,
      file,
      data: new Uint8Array(readFileSync(full)),
    });
  }
  files.sort((a, b) => a.offset - b.offset);
  const flashSize = typeof settings["flash_size"] === "string" ? settings["flash_size"] : undefined;
  return { dir, chip: String(extra["chip"] ?? ""), flashSize, files };
}

/** What must hold for the build to go on `board`; returns the regions to write. */
export function checkIdfBuild(build: IdfBuild, board: BoardProfile): BuildFile[] {
  const family = board.chip.family;
  const chip = CHIPS[family];
  if (build.chip !== family) {
    throw new BuildDirError(
      `${build.dir} was built for ${build.chip || "an unknown chip"}, board ${board.id} has an ` +
      `${chip.name} (idf.py set-target ${family})`,
    );
  }
  const find = (name: string): BuildFile => {
    const f = build.files.find((x) => x.name === name);
    if (f === undefined)
      throw new BuildDirError(`${build.dir}: flasher_args.json names no ${name}`);
    return f;
  };
  const boot = find("bootloader");
  if (boot.offset !== chip.bootloaderOffset) {
    throw new BuildDirError(
      `bootloader at 0x${boot.offset.toString(16)}, but the ${chip.name} boots from ` +
      `0x${chip.bootloaderOffset.toString(16)}`,
    );
  }
  checkEspImage(boot, family);
  const table = find("partition-table");
  const ours = partitionTableBinary(board);
  if (table.offset !== board.flash.partitionTableOffset || !sameBytes(table.data, ours)) {
    throw new BuildDirError(
      `the build's partition table (${table.file} at 0x${table.offset.toString(16)}) is not ` +
      `board ${board.id}'s ` +
        "— build the runtime with `offtap image partitions --board " +
        board.id +
        " --format csv` as its table",
    );
  }
  const app = find("app");
  const apps = board.partitions.filter((p) => p.typeName === "app");
  const factory = apps.find((p) => p.subtypeName === "factory") ?? apps[0];
  if (factory === undefined || app.offset !== factory.offset) {
    throw new BuildDirError(
      `the application goes to 0x${app.offset.toString(16)}, but board ${board.id}'s factory ` +
      `partition is at 0x${(factory?.offset ?? 0).toString(16)}`,
    );
  }
  if (app.data.length > factory.size)
    throw new BuildDirError(
      `the application (${app.data.length} bytes) does not fit the ${factory.size}-byte factory ` +
      `partition`,
    );
  checkEspImage(app, family);
  for (const f of build.files) checkInside(f, board, boot.offset);
  return build.files;
}

function checkEspImage(f: BuildFile, family: string): void {
  if (f.data.length < ESP_IMAGE_HEADER_BYTES || f.data[0] !== ESP_IMAGE_MAGIC) {
    throw new BuildDirError(`${f.file} is not an ESP-IDF image (no 0xE9 header)`);
  }
  const chipId = f.data[CHIP_ID_AT]! | (f.data[CHIP_ID_AT + 1]! << 8);
  if (chipId !== IMAGE_CHIP_IDS[family])
    throw new BuildDirError(
      `${f.file} is an image for chip id ${chipId}, not the board's ${family}`,
    );
}

/** Every file lies in one partition of the board, or below the partition table (bootloader). */
function checkInside(f: BuildFile, board: BoardProfile, bootOffset: number): void {
  const end = f.offset + f.data.length;
  if (end > board.flash.sizeBytes)
    throw new BuildDirError(
      `${f.file} runs past the end of the ${board.flash.sizeBytes}-byte flash`,
    );
  if (f.offset >= bootOffset && end <= board.flash.partitionTableOffset) return;
  if (f.name === "partition-table") return;
  const part = board.partitions.find((p) => f.offset >= p.offset && end <= p.offset + p.size);
  if (part === undefined)
    throw new BuildDirError(
      `${f.file} at 0x${f.offset.toString(16)} is not inside any partition of board ${board.id}`,
    );
  if (part.name === "wasm" || part.name === "nvs")
    throw new BuildDirError(
      `${f.file} would overwrite the ${part.name} partition, which --factory writes itself`,
    );
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
