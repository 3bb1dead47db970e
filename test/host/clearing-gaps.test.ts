// Clearing and signed gap entries (docs/LEDGER.md §5.1, host/clearing/gaps.ts): a reader
// whose flash lost a record to rot exports a gap in its place; clearing settles every
// other record, shows the gap, and its acknowledgement carries the reader past it.
import assert from "node:assert/strict";
import { SimNetwork } from "../../host/clearing/simulate.ts";
import { splitBatches } from "../../host/ledger/batch.ts";
import { testBoth, withWorldKeys } from "./clearing-support.ts";

const GAP_SEQ = 3;

testBoth("a gap entry is shown, never settled, and acknowledged past", async (c0) => {
  const net = new SimNetwork({ seed: "gaps", readers: 1 });
  let accepted = 0;
  for (let i = 0; i < 6; i++) {
    if (net.tap(0, net.world.createWallet()).accepted) accepted++;
    net.idle(2_000);
  }
  assert.equal(accepted, 6);
  const c = await withWorldKeys(c0, net);
  await c.registerReader(net.readerSpec(0));
  // Rot in record 3's content: sector 0 holds records 1 … 7 in slots 1 … 7.
  net.readers[0]!.board.flash.partition(0).bytes[GAP_SEQ * 512 + 11]! ^= 0x10;
  const file = net.exportBatches(0);
  const batches = splitBatches(file);
  assert.deepEqual(batches.flatMap((b) => b.gaps), [GAP_SEQ], "the reader exports a signed gap");
  const r = await c.ingest(file);
  assert.equal(r.settled, 5, "every other record settles");
  const gap = [[GAP_SEQ, "LEDGER_GAP_UNREADABLE"]];
  assert.deepEqual(r.rejectedRecords.map((x) => [x.seq, x.reasonName]), gap);
  const shown = await c.rejectedRecords();
  assert.deepEqual(shown.map((x) => [x.seq, x.reasonName]), gap);
  const again = await c.ingest(file);
  assert.equal(again.settled, 0, "a re-upload settles nothing twice");
  const ack = await c.acknowledgement(net.world.readerId);
  assert.ok(ack);
  assert.equal(net.acknowledge(0, ack), 0, "the reader takes the acknowledgement past its gap");
  assert.equal(net.readers[0]!.reader.exports.ledgerAckedSeq(), 6);
  assert.equal(net.exportBatches(0).length, 0, "nothing left to export");
});
