// `offtap vectors run` with --engine v8|wasi, --runtime, --junit and --json over crypto and
// tap vector files: the committed files pass on every engine, altered copies fail with
// exit 1 naming the vector, usage errors exit 2, and the JUnit XML is well-formed and
// counts what ran.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { repoRoot } from "../../host/firmware/paths.ts";
import type { Tape } from "../../host/sim/tape.ts";
import { junitXml, xmlEscape } from "../../host/vectors/junit.ts";
import type { FileResult } from "../../host/vectors/results.ts";
import { parseXml, type XmlElement } from "./qa-xml.ts";

const TAPES = path.join(repoRoot, "test/vectors/protocol/exchanges.json");
const RFC = path.join(repoRoot, "test/vectors/ed25519/rfc8032.json");
const WYCHEPROOF = path.join(repoRoot, "test/vectors/ed25519/wycheproof-ed25519_test.json");
const RUNTIME = `${process.execPath} ${path.join(repoRoot, "test/host/qa-runtime.mjs")}`;
const tapeDoc = JSON.parse(readFileSync(TAPES, "utf8")) as { tapes: Tape[] };
const cryptoCount = (file: string): number =>
  (
    JSON.parse(readFileSync(file, "utf8")) as { testGroups: { tests: unknown[] }[] }
  ).testGroups.reduce((n, g) => n + g.tests.length, 0);

const tmp = mkdtempSync(path.join(tmpdir(), "offtap-qa-"));
test.after(() => rmSync(tmp, { recursive: true, force: true }));

function cli(
  args: string[],
  env: Record<string, string> = {},
): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(
    process.execPath,
    [path.join(repoRoot, "bin/offtap.mjs"), "vectors", ...args],
    {
      encoding: "utf8",
      env: { ...process.env, NO_COLOR: "1", ...env },
      maxBuffer: 32 << 20,
    },
  );
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

interface JsonReport {
  total: number;
  passed: number;
  failed: number;
  failures: { id?: string; tcId?: number; file?: string; expected?: string; got?: string }[];
}

function alteredTapes(): string {
  const doc = structuredClone(tapeDoc);
  // "accepted": a flipped signature bit; "kiosk": its recorded decision claims a decline.
  const acc = doc.tapes.find((t) => t.id === "accepted")!.steps.find((s) => s.op === "tap")!;
  assert.ok(acc.op === "tap");
  const b = Buffer.from(acc.exchanges[1]!.response!, "hex");
  b[60] = b[60]! ^ 0x01;
  acc.exchanges[1]!.response = b.toString("hex");
  const kiosk = doc.tapes.find((t) => t.id === "kiosk")!.steps.find((s) => s.op === "tap")!;
  assert.ok(kiosk.op === "tap");
  kiosk.decision = 22;
  const p = path.join(tmp, "altered-tapes.json");
  writeFileSync(p, JSON.stringify(doc));
  return p;
}

for (const engine of ["v8", "wasi"] as const) {
  test(`--engine ${engine}: committed tap and crypto vectors all pass (--json totals)`, () => {
    const r = cli(["run", TAPES, RFC, WYCHEPROOF, "--engine", engine, "--json"]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const n = tapeDoc.tapes.length + cryptoCount(RFC) + cryptoCount(WYCHEPROOF);
    assert.deepEqual(JSON.parse(r.stdout), { total: n, passed: n, failed: 0, failures: [] });
  });

  test(`--engine ${engine}: altered tapes fail with exit 1, naming exactly those tapes`, () => {
    const r = cli(["run", alteredTapes(), "--engine", engine, "--json"]);
    assert.equal(r.code, 1, r.stderr);
    const report = JSON.parse(r.stdout) as JsonReport;
    assert.equal(report.failed, 2);
    assert.deepEqual(report.failures.map((f) => f.id).sort(), ["accepted", "kiosk"]);
    const text = cli(["run", alteredTapes(), "--engine", engine]);
    assert.equal(text.code, 1);
    assert.match(text.stdout, /^FAIL tape accepted: .*AUTH_SIGNATURE_INVALID/m);
    assert.match(text.stdout, /^FAILED: \d+ vectors, \d+ passed, 2 failed$/m);
  });
}

test("--engine wasi flips a Wycheproof expectation into a failure naming the tcId", () => {
  const doc = JSON.parse(readFileSync(RFC, "utf8")) as {
    testGroups: { tests: { tcId: number; result: string }[] }[];
  };
  doc.testGroups[0]!.tests[0]!.result = "invalid";
  const p = path.join(tmp, "rfc-flipped.json");
  writeFileSync(p, JSON.stringify(doc));
  const r = cli(["run", p, "--engine", "wasi", "--json"]);
  assert.equal(r.code, 1);
  const report = JSON.parse(r.stdout) as JsonReport;
  assert.deepEqual(
    report.failures.map((f) => [f.tcId, f.expected, f.got]),
    [[doc.testGroups[0]!.tests[0]!.tcId, "invalid", "Valid"]],
  );
});

test("--runtime CMD runs every module through the external runtime", () => {
  const mark = path.join(tmp, "runtime-runs.txt");
  const r = cli(["run", TAPES, RFC, "--engine", "wasi", "--runtime", RUNTIME, "--json"], {
    QA_RUNTIME_MARK: mark,
  });
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.equal((JSON.parse(r.stdout) as JsonReport).total, tapeDoc.tapes.length + cryptoCount(RFC));
  const runs = readFileSync(mark, "utf8").trim().split("\n");
  assert.equal(
    runs.filter((m) => m.endsWith("taprunner.wasm")).length,
    tapeDoc.tapes.length,
    "one runtime process per tape",
  );
  assert.equal(
    runs.filter((m) => m.endsWith("selftest.wasm")).length,
    1,
    "one runtime process per crypto file",
  );
  const bad = cli(["run", alteredTapes(), "--engine", "wasi", "--runtime", RUNTIME, "--json"]);
  assert.equal(bad.code, 1);
  assert.equal((JSON.parse(bad.stdout) as JsonReport).failed, 2);
});

test("a runtime that is not there is an input error; one that fails is a failed file", () => {
  const missing = path.join(tmp, "no-such-runtime");
  const none = cli(["run", RFC, "--engine", "wasi", "--runtime", missing, "--json"]);
  assert.equal(none.code, 2, none.stdout + none.stderr);
  assert.equal(none.stdout, "");
  const error = (JSON.parse(none.stderr) as { error: { message: string } }).error;
  assert.match(error.message, /no such program/);
  const r = cli(["run", RFC, "--engine", "wasi", "--runtime", "false", "--json"]);
  assert.equal(r.code, 1, r.stdout + r.stderr);
  const report = JSON.parse(r.stdout) as JsonReport;
  assert.equal(report.passed, 0);
  assert.match(report.failures[0]?.got ?? "", /exited with 1/);
});

test("--junit writes well-formed JUnit XML: a suite per file, a case per vector, failures with messages", () => {
  const out = path.join(tmp, "reports", "junit.xml");
  const r = cli(["run", alteredTapes(), RFC, "--engine", "wasi", "--junit", out]);
  assert.equal(r.code, 1);
  assert.ok(existsSync(out));
  const root = parseXml(readFileSync(out, "utf8"));
  assert.equal(root.name, "testsuites");
  const suites = root.children.filter((c) => c.name === "testsuite");
  assert.equal(suites.length, 2);
  const [taps, crypto] = suites as [XmlElement, XmlElement];
  assert.equal(Number(taps.attrs.tests), tapeDoc.tapes.length);
  assert.equal(Number(taps.attrs.failures), 2);
  assert.equal(Number(crypto.attrs.tests), cryptoCount(RFC));
  assert.equal(Number(root.attrs.tests), tapeDoc.tapes.length + cryptoCount(RFC));
  const cases = taps.children.filter((c) => c.name === "testcase");
  assert.equal(cases.length, tapeDoc.tapes.length);
  for (const c of cases) {
    assert.ok(c.attrs.classname?.startsWith("offtap.vectors.wasi.tap."));
    assert.ok(Number.isFinite(Number(c.attrs.time)) && Number(c.attrs.time) >= 0);
  }
  const failed = cases.filter((c) => c.children.some((f) => f.name === "failure"));
  assert.deepEqual(failed.map((c) => c.attrs.name!.split(":")[0]).sort(), [
    "tape accepted",
    "tape kiosk",
  ]);
  const failure = failed[0]!.children[0]!;
  assert.ok(failure.attrs.message && failure.attrs.message.length > 0);
  assert.ok(failure.text.length > 0);
});

test("JUnit escaping survives markup, quotes, control characters and lone surrogates", () => {
  const nasty = `a<b>&"c"'d'\u0001\u001f\ud800 é\n\ttab`;
  const files: FileResult[] = [
    {
      file: "x&y.json",
      kind: "crypto",
      engine: "wasi",
      seconds: 0.5,
      cases: [
        { id: "1", name: nasty, passed: false, message: nasty, detail: nasty, seconds: 0.25 },
        { id: "2", name: "ok", passed: true, seconds: 0 },
      ],
    },
    {
      file: "broken.json",
      kind: "tap",
      engine: "wasi",
      seconds: 0,
      cases: [],
      error: "runtime <gone>",
    },
  ];
  const root = parseXml(junitXml(files));
  assert.equal(root.attrs.tests, "2");
  assert.equal(root.attrs.failures, "1");
  assert.equal(root.attrs.errors, "1");
  const tc = root.children[0]!.children.find((c) => c.name === "testcase")!;
  assert.equal(tc.attrs.name, `a<b>&"c"'d'\ufffd\ufffd\ufffd é\n\ttab`);
  assert.equal(tc.children[0]!.text, `a<b>&"c"'d'\ufffd\ufffd\ufffd é\n\ttab`);
  const err = root.children[1]!.children.find((c) => c.name === "testcase")!.children[0]!;
  assert.equal(err.name, "error");
  assert.equal(err.attrs.message, "runtime <gone>");
  assert.equal(xmlEscape("&amp;"), "&amp;amp;");
});

test("usage and input errors exit 2", () => {
  const cases: [string[], RegExp][] = [
    [["run", RFC, "--engine", "jvm"], /--engine must be one of v8, wasi, device/],
    [["run", RFC, "--runtime", "wasm3"], /--runtime applies to --engine wasi only/],
    [["run", RFC, "--engine", "device"], /--engine device needs --port/],
    [["run", RFC, "--port", "/dev/null"], /--port and --baud apply to --engine device only/],
    [
      ["run", RFC, "--engine", "device", "--port", path.join(tmp, "no-such-tty")],
      /cannot start the device engine: serial port .* does not exist/,
    ],
  ];
  for (const [args, message] of cases) {
    const r = cli(args);
    assert.equal(r.code, 2, `${args.join(" ")}: ${r.stdout}${r.stderr}`);
    assert.match(r.stderr, message);
  }
  const bad = structuredClone(tapeDoc);
  (bad.tapes[3]!.steps[0] as { op: string }).op = "explode";
  const p = path.join(tmp, "bad-tapes.json");
  writeFileSync(p, JSON.stringify(bad));
  const r = cli(["run", p]);
  assert.equal(r.code, 2);
  assert.match(
    r.stderr,
    /tapes\[3\] \(vanish-before-receipt\), steps\[0\]: "op" must be init, denyList, tap or idle/,
  );
  const help = cli(["run", "--help"]);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /--engine E/);
});
