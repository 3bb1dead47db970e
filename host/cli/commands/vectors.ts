// `offtap vectors run FILE… [--engine v8|wasi|device] [--runtime CMD] [--port P] [--junit FILE] [--json]`:
// runs crypto vector files (Wycheproof EdDSA verify layout) and tap vector files (recorded
// tap exchanges, test/vectors/protocol/exchanges.json) on the firmware — in V8, as WASI
// modules (node:wasi or an external runtime such as WASM3), or on a board in test mode
// over a serial port — and reports every disagreement, optionally as JUnit XML.
// Exit codes: 0 every vector agrees, 1 at least one disagreement, 2 usage or file error.
import { accessSync, constants, existsSync, mkdirSync } from "node:fs";
import path from "node:path";
import { type Command, EXIT_FAILED, EXIT_OK, EXIT_USAGE, UsageError } from "../command.ts";
import { intFlag, parse } from "../args.ts";
import { Progress, green, red, stderrPaint } from "../output.ts";
import { checkOutput, writeOutput } from "../files.ts";
import { firmwarePath } from "../../firmware/paths.ts";
import {
  ENGINES,
  type Engine,
  type EngineName,
  V8Engine,
  WasiEngine,
  selftestWasm,
  taprunnerWasm,
} from "../../vectors/engine.ts";
import { DeviceEngine } from "../../vectors/device-engine.ts";
import { type VectorFile, loadVectorFile } from "../../vectors/files.ts";
import { type FileResult, totals } from "../../vectors/results.ts";
import { junitXml } from "../../vectors/junit.ts";
import { VectorFileError } from "../../vectors/wycheproof.ts";
import { DEFAULT_BAUD } from "../../device/protocol.ts";
import { runtimeCommand } from "../../vectors/wasi.ts";

const HELP = `Usage: offtap vectors run FILE.json [FILE.json…] [options]

Runs test-vector files on the firmware and reports every disagreement.

Vector files (told apart by their shape):
  crypto  Wycheproof EdDSA verify layout (schema eddsa_verify_schema*.json, either
          group.publicKey.pk or group.key.pk). "valid" vectors must be accepted,
          "invalid" ones rejected, "acceptable" ones may go either way. A key or
          signature of the wrong length is judged rejected without calling the firmware,
          which takes 32- and 64-byte inputs only.
  tap     recorded tap exchanges ({"tapes": […]}, test/vectors/protocol/exchanges.json):
          provisioning, deny lists, clock, random bytes, every C-APDU and R-APDU. The
          firmware must send every recorded C-APDU byte for byte and reach the recorded
          decision, receipt and signals.

Engines:
  v8      build/offtap.wasm in this process (default)
  wasi    build/selftest.wasm (crypto) and build/taprunner.wasm (taps) as WASI commands,
          under node:wasi or, with --runtime, under an external runtime such as WASM3
  device  a board in test mode on a serial port (boards/TESTMODE.md)

Prints one line per failing vector (file, id, what was expected, what happened), then a
summary.

Options:
  --engine E     v8 (default), wasi or device
  --runtime CMD  wasi only: run modules as \`CMD MODULE.wasm\` with the input on stdin
                 (e.g. --runtime /opt/wasm3/wasm3); default node:wasi
  --port P       device only: serial port (e.g. /dev/ttyUSB0)
  --baud N       device only: baud rate (default ${DEFAULT_BAUD})
  --junit FILE   also write a JUnit XML report (a testsuite per file, a testcase per vector);
                 an existing FILE is not replaced without --force
  --force        replace the --junit FILE
  --json         print {"total","passed","failed","failures":[{"tcId"|"id","expected","got","comment"}]}
  -h, --help     show this help

Exit codes: 0 all vectors agree, 1 some vector disagrees, 2 usage or file error.
Committed vector files: test/vectors/ed25519/{rfc8032,speccheck,wycheproof-ed25519_test,
lattice-fallback}.json (verify vectors; see PROVENANCE.md there: rfc8032-sign.json and
speccheck-cases.json there are inputs of other tests, not verify files) and
test/vectors/protocol/exchanges.json (see README.md there). For example:
  offtap vectors run test/vectors/ed25519/{rfc8032,speccheck,wycheproof-ed25519_test}.json \\
    test/vectors/protocol/exchanges.json --junit build/vectors.xml
`;

interface Options {
  files: string[];
  engine: EngineName;
  runtime: string | null;
  port: string | null;
  baud: number;
  junit: string | null;
  json: boolean;
  help: boolean;
  force: boolean;
}

/** An external runtime that is not there is an input error before any vector runs. */
function checkRuntime(runtime: string): void {
  const program = runtimeCommand(runtime)[0]!;
  const dirs = program.includes("/") ? [""] : (process.env["PATH"] ?? "").split(path.delimiter);
  const found = dirs.some((d) => {
    try {
      accessSync(d === "" ? program : path.join(d, program), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
  if (!found) {
    throw new UsageError(
      `--runtime ${program}: no such program`,
      "give the path of a WASI runtime such as WASM3's wasm3",
    );
  }
}

function parseOptions(argv: string[]): Options {
  const [sub, ...rest] = argv;
  const none: Options = {
    files: [],
    engine: "v8",
    runtime: null,
    port: null,
    baud: DEFAULT_BAUD,
    junit: null,
    json: false,
    help: true,
    force: false,
  };
  if (sub === "-h" || sub === "--help" || sub === "help") return none;
  if (sub === undefined) throw new UsageError("missing subcommand: offtap vectors run FILE.json…");
  if (sub !== "run") throw new UsageError(`unknown subcommand '${sub}' (expected 'run')`);
  const { values, positionals } = parse(
    rest,
    {
      engine: { type: "string" },
      runtime: { type: "string" },
      port: { type: "string" },
      baud: { type: "string" },
      junit: { type: "string" },
      json: { type: "boolean" },
      help: { type: "boolean", short: "h" },
      force: { type: "boolean" },
    },
    true,
  );
  if (values.help === true) return none;
  const engine = values.engine ?? "v8";
  if (!(ENGINES as readonly string[]).includes(engine))
    throw new UsageError(`--engine must be one of ${ENGINES.join(", ")}, not '${engine}'`);
  if (values.runtime !== undefined && engine !== "wasi")
    throw new UsageError("--runtime applies to --engine wasi only");
  if (values.runtime !== undefined && values.runtime.trim() === "")
    throw new UsageError("--runtime is empty");
  if ((values.port !== undefined || values.baud !== undefined) && engine !== "device")
    throw new UsageError("--port and --baud apply to --engine device only");
  if (engine === "device" && values.port === undefined)
    throw new UsageError("--engine device needs --port (e.g. --port /dev/ttyUSB0)");
  if (values.junit !== undefined && values.junit.trim() === "")
    throw new UsageError("--junit needs a file name");
  if (positionals.length === 0) throw new UsageError("no vector file given");
  if (values.runtime !== undefined) checkRuntime(values.runtime);
  if (values.junit !== undefined) {
    mkdirSync(path.dirname(path.resolve(values.junit)), { recursive: true });
    checkOutput(values.junit, { force: values.force === true, flag: "--junit" });
  }
  return {
    files: positionals,
    engine: engine as EngineName,
    runtime: values.runtime ?? null,
    port: values.port ?? null,
    baud: intFlag("baud", values.baud, DEFAULT_BAUD, 4_000_000),
    junit: values.junit ?? null,
    json: values.json === true,
    help: false,
    force: values.force === true,
  };
}

/** Checks that what the engine needs exists before any vector runs. */
function missingBuild(o: Options, files: readonly VectorFile[]): string | null {
  const need: string[] = [];
  if (o.engine === "v8") need.push(firmwarePath);
  if (o.engine === "wasi") {
    if (files.some((f) => f.kind === "crypto")) need.push(selftestWasm);
    if (files.some((f) => f.kind === "tap")) need.push(taprunnerWasm);
  }
  const missing = need.find((p) => !existsSync(p));
  return missing === undefined ? null : `${missing} is missing; run \`make build\` first`;
}

async function openEngine(o: Options): Promise<Engine> {
  if (o.engine === "wasi") return new WasiEngine(o.runtime);
  if (o.engine === "device") return DeviceEngine.open(o.port!, o.baud);
  return new V8Engine();
}

async function runFile(
  engine: Engine,
  f: VectorFile,
  progress: Progress,
  done: { n: number },
): Promise<FileResult> {
  const t0 = performance.now();
  const result: FileResult = {
    file: f.file.label,
    kind: f.kind,
    engine: engine.name,
    cases: [],
    seconds: 0,
  };
  try {
    if (f.kind === "crypto") {
      result.cases = await engine.runCrypto(f.file);
      done.n += f.file.cases.length;
      progress.update(done.n);
    } else {
      for (const tape of f.file.tapes) {
        result.cases.push(await engine.runTape(tape));
        progress.update(++done.n);
      }
    }
  } catch (e) {
    result.error = e instanceof Error ? e.message : String(e);
  }
  result.seconds = (performance.now() - t0) / 1000;
  return result;
}

function printText(results: readonly FileResult[], engine: Engine): void {
  const many = results.length > 1;
  for (const f of results) {
    const where = many ? `${f.file} ` : "";
    if (f.error !== undefined) console.log(`${red("NOT RUN")} ${f.file}: ${f.error}`);
    for (const c of f.cases.filter((x) => !x.passed)) {
      if (f.kind === "crypto")
        console.log(
          `${red("FAIL")} ${where}tcId ${c.id}: ${c.message ?? "failed"}${c.comment ? ` — ${c.comment}` : ""}`,
        );
      else
        console.log(
          `${red("FAIL")} ${where}tape ${c.id}: ${(c.got ?? c.message ?? "failed").slice(0, 400)}`,
        );
    }
  }
  const t = totals(results);
  if (engine.name !== "v8") console.log(`engine: ${engine.name}, ${engine.description}`);
  const summary = `${t.total} vectors, ${t.passed} passed, ${t.failed} failed${t.errors > 0 ? `, ${t.errors} file(s) not run` : ""}`;
  console.log(
    t.failed === 0 && t.errors === 0 ? green(`ok: ${summary}`) : red(`FAILED: ${summary}`),
  );
}

function printJson(results: readonly FileResult[]): void {
  const t = totals(results);
  const failures = results.flatMap((f) => [
    ...(f.error === undefined
      ? []
      : [{ file: f.file, id: "(file)", expected: "the file runs", got: f.error, comment: "" }]),
    ...f.cases
      .filter((c) => !c.passed)
      .map((c) =>
        f.kind === "crypto"
          ? { tcId: c.tcId, expected: c.expected, got: c.got, comment: c.comment ?? "" }
          : { file: f.file, id: c.id, expected: c.expected, got: c.got, comment: c.name },
      ),
  ]);
  console.log(
    JSON.stringify({ total: t.total, passed: t.passed, failed: t.failed + t.errors, failures }),
  );
}

async function run(argv: string[]): Promise<number> {
  const o = parseOptions(argv);
  if (o.help) {
    console.log(HELP);
    return EXIT_OK;
  }
  let files: VectorFile[];
  try {
    files = o.files.map(loadVectorFile);
  } catch (e) {
    if (!(e instanceof VectorFileError)) throw e;
    throw new UsageError(e.message);
  }
  const missing = missingBuild(o, files);
  if (missing !== null) throw new UsageError(missing);
  let engine: Engine;
  try {
    engine = await openEngine(o);
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    throw new UsageError(`cannot start the ${o.engine} engine: ${why}`);
  }
  if (engine instanceof DeviceEngine && engine.firmwareNote !== null && !o.json) {
    console.error(stderrPaint.yellow(`note: ${engine.firmwareNote}`));
  }
  const total = files.reduce(
    (n, f) => n + (f.kind === "crypto" ? f.file.cases.length : f.file.tapes.length),
    0,
  );
  const progress = new Progress(`vectors (${o.engine})`, total);
  const results: FileResult[] = [];
  const done = { n: 0 };
  try {
    for (const f of files) results.push(await runFile(engine, f, progress, done));
  } finally {
    progress.finish();
    await engine.close();
  }
  if (o.junit !== null) writeOutput(o.junit, junitXml(results), { force: o.force });
  if (o.json) printJson(results);
  else printText(results, engine);
  const t = totals(results);
  return t.failed === 0 && t.errors === 0 ? EXIT_OK : EXIT_FAILED;
}

export const command: Command = {
  name: "vectors",
  summary: "run crypto and tap vector files on the firmware (V8, WASI/WASM3, or a board)",
  run,
};
