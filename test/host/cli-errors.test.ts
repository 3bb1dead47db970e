// The CLI frame (issue 15): every command and subcommand answers -h/--help with its own text;
// expected failures (missing files, folders for files, busy ports, bad hosts, corrupt inputs,
// outputs that exist) are one line `offtap <command>: <what> (<what to do>)` with the right
// exit code and no stack trace; with --json the error is one JSON object; colour is decided
// per stream. In-process main() calls, spawning only where the process boundary matters.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { format } from "node:util";
import { COMMANDS, LOADERS, main, subcommandsOf } from "../../host/cli/main.ts";
import type { CommandInfo } from "../../host/cli/commands.mjs";
import { colourFor } from "../../host/cli/output.ts";
import { repoRoot } from "../../host/firmware/paths.ts";

// These commands run on an embedded database in a temporary folder: a DATABASE_URL in the
// environment (make test sets one for the PostgreSQL suites) would select a server instead.
delete process.env["DATABASE_URL"];
const work = mkdtempSync(path.join(tmpdir(), "offtap-cli-errors-"));
after(() => rmSync(work, { recursive: true, force: true }));
const readme = path.join(repoRoot, "README.md");
const rfc = path.join(repoRoot, "test", "vectors", "ed25519", "rfc8032.json");
const provision = path.join(repoRoot, "test", "vectors", "image", "provision-gate.json");
const releaseKey = path.join(repoRoot, "test", "vectors", "image", "release-key.json");

interface Run { code: number; out: string; err: string }

/** Every subcommand of a command: the table's and those its module's help names. */
async function subsOf(c: CommandInfo): Promise<string[]> {
  return subcommandsOf(c, (await LOADERS[c.name]()).command);
}

/** Runs `offtap ARGV` in this process with console and standard streams captured. */
async function offtap(argv: string[]): Promise<Run> {
  const out: string[] = [];
  const err: string[] = [];
  const saved = { log: console.log, error: console.error, warn: console.warn,
    out: process.stdout.write, err: process.stderr.write };
  console.log = (...a: unknown[]): void => { out.push(`${format(...a)}\n`); };
  console.error = (...a: unknown[]): void => { err.push(`${format(...a)}\n`); };
  console.warn = console.error;
  // Text is the command's; anything else (the test runner's own binary messages) passes.
  const tee = (into: string[], write: typeof process.stdout.write): typeof write =>
    ((chunk: string | Uint8Array, ...rest: unknown[]): boolean => {
      if (typeof chunk === "string") return into.push(chunk) > 0;
      return (write as (c: Uint8Array, ...r: unknown[]) => boolean).call(process.stdout, chunk,
        ...rest);
    }) as typeof write;
  process.stdout.write = tee(out, saved.out);
  process.stderr.write = tee(err, saved.err);
  try {
    const code = await main(argv);
    return { code, out: out.join(""), err: err.join("") };
  } finally {
    Object.assign(console, { log: saved.log, error: saved.error, warn: saved.warn });
    process.stdout.write = saved.out;
    process.stderr.write = saved.err;
  }
}

/** The failure is one line with the command's prefix and a hint, no stack, and `code`. */
function assertOneLine(r: Run, code: number, prefix: string, names?: RegExp): void {
  const what = `exit ${r.code}, stderr:\n${r.err}`;
  assert.equal(r.code, code, what);
  assert.doesNotMatch(r.err, /^\s+at /m, `a stack trace: ${what}`);
  const lines = r.err.trimEnd().split("\n");
  assert.equal(lines.length, 1, `not one line: ${what}`);
  assert.ok(lines[0]!.startsWith(`${prefix}: `), `not '${prefix}: …': ${what}`);
  assert.match(lines[0]!, /\([^()]+\)$/, `no '(what to do)': ${what}`);
  assert.doesNotMatch(lines[0]!, /\berror:|\bERROR\b|refused \[/, `another prefix: ${what}`);
  if (names !== undefined) assert.match(lines[0]!, names, what);
}

test("--help and -h on every command and subcommand: exit 0, each its own text", async () => {
  for (const c of COMMANDS) {
    const long = await offtap([c.name, "--help"]);
    assert.equal(long.code, 0, `${c.name} --help: ${long.err}`);
    assert.match(long.out, new RegExp(`offtap ${c.name}\\b`), `${c.name} --help`);
    const short = await offtap([c.name, "-h"]);
    assert.equal(short.code, 0, `${c.name} -h: ${short.err}`);
    assert.equal(short.out, long.out, `${c.name}: -h and --help differ`);
    assert.equal((await offtap(["help", c.name])).out, long.out, `offtap help ${c.name}`);
    const subs = await subsOf(c);
    for (const sub of subs) {
      const r = await offtap([c.name, sub, "-h"]);
      assert.equal(r.code, 0, `${c.name} ${sub} -h: ${r.err}`);
      const own = new RegExp(`offtap ${c.name} ${sub}\\b`);
      assert.match(r.out, own, `${c.name} ${sub} -h:\n${r.out}`);
      assert.equal((await offtap([c.name, sub, "--help"])).out, r.out, `${c.name} ${sub}`);
      assert.equal((await offtap(["help", c.name, sub])).out, r.out, `help ${c.name} ${sub}`);
      if (subs.length > 1 && c.name !== "tokens") {
        assert.notEqual(r.out, long.out, `${c.name} ${sub} prints its parent's help`);
      }
    }
  }
  const top = await offtap(["--help"]);
  assert.equal(top.code, 0);
  for (const c of COMMANDS) assert.match(top.out, new RegExp(`^  ${c.name} `, "m"));
});

test("an unknown flag on every command and subcommand: one line, exit 2", async () => {
  for (const c of COMMANDS) {
    for (const words of [[c.name], ...(await subsOf(c)).map((s) => [c.name, s])]) {
      const r = await offtap([...words, "--no-such-flag"]);
      assertOneLine(r, 2, `offtap ${words.join(" ")}`, /--no-such-flag/);
    }
  }
});

test("the table's summaries are the commands' own", async () => {
  for (const c of COMMANDS) {
    const { command } = await LOADERS[c.name]();
    assert.equal(command.name, c.name);
    assert.equal(command.summary, c.summary, c.name);
  }
});

test("outputs: a missing folder, a folder for a file, an existing file, no --force", async () => {
  const existing = path.join(work, "existing.batch");
  writeFileSync(existing, "keep me");
  assertOneLine(await offtap(["ledger", "export", "--out", "/nonexistent/x"]), 2,
    "offtap ledger export", /\/nonexistent/);
  assertOneLine(await offtap(["ledger", "export", "--out", existing]), 2,
    "offtap ledger export", /already exists.*--force/);
  assert.equal(readFileSync(existing, "utf8"), "keep me");
  assertOneLine(await offtap(["history", "export", "--csv", "--out", "/nonexistent/h.csv",
    "--db", path.join(work, "never-opened")]), 2, "offtap history export", /\/nonexistent/);
  assert.equal(existsSync(path.join(work, "never-opened")), false, "the database was touched");
  assertOneLine(await offtap(["vectors", "run", rfc, "--junit", tmpdir()]), 2,
    "offtap vectors run", /is a folder/);
  const junit = path.join(work, "v.xml");
  writeFileSync(junit, "old");
  assertOneLine(await offtap(["vectors", "run", rfc, "--junit", junit]), 2, "offtap vectors run",
    /already exists/);
  const ok = await offtap(["vectors", "run", rfc, "--junit", junit, "--force"]);
  assert.equal(ok.code, 0, ok.err);
  assert.match(readFileSync(junit, "utf8"), /<testsuite/);
  assertOneLine(await offtap(["demo", "--out", readme]), 2, "offtap demo", /README\.md/);
  const image = ["image", "build", "--board", "esp32-gate-pn532", "--provision", provision,
    "--release-key", releaseKey];
  const t0 = Date.now();
  assertOneLine(await offtap([...image, "--out", "/nonexistent/x.img"]), 2, "offtap image build",
    /\/nonexistent/);
  assert.ok(Date.now() - t0 < 5_000, "the output is checked before the work");
  assertOneLine(await offtap([...image, "--out", existing]), 2, "offtap image build",
    /already exists/);
});

test("inputs: missing files, folders for files, corrupt files", async () => {
  const batch = path.join(work, "b.batch");
  const made = await offtap(["ledger", "export", "--out", batch, "--taps", "3"]);
  assert.equal(made.code, 0, made.err);
  assertOneLine(await offtap(["ledger", "verify", "/nope"]), 2, "offtap ledger verify",
    /no such file: \/nope/);
  assertOneLine(await offtap(["ledger", "verify", tmpdir()]), 2, "offtap ledger verify",
    /is a folder/);
  assertOneLine(await offtap(["ledger", "inspect", "/nope"]), 2, "offtap ledger inspect");
  // A corrupt B.json beside B.
  const corrupt = path.join(work, "c.batch");
  writeFileSync(corrupt, readFileSync(batch));
  writeFileSync(`${corrupt}.json`, "{");
  assertOneLine(await offtap(["ledger", "verify", corrupt]), 2, "offtap ledger verify",
    /c\.batch\.json is not valid JSON/);
  // A truncated batch: the same code in ledger verify and clear ingest.
  const cut = path.join(work, "t.batch");
  writeFileSync(cut, readFileSync(batch).subarray(0, 100));
  writeFileSync(`${cut}.json`, readFileSync(`${batch}.json`));
  assertOneLine(await offtap(["ledger", "verify", cut]), 2, "offtap ledger verify",
    /not a batch file/);
  const db = path.join(work, "db");
  await offtap(["clear", "init", "--db", db]); // where databases are created on purpose
  assertOneLine(await offtap(["clear", "ingest", cut, "--db", db, "--unsafe-no-fsync"]), 2,
    "offtap clear ingest", /not a batch file/);
  assertOneLine(await offtap(["clear", "balances", "--db", readme]), 2, "offtap clear balances",
    /README\.md/);
  assertOneLine(await offtap(["image", "build", "--board", "esp32-gate-pn532", "--provision",
    readme, "--dev-key", "--out", path.join(work, "y.img")]), 2, "offtap image build",
  /not valid JSON/);
  assertOneLine(await offtap(["image", "inspect", tmpdir()]), 2, "offtap image inspect");
  assertOneLine(await offtap(["vectors", "run", "/nope.json"]), 2, "offtap vectors run");
  assertOneLine(await offtap(["vectors", "run", readme]), 2, "offtap vectors run");
  assertOneLine(await offtap(["vectors", "run", rfc, "--engine", "wasi", "--runtime", "/nope"]), 2,
    "offtap vectors run", /--runtime \/nope/);
  assertOneLine(await offtap(["ledger", "powercut", "--taps", "3", "--random", "0"]), 2,
    "offtap ledger powercut");
  assertOneLine(await offtap(["nosuch"]), 2, "offtap", /unknown command 'nosuch'/);
  assertOneLine(await offtap(["ledger", "nosuch"]), 2, "offtap ledger", /nosuch/);
});

test("busy ports and bad hosts are reported before any work", async () => {
  const busy: Server = createServer();
  await new Promise<void>((resolve) => busy.listen(0, "127.0.0.1", resolve));
  const port = String((busy.address() as { port: number }).port);
  try {
    const t0 = Date.now();
    assertOneLine(await offtap(["demo", "--serve", "--port", port]), 2, "offtap demo",
      new RegExp(`port ${port}.*in use`));
    assert.ok(Date.now() - t0 < 5_000, "the port is checked before the demo runs");
    const db = path.join(work, "serve-db");
    assertOneLine(await offtap(["serve", "--port", port, "--db", db]), 2, "offtap serve",
      /in use/);
    assertOneLine(await offtap(["serve", "--host", "999.1.1.1", "--db", db]), 2,
      "offtap serve", /999\.1\.1\.1/);
    assert.equal(existsSync(db), false, "the database was opened before the port was checked");
  } finally {
    busy.close();
  }
});

test("--json: the error is one JSON object on stderr, the exit code unchanged", async () => {
  const r = await offtap(["ledger", "verify", "/nope", "--json"]);
  assert.equal(r.code, 2);
  assert.equal(r.out, "");
  const lines = r.err.trimEnd().split("\n");
  assert.equal(lines.length, 1, r.err);
  const j = JSON.parse(lines[0]!) as { error: Record<string, unknown> };
  assert.deepEqual(Object.keys(j), ["error"]);
  assert.equal(j.error["command"], "offtap ledger verify");
  assert.match(String(j.error["message"]), /no such file: \/nope/);
  assert.equal(typeof j.error["hint"], "string");
  assert.equal(j.error["exit"], 2);
  const unknown = await offtap(["nosuch", "--json"]);
  assert.equal(unknown.code, 2);
  assert.equal((JSON.parse(unknown.err) as { error: { exit: number } }).error.exit, 2);
});

test("--json errors from the PN532 commands too (reader, wallet)", async () => {
  for (const cmd of ["reader", "wallet"]) {
    const r = await offtap([cmd, "--nfc", `pn532:${path.join(work, "no-such-tty")}`, "--json"]);
    assert.equal(r.code, 2, r.err);
    assert.equal(r.out, "");
    const j = JSON.parse(r.err) as { error: { command: string; message: string; exit: number } };
    assert.equal(j.error.command, `offtap ${cmd}`);
    assert.match(j.error.message, /no serial device/);
    assert.equal(j.error.exit, 2);
  }
});

test("history and image partitions speak --json", async () => {
  const p = await offtap(["image", "partitions", "--board", "esp32-gate-pn532", "--json"]);
  assert.equal(p.code, 0, p.err);
  const j = JSON.parse(p.out) as { board: string; partitions: { name: string }[] };
  assert.equal(j.board, "esp32-gate-pn532");
  assert.ok(j.partitions.some((x) => x.name === "wasm"));
  assertOneLine(await offtap(["history", "export"]), 2, "offtap history export",
    /--csv and --json/);
  const both = await offtap(["history", "export", "--csv", "--json"]);
  assert.equal(both.code, 2);
  assert.match((JSON.parse(both.err) as { error: { message: string } }).error.message, /--csv/);
});

test("the vectors help's example runs", async () => {
  const help = (await offtap(["vectors", "--help"])).out;
  const example = /^ {2}offtap vectors run (.+?) \\\n {4}(.+)$/m.exec(help);
  assert.ok(example, help);
  const words = `${example[1]} ${example[2]}`.split(/\s+/).filter((w) => !w.startsWith("--junit"))
    .filter((w) => !w.endsWith(".xml"));
  const files = words.flatMap((w) => {
    const brace = /^(.*)\{(.+)\}(.*)$/.exec(w);
    return brace ? brace[2]!.split(",").map((x) => `${brace[1]}${x}${brace[3]}`) : [w];
  }).map((f) => path.join(repoRoot, f));
  const r = await offtap(["vectors", "run", ...files]);
  assert.equal(r.code, 0, r.err + r.out);
});

test("colour is decided per stream: TTY only, NO_COLOR (non-empty) and TERM=dumb honoured", () => {
  const tty = { isTTY: true };
  assert.equal(colourFor(tty, {}), true);
  assert.equal(colourFor({ isTTY: false }, {}), false);
  assert.equal(colourFor({}, {}), false);
  assert.equal(colourFor(tty, { NO_COLOR: "1" }), false);
  assert.equal(colourFor(tty, { NO_COLOR: "" }), true, "an empty NO_COLOR does not count");
  assert.equal(colourFor(tty, { TERM: "dumb" }), false);
});

test("spawned: one line on stderr, no escape codes in files, --help without the loader", () => {
  const bin = path.join(repoRoot, "bin", "offtap.mjs");
  const errFile = path.join(work, "err.log");
  mkdirSync(work, { recursive: true });
  const env = { ...process.env };
  delete env["NO_COLOR"];
  delete env["FORCE_COLOR"];
  const line = `"${process.execPath}" "${bin}" ledger verify /nope 2> "${errFile}"`;
  const r = spawnSync("sh", ["-c", line], { encoding: "utf8", env });
  assert.equal(r.status, 2);
  const err = readFileSync(errFile, "utf8");
  assert.equal(err, "offtap ledger verify: no such file: /nope (check the path)\n");
  assert.doesNotMatch(err, /\u001b\[/);
  const help = spawnSync(process.execPath, [bin, "--help"], { encoding: "utf8" });
  assert.equal(help.status, 0);
  assert.match(help.stdout, /^usage: offtap/);
});
