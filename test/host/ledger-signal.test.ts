// Signal marks through the real firmware (docs/LEDGER.md §2.5): the durable "gate opened
// for this record" bit. Marked once, it stays marked across reboots; a torn mark reads
// marked and is made solid; the mark never changes what batches carry.
import { test } from "node:test";
import assert from "node:assert/strict";
import { verifyBatchFile } from "../../host/ledger/batch.ts";
import { SyntheticTaps } from "../../host/ledger/workload.ts";
import { exportAll, makeAck } from "../../host/ledger/simulate.ts";
import { rig, type Rig } from "./ledger-support.ts";

const ERR_NOT_FOUND = -15;
const SLOT_BYTES = 512;
const SIGNAL_AT = 496;
const SIGNAL_BYTES = 8;

function appendN(r: Rig, n: number, seed = 5): void {
  const taps = new SyntheticTaps(seed);
  for (let i = 0; i < n; i++) assert.ok(r.dev.append(taps.payment(i)) > 0);
}

/** The signal-mark bytes of record seq: sector 0 holds sequences 1 … 7 in slots 1 … 7. */
function markBytes(r: Rig, seq: number): Uint8Array {
  const at = seq * SLOT_BYTES + SIGNAL_AT;
  return r.flash.partition(0).bytes.subarray(at, at + SIGNAL_BYTES);
}

test("signal mark: unmarked, marked once, idempotent, and still marked after a reboot", () => {
  const r = rig();
  appendN(r, 3);
  assert.equal(r.dev.signalState(1), 0);
  assert.equal(r.dev.signalMark(1), 0);
  assert.equal(r.dev.signalState(1), 1);
  assert.equal(r.dev.signalMark(1), 0, "marking twice is OK");
  assert.equal(r.dev.signalState(2), 0, "marks are per record");
  assert.deepEqual([...markBytes(r, 1)], new Array(SIGNAL_BYTES).fill(0));
  assert.deepEqual([...markBytes(r, 2)], new Array(SIGNAL_BYTES).fill(0xff));
  r.reboot();
  assert.equal(r.dev.signalState(1), 1);
  assert.equal(r.dev.signalState(2), 0);
  assert.equal(r.dev.signalState(3), 0);
});

test("signal mark: only unacknowledged records exist for it", () => {
  const r = rig();
  appendN(r, 4);
  assert.equal(r.dev.signalState(0), ERR_NOT_FOUND);
  assert.equal(r.dev.signalState(5), ERR_NOT_FOUND);
  assert.equal(r.dev.signalMark(5), ERR_NOT_FOUND);
  assert.equal(r.dev.signalMark(0xffffffff), ERR_NOT_FOUND);
  assert.equal(r.dev.signalMark(2), 0);
  const { file, lastSeq, head } = exportAll({ flash: r.flash, device: r.dev, id: r.id,
    geometry: r.geometry });
  assert.equal(lastSeq, 4);
  assert.deepEqual(verifyBatchFile(file, r.id.device.publicKey).problems, [],
    "a marked record exports and verifies like any other");
  const rec2 = r.dev.readRecord(2);
  assert.ok(typeof rec2 !== "number");
  assert.equal(r.dev.acknowledge(makeAck(r.id, 2, rec2.link)), 0);
  assert.equal(r.dev.signalState(2), ERR_NOT_FOUND);
  assert.equal(r.dev.signalState(1), ERR_NOT_FOUND);
  assert.equal(r.dev.signalState(3), 0);
  assert.ok(head.length === 32);
});

test("signal mark: a torn mark (one bit cleared) reads marked and is made solid", () => {
  const r = rig();
  appendN(r, 3);
  markBytes(r, 2)[5] = 0xfd; // a program cut after one bit
  assert.equal(r.dev.signalState(2), 1);
  assert.deepEqual([...markBytes(r, 2)], new Array(SIGNAL_BYTES).fill(0), "state made it solid");
  markBytes(r, 3)[0] = 0x7f;
  r.reboot();
  assert.deepEqual([...markBytes(r, 3)], new Array(SIGNAL_BYTES).fill(0),
    "recovery made it solid");
  assert.equal(r.dev.signalState(3), 1);
  assert.equal(r.dev.signalState(1), 0);
  const rec = r.dev.readRecord(3);
  assert.ok(typeof rec !== "number", "a marked record still reads");
});
