// A small fake ESP-IDF build directory for the factory tests: flasher_args.json as
// `idf.py build` writes it (components/esptool_py/flasher_args.json.in), a bootloader and
// an application that start with a valid ESP image header for the chip, and the board's
// partition table as ESP-IDF would build it from `offtap image partitions`.
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { loadBoard, partitionTableBinary } from "../../host/boards/index.ts";
import { CHIPS } from "../../host/flash/protocol.ts";

/** Deterministic filler (a build's code is not what these tests look at). */
function filler(bytes: number, salt: number): Uint8Array {
  const out = new Uint8Array(bytes);
  let x = 0x12345678 ^ salt;
  for (let i = 0; i < bytes; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

/** ESP image header (8) + extended header (16) with the chip id, then filler. */
export function espImage(chipId: number, bytes: number, salt: number): Uint8Array {
  const img = filler(bytes, salt);
  img.set([0xe9, 0x03, 0x02, 0x20, 0x00, 0x00, 0x08, 0x40], 0);
  img.set(
    [
      0xee,
      0x00,
      0x00,
      0x00,
      chipId & 0xff,
      chipId >> 8,
      0x00,
      0x00,
      0x00,
      0xff,
      0xff,
      0,
      0,
      0,
      0,
      0,
    ],
    8,
  );
  return img;
}

export interface FakeBuild {
  dir: string;
  bootloader: Uint8Array;
  table: Uint8Array;
  app: Uint8Array;
}

export function fakeIdfBuild(
  boardId: string,
  options: { chip?: string; table?: Uint8Array; appOffset?: number } = {},
): FakeBuild {
  const board = loadBoard(boardId);
  const family = options.chip ?? board.chip.family;
  const chipId = family === "esp32s3" ? 9 : 0;
  const dir = mkdtempSync(path.join(tmpdir(), "offtap-idf-build-"));
  mkdirSync(path.join(dir, "bootloader"));
  mkdirSync(path.join(dir, "partition_table"));
  const bootloader = espImage(chipId, 24_000, 1);
  const table = options.table ?? partitionTableBinary(board);
  const app = espImage(chipId, 90_000, 2);
  writeFileSync(path.join(dir, "bootloader", "bootloader.bin"), bootloader);
  writeFileSync(path.join(dir, "partition_table", "partition-table.bin"), table);
  writeFileSync(path.join(dir, "offtap-runtime.bin"), app);
  const hex = (n: number): string => `0x${n.toString(16)}`;
  const boot = hex(CHIPS[board.chip.family].bootloaderOffset);
  const appAt = hex(options.appOffset ?? 0x10000);
  const size = `${board.flash.sizeBytes >> 20}MB`;
  const args = {
    write_flash_args: ["--flash-mode", "dio", "--flash-size", size, "--flash-freq", "40m"],
    flash_settings: { flash_mode: "dio", flash_size: size, flash_freq: "40m" },
    flash_files: {
      [boot]: "bootloader/bootloader.bin",
      "0x8000": "partition_table/partition-table.bin",
      [appAt]: "offtap-runtime.bin",
    },
    bootloader: { offset: boot, file: "bootloader/bootloader.bin", encrypted: "false" },
    app: { offset: appAt, file: "offtap-runtime.bin", encrypted: "false" },
    "partition-table": {
      offset: "0x8000",
      file: "partition_table/partition-table.bin",
      encrypted: "false",
    },
    extra_esptool_args: { after: "hard_reset", before: "default_reset", stub: true, chip: family },
  };
  writeFileSync(path.join(dir, "flasher_args.json"), JSON.stringify(args, null, 4));
  return { dir, bootloader, table, app };
}
