// A record that cannot be stored as it stands is rejected on its own (issue 10, finding 6):
// a reader-signed record whose amount is ≥ 2^63 (the ledger's amount is a u64; a bigint
// column is an i64) must not roll back the other batches of its upload, nor leave the
// reader's later batches held behind a gap.
import assert from "node:assert/strict";
import { SimNetwork } from "../../host/clearing/simulate.ts";
import { Reason } from "../../host/protocol/index.ts";
import type { Payment } from "../../host/ledger/format.ts";
import {
  craftBatch,
  craftPayment,
  craftWallet,
  testBoth,
  withWorldKeys,
} from "./clearing-support.ts";

const FARE = 250;

testBoth("an amount ≥ 2^63 is one rejected record; the upload is not rolled back", async (c0) => {
  const net = new SimNetwork({ seed: "unstorable", readers: 1 });
  const c = await withWorldKeys(c0, net);
  await c.registerReader(net.readerSpec(0));
  const r = net.readers[0]!;
  const id16 = new Uint8Array(16);
  id16.set(r.config.readerId);
  const w = craftWallet(net.world.issuers[0]!, net.world.now(), 100 * FARE);
  const t = net.world.now();
  const pay = (counter: number): Payment =>
    craftPayment(w, r.config.readerId, {
      counter,
      amount: FARE,
      cumulative: FARE * counter,
      time: t + counter,
    });
  const huge: Payment = { ...pay(2), amount: 2n ** 64n - 1n };
  const huge63: Payment = { ...pay(3), amount: 2n ** 63n };
  const b1 = craftBatch(r.deviceKey, id16, 1, new Uint8Array(32), [pay(1), huge, huge63]);
  const b2 = craftBatch(r.deviceKey, id16, 4, b1.head, [pay(4)]);
  const upload = Buffer.concat([b1.bytes, b2.bytes]);

  const report = await c.ingest(upload);
  assert.equal(report.settled, 1, "the valid record before the bad ones settles");
  assert.deepEqual(
    report.rejectedRecords.map((x) => [x.seq, x.reason]),
    [
      [2, Reason.AMOUNT_OUT_OF_LIMITS],
      [3, Reason.AMOUNT_OUT_OF_LIMITS],
    ],
  );
  const stored = await c.db.query(
    "SELECT seq, amount::text AS amount FROM rejected_records ORDER BY seq",
  );
  assert.deepEqual(
    stored.map((x) => [Number(x["seq"]), String(x["amount"])]),
    [
      [2, "18446744073709551615"],
      [3, "9223372036854775808"],
    ],
    "the signed amount is kept exactly",
  );
  // No honest reader writes such a record: the reader is suspect, its next batch waits for
  // an operator (docs/CLEARING.md §7a) — held for a decision, not behind a gap for ever.
  assert.deepEqual(
    report.evidence.map((e) => [e.seq, e.kind, e.amount]),
    [
      [2, "failed_reader_check", "18446744073709551615"],
      [3, "failed_reader_check", "9223372036854775808"],
    ],
  );
  assert.deepEqual(
    report.batches.map((b) => b.status),
    ["accepted", "held"],
  );
  const [suspect] = await c.suspectReaders();
  assert.equal(suspect?.heldBatches, 1);
  assert.equal(suspect?.evidenceCount, 2);

  const decided = await c.decideReader(id16, "release", "firmware bug, fixed");
  assert.ok(decided.ok);
  assert.equal(decided.report.settled, 1, "the held batch settles once released");
  const b3 = craftBatch(r.deviceKey, id16, 5, b2.head, [pay(5)]);
  const next = await c.ingest(b3.bytes);
  assert.equal(next.settled, 1);
  assert.equal(next.held, 0);
  assert.equal((await c.account("operator:metro:978"))?.balance, 3 * FARE);
});
