// Replays the recorded tap exchanges of test/vectors/protocol/exchanges.json against the
// real firmware: the board answers each recorded R-APDU (or NFC error), feeds the
// recorded hardware-random bytes and clock, and checks that every C-APDU the firmware
// sends is byte for byte the recorded one, and that decisions, receipts and signals
// match. The last tap of every tape carries the decision docs/PROTOCOL.md prescribes.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { repoRoot } from "../../host/firmware/paths.ts";
import { replayTape, type Tape } from "../../host/sim/tape.ts";
import { firmwareHasReader } from "../../host/sim/reader.ts";
import { SCENARIOS, findScenario } from "../../host/sim/scenarios.ts";
import { REASONS } from "../../host/protocol/index.ts";

const skip = firmwareHasReader()
  ? false
  : "build/offtap.wasm does not export the reader (run make build)";
const file = path.join(repoRoot, "test", "vectors", "protocol", "exchanges.json");
const vectors = JSON.parse(readFileSync(file, "utf8")) as { tapes: Tape[] };

test("the tapes cover every decision code a tape can express", () => {
  const lastTapOf = (t: Tape): number | undefined =>
    t.steps.filter((s) => s.op === "tap").at(-1)?.decision;
  const last = new Set(vectors.tapes.map(lastTapOf));
  // A code only reached through a power cut or a failed program between two flash
  // programs of one tap (ALREADY_ACCEPTED) has a scenario (reader.test.ts) but no tape.
  const tapeless = new Set(SCENARIOS.filter((s) => !s.tape).map((s) => s.expected as string));
  const onTapes = new Set(SCENARIOS.filter((s) => s.tape).map((s) => s.expected as string));
  for (const r of REASONS) {
    if (tapeless.has(r.name) && !onTapes.has(r.name)) continue;
    assert.ok(last.has(r.code), `no tape ends in ${r.name}`);
  }
});

for (const tape of vectors.tapes) {
  test(`tape ${tape.id}`, { skip }, () => {
    const report = replayTape(tape);
    assert.deepEqual(report.mismatches, [], `${tape.id}: ${tape.comment}`);
    const lastTap = tape.steps.filter((s) => s.op === "tap").at(-1);
    const scenario = findScenario(tape.id);
    if (scenario !== undefined && lastTap !== undefined) {
      const why = "the tape ends in the decision PROTOCOL.md prescribes";
      assert.equal(lastTap.reason, scenario.expected, why);
    }
  });
}

test("a replay notices a changed byte", { skip }, () => {
  const tape = structuredClone(vectors.tapes.find((t) => t.id === "accepted")!);
  const tap = tape.steps.find((s) => s.op === "tap");
  assert.ok(tap !== undefined && tap.op === "tap");
  const pay = tap.exchanges[1]!;
  // Flip one bit of the wallet signature in the recorded authorization.
  const b = Buffer.from(pay.response!, "hex");
  b[60] = b[60]! ^ 0x01;
  pay.response = b.toString("hex");
  const report = replayTape(tape);
  assert.ok(
    report.mismatches.some((m) => m.what.includes("AUTH_SIGNATURE_INVALID")),
    JSON.stringify(report.mismatches),
  );
  // And a changed random byte changes the PAY the firmware sends.
  const tape2 = structuredClone(vectors.tapes.find((t) => t.id === "accepted")!);
  const tap2 = tape2.steps.find((s) => s.op === "tap");
  assert.ok(tap2 !== undefined && tap2.op === "tap");
  tap2.random[0] = "00".repeat(tap2.random[0]!.length / 2);
  assert.ok(replayTape(tape2).mismatches.some((m) => m.what.includes("firmware sent")));
});
