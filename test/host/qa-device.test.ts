// The device engine end to end: `offtap vectors run --engine device` talks the test-mode
// protocol (boards/TESTMODE.md) over a pseudo-terminal to the device emulator, which runs
// the real build/offtap.wasm. Also: identify, a hung board, an ABI mismatch, a bad script.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { firmwarePath, repoRoot } from "../../host/firmware/paths.ts";
import { openPtyPair, PtyUnavailableError, type PtyPair } from "../../host/serial/pty.ts";
import { DeviceEmulator, type EmulatorOptions } from "../../host/device/emulator.ts";
import { TestModeClient } from "../../host/device/client.ts";
import { DeviceEngine } from "../../host/vectors/device-engine.ts";
import { loadEddsaVerifyFile } from "../../host/vectors/wycheproof.ts";
import type { Tape } from "../../host/sim/tape.ts";

const TAPES = path.join(repoRoot, "test/vectors/protocol/exchanges.json");
const RFC = path.join(repoRoot, "test/vectors/ed25519/rfc8032.json");
const tapeDoc = JSON.parse(readFileSync(TAPES, "utf8")) as { tapes: Tape[] };
const tmp = mkdtempSync(path.join(tmpdir(), "offtap-qa-device-"));
test.after(() => rmSync(tmp, { recursive: true, force: true }));

/** A pty pair with the emulator on its device end; skips cleanly where socat is missing. */
async function withBoard<T>(t: { skip(msg: string): void }, o: Omit<EmulatorOptions, "path">, f: (hostPath: string, emu: DeviceEmulator) => Promise<T>): Promise<T | undefined> {
  let pty: PtyPair;
  try {
    pty = await openPtyPair();
  } catch (e) {
    if (e instanceof PtyUnavailableError) { t.skip(e.message); return undefined; }
    throw e;
  }
  const emu = await DeviceEmulator.start({ path: pty.devicePath, ...o });
  try {
    return await f(pty.hostPath, emu);
  } finally {
    await emu.stop();
    await pty.close();
  }
}

function cli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join(repoRoot, "bin/offtap.mjs"), "vectors", ...args], { env: { ...process.env, NO_COLOR: "1" } });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => { stdout += d.toString(); });
    child.stderr.on("data", (d: Buffer) => { stderr += d.toString(); });
    child.on("exit", (code) => resolve({ code, stdout, stderr }));
  });
}

const cryptoCount = (): number => loadEddsaVerifyFile(RFC).cases.length;

test("offtap vectors run --engine device passes every committed tap and crypto vector on the emulated board", async (t) => {
  await withBoard(t, {}, async (port, emu) => {
    const junit = path.join(tmp, "device.xml");
    const r = await cli(["run", TAPES, RFC, "--engine", "device", "--port", port, "--json", "--junit", junit]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const n = tapeDoc.tapes.length + cryptoCount();
    assert.deepEqual(JSON.parse(r.stdout), { total: n, passed: n, failed: 0, failures: [] });
    assert.ok(emu.requests > tapeDoc.tapes.length * 5, "the vectors went over the serial line");
    const tests = tapeDoc.tapes.length;
    const suite = `<testsuite name="exchanges (device)" tests="${tests}" failures="0"`;
    assert.ok(readFileSync(junit, "utf8").includes(suite), `JUnit has ${suite}`);
  });
});

test("--engine device: altered tapes fail with exit 1, naming exactly those tapes", async (t) => {
  const doc = structuredClone(tapeDoc);
  const tap = doc.tapes.find((x) => x.id === "at-cap")!.steps.filter((s) => s.op === "tap").at(-1)!;
  assert.ok(tap.op === "tap");
  tap.receipt = "00".repeat(46);
  const p = path.join(tmp, "altered.json");
  writeFileSync(p, JSON.stringify(doc));
  await withBoard(t, {}, async (port) => {
    const r = await cli(["run", p, "--engine", "device", "--port", port, "--json"]);
    assert.equal(r.code, 1, r.stderr);
    const report = JSON.parse(r.stdout) as { failed: number; failures: { id: string; got: string }[] };
    assert.equal(report.failed, 1);
    assert.equal(report.failures[0]!.id, "at-cap");
    assert.match(report.failures[0]!.got, /fail receipt/);
  });
});

test("identify reports the firmware's ABI and the SHA-256 of the flashed image", async (t) => {
  await withBoard(t, { boardId: "esp32-gate-pn532" }, async (port) => {
    const c = await TestModeClient.open(port);
    try {
      const id = await c.identify();
      assert.equal(id.board, "esp32-gate-pn532");
      assert.equal(id.abi, 1);
      assert.equal(id.protocol, 1);
      assert.equal(
        id.firmwareSha256, createHash("sha256").update(readFileSync(firmwarePath)).digest("hex"),
      );
      // selftest lines answer as docs/SELFTEST.md says (FIPS 180-4 "abc").
      assert.equal(await c.selftest("sha512 616263"),
        "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f");
      assert.equal(await c.selftest("bogus"), "error unknown command");
      await assert.rejects(c.request("frobnicate", null, 2000), /unknown-command/);
      await assert.rejects(c.request("tap", "time 1", 2000), /no-session/);
    } finally {
      await c.close();
    }
  });
});

test("a board that stops answering costs the vectors it hangs on, not the run", async (t) => {
  await withBoard(t, { silentCommands: ["selftest"] }, async (port) => {
    const engine = await DeviceEngine.open(port, undefined, { selftest: 300 });
    try {
      const results = await engine.runCrypto(loadEddsaVerifyFile(RFC));
      assert.equal(results.length, cryptoCount());
      assert.ok(results.every((r) => !r.passed && /no answer to 'selftest' within 300 ms/.test(r.got ?? "")), JSON.stringify(results[0]));
      const tape = await engine.runTape(tapeDoc.tapes[0]!);
      assert.equal(tape.passed, true, tape.detail);
    } finally {
      await engine.close();
    }
  });
});

test("a board speaking another ABI is refused before any vector runs", async (t) => {
  await withBoard(t, { reportAbi: 2 }, async (port) => {
    await assert.rejects(DeviceEngine.open(port), /speaks ABI 2; these vectors need ABI 1/);
    const r = await cli(["run", RFC, "--engine", "device", "--port", port]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /ABI 2/);
  });
});

test("a bad tap-script line ends the session with a script error for that vector", async (t) => {
  await withBoard(t, {}, async (port) => {
    const c = await TestModeClient.open(port);
    try {
      const r = await c.runTapScript("partition 0 262144 4096 256\npartition 2 4096 4096 256\nfrobnicate 1\n");
      assert.equal(r.exitCode, 65);
      assert.match(r.lines.at(-1)!, /^error line 3: .*script unknown command/);
      await assert.rejects(c.request("tap-end", null, 2000), /no-session/);
    } finally {
      await c.close();
    }
  });
});
