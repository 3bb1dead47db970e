// `offtap vectors run` end to end: the CLI runs as a subprocess over the committed vector
// files, over deliberately corrupted copies, and over malformed files.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { repoRoot } from "../../host/firmware/paths.ts";
import { VectorFileError, loadEddsaVerifyFile, parseEddsaVerifyFile } from "../../host/vectors/wycheproof.ts";
import { FirmwareCrypto } from "../../host/firmware/crypto.ts";
import { statusName } from "../../host/crypto/policy.ts";

const vectorDir = path.join(repoRoot, "test/vectors/ed25519");
const VERIFY_FILES = ["rfc8032.json", "wycheproof-ed25519_test.json", "speccheck.json"];

interface JsonReport {
  total: number;
  passed: number;
  failed: number;
  failures: { tcId: number; expected: string; got: string; comment: string }[];
}

type Doc = { testGroups: { tests: { tcId: number; result: string; comment: string; sig: string }[]; [k: string]: unknown }[]; [k: string]: unknown };

function cli(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [path.join(repoRoot, "bin/offtap.mjs"), "vectors", ...args], {
    encoding: "utf8",
    env: { ...process.env, NO_COLOR: "1" },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function readDoc(file: string): Doc {
  return JSON.parse(readFileSync(path.join(vectorDir, file), "utf8")) as Doc;
}

function testCount(doc: Doc): number {
  return doc.testGroups.reduce((n, g) => n + g.tests.length, 0);
}

function findTest(doc: Doc, tcId: number) {
  const t = doc.testGroups.flatMap((g) => g.tests).find((x) => x.tcId === tcId);
  assert.ok(t, `tcId ${tcId} in the fixture`);
  return t;
}

const tmp = mkdtempSync(path.join(tmpdir(), "offtap-vectors-"));
test.after(() => rmSync(tmp, { recursive: true, force: true }));

function writeTmp(name: string, content: unknown): string {
  const p = path.join(tmp, name);
  writeFileSync(p, typeof content === "string" ? content : JSON.stringify(content));
  return p;
}

for (const file of VERIFY_FILES) {
  test(`every vector in ${file} passes on the firmware (--json totals match the file)`, () => {
    const r = cli("run", path.join(vectorDir, file), "--json");
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const report = JSON.parse(r.stdout) as JsonReport;
    const n = testCount(readDoc(file));
    assert.deepEqual(report, { total: n, passed: n, failed: 0, failures: [] });
  });
}

test("several files in one run: text summary counts them all", () => {
  const r = cli("run", ...VERIFY_FILES.map((f) => path.join(vectorDir, f)));
  assert.equal(r.code, 0, r.stdout + r.stderr);
  const total = VERIFY_FILES.reduce((n, f) => n + testCount(readDoc(f)), 0);
  assert.match(r.stdout, new RegExp(`^ok: ${total} vectors, ${total} passed, 0 failed$`, "m"));
});

test("a corrupted copy fails with exit 1 and names exactly the flipped vectors", () => {
  const doc = readDoc("wycheproof-ed25519_test.json");
  // tcId 1 is a valid signature; tcId 63 is S replaced by S + L (policy rule 1).
  findTest(doc, 1).result = "invalid";
  findTest(doc, 63).result = "valid";
  const p = writeTmp("corrupted.json", doc);
  const json = cli("run", p, "--json");
  assert.equal(json.code, 1, json.stderr);
  const report = JSON.parse(json.stdout) as JsonReport;
  assert.equal(report.total, testCount(doc));
  assert.equal(report.failed, 2);
  assert.equal(report.passed, report.total - 2);
  const byId = new Map(report.failures.map((f) => [f.tcId, f]));
  assert.deepEqual([...byId.keys()].sort((a, b) => a - b), [1, 63]);
  assert.equal(byId.get(1)?.expected, "invalid");
  assert.equal(byId.get(1)?.got, "Valid");
  assert.equal(byId.get(63)?.expected, "valid");
  assert.equal(byId.get(63)?.got, "SNotCanonical");
  assert.equal(byId.get(63)?.comment, findTest(doc, 63).comment);

  const text = cli("run", p);
  assert.equal(text.code, 1);
  assert.match(text.stdout, /^FAIL tcId 63: expected valid, got SNotCanonical — the encoded s was replaced by s \+ L/m);
  assert.match(text.stdout, /^FAIL tcId 1: expected invalid, got Valid/m);
  assert.match(text.stdout, /^FAILED: \d+ vectors, \d+ passed, 2 failed$/m);
});

test("'acceptable' vectors pass whichever way the firmware decides", () => {
  const doc = readDoc("wycheproof-ed25519_test.json");
  findTest(doc, 1).result = "acceptable";
  findTest(doc, 63).result = "acceptable";
  const r = cli("run", writeTmp("acceptable.json", doc), "--json");
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.equal((JSON.parse(r.stdout) as JsonReport).failed, 0);
});

test("wrong-length keys and signatures are judged rejected without calling the firmware", () => {
  const doc = readDoc("rfc8032.json");
  const t = doc.testGroups[0]!.tests[0]!;
  t.sig = t.sig + "00"; // 65 bytes
  const r1 = cli("run", writeTmp("long-sig.json", doc), "--json");
  assert.equal(r1.code, 1);
  assert.deepEqual((JSON.parse(r1.stdout) as JsonReport).failures.map((f) => [f.tcId, f.got]), [[t.tcId, "WrongLength"]]);
  t.result = "invalid";
  const r2 = cli("run", writeTmp("long-sig-invalid.json", doc), "--json");
  assert.equal(r2.code, 0, r2.stdout);
});

test("the older Wycheproof layout (group.key.pk, eddsa_verify_schema.json) runs the same", () => {
  const doc = readDoc("wycheproof-ed25519_test.json");
  const old = {
    ...doc,
    schema: "eddsa_verify_schema.json",
    testGroups: doc.testGroups.map(({ publicKey, ...g }) => ({ ...g, key: { ...(publicKey as object), type: "EDDSAKeyPair" } })),
  };
  const r = cli("run", writeTmp("old-layout.json", old), "--json");
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.equal((JSON.parse(r.stdout) as JsonReport).total, testCount(doc));
});

test("malformed and missing files exit 2 with a message naming the problem", () => {
  const cases: [string, string, RegExp][] = [
    ["not-json.json", "{ this is not json", /not valid JSON/],
    ["array.json", "[]", /JSON array, not a Wycheproof EdDSA verify file/],
    ["ecdsa.json", JSON.stringify({ schema: "ecdsa_verify_schema.json", testGroups: [] }), /"schema" must name eddsa_verify_schema/],
    ["no-groups.json", JSON.stringify({ schema: "eddsa_verify_schema_v1.json" }), /"testGroups" must be an array/],
  ];
  const doc = readDoc("rfc8032.json");
  doc.testGroups[1]!.tests[0]!.sig = "zz";
  cases.push(["bad-hex.json", JSON.stringify(doc), /testGroups\[1\], tcId 2: "sig" is not valid hex/]);
  const doc2 = readDoc("rfc8032.json");
  doc2.testGroups[0]!.tests[0]!.result = "maybe";
  cases.push(["bad-result.json", JSON.stringify(doc2), /"result" must be one of valid, invalid, acceptable/]);
  for (const [name, content, message] of cases) {
    const r = cli("run", writeTmp(name, content));
    assert.equal(r.code, 2, `${name}: ${r.stdout}${r.stderr}`);
    assert.match(r.stderr, message, name);
    assert.match(r.stderr, new RegExp(name.replace(".", "\\.")), `${name}: the message names the file`);
  }
  const missing = cli("run", path.join(tmp, "does-not-exist.json"));
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /cannot read \(ENOENT\)/);
});

test("usage errors exit 2; --help exits 0", () => {
  assert.equal(cli("run").code, 2);
  assert.equal(cli().code, 2);
  assert.equal(cli("frobnicate").code, 2);
  assert.equal(cli("run", "--bogus", "x.json").code, 2);
  const help = cli("--help");
  assert.equal(help.code, 0);
  assert.match(help.stdout, /Usage: offtap vectors run FILE\.json/);
  assert.equal(cli("run", "--help").code, 0);
});

test("the parser rejects duplicate tcIds, unsupported curves and a wrong numberOfTests", () => {
  const base = readDoc("rfc8032.json");
  const dup = structuredClone(base);
  dup.testGroups[1]!.tests[0]!.tcId = 1;
  assert.throws(() => parseEddsaVerifyFile(dup, "dup"), (e: unknown) => e instanceof VectorFileError && /tcId 1 appears more than once/.test(e.message));
  const ed448 = structuredClone(base) as Doc;
  (ed448.testGroups[0]!.publicKey as { curve: string }).curve = "edwards448";
  assert.throws(() => parseEddsaVerifyFile(ed448, "ed448"), /curve "edwards448" is not supported/);
  const count = { ...structuredClone(base), numberOfTests: 6 };
  assert.throws(() => parseEddsaVerifyFile(count, "count"), /"numberOfTests" says 6 but the file holds 5 tests/);
});

test("the firmware returns the exact status speccheck.json pins for each edge case", () => {
  const fw = new FirmwareCrypto();
  const { cases } = loadEddsaVerifyFile(path.join(vectorDir, "speccheck.json"));
  assert.equal(cases.length, 12);
  for (const c of cases) {
    assert.ok(c.expectedStatus !== undefined, `tcId ${c.tcId} pins a status`);
    assert.equal(statusName(fw.verify(c.publicKey, c.message, c.signature)), c.expectedStatus, `tcId ${c.tcId}: ${c.comment}`);
  }
});
