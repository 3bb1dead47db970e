// The signal mark of the record a tap just appended (docs/LEDGER.md §2.5) is programmed
// after reading that record's own slot, not after walking the sector from its first slot:
// through the real firmware on the simulated board, the ledger bytes a tap reads stay the
// same however many records its sector already holds (they grew by a 512-byte slot per
// record before), and the marks land where recovery finds them.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Reason } from "../../host/protocol/index.ts";
import { SimWorld } from "../../host/sim/world.ts";
import { firmwareHasReader } from "../../host/sim/reader.ts";

const skip = firmwareHasReader()
  ? false
  : "build/offtap.wasm does not export the reader (run make build)";
const PARTITION_LEDGER = 0;

test("a tap's signal mark reads its own record's slot, not the whole sector", { skip }, () => {
  const world = new SimWorld({ seed: "mark-locate", captureLogs: false });
  const flash = world.board.flash as unknown as {
    read(id: number, offset: number, len: number): Uint8Array | number;
  };
  const read = flash.read.bind(flash);
  let ledgerBytes = 0;
  flash.read = (id, offset, len) => {
    if (id === PARTITION_LEDGER) ledgerBytes += len;
    return read(id, offset, len);
  };
  // A 4 KiB sector holds 7 records: taps 2 … 7 all append into the first one.
  const perTap: number[] = [];
  for (let n = 1; n <= 7; n++) {
    ledgerBytes = 0;
    const r = world.tap(world.createWallet(), 0);
    assert.equal(r.decision, Reason.ACCEPTED, r.reason);
    if (n >= 2) perTap.push(ledgerBytes);
  }
  assert.deepEqual(perTap, perTap.map(() => perTap[0]), `ledger bytes read per tap: ${perTap}`);
  // Every record is marked where the walk of recovery looks for it.
  world.reboot();
  const x = world.reader.exports as unknown as { ledgerSignalState(seq: number): number };
  for (let seq = 1; seq <= 7; seq++) assert.equal(x.ledgerSignalState(seq), 1, `record ${seq}`);
});
