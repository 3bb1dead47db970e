// build/selftest.wasm under node:wasi: the line protocol of docs/SELFTEST.md, with the
// expected answers computed by node:crypto (SHA-512, Ed25519) for every vector.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash, createPrivateKey, createPublicKey, sign as nodeSign, randomBytes, type KeyObject } from "node:crypto";
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { WASI } from "node:wasi";
import { repoRoot, selftestPath } from "../../host/firmware/paths.ts";

interface RunResult {
  exitCode: number;
  lines: string[];
}

const selftestModule = new WebAssembly.Module(readFileSync(selftestPath));

/** Runs selftest.wasm with `input` on stdin; returns its exit code and stdout lines. */
function runSelftest(input: string | Buffer): RunResult {
  const dir = mkdtempSync(path.join(tmpdir(), "offtap-selftest-"));
  try {
    const inPath = path.join(dir, "in.txt");
    const outPath = path.join(dir, "out.txt");
    writeFileSync(inPath, input);
    const stdin = openSync(inPath, "r");
    const stdout = openSync(outPath, "w");
    let exitCode: number;
    try {
      const wasi = new WASI({ version: "preview1", stdin, stdout, stderr: 2, returnOnExit: true });
      const instance = new WebAssembly.Instance(selftestModule, wasi.getImportObject() as WebAssembly.Imports);
      exitCode = wasi.start(instance);
    } finally {
      closeSync(stdin);
      closeSync(stdout);
    }
    const text = readFileSync(outPath, "utf8");
    assert.ok(text === "" || text.endsWith("\n"), "every output line ends with a newline");
    return { exitCode, lines: text === "" ? [] : text.slice(0, -1).split("\n") };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Reads a named limit from assembly/limits.ts, the one place the firmware's bounds live. */
function firmwareLimit(name: string): number {
  const source = readFileSync(path.join(repoRoot, "assembly", "limits.ts"), "utf8");
  const m = new RegExp(`export const ${name}: i32 = (\\d+);`).exec(source);
  if (!m?.[1]) throw new Error(`limit ${name} not found in assembly/limits.ts`);
  return Number(m[1]);
}

const LINE_BYTES_MAX = firmwareLimit("SELFTEST_LINE_BYTES_MAX");
const MESSAGE_BYTES_MAX = firmwareLimit("SELFTEST_MESSAGE_BYTES_MAX");

const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");
const msgField = (m: Uint8Array): string => (m.length === 0 ? "-" : hex(m));
const sha512Hex = (b: Uint8Array): string => createHash("sha512").update(b).digest("hex");

/** An Ed25519 key pair from a seed, through node:crypto (PKCS#8 wrapping of RFC 8410). */
function keyFromSeed(seed: Uint8Array): { privateKey: KeyObject; publicKey: Uint8Array } {
  const der = Buffer.concat([Buffer.from("302e020100300506032b657004220420", "hex"), seed]);
  const privateKey = createPrivateKey({ key: der, format: "der", type: "pkcs8" });
  const spki = createPublicKey(privateKey).export({ format: "der", type: "spki" });
  return { privateKey, publicKey: spki.subarray(spki.length - 32) };
}

test("selftest.wasm imports only WASI and exports _start and memory", () => {
  const imports = WebAssembly.Module.imports(selftestModule);
  assert.ok(imports.length > 0);
  for (const i of imports) assert.equal(i.module, "wasi_snapshot_preview1", `import ${i.module}.${i.name}`);
  const exports = WebAssembly.Module.exports(selftestModule).map((e) => `${e.kind}:${e.name}`).sort();
  assert.deepEqual(exports, ["function:_start", "memory:memory"]);
});

test("sha512 lines equal node:crypto for many lengths", () => {
  const messages: Buffer[] = [];
  for (let n = 0; n <= 300; n++) messages.push(randomBytes(n));
  for (const n of [511, 512, 1023, 1024, 2000, MESSAGE_BYTES_MAX]) messages.push(randomBytes(n));
  const input = messages.map((m) => `sha512 ${msgField(m)}\n`).join("");
  const { exitCode, lines } = runSelftest(input);
  assert.equal(exitCode, 0);
  assert.equal(lines.length, messages.length);
  messages.forEach((m, i) => assert.equal(lines[i], sha512Hex(m), `message of ${m.length} bytes`));
});

test("sha512 accepts the empty message as - or as an empty field, and upper-case hex", () => {
  const empty = sha512Hex(Buffer.alloc(0));
  const { exitCode, lines } = runSelftest("sha512 -\nsha512 \nsha512 DEADBEEF\n");
  assert.equal(exitCode, 0);
  assert.deepEqual(lines, [empty, empty, sha512Hex(Buffer.from("deadbeef", "hex"))]);
});

test("comments, blank lines and CRLF line ends produce no output of their own", () => {
  const input = "# a comment\n\n   \n\t# indented comment\r\nsha512 616263\r\n\r\n#sha512 00\nsha512 00";
  const { exitCode, lines } = runSelftest(input);
  assert.equal(exitCode, 0);
  assert.deepEqual(lines, [sha512Hex(Buffer.from("abc")), sha512Hex(Buffer.from([0]))],
    "two answers: the CRLF line and the last line without a newline");
});

test("bad input answers one error line each and never stops the run", () => {
  const pk = "11".repeat(32);
  const sig = "22".repeat(64);
  const cases: [string, RegExp][] = [
    ["hello", /^error unknown command$/],
    ["SHA512 00", /^error unknown command$/],
    ["sha512", /^error usage: sha512 /],
    ["sha512 00 11", /^error usage: sha512 /],
    ["sha512 0g", /^error message is not hex/],
    ["sha512 abc", /^error message is not hex/],
    ["verify a b c d e", /^error too many fields$/],
    ["verify " + pk + " 00", /^error usage: verify /],
    [`verify ${"11".repeat(31)} 00 ${sig}`, /^error public key must be 32 bytes/],
    [`verify ${pk} 00 ${"22".repeat(63)}`, /^error signature must be 64 bytes/],
    [`verify ${"zz".repeat(32)} 00 ${sig}`, /^error public key is not hex$/],
    [`verify ${pk} 00 ${"zz".repeat(64)}`, /^error signature is not hex$/],
    [`verify ${pk} ${"00".repeat(MESSAGE_BYTES_MAX + 1)} ${sig}`, /^error message longer than \d+ bytes$/],
    [`register x ${pk}`, /^error slot must be a decimal number/],
    [`register -1 ${pk}`, /^error slot must be a decimal number/],
    [`register 1234567890 ${pk}`, /^error slot must be a decimal number/],
    [`register 0 ${pk} extra`, /^error usage: register /],
    [`verify-registered 0 00`, /^error usage: verify-registered /],
    [`sign ${"33".repeat(33)} 00`, /^error seed must be 32 bytes/],
    ["sign 00", /^error usage: sign /],
    ["sha512  00", /^error usage: sha512 /],
    ["\u0000\u00ff binary", /^error unknown command$/],
  ];
  const input = cases.map(([line]) => line).join("\n") + "\nsha512 -\n";
  const { exitCode, lines } = runSelftest(input);
  assert.equal(exitCode, 0);
  assert.equal(lines.length, cases.length + 1);
  cases.forEach(([line, expected], i) => assert.match(lines[i]!, expected, `input: ${line.slice(0, 80)}`));
  assert.equal(lines[cases.length], sha512Hex(Buffer.alloc(0)), "the run goes on after errors");
});

test("overlong lines answer `error line too long` and the rest of the line is skipped", () => {
  const atLimit = "sha512 " + "a".repeat(LINE_BYTES_MAX - "sha512 ".length);
  const overLimit = atLimit + "a";
  const longComment = "#" + "x".repeat(LINE_BYTES_MAX * 3);
  const huge = "sha512 " + "ab".repeat(LINE_BYTES_MAX * 2);
  const input = [atLimit, overLimit, "sha512 61", longComment, huge, "sha512 62"].join("\n") + "\n";
  const { exitCode, lines } = runSelftest(input);
  assert.equal(exitCode, 0);
  assert.deepEqual(lines, [
    `error message longer than ${MESSAGE_BYTES_MAX} bytes`, // fits the line buffer, so it is parsed
    "error line too long",
    sha512Hex(Buffer.from("a")),
    // the overlong comment answers nothing
    "error line too long",
    sha512Hex(Buffer.from("b")),
  ]);
});

test("empty input exits 0 with no output", () => {
  assert.deepEqual(runSelftest(""), { exitCode: 0, lines: [] });
});

test("sign lines equal node:crypto Ed25519 signatures", () => {
  const cases = Array.from({ length: 24 }, (_, i) => ({ seed: randomBytes(32), msg: randomBytes(i * 11) }));
  const input = cases.map((c) => `sign ${hex(c.seed)} ${msgField(c.msg)}\n`).join("");
  const { exitCode, lines } = runSelftest(input);
  assert.equal(exitCode, 0);
  assert.equal(lines.length, cases.length);
  cases.forEach((c, i) => {
    const expected = hex(nodeSign(null, c.msg, keyFromSeed(c.seed).privateKey));
    assert.equal(lines[i], expected, `seed ${hex(c.seed)} message of ${c.msg.length} bytes`);
  });
});

test("verify lines: ok for node:crypto signatures, fail when anything is altered", () => {
  const input: string[] = [];
  const expected: string[] = [];
  for (let i = 0; i < 16; i++) {
    const { privateKey, publicKey } = keyFromSeed(randomBytes(32));
    const msg = randomBytes(i * 13);
    const sig = nodeSign(null, msg, privateKey);
    const badSig = Buffer.from(sig);
    badSig[i % 32]! ^= 1 << (i % 8);
    const badMsg = Buffer.concat([msg, Buffer.from([i])]);
    input.push(`verify ${hex(publicKey)} ${msgField(msg)} ${hex(sig)}`);
    expected.push("ok");
    input.push(`verify ${hex(publicKey)} ${msgField(msg)} ${hex(badSig)}`);
    expected.push("fail");
    input.push(`verify ${hex(publicKey)} ${hex(badMsg)} ${hex(sig)}`);
    expected.push("fail");
  }
  // An empty message written as an empty field.
  const { privateKey, publicKey } = keyFromSeed(randomBytes(32));
  input.push(`verify ${hex(publicKey)}  ${hex(nodeSign(null, Buffer.alloc(0), privateKey))}`);
  expected.push("ok");
  const { exitCode, lines } = runSelftest(input.join("\n") + "\n");
  assert.equal(exitCode, 0);
  assert.deepEqual(lines, expected);
});

test("register and verify-registered agree with node:crypto", () => {
  const keys = [0, 1].map(() => keyFromSeed(randomBytes(32)));
  const msg = randomBytes(40);
  const sig0 = nodeSign(null, msg, keys[0]!.privateKey);
  const sig1 = nodeSign(null, msg, keys[1]!.privateKey);
  const input = [
    `register 0 ${hex(keys[0]!.publicKey)}`,
    `register 1 ${hex(keys[1]!.publicKey)}`,
    `verify-registered 0 ${hex(msg)} ${hex(sig0)}`,
    `verify-registered 1 ${hex(msg)} ${hex(sig1)}`,
    `verify-registered 1 ${hex(msg)} ${hex(sig0)}`,
    `verify-registered 0 ${hex(Buffer.concat([msg, Buffer.from([0])]))} ${hex(sig0)}`,
    `verify-registered 999 ${hex(msg)} ${hex(sig0)}`,
    `register 999 ${hex(keys[0]!.publicKey)}`,
  ].join("\n");
  const { exitCode, lines } = runSelftest(input);
  assert.equal(exitCode, 0);
  assert.deepEqual(lines, ["ok", "ok", "ok", "ok", "fail", "fail", "fail", "fail"]);
});
