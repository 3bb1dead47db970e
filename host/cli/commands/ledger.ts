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
import { splitBatches, verifyBatchFile } from "../../ledger/batch.ts";
import { join } from "node:path";
import { bootKept, exportKept, saveState } from "../../sim/state.ts";
import { installDenyImage } from "../../sim/world.ts";
import { keptBoard, needKept, releaseKept } from "./state-flags.ts";
import { hex } from "../../ledger/format.ts";
import { newSimReader, runTaps, exportAll, SyntheticTaps } from "../../ledger/simulate.ts";

const HELP = {
  ledger: `usage: offtap ledger <powercut|inspect|export|ack|verify> [options]

The reader's power-loss-safe, hash-chained ledger (docs/LEDGER.md).

  powercut   cut power at every (or K random) flash program/erase points and check the invariants
  inspect    decode a ledger partition image: sectors, records, wear, chain
  export     write a kept reader's signed batches (--state DIR), or a seeded simulated one's
  ack        give a kept reader (--state DIR) clearing's acknowledgement and deny list
  verify     check a batch file: signatures, hash chain, sequence numbers

Each subcommand takes --help and --json. Exit codes: 0 ok, 1 a check failed, 2 usage error.`,
  powercut: POWERCUT_HELP,
  inspect: `usage: offtap ledger inspect IMAGE [--sector-bytes N] [--all] [--json]

Decodes the raw bytes of a ledger partition with the recovery rules: sector headers,
erase counts, acknowledgement marks, committed and torn slots, and verifies the hash
chain of the records on it. Consecutive sectors that read alike share one row
("1–63  free"); --all lists every sector. A kept reader's partition is DIR/ledger.bin
(docs/STATE.md). Exit 1 when the chain or the sequence is broken.`,
  export: `usage: offtap ledger export --state DIR [--out FILE] [--force] [--json]
       offtap ledger export --out FILE [--taps N] [--seed S] [--image FILE] [--force] [--json]

With --state: the reader kept in DIR by 'offtap sim|tap --state DIR' (docs/STATE.md)
boots on its kept flash and writes every record its ledger holds and no clearing has
acknowledged, as the firmware's signed batches (docs/LEDGER.md §5, the OTB format
'offtap clear ingest' takes), to FILE (default DIR/export-FIRST-LAST.batch). Register the
reader first: 'offtap clear reader add --state DIR --operator NAME'.

Without it: runs a seeded ledger (real firmware, default 256 KiB partition) for N
synthetic payments (default 25) and writes every unacknowledged record as signed batches,
back to back, to FILE; FILE.json records the reader id and public key. --image also
writes the ledger partition image for 'inspect'. Its records carry no wallet
authorization: they test the ledger and batch format, and clearing refuses them (use
--state for batches clearing settles). Existing files are not replaced without --force.`,
  ack: `usage: offtap ledger ack --state DIR [--db DB] [--json]

What a reader's maintenance channel does after an upload: the reader kept in DIR takes
the clearing database's signed acknowledgement of everything it processed for this
reader (its flash becomes reusable) and clearing's current signed deny list. The first
time, the reader is provisioned for that clearing's keys (docs/STATE.md); from then on
its deny lists come from clearing only. The reader must be registered there ('offtap
clear reader add --state DIR') and its batches ingested. The deny list vouches for as many
verified certificates as this reader's deny-list slot holds (docs/CLEARING.md §8). Exit 1
if the firmware refuses.`,
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
    throw new UsageError(
      `${metaFile} is not valid JSON: ${(e as Error).message}`,
      "restore it from 'ledger export', or give the reader key with --key HEX",
    );
  }
  const key =
    typeof meta === "object" && meta !== null
      ? (meta as { readerPublicKey?: unknown }).readerPublicKey
      : undefined;
  if (typeof key !== "string") {
    throw new UsageError(
      `${metaFile} has no readerPublicKey`,
      "restore it from 'ledger export', or give the reader key with --key HEX",
    );
  }
  return key;
}

/** Consecutive sectors that read alike (every column but the index) become one row,
 *  "5–63", so a mostly free partition is not 59 identical lines (--all shows each). */
export function collapseRuns(rows: string[][]): string[][] {
  const out: string[][] = [];
  const rest = (r: string[]): string => r.slice(1).join("\0");
  const same = (a: string[], b: string[]): boolean => rest(a) === rest(b);
  for (let i = 0; i < rows.length;) {
    let j = i;
    while (j + 1 < rows.length && same(rows[j + 1]!, rows[i]!)) j++;
    const label = j === i ? rows[i]![0]! : `${rows[i]![0]}–${rows[j]![0]}`;
    out.push([label, ...rows[i]!.slice(1)]);
    i = j + 1;
  }
  return out;
}

async function inspect(argv: string[]): Promise<number> {
  const { values, positionals } = parse(
    argv,
    {
      "sector-bytes": { type: "string" },
      json: { type: "boolean" },
      all: { type: "boolean" },
    },
    true,
  );
  if (positionals.length !== 1) throw new UsageError("give exactly one IMAGE file");
  const sectorBytes = intFlag("sector-bytes", values["sector-bytes"], 4096, 65536);
  const image = readInput(positionals[0]!);
  if (sectorBytes === 0 || image.length === 0 || image.length % sectorBytes !== 0) {
    throw new UsageError(
      `image of ${image.length} bytes is not a whole number of ${sectorBytes}-byte sectors`,
    );
  }
  const rep = decodeImage(image, sectorBytes);
  const wear = rep.sectors.filter((s) => s.valid).map((s) => s.eraseCount!);
  const summary = {
    sectors: rep.sectors.length,
    validSectors: wear.length,
    records: rep.records.length,
    firstSeq: rep.records[0]?.seq ?? 0,
    lastSeq: rep.nextSeq - 1,
    ackedSeq: rep.ackedSeq,
    chainOk: rep.chainOk,
    gapFree: rep.gapFree,
    eraseCountMin: wear.length ? Math.min(...wear) : 0,
    eraseCountMax: wear.length ? Math.max(...wear) : 0,
    tornSlots: rep.sectors.reduce((n, s) => n + s.tornSlots, 0),
    problems: rep.problems,
  };
  if (values.json) {
    console.log(
      JSON.stringify({
        ...summary,
        sectorTable: rep.sectors.map((s) => ({
          index: s.index,
          valid: s.valid,
          generation: s.generation,
          firstSeq: s.firstSeq,
          eraseCount: s.eraseCount,
          records: s.records,
          tornSlots: s.tornSlots,
          marks: s.marks,
        })),
        recordList: rep.records.map((r) => ({
          seq: r.seq,
          walletId: hex(r.walletId),
          counter: r.counter,
          amount: r.amount.toString(),
          time: r.time,
          bodyBytes: r.body.length,
          link: hex(r.link),
        })),
      }),
    );
  } else {
    const rows = rep.sectors.map((s) => [
      String(s.index),
      s.valid ? "yes" : "free",
      String(s.generation ?? "-"),
      String(s.firstSeq ?? "-"),
      String(s.records),
      String(s.tornSlots),
      String(s.eraseCount ?? "?"),
      s.marks.join(","),
    ]);
    console.log(
      table([
        ["sector", "valid", "gen", "first seq", "records", "torn", "erases", "ack marks"],
        ...(values.all ? rows : collapseRuns(rows)),
      ]),
    );
    console.log(
      `\n${summary.records} records (${summary.firstSeq}…${summary.lastSeq}), ` +
        `acknowledged through ${summary.ackedSeq}; ` +
        `wear ${summary.eraseCountMin}…${summary.eraseCountMax} erases`,
    );
    console.log(
      rep.chainOk && rep.gapFree
        ? green("chain verifies, no gaps")
        : red(`problems: ${rep.problems.join("; ")}`),
    );
  }
  return rep.chainOk && rep.gapFree ? EXIT_OK : EXIT_FAILED;
}

async function exportCmd(argv: string[]): Promise<number> {
  const { values } = parse(argv, {
    out: { type: "string" },
    taps: { type: "string" },
    seed: { type: "string" },
    image: { type: "string" },
    json: { type: "boolean" },
    state: { type: "string" },
    force: { type: "boolean" },
  });
  if (values.state !== undefined) {
    if (values.taps !== undefined || values.seed !== undefined || values.image !== undefined) {
      throw new UsageError(
        "--state exports the kept reader as it is: " + "drop --taps, --seed and --image",
      );
    }
    return exportState(values.state, values.out, values.json === true, {
      force: values.force === true,
    });
  }
  if (!values.out) throw new UsageError("--out FILE is required (or --state DIR)");
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
  const meta = {
    readerId: hex(reader.id.readerId),
    readerPublicKey: hex(reader.id.device.publicKey),
    lastSeq,
    chainHead: hex(head),
  };
  writeOutput(`${values.out}.json`, JSON.stringify(meta, null, 2) + "\n", force);
  if (values.image) {
    writeOutput(values.image, reader.flash.partition(0).bytes, { ...force, flag: "--image" });
  }
  const result = {
    file: values.out,
    bytes: file.length,
    taps,
    accepted,
    ...meta,
    image: values.image ?? null,
  };
  if (values.json) console.log(JSON.stringify(result));
  else
    console.log(
      `wrote ${file.length} bytes (${accepted} records, sequence 1…${lastSeq}) to ` +
        `${values.out}; reader key ${meta.readerPublicKey}`,
    );
  return accepted === taps ? EXIT_OK : EXIT_FAILED;
}

/** `export --state DIR`: the kept reader's real signed batches. */
async function exportState(
  dir: string,
  out: string | undefined,
  json: boolean,
  force: { force: boolean },
): Promise<number> {
  const kept = needKept(dir);
  const world = bootKept(kept, keptBoard(kept, undefined, false));
  const x = exportKept(world);
  releaseKept(dir);
  if (x.batches === 0) {
    const msg =
      `offtap ledger export: ${dir} holds no unacknowledged record ` +
      `(run 'offtap sim --state ${dir}')`;
    if (json) console.log(JSON.stringify({ ok: false, batches: 0, ackedSeq: x.ackedSeq }));
    else console.error(msg);
    return EXIT_FAILED;
  }
  const file = out ?? join(dir, `export-${x.firstSeq}-${x.lastSeq}.batch`);
  // After "nothing to export" (the more useful answer), before anything is written.
  checkOutput(file, force);
  checkOutput(`${file}.json`, force);
  const meta = {
    readerId: kept.facts.readerId,
    readerPublicKey: kept.facts.devicePublicKey,
    lastSeq: x.lastSeq,
    chainHead: hex(chainHeadOf(x.file)),
  };
  writeOutput(file, x.file, force);
  writeOutput(`${file}.json`, JSON.stringify(meta, null, 2) + "\n", force);
  const records = x.lastSeq - x.firstSeq + 1;
  const result = {
    file,
    bytes: x.file.length,
    batches: x.batches,
    records,
    firstSeq: x.firstSeq,
    ...meta,
  };
  if (json) console.log(JSON.stringify(result));
  else
    console.log(
      `wrote ${x.file.length} bytes (${x.batches} signed batches, ` +
        `${records} records, ` +
        `sequence ${x.firstSeq}…${x.lastSeq}) of reader ${kept.facts.readerId} to ${file}`,
    );
  return EXIT_OK;
}

/** `ack --state DIR --db DB`: clearing's acknowledgement and deny list into a kept reader. */
async function ackCmd(argv: string[]): Promise<number> {
  const { values } = parse(argv, {
    state: { type: "string" },
    db: { type: "string" },
    json: { type: "boolean" },
  });
  if (values.state === undefined) throw new UsageError("--state DIR is required");
  const dir = values.state;
  const kept = needKept(dir);
  const { openFromFlags } = await import("./clear.ts");
  // The list goes into this reader: its own slot bounds the vouched certificates.
  const slot = kept.facts.geometry.denyBytes / 2;
  const deny = slot > 0 ? { denySlotBytes: slot } : {};
  const c = await openFromFlags(values.db, undefined, false, deny);
  try {
    const id = kept.facts.readerId;
    if ((await c.reader(id)) === undefined) {
      throw new UsageError(
        `reader ${id} is not registered with this clearing ` +
          `(offtap clear reader add --state ${dir} --operator NAME)`,
      );
    }
    const ack = await c.acknowledgement(id);
    const deny = await c.denyList({ minVersion: kept.run.denyVersion + 1 });
    const keys = { clearing: c.clearingKey.publicKey, operator: c.operatorKey.publicKey };
    const world = bootKept(kept, keptBoard(kept, undefined, false), keys);
    const e = world.reader.exports;
    const ackStatus =
      ack === undefined ? 0 : e.ledgerAcknowledge(world.reader.put(ack), ack.length);
    const denyStatus = installDenyImage(world.reader, deny.image, world.config.geometry.pageBytes);
    if (denyStatus >= 0) {
      const wallets = deny.walletIds.map((w) => new Uint8Array(Buffer.from(w, "hex")));
      world.noteDenyList(deny.version, wallets);
    }
    const ok = ackStatus >= 0 && denyStatus >= 0;
    const f = kept.facts;
    if (ok) saveState(dir, world, { previous: kept, board: f.board, seed: f.seed, taps: 0 });
    releaseKept(dir);
    const result = {
      ok,
      readerId: id,
      ackedSeq: e.ledgerAckedSeq(),
      ackStatus,
      reusableSectors: e.ledgerReusableSectors(),
      denyListVersion: deny.version,
      denyVouchedCertificates: deny.vouchedCertHashes.length,
      denyStatus,
    };
    if (values.json) console.log(JSON.stringify(result));
    else if (ok) {
      console.log(
        `reader ${id}: acknowledged through #${result.ackedSeq} ` +
          `(${result.reusableSectors} sectors reusable), deny list v${deny.version} installed ` +
          `(${deny.walletIds.length} wallet(s), ` +
          `${deny.vouchedCertHashes.length} certificate(s) vouched for)`,
      );
    } else {
      const what =
        ackStatus < 0
          ? `the acknowledgement (status ${ackStatus})`
          : `the deny list (status ${denyStatus})`;
      console.error(
        `offtap ledger ack: the reader's firmware refused ${what}` +
          " (is the reader registered with this clearing and its batches ingested?)",
      );
    }
    return ok ? EXIT_OK : EXIT_FAILED;
  } finally {
    await c.close();
  }
}

/** The chain head after the last batch of a batch file (its last 'head after'). */
function chainHeadOf(file: Uint8Array): Uint8Array {
  const b = splitBatches(file);
  return b[b.length - 1]!.headAfter;
}

async function verifyCmd(argv: string[]): Promise<number> {
  const { values, positionals } = parse(
    argv,
    { key: { type: "string" }, json: { type: "boolean" } },
    true,
  );
  if (positionals.length !== 1) throw new UsageError("give exactly one BATCH file");
  const path = positionals[0]!;
  const bytes = readInput(path);
  const keyHex = values.key ?? keyFromMeta(`${path}.json`);
  if (keyHex === undefined) {
    throw new UsageError(
      `no reader key for ${path}`,
      `give --key HEX, or keep ${path}.json from 'ledger export' next to it`,
    );
  }
  if (!/^[0-9a-fA-F]{64}$/.test(keyHex))
    throw new UsageError("--key must be 64 hex digits (an Ed25519 public key)");
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
    console.log(
      `${check.batches} batches, ${check.records} records, ` +
        `sequence ${check.firstSeq}…${check.lastSeq}`,
    );
    console.log(
      `signature ${check.signatureOk ? "ok" : "BAD"}, ` +
        `chain ${check.chainOk ? "ok" : "BROKEN"}, ` +
        `sequence ${check.sequenceOk ? "ok" : "BAD"}`,
    );
    for (const p of check.problems) console.log(red(p));
    console.log(ok ? green("batch file verifies") : red("batch file does NOT verify"));
  }
  return ok ? EXIT_OK : EXIT_FAILED;
}

/** The help table: the ledger's own text, then one per subcommand. */
function helpOf({ ledger, ...subs }: Record<string, string>): Record<string, string> {
  return { "": ledger ?? "", ...subs };
}

const SUB: Record<string, (argv: string[]) => Promise<number>> = {
  powercut,
  inspect,
  export: exportCmd,
  ack: ackCmd,
  verify: verifyCmd,
};

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
