// `offtap flash emulate`: an ESP32 / ESP32-S3 ROM loader on a pseudo-terminal, for trying
// offtap flash, esptool or esptool-js without a board (docs/FLASHING.md, "The emulator").
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import process from "node:process";
import { EXIT_OK, UsageError } from "../command.ts";
import { parse } from "../args.ts";
import { openPtyPair } from "../../serial/pty.ts";
import { RomEmulator } from "../../flash/emulator.ts";

const HELP = `usage: offtap flash emulate --port PATH [--chip esp32|esp32s3] [--flash-size 4MB|8MB]
                            [--mac XX:XX:XX:XX:XX:XX] [--flash-file FILE] [--json]

Creates PATH (a link to a pseudo-terminal) and answers on it as the chip's ROM loader in
download mode until interrupted: SYNC, READ_REG/WRITE_REG (chip magic, eFuse MAC, the SPI
registers that read the flash id), SPI_ATTACH, SPI_SET_PARAMS, FLASH_*, FLASH_DEFL_*,
SPI_FLASH_MD5, READ_FLASH_SLOW, CHANGE_BAUDRATE (the rate PATH is set to is read back with
stty: at another rate than the emulated UART's, requests are lost), FLASH_END (0 reboots,
1 runs the application: the loader stops answering). A pseudo-terminal has no DTR/RTS, so
connect with --before no-reset (esptool: --before no_reset).

  --port PATH        where to create the port (must not exist); socat must be installed
  --chip C           esp32 (default) or esp32s3
  --flash-size S     4MB (default) or 8MB
  --mac MAC          the eFuse MAC (default 24:0a:c4:00:01:02)
  --flash-file FILE  the emulated flash: loaded from FILE when it exists (erased otherwise),
                     written back to FILE when stopped, so a session can be continued
  --json             one JSON line when ready, one when stopped`;

const SIZES: Readonly<Record<string, number>> = { "4MB": 4 << 20, "8MB": 8 << 20 };

export async function runEmulate(argv: string[]): Promise<number> {
  if (argv.includes("--help") || argv.includes("-h")) {
    console.log(HELP);
    return EXIT_OK;
  }
  const { values } = parse(argv, {
    port: { type: "string" },
    chip: { type: "string" },
    "flash-size": { type: "string" },
    mac: { type: "string" },
    "flash-file": { type: "string" },
    json: { type: "boolean" },
  });
  const port = values.port;
  if (port === undefined) throw new UsageError("--port PATH is required");
  if (/[\s,:!]/.test(port))
    throw new UsageError(`--port ${port}: use a path without spaces, commas, colons or '!'`);
  const chip = values.chip ?? "esp32";
  if (chip !== "esp32" && chip !== "esp32s3") throw new UsageError("--chip is esp32 or esp32s3");
  const sizeName = values["flash-size"] ?? "4MB";
  const flashSizeBytes = SIZES[sizeName];
  if (flashSizeBytes === undefined) throw new UsageError("--flash-size is 4MB or 8MB");
  const mac = values.mac === undefined ? undefined : parseMac(values.mac);
  let pair;
  try {
    pair = await openPtyPair({ hostLink: port });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const emu = await RomEmulator.start(pair.devicePath, {
    chip,
    flashSizeBytes,
    peerPath: pair.hostPath,
    mac,
    bootBanner: true,
  });
  const flashFile = values["flash-file"];
  if (flashFile !== undefined && existsSync(flashFile)) loadFlash(emu.flash, flashFile);
  const json = values.json === true;
  const ready = { ready: true, port, chip, flashSizeBytes };
  console.log(
    json
      ? JSON.stringify(ready)
      : `emulating the ${emu.chip.name} ROM loader (${sizeName} flash) on ${port}; Ctrl-C stops`,
  );
  await new Promise<void>((resolve) => {
    process.once("SIGINT", () => resolve());
    process.once("SIGTERM", () => resolve());
  });
  await emu.stop();
  await pair.close();
  if (flashFile !== undefined) writeFileSync(flashFile, emu.flash);
  const done = {
    stopped: true,
    commands: emu.log.length,
    garbledPackets: emu.garbledPackets,
    flashFile: flashFile ?? null,
  };
  const saved = flashFile === undefined ? "" : `; flash written to ${flashFile}`;
  console.log(json ? JSON.stringify(done) : `stopped after ${emu.log.length} commands${saved}`);
  return EXIT_OK;
}

function loadFlash(flash: Uint8Array, file: string): void {
  const bytes = readFileSync(file);
  if (bytes.length !== flash.length) {
    throw new UsageError(
      `--flash-file ${file} holds ${bytes.length} bytes, the emulated flash ${flash.length}`,
    );
  }
  flash.set(bytes);
}

function parseMac(text: string): number[] {
  const parts = text.split(":");
  if (parts.length !== 6 || parts.some((p) => !/^[0-9a-fA-F]{2}$/.test(p)))
    throw new UsageError(`--mac ${text} is not XX:XX:XX:XX:XX:XX`);
  return parts.map((p) => Number.parseInt(p, 16));
}
