// build/taprunner.wasm: the firmware's reader and ledger on a scripted board, as a WASI
// command (docs/TAPRUNNER.md). Every recorded tape of test/vectors/protocol/exchanges.json
// must replay to its recorded decisions, receipts and signals with every C-APDU checked by
// the module itself; altered tapes must be caught; bad scripts must be refused.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { repoRoot } from "../../host/firmware/paths.ts";
import type { Tape } from "../../host/sim/tape.ts";
import { Reason, reasonName } from "../../host/protocol/index.ts";
import { judgeTapOutput, signalsText, tapeToScript } from "../../host/vectors/tapscript.ts";
import { runWasi } from "../../host/vectors/wasi.ts";
import { taprunnerWasm } from "../../host/vectors/engine.ts";
import { checkModule } from "../../tools/profile/check.ts";
import { loadProfile } from "../../tools/profile/profile.ts";
import {
  cachedTaps, declinedTaps, firstTimeTaps, scriptOnly, vouchedFirstTaps,
} from "../../tools/xtensa/tapes.ts";

const tapes = (
  JSON.parse(readFileSync(path.join(repoRoot, "test/vectors/protocol/exchanges.json"), "utf8")) as {
    tapes: Tape[];
  }
).tapes;
const tape = (id: string): Tape => structuredClone(tapes.find((t) => t.id === id)!);
const runScript = (text: string) => runWasi(taprunnerWasm, text, null);

test("taprunner.wasm fits the device profile and imports only WASI", () => {
  const bytes = readFileSync(taprunnerWasm);
  const r = checkModule(bytes, loadProfile(), "taprunner");
  assert.equal(r.ok, true, r.findings.map((f) => f.message).join("\n"));
  assert.deepEqual(r.memoryPages, { initial: 2, max: 2 });
  const m = new WebAssembly.Module(bytes);
  assert.ok(
    WebAssembly.Module.imports(m).every((i) => i.module === "wasi_snapshot_preview1"),
    "no env imports",
  );
  assert.deepEqual(
    WebAssembly.Module.exports(m)
      .map((e) => e.name)
      .sort(),
    ["_start", "memory"],
  );
});

for (const t of tapes) {
  test(`tape ${t.id} replays on taprunner.wasm`, () => {
    const script = tapeToScript(t);
    const r = runScript(script.text);
    const v = judgeTapOutput(script, r.lines, r.exitCode);
    assert.deepEqual(v.problems, [], r.lines.join("\n"));
    assert.equal(r.exitCode, 0);
    // The tap lines carry the recorded outcome, in order (independent of the expect lines).
    const taps = t.steps.filter((s) => s.op === "tap");
    const printed = r.lines.filter((l) => l.startsWith("tap "));
    assert.equal(printed.length, taps.length);
    taps.forEach((s, i) => {
      assert.equal(
        printed[i],
        `tap ${s.decision} exchanges ${s.exchanges.length} receipt ${s.receipt ?? "-"}` +
          ` signals ${signalsText(s.signals)}`,
        `tap ${i + 1} (${reasonName(s.decision)})`,
      );
    });
  });
}

test("a flipped bit in the wallet's signature changes the decision, and expect says so", () => {
  const t = tape("accepted");
  const tap = t.steps.find((s) => s.op === "tap")!;
  assert.ok(tap.op === "tap");
  const b = Buffer.from(tap.exchanges[1]!.response!, "hex");
  b[60] = b[60]! ^ 0x01;
  tap.exchanges[1]!.response = b.toString("hex");
  const script = tapeToScript(t);
  const r = runScript(script.text);
  assert.equal(r.exitCode, 1);
  const tapLine = r.lines.find((l) => l.startsWith("tap "))!;
  assert.equal(reasonName(Number(tapLine.split(" ")[1])), "AUTH_SIGNATURE_INVALID");
  assert.ok(
    r.lines.some((l) => /^fail decision receipt signals/.test(l)),
    r.lines.join("\n"),
  );
  assert.equal(judgeTapOutput(script, r.lines, r.exitCode).passed, false);
});

test("a changed random byte makes the firmware send another PAY: it reports the C-APDU", () => {
  const t = tape("accepted");
  const tap = t.steps.find((s) => s.op === "tap")!;
  assert.ok(tap.op === "tap");
  tap.random[0] = "00".repeat(16);
  const r = runScript(tapeToScript(t).text);
  assert.equal(r.exitCode, 1);
  assert.ok(r.lines.includes("mismatch capdu-differs 2"), r.lines.join("\n"));
  assert.ok(r.lines.some((l) => l.startsWith("fail") && l.includes("exchanges")));
});

test("recorded exchanges the firmware never sends, and missing ones, are reported", () => {
  const t = tape("accepted");
  const tap = t.steps.find((s) => s.op === "tap")!;
  assert.ok(tap.op === "tap");
  tap.exchanges.push({ ...tap.exchanges[2]! });
  const extra = runScript(tapeToScript(t).text);
  assert.ok(extra.lines.includes("mismatch exchanges-unsent 1"), extra.lines.join("\n"));
  tap.exchanges.splice(2, 2);
  const missing = runScript(tapeToScript(t).text);
  assert.ok(missing.lines.includes("mismatch exchange-not-in-script 3"), missing.lines.join("\n"));
  assert.equal(missing.exitCode, 1);
});

test("invalid script lines stop the run with exit 65 and the line number", () => {
  const cases: [string, RegExp][] = [
    ["bogus 1\n", /^error line 1: unknown command$/],
    ["partition 0 262144 4096 256\npartition 0 4096 4096 256\n", /^error line 2: partition twice$/],
    ["partition 0 1000 4096 256\n", /^error line 1: bad geometry$/],
    ["tap x\n", /^error line 1: bad number$/],
    ["random 0g\n", /^error line 1: bad hex$/],
    ["expect 0\n", /^error line 1: nothing to expect$/],
    ["# comment\n\ntime 1 2\n", /^error line 3: wrong field count$/],
    [`init ${"00".repeat(1100)}\n`, /^error line 1: line too long$/],
  ];
  for (const [script, want] of cases) {
    const r = runScript(script);
    assert.equal(r.exitCode, 65, script.slice(0, 40));
    assert.match(r.lines.at(-1) ?? "", want);
  }
});

test("a tap before init declines NOT_CONFIGURED without any exchange; CRLF scripts work", () => {
  const r = runScript(
    "partition 0 16384 4096 256\r\npartition 2 4096 4096 256\r\ntap 0\r\n" +
      "expect 39 - 1:2,2:2,3:39\r\n",
  );
  assert.equal(r.exitCode, 0, r.lines.join("\n"));
  assert.deepEqual(r.lines.slice(0, 2), [
    "tap 39 exchanges 0 receipt - signals 1:2,2:2,3:39",
    "pass",
  ]);
  assert.match(r.lines[2]!, /^done taps 1 expects 1 failed 0 mismatches 0 flash-blocks 0$/);
});

test("the device bench's tap scripts replay on taprunner.wasm in V8 as recorded", () => {
  // The same scripts `make bench-device` runs under WASM3 (tools/xtensa/tapes.ts), checked
  // here without a WASM3 checkout: a script the firmware no longer decides as recorded
  // (a vouched list refused, a tap declined) fails.
  const pairs = {
    firstTime: firstTimeTaps(2), vouched: vouchedFirstTaps(2), cached: cachedTaps(2),
    declined: declinedTaps(2),
  };
  for (const [name, p] of Object.entries(pairs)) {
    for (const script of [p.base, p.work]) {
      const r = runScript(script.text);
      const v = judgeTapOutput(script, r.lines, r.exitCode);
      assert.deepEqual(v.problems, [], `${name}: ${r.lines.join("\n")}`);
      assert.equal(r.exitCode, 0, name);
    }
    const taps = (s: string): number => s.split("\n").filter((l) => l.startsWith("tap")).length;
    assert.equal(taps(p.work.text) - taps(p.base.text), 2, `${name}: two measured taps`);
  }
  assert.match(pairs.vouched.base.text, /^deny-begin /m, "the vouched pair installs its list");
});

test("the bench's scripted-board share runs the same lines with no reader work", () => {
  // tools/xtensa/tapes.ts scriptOnly: the first-time pair without init, idle and expect
  // lines, so the measured difference is the runner reading the lines, never a tap.
  const p = firstTimeTaps(2);
  const s = scriptOnly(p);
  const lines = (t: string): string[] => t.split("\n").filter((l) => l !== "");
  const kept = lines(p.work.text).filter((l) => !/^(init|idle|expect)( |$)/.test(l));
  assert.deepEqual(lines(s.work.text), kept, "every other line is kept, in order");
  const r = runScript(s.work.text);
  const decisions = r.lines.filter((l) => l.startsWith("tap "));
  assert.equal(decisions.length, 3, r.lines.join("\n"));
  for (const d of decisions) {
    assert.match(d, new RegExp(`^tap ${Reason.NOT_CONFIGURED} exchanges 0 receipt - `), d);
  }
  assert.ok(r.lines.some((l) => /^mismatch exchanges-unsent 3$/.test(l)), "the lines queued");
});
