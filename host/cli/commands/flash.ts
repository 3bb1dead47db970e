// `offtap flash`: write a signed image to a board's wasm partition through the ESP32 ROM
// bootloader over USB serial (docs/FLASHING.md).
import { existsSync, readFileSync, statSync } from "node:fs";
import type { Command } from "../command.ts";
import { EXIT_FAILED, EXIT_OK, EXIT_USAGE, UsageError } from "../command.ts";
import { intFlag, parse } from "../args.ts";
import { Progress, green, table } from "../output.ts";
import { BoardError, loadBoard } from "../../boards/index.ts";
import { PlanError, planFlash, planJson, type FlashPlan } from "../../flash/plan.ts";
import {
  flashImage,
  type AfterMode,
  type BeforeMode,
  type FlashReport,
} from "../../flash/flash.ts";
import { DEFAULT_TIMING, FlashError } from "../../flash/loader.ts";
import { BAUD_RATES, SerialError } from "../../serial/transport.ts";
import { runEmulate } from "./flash-emulate.ts";
import { runNvs, runRead } from "./flash-read.ts";
import { FACTORY_HELP, runFactory } from "./flash-factory.ts";

const ATTEMPTS = DEFAULT_TIMING.connectAttempts;
const TIMEOUT_MS = DEFAULT_TIMING.commandTimeoutMs;
const HELP = `usage: offtap flash --board B --port PORT IMAGE [options]
       offtap flash --factory --board B --app DIR --port PORT IMAGE --release-key FILE
       offtap flash emulate --port PATH [--chip esp32|esp32s3] [--flash-size 4MB|8MB]
       offtap flash read --board B --port PORT --partition NAME --out FILE
       offtap flash nvs FILE [--nvs-keys FILE]

Writes IMAGE (a signed offtap image, docs/IMAGE.md) to the wasm partition of board B
(boards/B.json) through the ESP32 ROM bootloader: reset into download mode, sync, chip
check, baud change, compressed write, MD5 check of the flash, reset into the application.

  --board B             board profile id: partition table, flash size, chip family
  --port PORT           the board's serial port, e.g. /dev/ttyUSB0 (not needed with --dry-run)
  --baud N              baud rate for the write (default 460800; the ROM starts at 115200)
  --no-compress         send plain FLASH_DATA blocks instead of deflate-compressed ones
  --raw                 accept a file that is not an offtap image and write it as it is
  --before MODE         default-reset (esptool's DTR/RTS sequences into download mode),
                        usb-reset (ESP32-S3 on its own USB port; chosen by itself when the
                        port is USB 303a:1001) or no-reset
  --after MODE          hard-reset (EN pulsed through RTS: boots the application) or
                        no-reset (stays in the ROM loader)
  --connect-attempts N  reset-and-sync rounds before giving up (default ${ATTEMPTS})
  --timeout MS          answer timeout per command (default ${TIMEOUT_MS}); erase,
                        write and MD5 timeouts scale with size and never drop below it
  --dry-run             show what would be written where, without opening the port
  --json                print the plan or the result as JSON

Exit codes: 0 written and verified; 1 flashing failed (no answer, busy port, chip or
MD5 mismatch); 2 usage or input error (unknown board, image too big or for another
board, port that does not exist).`;

interface Flags {
  board: string;
  port: string | undefined;
  image: string;
  baud: number;
  compress: boolean;
  raw: boolean;
  before: BeforeMode;
  after: AfterMode;
  connectAttempts: number;
  timeoutMs: number;
  dryRun: boolean;
  json: boolean;
}

function parseFlags(argv: string[]): Flags {
  const { values, positionals } = parse(
    argv,
    {
      board: { type: "string" },
      port: { type: "string" },
      baud: { type: "string" },
      "no-compress": { type: "boolean" },
      raw: { type: "boolean" },
      before: { type: "string" },
      after: { type: "string" },
      "connect-attempts": { type: "string" },
      timeout: { type: "string" },
      "dry-run": { type: "boolean" },
      json: { type: "boolean" },
    },
    true,
  );
  if (values.board === undefined) throw new UsageError("--board is required");
  if (positionals.length !== 1)
    throw new UsageError(
      positionals.length === 0 ? "give the image file to flash" : "give exactly one image file",
    );
  const dryRun = values["dry-run"] === true;
  if (values.port === undefined && !dryRun)
    throw new UsageError("--port is required (or use --dry-run)");
  const baud = intFlag("baud", values.baud, 460800);
  if (!(BAUD_RATES as readonly number[]).includes(baud))
    throw new UsageError(`--baud ${baud} is not one of ${BAUD_RATES.join(", ")}`);
  const before = values.before ?? "default-reset";
  if (before !== "default-reset" && before !== "usb-reset" && before !== "no-reset") {
    throw new UsageError("--before is default-reset, usb-reset or no-reset");
  }
  const after = values.after ?? "hard-reset";
  if (after !== "hard-reset" && after !== "no-reset")
    throw new UsageError("--after is hard-reset or no-reset");
  const connectAttempts = intFlag(
    "connect-attempts",
    values["connect-attempts"],
    DEFAULT_TIMING.connectAttempts,
    100,
  );
  const timeoutMs = intFlag("timeout", values.timeout, DEFAULT_TIMING.commandTimeoutMs, 600_000);
  if (connectAttempts < 1 || timeoutMs < 10)
    throw new UsageError("--connect-attempts must be ≥ 1 and --timeout ≥ 10 ms");
  return {
    board: values.board,
    port: values.port,
    image: positionals[0]!,
    baud,
    compress: values["no-compress"] !== true,
    raw: values.raw === true,
    before,
    after,
    connectAttempts,
    timeoutMs,
    dryRun,
    json: values.json === true,
  };
}

function makePlan(f: Flags): FlashPlan {
  if (!existsSync(f.image) || !statSync(f.image).isFile())
    throw new UsageError(`no such file: ${f.image}`);
  try {
    const board = loadBoard(f.board);
    return planFlash({
      board,
      imagePath: f.image,
      image: new Uint8Array(readFileSync(f.image)),
      compress: f.compress,
      allowRaw: f.raw,
    });
  } catch (err) {
    if (err instanceof BoardError || err instanceof PlanError) throw new UsageError(err.message);
    throw err;
  }
}

/** Whether `path` is an ESP32-S3's USB-JTAG-serial port (Espressif VID 303a, PID 1001),
 *  whose reset sequence differs; false when the port list cannot tell. */
export async function isUsbJtagSerial(path: string): Promise<boolean> {
  try {
    const { SerialPort } = await import("serialport");
    const found = (await SerialPort.list()).find((p) => p.path === path);
    return found?.vendorId?.toLowerCase() === "303a" && found.productId?.toLowerCase() === "1001";
  } catch {
    return false;
  }
}

const hex = (n: number): string => `0x${n.toString(16)}`;

function printPlan(plan: FlashPlan, port: string | undefined): void {
  const what = plan.imageFormat === "raw" ? "raw bytes" : `offtap image for ${plan.imageBoardId}`;
  console.log(
    `${port === undefined ? "Would write" : "Writing"} ${plan.imagePath} (${what}) to board ` +
      `${plan.boardId} (${plan.chip})${port === undefined ? "" : ` on ${port}`}:`,
  );
  console.log(
    table([
      [
        "partition",
        "offset",
        "size",
        "image",
        plan.compress ? "compressed" : "sent",
        "blocks",
        "md5",
      ],
      [
        plan.partition.name,
        hex(plan.partition.offset),
        String(plan.partition.size),
        String(plan.image.length),
        String(plan.payloadBytes),
        `${plan.blocks}×${plan.blockBytes}`,
        plan.md5,
      ],
    ]),
  );
}

function printReport(r: FlashReport): void {
  console.log(
    `${green("ok")} ${r.chip} (MAC ${r.mac}, flash ${r.flashId}) on ${r.port} at ${r.baudRate} ` +
      `baud: wrote ${r.imageBytes} bytes at ${hex(r.offset)} ` +
      `(${r.bytesSent} sent in ${r.blocks} blocks), MD5 ${r.md5} verified; ${resetText(r.reset)}` +
      `${r.retries > 0 ? `; ${r.retries} retried command(s)` : ""} in ` +
      `${(r.durationMs / 1000).toFixed(1)} s`,
  );
}

export function resetText(reset: FlashReport["reset"]): string {
  if (reset === "hard-reset") return "reset into the application (EN through RTS)";
  if (reset === "watchdog") return "reset into the application (RTC watchdog)";
  return "not reset (--after no-reset, or the port has no RTS: press EN)";
}

/** Serial and protocol failures → a message and an exit code. A port that does not exist is an
 *  input error. */
export function failure(err: unknown, json: boolean): number {
  let code: number;
  let kind: string;
  if (err instanceof SerialError) {
    kind = err.kind;
    code = err.kind === "not-found" ? EXIT_USAGE : EXIT_FAILED;
  } else if (err instanceof FlashError) {
    kind = err.kind;
    code = EXIT_FAILED;
  } else throw err;
  const message = (err as Error).message;
  // One line in the CLI's error style; the messages carry their own advice after a dash.
  if (json) console.log(JSON.stringify({ ok: false, error: kind, message }, null, 2));
  else console.error(`offtap flash: ${message}`);
  return code;
}

export const command: Command = {
  name: "flash",
  summary: "write a signed image to a board over USB serial (ESP32 ROM bootloader)",
  async run(argv: string[]): Promise<number> {
    if (argv[0] === "emulate") return runEmulate(argv.slice(1));
    if (argv[0] === "read") return runRead(argv.slice(1));
    if (argv[0] === "nvs") return runNvs(argv.slice(1));
    if (argv.includes("--factory")) {
      if (argv.includes("--help") || argv.includes("-h")) {
        console.log(FACTORY_HELP);
        return EXIT_OK;
      }
      return runFactory(argv);
    }
    if (argv.includes("--help") || argv.includes("-h")) {
      console.log(HELP);
      return EXIT_OK;
    }
    const f = parseFlags(argv);
    const plan = makePlan(f);
    if (f.dryRun) {
      if (f.json)
        console.log(
          JSON.stringify({ dryRun: true, port: f.port ?? null, ...planJson(plan) }, null, 2),
        );
      else printPlan(plan, undefined);
      return EXIT_OK;
    }
    if (!f.json) printPlan(plan, f.port);
    const progress = new Progress("flash", plan.blocks);
    try {
      const report = await flashImage(plan, {
        port: f.port!,
        baudRate: f.baud,
        before: f.before,
        after: f.after,
        usbJtagSerial: await isUsbJtagSerial(f.port!),
        timing: { connectAttempts: f.connectAttempts, commandTimeoutMs: f.timeoutMs },
        onProgress: (p) => progress.update(p.blocksDone),
        note: (m) => {
          progress.finish();
          console.error(`note: ${m}`);
        },
      });
      progress.finish();
      if (f.json) console.log(JSON.stringify({ ok: true, ...planJson(plan), ...report }, null, 2));
      else printReport(report);
      return EXIT_OK;
    } catch (err) {
      progress.finish();
      return failure(err, f.json);
    }
  },
};
