// `offtap flash read`: a partition (or any region) read back from a board with the ROM's
// READ_FLASH_SLOW; `offtap flash nvs`: an NVS partition dump decoded (docs/NVS.md). Blob
// values are never printed — an NVS partition holds the device seed — only their size and
// SHA-256 (and, for a 32-byte blob, the Ed25519 public key it derives, to compare with an
// enrolment file).
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { checkOutput, writeOutput } from "../files.ts";
import { EXIT_FAILED, EXIT_OK, UsageError } from "../command.ts";
import { intFlag, parse } from "../args.ts";
import { red, table } from "../output.ts";
import { BoardError, loadBoard, type BoardProfile } from "../../boards/index.ts";
import { readFlashRegion, type AfterMode, type BeforeMode } from "../../flash/flash.ts";
import { DEFAULT_TIMING } from "../../flash/loader.ts";
import { Ed25519Key } from "../../issuer/ed25519.ts";
import { NvsError, decodeNvsKeys, decodeNvsPartition, type NvsValue } from "../../nvs/index.ts";
import { failure, isUsbJtagSerial } from "./flash.ts";

export const READ_HELP = `usage: offtap flash read --board B --port PORT --out FILE [--force]
                        (--partition NAME | --offset N --size N)
                        [--baud N] [--before MODE] [--after MODE] [--json]

Reads flash back from the board's ROM loader (READ_FLASH_SLOW, 64 bytes a command: about
2 KiB/s at 115200 baud, so read partitions, not the whole chip) and writes it to FILE.
--after defaults to no-reset here (the board stays in the loader). An existing FILE is
checked before the read and not replaced without --force.`;

export const NVS_HELP = `usage: offtap flash nvs FILE [--nvs-keys FILE] [--json]

Decodes an NVS partition dump (ESP-IDF format, docs/NVS.md): pages, namespaces, entries.
Blob values are not shown (the device seed is one): size, SHA-256 and, for 32 bytes, the
Ed25519 public key the blob derives as a seed. Exit 1 when a CRC or a chunk is wrong.`;

const SLOW_BYTES_PER_S = 2_000;
/** Longer strings are cut in the table (--json has them whole). */
const STRING_SHOWN_CHARS = 60;

export async function runRead(argv: string[]): Promise<number> {
  if (argv.includes("--help") || argv.includes("-h")) {
    console.log(READ_HELP);
    return EXIT_OK;
  }
  const { values } = parse(argv, {
    board: { type: "string" },
    port: { type: "string" },
    partition: { type: "string" },
    offset: { type: "string" },
    size: { type: "string" },
    out: { type: "string" },
    baud: { type: "string" },
    before: { type: "string" },
    after: { type: "string" },
    json: { type: "boolean" },
    force: { type: "boolean" },
  });
  if (values.board === undefined || values.port === undefined || values.out === undefined) {
    throw new UsageError("flash read needs --board, --port and --out");
  }
  // Checked before a read that takes minutes; an existing file is kept unless --force.
  const force = { force: values.force === true };
  checkOutput(values.out, force);
  const board = boardOf(values.board);
  const region = regionOf(board, values.partition, values.offset, values.size);
  const before = (values.before ?? "default-reset") as BeforeMode;
  const after = (values.after ?? "no-reset") as AfterMode;
  if (!["default-reset", "usb-reset", "no-reset"].includes(before)) {
    throw new UsageError("--before is default-reset, usb-reset or no-reset");
  }
  if (!["hard-reset", "no-reset"].includes(after))
    throw new UsageError("--after is hard-reset or no-reset");
  const json = values.json === true;
  if (!json) {
    const seconds = Math.ceil(region.size / SLOW_BYTES_PER_S);
    console.log(
      `Reading ${region.size} bytes at 0x${region.offset.toString(16)} (about ${seconds} s)`,
    );
  }
  try {
    const r = await readFlashRegion(
      {
        chip: board.chip.family,
        boardId: board.id,
        flashSizeBytes: board.flash.sizeBytes,
        compress: false,
      },
      region.offset,
      region.size,
      {
        port: values.port,
        baudRate: intFlag("baud", values.baud, 460800),
        before,
        after,
        usbJtagSerial: await isUsbJtagSerial(values.port),
        timing: { connectAttempts: DEFAULT_TIMING.connectAttempts },
        note: (m) => console.error(`note: ${m}`),
      },
    );
    writeOutput(values.out, r.data, force);
    const { data, ...rest } = r;
    const sha256 = createHash("sha256").update(data).digest("hex");
    if (json)
      console.log(
        JSON.stringify({ ok: true, out: values.out, bytes: data.length, sha256, ...rest }),
      );
    else console.log(`wrote ${data.length} bytes to ${values.out} (SHA-256 ${sha256})`);
    return EXIT_OK;
  } catch (err) {
    return failure(err, json);
  }
}

function boardOf(id: string): BoardProfile {
  try {
    return loadBoard(id);
  } catch (err) {
    if (err instanceof BoardError) throw new UsageError(err.message);
    throw err;
  }
}

function regionOf(
  board: BoardProfile,
  partition?: string,
  offset?: string,
  size?: string,
): { offset: number; size: number } {
  if (partition !== undefined) {
    const p = board.partitions.find((x) => x.name === partition);
    if (p === undefined) {
      throw new UsageError(
        `board ${board.id} has no partition '${partition}' ` +
        `(${board.partitions.map((x) => x.name).join(", ")})`,
      );
    }
    return { offset: p.offset, size: p.size };
  }
  if (offset === undefined || size === undefined)
    throw new UsageError("give --partition NAME, or --offset and --size");
  const o = Number(offset);
  const n = Number(size);
  if (
    !Number.isInteger(o) ||
    !Number.isInteger(n) ||
    o < 0 ||
    n <= 0 ||
    o + n > board.flash.sizeBytes
  ) {
    throw new UsageError(
      `--offset ${offset} --size ${size} is not a region of the ${board.flash.sizeBytes}-byte ` +
      `flash`,
    );
  }
  return { offset: o, size: n };
}

export async function runNvs(argv: string[]): Promise<number> {
  if (argv.includes("--help") || argv.includes("-h")) {
    console.log(NVS_HELP);
    return EXIT_OK;
  }
  const { values, positionals } = parse(
    argv,
    { "nvs-keys": { type: "string" }, json: { type: "boolean" } },
    true,
  );
  if (positionals.length !== 1) throw new UsageError("give one NVS partition file");
  const file = positionals[0]!;
  if (!existsSync(file)) throw new UsageError(`no such file: ${file}`);
  let read;
  try {
    const key =
      values["nvs-keys"] === undefined
        ? undefined
        : decodeNvsKeys(new Uint8Array(readFileSync(values["nvs-keys"])));
    read = decodeNvsPartition(new Uint8Array(readFileSync(file)), { encryptionKey: key });
  } catch (err) {
    if (err instanceof NvsError) throw new UsageError(`${file}: ${err.message}`);
    throw err;
  }
  const json = values.json === true;
  const entries = read.entries.map((e) => ({
    namespace: e.namespace,
    key: e.key,
    type: e.value.type,
    // Strings whole for machines; cut for the table. Blobs never by value.
    value: json && e.value.type === "string" ? e.value.value : shown(e.value),
  }));
  if (json) {
    console.log(
      JSON.stringify(
        { ok: read.problems.length === 0, pages: read.pages, entries, problems: read.problems },
        null,
        2,
      ),
    );
  } else {
    console.log(
      table([
        ["page", "state", "sequence", "entries"],
        ...read.pages.map((p) => [
          String(p.index),
          p.state,
          String(p.sequence ?? "-"),
          String(p.entriesWritten),
        ]),
      ]),
    );
    console.log(
      table([
        ["namespace", "key", "type", "value"],
        ...entries.map((e) => [e.namespace, e.key, e.type, e.value]),
      ]),
    );
    for (const p of read.problems) console.log(red(`problem: ${p}`));
  }
  return read.problems.length === 0 ? EXIT_OK : EXIT_FAILED;
}

/** How a value is shown: blobs by size, digest and (32 bytes) the public key they derive. */
function shown(v: NvsValue): string {
  if (v.type === "string") {
    if (v.value.length <= STRING_SHOWN_CHARS) return JSON.stringify(v.value);
    const head = JSON.stringify(v.value.slice(0, STRING_SHOWN_CHARS));
    return `${head}… (${v.value.length} characters)`;
  }
  if (v.type !== "blob") return v.value.toString();
  const digest = createHash("sha256").update(v.value).digest("hex").slice(0, 16);
  const pub =
    v.value.length === 32
      ? `, Ed25519 public key ${Buffer.from(new Ed25519Key(v.value).publicKey).toString("hex")}`
      : "";
  return `${v.value.length} bytes, SHA-256 ${digest}…${pub}`;
}
