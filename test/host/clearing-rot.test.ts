// Rot between two exports (docs/CLEARING.md §4, "Rot between exports"): a record clearing
// received readable rots on the reader before the acknowledgement gets there, so the
// reader's next export carries a gap entry in its place, or a zero chain head before it;
// or a record an export sent as a gap entry reads again. None of these is a fork: the
// reader's later records settle, and its acknowledgement is taken.
import assert from "node:assert/strict";
import { SimNetwork } from "../../host/clearing/simulate.ts";
import { decodeBatch, splitBatches } from "../../host/ledger/batch.ts";
import { encodeGapEntry, encodeRecordContent } from "../../host/ledger/format.ts";
import type { Clearing } from "../../host/clearing/index.ts";
import {
  craftBatch, craftPayment, craftWallet, testBoth, withWorldKeys,
} from "./clearing-support.ts";

/** Flips one bit of record `seq`'s stored link in reader i's ledger (the record is then
 *  unreadable); the function returned flips it back. */
function rot(net: SimNetwork, i: number, seq: number, link: Uint8Array): () => void {
  const flash = net.readers[i]!.board.flash;
  const img = flash.partition(0).bytes;
  const view = new DataView(img.buffer, img.byteOffset, img.byteLength);
  for (let p = 40; p + 32 <= img.length; p++) {
    if (!link.every((x, k) => img[p + k] === x)) continue;
    if (view.getUint32(p - 40, true) !== seq) continue; // the record's own link
    flash.rot(0, p + 5, 3);
    return () => flash.rot(0, p + 5, 3);
  }
  throw new Error(`record ${seq} not found in the ledger`);
}

/** One reader, `n` accepted taps; clearing knows the reader. */
async function start(c0: Clearing, seed: string, n: number): Promise<{
  c: Clearing; net: SimNetwork; taps(k: number): void;
}> {
  const net = new SimNetwork({ seed, readers: 1 });
  const c = await withWorldKeys(c0, net);
  await c.registerReader(net.readerSpec(0));
  const taps = (k: number): void => {
    for (let j = 0; j < k; j++) {
      assert.ok(net.tap(0, net.world.createWallet()).accepted);
      net.idle(2_000);
    }
  };
  taps(n);
  return { c, net, taps };
}

const linkOf = (file: Uint8Array, seq: number): Uint8Array => {
  const r = splitBatches(file).flatMap((b) => b.records).find((x) => x.seq === seq);
  assert.ok(r !== undefined && r.kind === 1, `record ${seq} readable in the export`);
  return r.link;
};

async function assertCaughtUp(c: Clearing, net: SimNetwork, settled: number): Promise<void> {
  assert.deepEqual(await c.heldBatches(), []);
  assert.equal(await c.paymentCount(), settled);
  const ack = await c.acknowledgement(net.readers[0]!.config.readerId);
  assert.ok(ack !== undefined);
  assert.equal(net.acknowledge(0, ack), 0, "the reader takes the acknowledgement");
  assert.equal(net.exportBatches(0).length, 0, "nothing left to export");
}

testBoth("a record that rots after its export is no fork: the overlap's gap entry", async (c0) => {
  const { c, net, taps } = await start(c0, "rot-overlap", 6);
  const first = net.exportBatches(0);
  assert.equal((await c.ingest(first)).settled, 6);
  rot(net, 0, 6, linkOf(first, 6)); // the last record clearing holds; no ack reached the reader
  taps(4);
  const again = net.exportBatches(0); // 1…10 again, record 6 a gap entry
  assert.deepEqual(splitBatches(again).flatMap((b) => b.gaps), [6]);
  const r = await c.ingest(again);
  assert.deepEqual(r.batches.map((b) => b.status), ["accepted"]);
  assert.equal(r.settled, 4);
  await assertCaughtUp(c, net, 10);
});

testBoth("a record that rots after its export is no fork: a zero head before", async (c0) => {
  const { c, net, taps } = await start(c0, "rot-head", 4);
  const first = net.exportBatches(0);
  assert.equal((await c.ingest(first)).settled, 4);
  rot(net, 0, 4, linkOf(first, 4));
  taps(2);
  const next = net.exportBatches(0, 5); // 5…6 after the unreadable record 4, same sector
  assert.ok(decodeBatch(next).headBefore.every((x) => x === 0), "a zero head before");
  const r = await c.ingest(next);
  assert.deepEqual(r.batches.map((b) => b.status), ["accepted"]);
  assert.equal(r.settled, 2);
  await assertCaughtUp(c, net, 6);
});

testBoth("a reader that lost the chain head too (rot in its last record, a reboot)", async (c0) => {
  const { c, net, taps } = await start(c0, "rot-reboot", 4);
  const first = net.exportBatches(0);
  assert.equal((await c.ingest(first)).settled, 4);
  rot(net, 0, 4, linkOf(first, 4));
  assert.equal(net.world.reboot(), 0); // recovery cannot read record 4: its link is lost
  taps(2); // record 5 chains from 32 zero bytes (docs/LEDGER.md §2.4)
  const next = net.exportBatches(0, 5);
  assert.ok(decodeBatch(next).headBefore.every((x) => x === 0), "a zero head before");
  const r = await c.ingest(next);
  assert.deepEqual(r.batches.map((b) => b.status), ["accepted"]);
  assert.equal(r.settled, 2);
  await assertCaughtUp(c, net, 6);
});

/** Record 6 rots before the first export and reads again before the second, which starts
 *  at `from` (0: the overlap, record 6 readable where clearing stored the gap; 7: a real
 *  head before where clearing's is unknown). Record 6 stays a gap: it is not paid late. */
async function readsAgain(c0: Clearing, from: number): Promise<void> {
  const { c, net, taps } = await start(c0, `rot-back-${from}`, 6);
  const whole = net.exportBatches(0);
  const heal = rot(net, 0, 6, linkOf(whole, 6));
  const r1 = await c.ingest(net.exportBatches(0));
  assert.equal(r1.settled, 5);
  assert.deepEqual(r1.rejectedRecords.map((x) => x.seq), [6]);
  heal();
  taps(3);
  const r2 = await c.ingest(net.exportBatches(0, from));
  assert.deepEqual(r2.batches.map((b) => b.status), ["accepted"]);
  assert.equal(r2.settled, 3);
  await assertCaughtUp(c, net, 8);
}

testBoth("a record exported as a gap that reads again is no fork: overlap", (c0) =>
  readsAgain(c0, 0));
testBoth("a record exported as a gap that reads again is no fork: head before", (c0) =>
  readsAgain(c0, 7));

testBoth("a zero head before that no chain explains is still a fork", async (c0) => {
  const { c, net } = await start(c0, "rot-fork", 4);
  assert.equal((await c.ingest(net.exportBatches(0))).settled, 4);
  // Record 5 chained from a head that is neither clearing's last one nor zeros, in a batch
  // that claims the record before it is unreadable.
  const r = net.readers[0]!;
  const id16 = new Uint8Array(16);
  id16.set(r.config.readerId);
  const wallet = craftWallet(net.world.issuers[0]!, net.world.now(), 1_000);
  const pay = craftPayment(wallet, r.config.readerId, {
    counter: 1, amount: 250, cumulative: 250, time: net.world.now(),
  });
  const crafted = craftBatch(r.deviceKey, id16, 5, new Uint8Array(32).fill(9), [pay]).bytes;
  const signed = crafted.slice(0, crafted.length - 64);
  signed.fill(0, 32, 64);
  const forged = Buffer.concat([signed, r.deviceKey.sign(signed)]);
  const out = await c.ingest(forged);
  assert.deepEqual(out.batches.map((b) => [b.status, b.reason]), [
    ["held", "fork: head before does not continue the last accepted batch"],
  ]);
  assert.equal(out.settled, 0);
});

testBoth("the reader's last record, a gap at clearing, reads again: the ack learns its link",
  async (c0) => {
    const { c, net } = await start(c0, "rot-ack", 6);
    const whole = net.exportBatches(0);
    const heal = rot(net, 0, 6, linkOf(whole, 6));
    assert.equal((await c.ingest(net.exportBatches(0))).settled, 5); // 6 a gap: head unknown
    heal();
    const id = net.readers[0]!.config.readerId;
    // The acknowledgement's zero head: the reader reads record 6 and refuses it…
    assert.notEqual(net.acknowledge(0, (await c.acknowledgement(id))!), 0);
    // …so it exports 1…6 again; clearing learns record 6's link from that duplicate.
    const again = await c.ingest(net.exportBatches(0));
    assert.deepEqual(again.batches.map((b) => b.status), ["duplicate"]);
    assert.equal(net.acknowledge(0, (await c.acknowledgement(id))!), 0);
    assert.equal(net.exportBatches(0).length, 0, "the reader freed its records");
    assert.deepEqual(await c.heldBatches(), []);
  });

testBoth("a gap entry in an overlap lets in no record that continues nothing", async (c0) => {
  const { c, net } = await start(c0, "rot-gap-fork", 4);
  const first = net.exportBatches(0);
  assert.equal((await c.ingest(first)).settled, 4);
  // 3…5 signed by the device key: record 3, a gap entry for 4, and a record 5 chained from
  // a head that is neither clearing's link of 4 nor zeros.
  const r = net.readers[0]!;
  const wallet = craftWallet(net.world.issuers[0]!, net.world.now(), 1_000);
  const pay = craftPayment(wallet, r.config.readerId, {
    counter: 1, amount: 250, cumulative: 250, time: net.world.now(),
  });
  const rec3 = splitBatches(first).flatMap((b) => b.records).find((x) => x.seq === 3)!;
  const rec5 = encodeRecordContent(5, pay, new Uint8Array(32).fill(9));
  const header = new Uint8Array(96);
  const v = new DataView(header.buffer);
  v.setUint32(0, 0x3242544f, true); // "OTB2": a batch with a gap entry
  v.setUint16(4, 2, true);
  v.setUint16(6, 3, true);
  header.set(r.config.readerId, 8);
  v.setUint32(24, 3, true);
  v.setUint32(28, 5, true);
  header.set(linkOf(first, 2), 32);
  header.set(rec5.subarray(40, 72), 64);
  const signed = Buffer.concat([header, rec3.content, encodeGapEntry(4), rec5]);
  const out = await c.ingest(Buffer.concat([signed, r.deviceKey.sign(signed)]));
  assert.deepEqual(out.batches.map((b) => [b.status, b.reason]), [
    ["held", "fork: record 5 does not continue the one accepted"],
  ]);
  assert.equal(out.settled, 0);
});
