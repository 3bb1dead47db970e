// A record whose authorization names another reader is refused with READER_ID_MISMATCH
// (docs/CLEARING.md §5, check 8), and the reader that signed it turns suspect: an honest
// reader checks its own id before it writes a record (§7a).
import assert from "node:assert/strict";
import { SimNetwork } from "../../host/clearing/simulate.ts";
import { Reason } from "../../host/protocol/index.ts";
import {
  craftBatch,
  craftPayment,
  craftWallet,
  testBoth,
  withWorldKeys,
} from "./clearing-support.ts";

const FARE = 250;

testBoth("a record naming another reader's id is refused and shows the reader", async (c0) => {
  const net = new SimNetwork({ seed: "reader-id", readers: 1 });
  const c = await withWorldKeys(c0, net);
  await c.registerReader(net.readerSpec(0));
  const r = net.readers[0]!;
  const id16 = new Uint8Array(16);
  id16.set(r.config.readerId);
  const other = Uint8Array.from(r.config.readerId);
  other[7] = other[7]! ^ 1; // the last byte of the 8 the authorization carries
  const w = craftWallet(net.world.issuers[0]!, net.world.now(), 100 * FARE);
  const t = net.world.now();
  const pay = (counter: number, readerId: Uint8Array) =>
    craftPayment(w, readerId, { counter, amount: FARE, cumulative: FARE * counter, time: t });
  const b = craftBatch(r.deviceKey, id16, 1, new Uint8Array(32), [
    pay(1, r.config.readerId),
    pay(2, other),
  ]);

  const report = await c.ingest(b.bytes);
  assert.equal(report.settled, 1, "the record naming this reader settles");
  assert.deepEqual(
    report.rejectedRecords.map((x) => [x.seq, x.reason]),
    [[2, Reason.READER_ID_MISMATCH]],
  );
  assert.deepEqual(report.suspectReaders, [Buffer.from(id16).toString("hex")]);
});
