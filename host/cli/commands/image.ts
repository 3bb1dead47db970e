// `offtap image` — signed reader images (docs/IMAGE.md): keygen, build, inspect.
import { currencyLabel, formatMoney, isoFromUnixSeconds } from "../../money/index.ts";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import process from "node:process";
import type { Command } from "../command.ts";
import { CommandFailure, EXIT_FAILED, EXIT_OK, UsageError } from "../command.ts";
import { parse } from "../args.ts";
import { bold, dim, green, red, table, yellow, stderrPaint } from "../output.ts";
import { checkOutput, keyFileError, writeOutput } from "../files.ts";
import { paragraphTable } from "../help.ts";
import { firmwarePath } from "../../firmware/paths.ts";
import { Ed25519Key } from "../../issuer/ed25519.ts";
import { fromHex, toHex } from "../../protocol/index.ts";
import {
  BoardError,
  boardsDir,
  checkBoard,
  listBoards,
  loadBoard,
  partitionTableBinary,
  partitionTableCsv,
  type BoardProfile,
} from "../../boards/index.ts";
import type { Json } from "../../boards/schema.ts";
import {
  ImageRefusal,
  buildImage,
  devReleaseKey,
  inspectImage,
  readReleaseKeyFile,
  releaseKeyId,
  releaseKeyToFile,
  writeReleaseKeyFile,
  type ImageInspection,
} from "../../image/index.ts";

const HELP = `usage: offtap image keygen [--out FILE] [--json]
       offtap image build --board ID --provision FILE.json (--release-key FILE | --dev-key)
                          [--wasm FILE] [--out FILE [--force]] [--json]
       offtap image inspect IMAGE [--board ID] [--release-pubkey HEX | --release-key FILE | --dev-key] [--json]
       offtap image boards [--json]
       offtap image partitions --board ID [--format csv|bin] [--out FILE [--force]] [--json]

keygen   creates an Ed25519 release key. With --out it writes the key file (mode 0600,
         never overwriting); without, it prints the key file JSON.
build    validates the board profile and the provisioning file, checks the firmware
         against the device profile and the board's ABI version, and writes a signed
         image for the board's wasm partition (docs/IMAGE.md). --out is checked before
         the work; what it is doing goes to stderr (not with --json). Exit 1 when a
         check refuses the image (nothing is written).
inspect  decodes an image, shows every field and the partition it goes to, and
         re-checks it as a reader does at boot: board, ABI, signature, hashes,
         provisioning. Exit 1 when a check fails.
boards   validates every board profile in boards/ and lists them (exit 1 on a finding).
partitions
         writes a board's ESP-IDF partition table: CSV for an ESP-IDF build
         (PARTITION_TABLE_CUSTOM_FILENAME), or the 0xC00-byte binary for 0x8000.

options:
  --board ID            board profile boards/ID.json (inspect: the board the image must be for)
  --provision FILE      provisioning JSON (docs/IMAGE.md)
  --release-key FILE    release key file (build: signs; inspect: verifies with its public key)
  --release-pubkey HEX  release public key, 32 bytes (inspect)
  --dev-key             the board's public development key (simulation only)
  --wasm FILE           firmware to package (default build/offtap.wasm)
  --out FILE            output file (build: default build/<board>.img); checked before the
                        work starts, an existing file is not replaced without --force
  --force               replace an existing --out file (build, partitions)
  --build-time T        build time in Unix seconds (default now; fixed for reproducible images)
  --format csv|bin      partition table form (partitions; default csv)
  --json                machine-readable output
  --help                show this help`;

function readJson(file: string, what: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    throw new UsageError(`cannot read ${what} ${file}: ${(e as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new UsageError(`${what} ${file} is not valid JSON: ${(e as Error).message}`);
  }
}

function readBytes(file: string, what: string): Uint8Array {
  try {
    return new Uint8Array(readFileSync(file));
  } catch (e) {
    throw new UsageError(`cannot read ${what} ${file}: ${(e as Error).message}`);
  }
}

/** Loads a board; a bad or unknown profile is an input error naming every finding. */
function board(id: string): BoardProfile {
  try {
    return loadBoard(id);
  } catch (e) {
    if (e instanceof BoardError) throw new UsageError(e.message);
    throw e;
  }
}

/** A refused build: with --json the result object on stdout, else one error line. */
function refuse(json: boolean, rule: string, message: string): number {
  if (!json) {
    throw new CommandFailure(
      message,
      `the ${rule} check refused the image; nothing was written`,
      rule,
    );
  }
  console.log(JSON.stringify({ ok: false, refused: rule, message }));
  return EXIT_FAILED;
}

async function keygen(argv: string[]): Promise<number> {
  const { values } = parse(argv, {
    out: { type: "string" },
    json: { type: "boolean" },
    help: { type: "boolean" },
  });
  if (values.help) {
    console.log(HELP);
    return EXIT_OK;
  }
  const key = Ed25519Key.random();
  if (values.out === undefined) {
    console.log(JSON.stringify(releaseKeyToFile(key), null, 2));
    return EXIT_OK;
  }
  try {
    writeReleaseKeyFile(values.out, key);
  } catch (e) {
    throw keyFileError(values.out, e);
  }
  if (values.json)
    console.log(
      JSON.stringify({
        publicKey: toHex(key.publicKey),
        keyId: toHex(releaseKeyId(key.publicKey)),
        file: values.out,
      }),
    );
  else
    console.log(
      `release key written to ${values.out} (keep it secret)\npublic key ${toHex(key.publicKey)}\nkey id     ${toHex(releaseKeyId(key.publicKey))}`,
    );
  return EXIT_OK;
}

function buildTime(value: string | undefined): number {
  if (value === undefined) return Math.floor(Date.now() / 1000);
  if (!/^\d+$/.test(value) || Number(value) > 0xffff_ffff)
    throw new UsageError(`--build-time takes Unix seconds (u32), got '${value}'`);
  return Number(value);
}

async function build(argv: string[]): Promise<number> {
  const { values } = parse(argv, {
    board: { type: "string" },
    provision: { type: "string" },
    "release-key": { type: "string" },
    "dev-key": { type: "boolean" },
    wasm: { type: "string" },
    out: { type: "string" },
    "build-time": { type: "string" },
    json: { type: "boolean" },
    help: { type: "boolean" },
    force: { type: "boolean" },
  });
  if (values.help) {
    console.log(HELP);
    return EXIT_OK;
  }
  if (values.board === undefined) throw new UsageError("--board is required");
  if (values.provision === undefined) throw new UsageError("--provision is required");
  if ((values["release-key"] === undefined) === (values["dev-key"] !== true))
    throw new UsageError("give exactly one of --release-key FILE and --dev-key");
  const b = board(values.board);
  const provisioningJson = readJson(values.provision, "provisioning file");
  const wasmFile = values.wasm ?? firmwarePath;
  if (!existsSync(wasmFile))
    throw new UsageError(`no firmware at ${wasmFile} (run \`make build\` or give --wasm)`);
  const firmware = readBytes(wasmFile, "firmware");
  let releaseKey: Ed25519Key;
  try {
    releaseKey = values["dev-key"]
      ? devReleaseKey(b.id)
      : readReleaseKeyFile(values["release-key"]!);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const out = values.out ?? `build/${b.id}.img`;
  const force = { force: values.force === true };
  checkOutput(out, force);
  const json = values.json === true;
  const onStep = (what: string): void => {
    if (!json) console.error(stderrPaint.dim(`image build: ${what}…`));
  };
  try {
    const buildUnixSeconds = buildTime(values["build-time"]);
    const r = await buildImage({
      board: b,
      provisioningJson,
      firmware,
      releaseKey,
      buildUnixSeconds,
      onStep,
    });
    writeOutput(out, r.image, force);
    if (values.json) {
      console.log(
        JSON.stringify({
          ok: true,
          file: out,
          bytes: r.image.length,
          board: b.id,
          partition: r.partition,
          releaseKeyId: toHex(releaseKeyId(releaseKey.publicKey)),
          devKey: values["dev-key"] === true,
          warnings: r.warnings,
        }),
      );
    } else {
      console.log(
        `${green("built")} ${out}: ${r.image.length} bytes for ${bold(b.id)}, partition wasm at 0x${r.partition.offset.toString(16)} (${r.partition.size} bytes)`,
      );
      console.log(
        dim(
          `signed by release key id ${toHex(releaseKeyId(releaseKey.publicKey))}${values["dev-key"] ? " (development key)" : ""}`,
        ),
      );
      for (const w of r.warnings) console.error(stderrPaint.yellow(`warning: ${w}`));
    }
    return EXIT_OK;
  } catch (e) {
    if (e instanceof ImageRefusal) return refuse(values.json === true, e.rule, e.message);
    throw e;
  }
}

function inspectionJson(r: ImageInspection): unknown {
  const img = r.image;
  return {
    ok: r.ok,
    checks: r.checks,
    image: img && {
      formatVersion: img.formatVersion,
      abiVersion: img.abiVersion,
      boardId: img.boardId,
      flags: img.flags,
      seedInline: img.keyReference === undefined,
      totalBytes: img.totalBytes,
      firmwareBytes: img.firmware.length,
      provisioningBytes: img.provisioning.length,
      buildUnixSeconds: img.buildUnixSeconds,
      firmwareSha256: toHex(img.firmwareSha256),
      provisioningSha256: toHex(img.provisioningSha256),
      releaseKeyId: toHex(img.releaseKeyId),
      headerCrc: img.headerCrc,
      signature: toHex(img.signature),
    },
    keyReference: r.keyReference ?? null,
    provisioning: r.provisioning ?? null,
    partition: r.partition ?? null,
  };
}

function printInspection(file: string, r: ImageInspection): void {
  const img = r.image;
  console.log(bold(file));
  if (img !== undefined) {
    const rows: string[][] = [
      ["field", "value"],
      ["format", `${img.formatVersion}`],
      ["board", img.boardId],
      ["ABI version", `${img.abiVersion}`],
      [
        "size",
        `${img.totalBytes} bytes (firmware ${img.firmware.length}, provisioning ${img.provisioning.length})`,
      ],
      ["built", isoFromUnixSeconds(img.buildUnixSeconds)],
      [
        "device seed",
        img.keyReference === undefined
          ? yellow("inline (development image)")
          : `${img.keyReference.store}: ${img.keyReference.namespace}/${img.keyReference.key}`,
      ],
      ["firmware SHA-256", toHex(img.firmwareSha256)],
      ["provisioning SHA-256", toHex(img.provisioningSha256)],
      ["release key id", toHex(img.releaseKeyId)],
    ];
    if (r.partition)
      rows.push([
        "partition",
        `wasm at 0x${r.partition.offset.toString(16)}, ${r.partition.size} bytes`,
      ]);
    const p = r.provisioning;
    if (p !== undefined) {
      const m = (minor: number): string => formatMoney(minor, p.currency);
      rows.push(
        ["reader id", p.readerId],
        ["mode", String(p.mode)],
        ["currency", `${currencyLabel(p.currency)} (${p.currency})`],
        ["fare", p.mode === "kiosk" ? "none (each sale brings its amount)" : m(p.fare)],
        ["per-tap limits", `${m(p.amountMin)} … ${m(p.amountMax)}`],
        ["NFC timeout", `${p.nfcTimeoutMs} ms`],
        ["drift tolerance", `${p.driftToleranceS} s`],
        [
          "issuer keys",
          p.issuerKeys.map((k) => `${k.keyId}:${k.publicKey.slice(0, 16)}…`).join(", "),
        ],
        [
          "ledger",
          `${p.ledger.ledgerBytes} bytes, deny list ${p.ledger.denyBytes}, sector ${p.ledger.sectorBytes}, page ${p.ledger.pageBytes}, deny max age ${p.ledger.denyMaxAgeS} s`,
        ],
        ["device public key", p.devicePublicKey],
        ["operator key", p.operatorPublicKey],
        ["clearing key", p.clearingPublicKey],
      );
    }
    console.log(table(rows));
  }
  console.log("");
  for (const c of r.checks) {
    const mark = c.ok === true ? green("ok  ") : c.ok === false ? red("FAIL") : yellow("skip");
    console.log(`${mark} ${c.check.padEnd(12)} ${c.message}`);
  }
}

function releasePublicKey(
  v: { "release-pubkey"?: string; "release-key"?: string; "dev-key"?: boolean },
  boardId: string | undefined,
): Uint8Array | undefined {
  const given = [v["release-pubkey"], v["release-key"], v["dev-key"] ? "x" : undefined].filter(
    (x) => x !== undefined,
  ).length;
  if (given > 1)
    throw new UsageError("give at most one of --release-pubkey, --release-key and --dev-key");
  if (v["release-pubkey"] !== undefined) {
    let k: Uint8Array;
    try {
      k = fromHex(v["release-pubkey"], "release-pubkey");
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
    if (k.length !== 32)
      throw new UsageError(`--release-pubkey must be 32 bytes (64 hex digits), got ${k.length}`);
    return k;
  }
  if (v["release-key"] !== undefined) {
    try {
      return readReleaseKeyFile(v["release-key"]).publicKey;
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
  }
  if (v["dev-key"] && boardId !== undefined) return devReleaseKey(boardId).publicKey;
  return undefined;
}

async function inspect(argv: string[]): Promise<number> {
  const { values, positionals } = parse(
    argv,
    {
      board: { type: "string" },
      "release-pubkey": { type: "string" },
      "release-key": { type: "string" },
      "dev-key": { type: "boolean" },
      json: { type: "boolean" },
      help: { type: "boolean" },
    },
    true,
  );
  if (values.help) {
    console.log(HELP);
    return EXIT_OK;
  }
  if (positionals.length !== 1) throw new UsageError("give exactly one IMAGE file");
  const file = positionals[0]!;
  const bytes = readBytes(file, "image");
  const b = values.board === undefined ? undefined : board(values.board);
  // The development key is per board: the expected board's, else the one the image names.
  const devBoard = b?.id ?? inspectImage(bytes).image?.boardId;
  const r = inspectImage(bytes, { board: b, releasePublicKey: releasePublicKey(values, devBoard) });
  if (values.json) console.log(JSON.stringify(inspectionJson(r)));
  else printInspection(file, r);
  return r.ok ? EXIT_OK : EXIT_FAILED;
}

async function boards(argv: string[]): Promise<number> {
  const { values } = parse(argv, { json: { type: "boolean" }, help: { type: "boolean" } });
  if (values.help) {
    console.log(HELP);
    return EXIT_OK;
  }
  const results = listBoards().map((id) => {
    const file = path.join(boardsDir, `${id}.json`);
    let parsed: Json;
    try {
      parsed = JSON.parse(readFileSync(file, "utf8")) as Json;
    } catch (e) {
      return {
        id,
        ok: false,
        errors: [{ path: "(file)", message: (e as Error).message }],
        warnings: [],
        board: undefined,
      };
    }
    const r = checkBoard(parsed, `boards/${id}.json`);
    return {
      id,
      ok: r.errors.length === 0,
      errors: r.errors,
      warnings: r.warnings,
      board: r.board,
    };
  });
  if (values.json) {
    console.log(
      JSON.stringify(
        results.map((r) => ({
          id: r.id,
          ok: r.ok,
          mode: r.board?.mode,
          chip: r.board?.chip.module,
          nfc: r.board?.nfc.chip,
          errors: r.errors,
          warnings: r.warnings,
        })),
      ),
    );
  } else {
    const rows = [["board", "mode", "chip", "NFC", "flash", "status"]];
    for (const r of results) {
      const b = r.board;
      rows.push([
        r.id,
        b?.mode ?? "",
        b?.chip.module ?? "",
        b ? `${b.nfc.chip} (${b.nfc.bus})` : "",
        b ? `${b.flash.sizeBytes / 1048576} MiB` : "",
        r.ok ? green("ok") : red(`${r.errors.length} errors`),
      ]);
    }
    console.log(table(rows));
    for (const r of results) {
      const { red: redErr, yellow: yellowErr } = stderrPaint;
      const where = `boards/${r.id}.json`;
      for (const e of r.errors) {
        console.error(`${redErr("error")} ${where}: ${e.path}: ${e.message}`);
      }
      for (const w of r.warnings) {
        console.error(`${yellowErr("warning")} ${where}: ${w.path}: ${w.message}`);
      }
    }
  }
  return results.every((r) => r.ok) ? EXIT_OK : EXIT_FAILED;
}

async function partitions(argv: string[]): Promise<number> {
  const { values } = parse(argv, {
    board: { type: "string" },
    format: { type: "string" },
    out: { type: "string" },
    help: { type: "boolean" },
    json: { type: "boolean" },
    force: { type: "boolean" },
  });
  if (values.help) {
    console.log(HELP);
    return EXIT_OK;
  }
  if (values.board === undefined) throw new UsageError("--board is required");
  const format = values.format ?? "csv";
  if (format !== "csv" && format !== "bin")
    throw new UsageError(`--format is csv or bin, got '${format}'`);
  if (format === "bin" && values.out === undefined)
    throw new UsageError("--format bin needs --out FILE (binary output)");
  const b = board(values.board);
  const force = { force: values.force === true };
  if (values.out !== undefined) checkOutput(values.out, force);
  const data = format === "csv" ? partitionTableCsv(b) : partitionTableBinary(b);
  const offset = `0x${b.flash.partitionTableOffset.toString(16)}`;
  if (values.out !== undefined) writeOutput(values.out, data, force);
  if (values.json) {
    const partitions = b.partitions.map((p) => ({ ...p }));
    const file = values.out ?? null;
    console.log(JSON.stringify({ board: b.id, format, file, tableOffset: offset, partitions }));
  } else if (values.out === undefined) process.stdout.write(data as string);
  else {
    console.log(
      `${b.id}: partition table (${format}) written to ${values.out}; ` +
        `flash the binary at ${offset}`,
    );
  }
  return EXIT_OK;
}

export const command: Command = {
  name: "image",
  summary: "build, sign and inspect reader images for a board",
  help: paragraphTable(HELP, "image", ["keygen", "build", "inspect", "boards", "partitions"]),
  async run(argv: string[]): Promise<number> {
    const [sub, ...rest] = argv;
    if (sub === undefined || sub === "--help" || sub === "-h") {
      console.log(HELP);
      return sub === undefined ? 2 : EXIT_OK;
    }
    if (sub === "keygen") return keygen(rest);
    if (sub === "build") return build(rest);
    if (sub === "inspect") return inspect(rest);
    if (sub === "boards") return boards(rest);
    if (sub === "partitions") return partitions(rest);
    throw new UsageError(
      `unknown subcommand '${sub}' (keygen, build, inspect, boards, partitions)`,
    );
  },
};
