// `offtap vectors run FILE.json [FILE.json…] [--json]`: runs Wycheproof EdDSA verify files
// through the firmware's verifier (build/offtap.wasm) and reports every disagreement.
// Exit codes: 0 every vector agrees, 1 at least one disagreement, 2 usage or file error.
import { existsSync } from "node:fs";
import { type Command, EXIT_FAILED, EXIT_OK, EXIT_USAGE, UsageError } from "../command.ts";
import { parse } from "../args.ts";
import { green, red } from "../output.ts";
import { FirmwareCrypto } from "../../firmware/crypto.ts";
import { firmwarePath } from "../../firmware/paths.ts";
import { type RunReport, type StatusVerifier, emptyReport, runCases } from "../../vectors/run.ts";
import { type EddsaVerifyFile, VectorFileError, loadEddsaVerifyFile } from "../../vectors/wycheproof.ts";

const HELP = `Usage: offtap vectors run FILE.json [FILE.json…] [--json]

Runs Ed25519 verification test vectors through the firmware (build/offtap.wasm).

Files use the Wycheproof EdDSA verify layout (schema eddsa_verify_schema*.json, either
group.publicKey.pk or group.key.pk). "valid" vectors must be accepted, "invalid" ones
rejected, "acceptable" ones may go either way. A key or signature of the wrong length is
judged rejected without calling the firmware, which takes 32- and 64-byte inputs only.

Prints one line per failing vector (file, tcId, comment, expected, got — the firmware's
status name), then a summary.

Options:
  --json     print {"total","passed","failed","failures":[{"tcId","expected","got","comment"}]}
  -h, --help show this help

Exit codes: 0 all vectors agree, 1 some vector disagrees, 2 usage or file error.
Committed vector files: test/vectors/ed25519/*.json (see PROVENANCE.md there).
`;

interface Options {
  files: string[];
  json: boolean;
  help: boolean;
}

function parseOptions(argv: string[]): Options {
  const [sub, ...rest] = argv;
  if (sub === "-h" || sub === "--help" || sub === "help") return { files: [], json: false, help: true };
  if (sub === undefined) throw new UsageError("missing subcommand: offtap vectors run FILE.json…");
  if (sub !== "run") throw new UsageError(`unknown subcommand '${sub}' (expected 'run')`);
  const { values, positionals } = parse(rest, { json: { type: "boolean" }, help: { type: "boolean", short: "h" } }, true);
  const opts = { files: positionals, json: values.json === true, help: values.help === true };
  if (!opts.help && opts.files.length === 0) throw new UsageError("no vector file given");
  return opts;
}

/** A verifier over a firmware instance that is rebuilt if a trap leaves it unusable. */
function firmwareVerifier(): { verify: StatusVerifier; reset: () => void } {
  let fw = new FirmwareCrypto();
  return {
    verify: (pk, msg, sig) => fw.verify(pk, msg, sig),
    reset: () => {
      fw = new FirmwareCrypto();
    },
  };
}

function printText(report: RunReport, fileCount: number): void {
  for (const f of report.failures) {
    const where = fileCount > 1 ? `${f.file} ` : "";
    console.log(`${red("FAIL")} ${where}tcId ${f.tcId}: expected ${f.expected}, got ${f.got}${f.comment ? ` — ${f.comment}` : ""}`);
  }
  const summary = `${report.total} vectors, ${report.passed} passed, ${report.failed} failed`;
  console.log(report.failed === 0 ? green(`ok: ${summary}`) : red(`FAILED: ${summary}`));
}

function printJson(report: RunReport): void {
  const failures = report.failures.map((f) => ({ tcId: f.tcId, expected: f.expected, got: f.got, comment: f.comment }));
  console.log(JSON.stringify({ total: report.total, passed: report.passed, failed: report.failed, failures }));
}

async function run(argv: string[]): Promise<number> {
  const opts = parseOptions(argv);
  if (opts.help) {
    console.log(HELP);
    return EXIT_OK;
  }
  let files: EddsaVerifyFile[];
  try {
    files = opts.files.map(loadEddsaVerifyFile);
  } catch (e) {
    if (!(e instanceof VectorFileError)) throw e;
    console.error(`offtap vectors: ${e.message}`);
    return EXIT_USAGE;
  }
  if (!existsSync(firmwarePath)) {
    console.error(`offtap vectors: firmware not built (${firmwarePath} is missing); run \`make build\` first`);
    return EXIT_USAGE;
  }
  let fw: ReturnType<typeof firmwareVerifier>;
  try {
    fw = firmwareVerifier();
  } catch (e) {
    console.error(`offtap vectors: cannot load the firmware ${firmwarePath}: ${e instanceof Error ? e.message : String(e)}`);
    return EXIT_USAGE;
  }
  const report = emptyReport();
  for (const f of files) runCases(f.label, f.cases, fw.verify, report, fw.reset);
  if (opts.json) printJson(report);
  else printText(report, files.length);
  return report.failed === 0 ? EXIT_OK : EXIT_FAILED;
}

export const command: Command = {
  name: "vectors",
  summary: "run Ed25519 test-vector files (Wycheproof layout) against the firmware",
  run,
};
