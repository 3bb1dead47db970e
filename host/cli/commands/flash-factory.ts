// `offtap flash --factory`: bootloader, partition table, runtime application (from an
// ESP-IDF build directory), this board's signed image and an NVS partition with a device
// seed made here — one session, one enrolment file (docs/FLASHING.md, "A whole board").
import { existsSync, readFileSync, statSync } from "node:fs";
import { EXIT_OK, UsageError } from "../command.ts";
import { intFlag, parse } from "../args.ts";
import { Progress, green, table } from "../output.ts";
import { BoardError, loadBoard, type BoardProfile } from "../../boards/index.ts";
import { DEFAULT_TIMING } from "../../flash/loader.ts";
import { BAUD_RATES } from "../../serial/transport.ts";
import { BuildDirError, readIdfBuild } from "../../flash/idf-build.ts";
import { BindError } from "../../flash/bind.ts";
import {
  FactoryError,
  factoryLayout,
  flashFactory,
  type FactoryInput,
} from "../../flash/factory.ts";
import { writeEnrolment } from "../../flash/enrolment.ts";
import { NvsError, decodeNvsKeys } from "../../nvs/index.ts";
import { devReleaseKey, readReleaseKeyFile, ImageFormatError } from "../../image/index.ts";
import type { AfterMode, BeforeMode } from "../../flash/flash.ts";
import { failure, isUsbJtagSerial, resetText } from "./flash.ts";

export const FACTORY_HELP = `usage: offtap flash --factory --board B --app DIR --port PORT IMAGE
                    (--release-key FILE | --dev-key) [--reader-id HEX] [--enrol FILE] [options]

Provisions a factory-fresh board in one session: the second-stage bootloader (at the chip's
offset), the partition table, the runtime application from the ESP-IDF build directory DIR
(its flasher_args.json), this board's image and an NVS partition holding the device seed.
The seed is made on this machine for this board, kept in memory only and wiped after the
session. IMAGE is the release image (its key reference must name an NVS namespace/key);
this board's copy carries the new device public key (and --reader-id) and is signed again
with the release key. The public key is printed and written to the enrolment file, which
\`offtap clear reader import FILE --operator NAME\` registers with clearing.

  --app DIR             ESP-IDF build directory of the runtime (flasher_args.json)
  --release-key FILE    the release key that signed IMAGE (offtap image keygen)
  --dev-key             the board's development release key instead (development only)
  --reader-id HEX       8-byte reader id for this board (default: the one in IMAGE)
  --nvs-keys FILE       write the NVS partition encrypted with the keys in FILE (an NVS keys
                        partition image; the board must hold the same keys, docs/NVS.md)
  --enrol FILE          enrolment file to write (default enrol-READERID.json); never replaced
  --baud, --before, --after, --connect-attempts, --timeout, --no-compress, --json: as for a
                        plain flash; --dry-run checks everything and shows the layout`;

interface FactoryFlags {
  board: BoardProfile;
  app: string;
  image: string;
  port: string | undefined;
  releaseKey: string | undefined;
  devKey: boolean;
  readerId: Uint8Array | undefined;
  enrol: string | undefined;
  nvsKeys: string | undefined;
  baud: number;
  before: BeforeMode;
  after: AfterMode;
  compress: boolean;
  connectAttempts: number;
  timeoutMs: number;
  dryRun: boolean;
  json: boolean;
}

function parseFactory(argv: string[]): FactoryFlags {
  const { values, positionals } = parse(
    argv,
    {
      factory: { type: "boolean" },
      board: { type: "string" },
      app: { type: "string" },
      port: { type: "string" },
      "release-key": { type: "string" },
      "dev-key": { type: "boolean" },
      "reader-id": { type: "string" },
      enrol: { type: "string" },
      "nvs-keys": { type: "string" },
      baud: { type: "string" },
      before: { type: "string" },
      after: { type: "string" },
      "no-compress": { type: "boolean" },
      "connect-attempts": { type: "string" },
      timeout: { type: "string" },
      "dry-run": { type: "boolean" },
      json: { type: "boolean" },
    },
    true,
  );
  if (values.board === undefined || values.app === undefined)
    throw new UsageError("--factory needs --board B and --app DIR");
  if (positionals.length !== 1) throw new UsageError("give exactly one release image");
  if ((values["release-key"] === undefined) === (values["dev-key"] !== true))
    throw new UsageError("give --release-key FILE or --dev-key (one of them)");
  const dryRun = values["dry-run"] === true;
  if (values.port === undefined && !dryRun)
    throw new UsageError("--port is required (or use --dry-run)");
  const readerIdText = values["reader-id"];
  if (readerIdText !== undefined && !/^[0-9a-fA-F]{16}$/.test(readerIdText))
    throw new UsageError("--reader-id is 16 hex digits");
  const baud = intFlag("baud", values.baud, 460800);
  if (!(BAUD_RATES as readonly number[]).includes(baud))
    throw new UsageError(`--baud ${baud} is not one of ${BAUD_RATES.join(", ")}`);
  const before = values.before ?? "default-reset";
  if (before !== "default-reset" && before !== "usb-reset" && before !== "no-reset")
    throw new UsageError("--before is default-reset, usb-reset or no-reset");
  const after = values.after ?? "hard-reset";
  if (after !== "hard-reset" && after !== "no-reset")
    throw new UsageError("--after is hard-reset or no-reset");
  let board: BoardProfile;
  try {
    board = loadBoard(values.board);
  } catch (err) {
    if (err instanceof BoardError) throw new UsageError(err.message);
    throw err;
  }
  return {
    board,
    app: values.app,
    image: positionals[0]!,
    port: values.port,
    releaseKey: values["release-key"],
    devKey: values["dev-key"] === true,
    readerId:
      readerIdText === undefined ? undefined : new Uint8Array(Buffer.from(readerIdText, "hex")),
    enrol: values.enrol,
    nvsKeys: values["nvs-keys"],
    baud,
    before,
    after,
    compress: values["no-compress"] !== true,
    connectAttempts: intFlag(
      "connect-attempts",
      values["connect-attempts"],
      DEFAULT_TIMING.connectAttempts,
      100,
    ),
    timeoutMs: intFlag("timeout", values.timeout, DEFAULT_TIMING.commandTimeoutMs, 600_000),
    dryRun,
    json: values.json === true,
  };
}

function factoryInput(f: FactoryFlags): FactoryInput {
  if (!existsSync(f.image) || !statSync(f.image).isFile())
    throw new UsageError(`no such file: ${f.image}`);
  try {
    const releaseKey = f.devKey ? devReleaseKey(f.board.id) : readReleaseKeyFile(f.releaseKey!);
    return {
      board: f.board,
      build: readIdfBuild(f.app),
      releaseImage: new Uint8Array(readFileSync(f.image)),
      releaseKey,
      readerId: f.readerId,
      compress: f.compress,
      nvsKey: f.nvsKeys === undefined ? undefined : readNvsKeys(f.nvsKeys),
    };
  } catch (err) {
    throw usageFrom(err);
  }
}

/** An NVS keys partition image (nvs_partition_gen.py generate-key writes one). */
function readNvsKeys(file: string): Uint8Array {
  if (!existsSync(file)) throw new UsageError(`no such file: ${file}`);
  try {
    return decodeNvsKeys(new Uint8Array(readFileSync(file)));
  } catch (err) {
    if (err instanceof NvsError) throw new UsageError(`--nvs-keys ${file}: ${err.message}`);
    throw err;
  }
}

function usageFrom(err: unknown): unknown {
  const known =
    err instanceof BuildDirError ||
    err instanceof BindError ||
    err instanceof FactoryError ||
    err instanceof ImageFormatError;
  if (known || (err instanceof Error && /release key/i.test(err.message)))
    return new UsageError((err as Error).message);
  return err;
}

const hex = (n: number): string => `0x${n.toString(16)}`;

export async function runFactory(argv: string[]): Promise<number> {
  const f = parseFactory(argv);
  const input = factoryInput(f);
  let layout;
  try {
    layout = factoryLayout(input);
  } catch (err) {
    throw usageFrom(err);
  }
  const rows = [
    ["region", "offset", "bytes"],
    ...layout.regions.map((r) => [r.name, hex(r.offset), String(r.bytes)]),
  ];
  if (f.dryRun) {
    if (f.json)
      console.log(JSON.stringify({ dryRun: true, board: f.board.id, ...layout }, null, 2));
    else
      console.log(
        `Would provision board ${f.board.id} (seed made at flash time, NVS ` +
          `${layout.nvs.namespace}/${layout.nvs.key}):\n${table(rows)}`,
      );
    return EXIT_OK;
  }
  if (!f.json) console.log(`Provisioning board ${f.board.id} on ${f.port}:\n${table(rows)}`);
  const progress = new Progress("flash", 1);
  try {
    const r = await flashFactory(input, {
      port: f.port!,
      baudRate: f.baud,
      before: f.before,
      after: f.after,
      usbJtagSerial: await isUsbJtagSerial(f.port!),
      timing: { connectAttempts: f.connectAttempts, commandTimeoutMs: f.timeoutMs },
      note: (m) => {
        progress.finish();
        console.error(`note: ${m}`);
      },
    });
    progress.finish();
    const enrolPath = f.enrol ?? `enrol-${r.enrolment.readerId}.json`;
    writeEnrolment(enrolPath, r.enrolment);
    if (f.json)
      console.log(
        JSON.stringify(
          {
            ok: true,
            devicePublicKey: r.devicePublicKey,
            enrolmentFile: enrolPath,
            enrolment: r.enrolment,
            ...r.session,
          },
          null,
          2,
        ),
      );
    else {
      console.log(
        `${green("ok")} ${r.session.chip} (MAC ${r.session.mac}) provisioned: ` +
          `${r.session.regions.length} regions written and MD5-verified; ` +
          `${resetText(r.session.reset)}`,
      );
      console.log(`reader ${r.enrolment.readerId} device public key ${r.devicePublicKey}`);
      console.log(
        `enrolment written to ${enrolPath} (offtap clear reader import ${enrolPath} --operator ` +
          `NAME)`,
      );
    }
    return EXIT_OK;
  } catch (err) {
    progress.finish();
    return failure(err, f.json);
  }
}
