// The PN532 driver against the PN532 emulator through a real pseudo-terminal pair (socat):
// every scenario of `offtap tap --list` gives the same decision as the direct simulation
// (the oracle), the field is lost at each step, and a phone held in the field does not
// start a second tap. The emulator runs in a worker thread at time scale 0 (no byte or RF
// timing: that is the benchmark's business), the driver in this thread.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { openPtyPair, type PtyPair } from "../../host/serial/pty.ts";
import { openPn532, tapThrough, type OpenPn532 } from "../../host/nfc/session.ts";
import { SCENARIOS } from "../../host/sim/scenarios.ts";
import { SimWorld } from "../../host/sim/world.ts";
import { tapActivated, waitForCard, waitForEmptyField } from "../../host/nfc/reader-loop.ts";
import { startEmulatorWorker, type EmulatorWorker } from "../../host/nfc/emulator/in-worker.ts";

const SEED = 7;
let pty: PtyPair;
let emu: EmulatorWorker;
let pn: OpenPn532;

function send(m: Parameters<EmulatorWorker["load"]>[0]): Promise<void> {
  return emu.load(m);
}

before(async () => {
  pty = await openPtyPair();
  emu = await startEmulatorWorker(pty.devicePath, 0);
  const o = openPn532({ path: pty.hostPath, baud: 115_200 });
  if (!("driver" in o)) throw new Error(`driver start-up failed: ${o.message}`);
  assert.equal(o.firmware, "PN532 v1.6");
  pn = o;
});

after(async () => {
  pn?.close();
  await emu?.close();
  await pty?.close();
});

test("every scenario: driver and emulator give the direct simulation's decision", async () => {
  const differences: string[] = [];
  for (const sc of SCENARIOS) {
    const direct = sc.run(SEED).result;
    await send({ seed: SEED, scenario: sc.name });
    const viaPn532 = tapThrough(pn.front, sc.prepare(SEED));
    if (viaPn532.reason !== direct.reason) {
      const events = pn.front.events.map((e) => e.error?.message ?? e.kind).join("; ");
      differences.push(
        `${sc.name}: direct ${direct.reason}, PN532 ${viaPn532.reason} (${events}) seed ${SEED}`,
      );
    }
    assert.equal(
      viaPn532.reason,
      sc.expected,
      `${sc.name}: replay with --scenario ${sc.name} --seed ${SEED}`,
    );
  }
  assert.deepEqual(differences, []);
});

test("the field is lost at each step: SELECT, PAY, RECEIPT", async () => {
  // docs/PROTOCOL.md "Judging an answer": a lost card is NO_WALLET during SELECT and
  // WALLET_VANISHED afterwards; after PAY the payment is in the ledger (vanish-before-receipt).
  const expected = ["NO_WALLET", "WALLET_VANISHED", "ACCEPTED"];
  for (const [step, want] of expected.entries()) {
    await send({ seed: SEED, wallets: 1, vanishAt: step });
    const world = new SimWorld({ seed: SEED, captureLogs: false });
    const seqBefore = world.reader.exports.ledgerNextSeq();
    pn.front.attach(world.board);
    pn.front.beginTap();
    const r = world.tap(undefined, 0);
    pn.front.endTap();
    assert.equal(r.reason, want, `vanish at exchange ${step}`);
    const lost = pn.front.events.find((e) => e.kind === "error");
    assert.equal(lost?.error?.abi, -5, `exchange ${step}: the driver reports ERR_FIELD_LOST`);
    assert.equal(world.reader.exports.ledgerNextSeq() - seqBefore, want === "ACCEPTED" ? 1 : 0);
  }
});

test("a phone held in the field does not start a second tap", async () => {
  const HOLD_POLLS = 4;
  await send({ seed: SEED, wallets: 2, hold: HOLD_POLLS });
  const world = new SimWorld({ seed: SEED, captureLogs: false });
  const taps: string[] = [];
  const heldPolls: number[] = [];
  for (let i = 0; i < 2; i++) {
    const card = waitForCard(pn.driver, 20);
    assert.ok(card !== undefined && !("kind" in card), `wallet ${i + 1} found`);
    const t = tapActivated(pn.front, world, 0, card);
    taps.push(t.result.reason);
    const held = waitForEmptyField(pn.driver, 50);
    assert.equal(typeof held, "number");
    heldPolls.push(held as number);
  }
  assert.deepEqual(taps, ["ACCEPTED", "ACCEPTED"]);
  // The held phone answered every poll of its hold, and the loop waited them all out.
  assert.deepEqual(heldPolls, [HOLD_POLLS, HOLD_POLLS]);
  assert.equal(waitForCard(pn.driver, 3), undefined, "both wallets are gone");
  // Two acceptances from two different wallets, each charged once.
  assert.equal(world.reader.exports.ledgerNextSeq(), 3);
});
