// `offtap ledger …`: the reader's ledger from the command line — power-loss suite,
// image inspection, batch export and batch verification (docs/LEDGER.md).
import { readFileSync, existsSync, statSync } from "node:fs";
import type { Command } from "../command.ts";
import { EXIT_OK, EXIT_FAILED, EXIT_USAGE, UsageError } from "../command.ts";
import { parse, intFlag } from "../args.ts";
import { table, green, red } from "../output.ts";
import { checkOutput, writeOutput } from "../files.ts";
import { malformedBatch } from "../failures.ts";
import { powercut, POWERCUT_HELP } from "./ledger-powercut.ts";
import { decodeImage } from "../../ledger/image.ts";
import { verifyBatchFile } from "../../ledger/batch.ts";
import { hex } from "../../ledger/format.ts";
import { newSimReader, runTaps, exportAll, SyntheticTaps } from "../../ledger/simulate.ts";

const HELP = {
  ledger: `usage: offtap ledger <powercut|inspect|export|verify> [options]

The reader's power-loss-safe, hash-chained ledger (docs/LEDGER.md).

  powercut   cut power at every (or K random) flash program/erase points and check the invariants
  inspect    decode a ledger partition image: sectors, records, wear, chain
  export     run a seeded simulated reader and write its signed batches to a file
  verify     check a batch file: signatures, hash chain, sequence numbers

Each subcommand takes --help and --json. Exit codes: 0 ok, 1 a check failed, 2 usage error.`,
  powercut: POWERCUT_HELP,
  inspect: `usage: offtap ledger inspect IMAGE [--sector-bytes N] [--json]

Decodes the raw bytes of a ledger partition with the recovery rules: sector headers,
erase counts, acknowledgement marks, committed and torn slots, and verifies the hash
chain of the records on it. Exit 1 when the chain or the sequence is broken.`,
  export: `usage: offtap ledger export --out FILE [--taps N] [--seed S] [--image FILE] [--force]
                            [--json]

Runs a seeded simulated reader (real firmware, default 256 KiB partition) for N taps
(default 25) and writes every unacknowledged record as signed batches, back to back,
to FILE; FILE.json records the reader id and public key. --image also writes the
ledger partition image for 'inspect'. Existing files are not replaced without --force.`,
  verify: `usage: offtap ledger verify BATCH [--key HEX] [--json]

Checks every batch in the file: the reader's Ed25519 signature (key from --key or from
BATCH.json written by 'export'), the hash chain from 'head before' to 'head after'
across batches, and gap-free sequence numbers. Exit 1 if any check fails; exit 2 when
BATCH is missing or is not a batch file at all (truncated, wrong format).`,
} as const;

function wantsHelp(argv: string[]): boolean {
  return argv.includes("--help") || argv.includes("-h");
}

function readInput(path: string): Uint8Array {
  if (!existsSync(path)) throw new UsageError(`no such file: ${path}`, "check the path");
  if (statSync(path).isDirectory()) throw new UsageError(`${path} is a folder`, "give a file");
  return new Uint8Array(readFileSync(path));
}

/** The reader's public key recorded in BATCH.json by 'export', if that file is there. */
function keyFromMeta(metaFile: string): string | undefined {
  if (!existsSync(metaFile)) return undefined;
  let meta: unknown;
  try {
    meta = JSON.parse(readFileSync(metaFile, "utf8"));
  } catch (e) {
    throw new UsageError(`${metaFile} is not valid JSON: ${(e as Error).message}`,
      "restore it from 'ledger export', or give the reader key with --key HEX");
  }
  const key = typeof meta === "object" && meta !== null
    ? (meta as { readerPublicKey?: unknown }).readerPublicKey : undefined;
  if (typeof key !== "string") {
    throw new UsageError(`${metaFile} has no readerPublicKey`,
      "restore it from 'ledger export', or give the reader key with --key HEX");
  }
  return key;
}

async function inspect(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, { "sector-bytes": { type: "string" }, json: { type: "boolean" } }, true);
  if (positionals.length !== 1) throw new UsageError("give exactly one IMAGE file");
  const sectorBytes = intFlag("sector-bytes", values["sector-bytes"], 4096, 65536);
  const image = readInput(positionals[0]!);
  if (sectorBytes === 0 || image.length === 0 || image.length % sectorBytes !== 0) {
    throw new UsageError(`image of ${image.length} bytes is not a whole number of ${sectorBytes}-byte sectors`);
  }
  const rep = decodeImage(image, sectorBytes);
  const wear = rep.sectors.filter((s) => s.valid).map((s) => s.eraseCount!);
  const summary = {
    sectors: rep.sectors.length, validSectors: wear.length, records: rep.records.length,
    firstSeq: rep.records[0]?.seq ?? 0, lastSeq: rep.nextSeq - 1, ackedSeq: rep.ackedSeq,
    chainOk: rep.chainOk, gapFree: rep.gapFree,
    eraseCountMin: wear.length ? Math.min(...wear) : 0, eraseCountMax: wear.length ? Math.max(...wear) : 0,
    tornSlots: rep.sectors.reduce((n, s) => n + s.tornSlots, 0), problems: rep.problems,
  };
  if (values.json) {
    console.log(JSON.stringify({
      ...summary,
      sectorTable: rep.sectors.map((s) => ({ index: s.index, valid: s.valid, generation: s.generation, firstSeq: s.firstSeq, eraseCount: s.eraseCount, records: s.records, tornSlots: s.tornSlots, marks: s.marks })),
      recordList: rep.records.map((r) => ({ seq: r.seq, walletId: hex(r.walletId), counter: r.counter, amount: r.amount.toString(), time: r.time, bodyBytes: r.body.length, link: hex(r.link) })),
    }));
  } else {
    console.log(table([["sector", "valid", "gen", "first seq", "records", "torn", "erases", "ack marks"],
      ...rep.sectors.map((s) => [String(s.index), s.valid ? "yes" : "free", String(s.generation ?? "-"), String(s.firstSeq ?? "-"), String(s.records), String(s.tornSlots), String(s.eraseCount ?? "?"), s.marks.join(",")])]));
    console.log(`\n${summary.records} records (${summary.firstSeq}…${summary.lastSeq}), acknowledged through ${summary.ackedSeq}; wear ${summary.eraseCountMin}…${summary.eraseCountMax} erases`);
    console.log(rep.chainOk && rep.gapFree ? green("chain verifies, no gaps") : red(`problems: ${rep.problems.join("; ")}`));
  }
  return rep.chainOk && rep.gapFree ? EXIT_OK : EXIT_FAILED;
}

async function exportCmd(argv: string[]): Promise<number> {
  const { values } = parse(argv, {
    out: { type: "string" }, taps: { type: "string" }, seed: { type: "string" },
    image: { type: "string" }, json: { type: "boolean" }, force: { type: "boolean" },
  });
  if (!values.out) throw new UsageError("--out FILE is required");
  const taps = intFlag("taps", values.taps, 25, 100_000);
  const seed = intFlag("seed", values.seed, 1, 0xffffffff);
  const force = { force: values.force === true };
  checkOutput(values.out, force);
  checkOutput(`${values.out}.json`, force);
  if (values.image) checkOutput(values.image, { ...force, flag: "--image" });
  const reader = newSimReader(seed);
  const accepted = runTaps(reader, new SyntheticTaps(seed), 0, taps);
  const { file, lastSeq, head } = exportAll(reader);
  writeOutput(values.out, file, force);
  const meta = { readerId: hex(reader.id.readerId), readerPublicKey: hex(reader.id.device.publicKey), lastSeq, chainHead: hex(head) };
  writeOutput(`${values.out}.json`, JSON.stringify(meta, null, 2) + "\n", force);
  if (values.image) {
    writeOutput(values.image, reader.flash.partition(0).bytes, { ...force, flag: "--image" });
  }
  const result = { file: values.out, bytes: file.length, taps, accepted, ...meta, image: values.image ?? null };
  if (values.json) console.log(JSON.stringify(result));
  else console.log(`wrote ${file.length} bytes (${accepted} records, sequence 1…${lastSeq}) to ${values.out}; reader key ${meta.readerPublicKey}`);
  return accepted === taps ? EXIT_OK : EXIT_FAILED;
}

async function verifyCmd(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, { key: { type: "string" }, json: { type: "boolean" } }, true);
  if (positionals.length !== 1) throw new UsageError("give exactly one BATCH file");
  const path = positionals[0]!;
  const bytes = readInput(path);
  const keyHex = values.key ?? keyFromMeta(`${path}.json`);
  if (keyHex === undefined) {
    throw new UsageError(`no reader key for ${path}`,
      `give --key HEX, or keep ${path}.json from 'ledger export' next to it`);
  }
  if (!/^[0-9a-fA-F]{64}$/.test(keyHex)) throw new UsageError("--key must be 64 hex digits (an Ed25519 public key)");
  let check;
  try {
    check = verifyBatchFile(bytes, new Uint8Array(Buffer.from(keyHex, "hex")));
  } catch (e) {
    // Not a batch file at all: an input error, as in 'clear ingest'.
    if (e instanceof RangeError) throw malformedBatch(path, e);
    throw e;
  }
  const ok = check.signatureOk && check.chainOk && check.sequenceOk && check.problems.length === 0;
  if (values.json) console.log(JSON.stringify({ ok, ...check }));
  else {
    console.log(`${check.batches} batches, ${check.records} records, sequence ${check.firstSeq}…${check.lastSeq}`);
    console.log(`signature ${check.signatureOk ? "ok" : "BAD"}, chain ${check.chainOk ? "ok" : "BROKEN"}, sequence ${check.sequenceOk ? "ok" : "BAD"}`);
    for (const p of check.problems) console.log(red(p));
    console.log(ok ? green("batch file verifies") : red("batch file does NOT verify"));
  }
  return ok ? EXIT_OK : EXIT_FAILED;
}

/** The help table: the ledger's own text, then one per subcommand. */
function helpOf({ ledger, ...subs }: Record<string, string>): Record<string, string> {
  return { "": ledger ?? "", ...subs };
}

const SUB: Record<string, (argv: string[]) => Promise<number>> = { powercut, inspect, export: exportCmd, verify: verifyCmd };

export const command: Command = {
  name: "ledger",
  summary: "the reader's ledger: power-cut suite, inspect images, export and verify batches",
  help: helpOf(HELP),
  async run(argv: string[]): Promise<number> {
    const [sub, ...rest] = argv;
    if (sub === undefined || sub === "--help" || sub === "-h" || sub === "help") {
      console.log(HELP.ledger);
      return sub === undefined ? EXIT_USAGE : EXIT_OK;
    }
    const fn = SUB[sub];
    if (!fn) throw new UsageError(`unknown ledger subcommand '${sub}'`);
    if (wantsHelp(rest)) {
      console.log(HELP[sub as keyof typeof HELP]);
      return EXIT_OK;
    }
    return fn(rest);
  },
};
