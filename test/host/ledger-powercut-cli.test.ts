// `offtap ledger powercut` with the fault model, as a user runs it: the JSON figures and
// per-fault counts, usage errors (exit 2), and a failure (exit 1) whose printed replay
// command reproduces it. Failures come from the kept format-1 firmware, which issue 9
// shows losing records to rot in its sector headers.
import { test } from "node:test";
import assert from "node:assert/strict";
import { command } from "../../host/cli/commands/ledger.ts";
import { UsageError } from "../../host/cli/command.ts";

const V1_WASM = "test/vectors/ledger/offtap-v1.wasm";

async function run(argv: string[]): Promise<{ code: number; out: string }> {
  const lines: string[] = [];
  const log = console.log;
  console.log = (...a: unknown[]) => { lines.push(a.map(String).join(" ")); };
  try {
    const code = await command.run(argv);
    return { code, out: lines.join("\n") };
  } finally {
    console.log = log;
  }
}

test("powercut --faults all --cuts 2 --json: the figures and a count per fault kind", async () => {
  const { code, out } = await run([
    "powercut", "--taps", "12", "--random", "10", "--faults", "all", "--cuts", "2",
    "--deny-every", "5", "--firmware", V1_WASM, "--json",
  ]);
  const j = JSON.parse(out) as Record<string, unknown>;
  const keys = ["cutPoints", "reboots", "acceptedTaps", "lost", "duplicated", "stuckExports",
    "chainOk", "traps", "denyBackwards", "ackBackwards", "seqReused", "faults"];
  for (const k of keys) assert.ok(k in j, k);
  const faults = j["faults"] as Record<string, { runs: number; lost: number }>;
  assert.deepEqual(Object.keys(faults).sort(), ["clean", "partial", "rot", "weak", "wear"]);
  for (const f of Object.values(faults)) assert.equal(f.runs, 2);
  assert.equal(j["cutPoints"], 10);
  assert.ok((j["reboots"] as number) >= 10);
  assert.equal(code, j["ok"] ? 0 : 1);
});

test("usage errors: --random 0, unknown fault kind, --cuts 0, run out of range", async () => {
  const bad = [
    ["--random", "0"], ["--random", "3", "--faults", "cosmic"], ["--random", "3", "--cuts", "0"],
    ["--random", "3", "--run", "3"],
  ];
  for (const extra of bad) {
    const argv = ["powercut", "--taps", "4", ...extra];
    await assert.rejects(command.run(argv), UsageError, extra.join(" "));
  }
});

test("a failing campaign exits 1 and prints a replay command that reproduces it", async () => {
  const argv = ["powercut", "--taps", "24", "--random", "12", "--seed", "3", "--faults", "rot",
    "--export-every", "4", "--firmware", V1_WASM];
  const first = await run(argv);
  assert.equal(first.code, 1);
  const replay = /replay: npx offtap ledger (powercut .*)$/m.exec(first.out);
  assert.ok(replay, first.out);
  const again = await run([...replay[1]!.split(" "), "--json"]);
  assert.equal(again.code, 1);
  type Replayed = { cutPoints: number; violations: Array<{ run: number; message: string }> };
  const j = JSON.parse(again.out) as Replayed;
  assert.equal(j.cutPoints, 1, "the replay runs the one failing run");
  const firstViolation = /violation in run (\d+) \(rot, first cut at \d+\): (.*)$/m.exec(first.out);
  assert.ok(firstViolation);
  assert.equal(j.violations[0]!.run, Number(firstViolation[1]));
  assert.equal(j.violations[0]!.message, firstViolation[2]);
});
