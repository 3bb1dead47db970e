// Clearing rules against both databases: ingest, idempotency, gaps and forks, double
// spends across readers, acknowledgements and deny lists the real firmware accepts.
import assert from "node:assert/strict";
import { SimNetwork } from "../../host/clearing/simulate.ts";
import { decodeBatch, splitBatches } from "../../host/ledger/batch.ts";
import { toHex } from "../../host/protocol/index.ts";
import { Clearing } from "../../host/clearing/index.ts";
import { Ed25519Key } from "../../host/issuer/ed25519.ts";
import type { Payment } from "../../host/ledger/format.ts";
import {
  assertBalanced,
  craftBatch,
  craftPayment,
  craftWallet,
  testBoth,
  withWorldKeys,
} from "./clearing-support.ts";

const FARE = 250;

/** Two readers of one operator; `n` honest taps of fresh wallets spread over both. */
function network(seed: string, n: number): { net: SimNetwork; accepted: number[] } {
  const net = new SimNetwork({ seed, readers: 2 });
  const accepted = [0, 0];
  for (let i = 0; i < n; i++) {
    const w = net.world.createWallet();
    const r = i % 2;
    if (net.tap(r, w).accepted) accepted[r]!++;
    net.idle(2_000);
  }
  return { net, accepted };
}

async function setup(
  c0: Clearing,
  seed: string,
  n: number,
): Promise<{ c: Clearing; net: SimNetwork; accepted: number[] }> {
  const { net, accepted } = network(seed, n);
  const c = await withWorldKeys(c0, net);
  await c.registerReader(net.readerSpec(0));
  await c.registerReader(net.readerSpec(1));
  return { c, net, accepted };
}

testBoth("ingest settles every accepted tap once and pays the operator", async (c0) => {
  const { c, net, accepted } = await setup(c0, "ingest", 12);
  assert.deepEqual(accepted, [6, 6]);
  const r = await c.ingest(net.exportBatches(0));
  assert.equal(r.settled, 6);
  assert.equal(r.settledAmount, 6 * FARE);
  assert.deepEqual(
    r.batches.map((b) => b.status),
    ["accepted"],
  );
  await assertBalanced(c);
  await c.ingest(net.exportBatches(1));
  await assertBalanced(c);
  const op = await c.account("operator:metro:978");
  assert.equal(op?.balance, 12 * FARE);
  assert.equal((await c.payments({ limit: 100 })).length, 12);
});

testBoth("the same batch twice and overlapping batches settle nothing twice", async (c0) => {
  const { c, net } = await setup(c0, "idem", 30); // 15 per reader: two batches of 10 + 5
  const file = net.exportBatches(0);
  const batches = splitBatches(file);
  assert.equal(batches.length, 2);
  const first = await c.ingest(file);
  assert.equal(first.settled, 15);
  const again = await c.ingest(file);
  assert.equal(again.settled, 0);
  assert.deepEqual(
    again.batches.map((b) => b.status),
    ["duplicate", "duplicate"],
  );
  // An overlapping export: from sequence 6 on (records 6…15 again, in new batch boundaries).
  const overlap = await c.ingest(net.exportBatches(0, 6));
  assert.equal(overlap.settled, 0);
  await assertBalanced(c);
  assert.equal((await c.account("operator:metro:978"))?.balance, 15 * FARE);
  // New taps after the overlap continue the chain and settle.
  net.tap(0, net.world.createWallet());
  const more = await c.ingest(net.exportBatches(0, 16));
  assert.equal(more.settled, 1);
  await assertBalanced(c);
});

testBoth(
  "a gap is held until the missing batch arrives; a fork is held and never settled",
  async (c0) => {
    const { c, net } = await setup(c0, "gap", 30);
    const [b1, b2] = splitBatches(net.exportBatches(0));
    const bytesOf = (b: NonNullable<typeof b1>): Uint8Array =>
      Buffer.concat([b.signed, b.signature]);
    const held = await c.ingest(bytesOf(b2!));
    assert.equal(held.settled, 0);
    assert.equal(held.batches[0]?.status, "held");
    assert.match(held.batches[0]!.reason, /gap/);
    assert.equal((await c.heldBatches()).length, 1);
    const filled = await c.ingest(bytesOf(b1!));
    assert.equal(filled.settled, 15, "the held batch is released once the gap is filled");
    assert.equal((await c.heldBatches()).length, 0);
    await assertBalanced(c);
    // A fork: correctly signed and chained by reader 1's key, but a different history for sequences already settled.
    const r = net.readers[0]!;
    const id16 = new Uint8Array(16);
    id16.set(r.config.readerId);
    const w = craftWallet(net.world.issuers[0]!, net.world.now(), 5_000);
    const pay = (counter: number): Payment =>
      craftPayment(w, r.config.readerId, {
        counter,
        amount: FARE,
        cumulative: FARE * counter,
        time: net.world.now(),
      });
    const fork = craftBatch(r.deviceKey, id16, 1, new Uint8Array(32), [pay(1), pay(2)]);
    const f = await c.ingest(fork.bytes);
    assert.equal(f.batches[0]?.status, "held");
    assert.match(f.batches[0]!.reason, /fork/);
    assert.equal(f.settled, 0);
    // A batch at the next sequence whose head before is not the chain clearing holds: also a fork.
    const next = craftBatch(r.deviceKey, id16, 16, new Uint8Array(32).fill(9), [pay(3)]);
    const g = await c.ingest(next.bytes);
    assert.equal(g.batches[0]?.status, "held");
    assert.match(g.batches[0]!.reason, /fork/);
    assert.equal((await c.heldBatches()).length, 2);
    assert.equal(
      (await c.reader(id16))?.lastSeq,
      15,
      "a fork never moves the reader's acknowledged state",
    );
    // A batch whose records do not hash to its chain is rejected outright.
    const forged = decodeBatch(bytesOf(b1!));
    const signed = Uint8Array.from(forged.signed);
    signed[96 + 24] = signed[96 + 24]! ^ 1; // amount of record 1: its link no longer matches
    const bad = await c.ingest(Buffer.concat([signed, r.deviceKey.sign(signed)]));
    assert.equal(bad.batches[0]?.status, "rejected");
    assert.equal(bad.settled, 0);
    assert.equal((await c.account("operator:metro:978"))?.balance, 15 * FARE);
  },
);

testBoth("a batch with a bad signature or from an unknown reader is rejected", async (c0) => {
  const { c, net } = await setup(c0, "badsig", 4);
  const file = Uint8Array.from(net.exportBatches(0));
  file[file.length - 1] = file[file.length - 1]! ^ 0x80;
  const r = await c.ingest(file);
  assert.equal(r.batches[0]?.status, "rejected");
  assert.match(r.batches[0]!.reason, /signature/);
  assert.equal(r.settled, 0);
  const other = new SimNetwork({ seed: "stranger", readers: 1 });
  other.tap(0, other.world.createWallet());
  const u = await c.ingest(other.exportBatches(0));
  assert.equal(u.batches[0]?.reason, "unknown reader");
  await assertBalanced(c);
});

testBoth(
  "a counter spent at two readers is caught, denied, paid to both, and booked as offline risk",
  async (c0) => {
    const { c, net } = await setup(c0, "double", 0);
    const w = net.world.createWallet();
    assert.ok(net.tap(0, w).accepted);
    net.idle(5_000);
    w.once("reuse-counter");
    assert.ok(net.tap(1, w).accepted, "reader 2 cannot know the counter was used at reader 1");
    await c.ingest(net.exportBatches(0));
    const r = await c.ingest(net.exportBatches(1));
    assert.equal(r.doubleSpends.length, 1);
    assert.equal(r.doubleSpends[0]?.kind, "counter_reuse");
    assert.equal(r.doubleSpends[0]?.excess, FARE);
    assert.deepEqual(r.newlyDenied, [w.walletIdHex]);
    const issuer = r.doubleSpends[0]!.issuerKeyId;
    assert.equal((await c.account(`issuer:${issuer}:risk:978`))?.balance, -FARE);
    assert.equal((await c.account(`issuer:${issuer}:float:978`))?.balance, -FARE);
    assert.equal((await c.account("operator:metro:978"))?.balance, FARE);
    assert.equal((await c.account("riskhold:metro:978"))?.balance, FARE, "issuer risk waits (§7a)");
    await assertBalanced(c);
    // The deny list goes back to the readers; the firmware installs it and then declines the wallet.
    const dl = await c.denyList({ minVersion: 2 });
    assert.deepEqual(dl.walletIds, [w.walletIdHex]);
    assert.deepEqual(net.installDenyList(dl.image), [0, 0]);
    net.idle(5_000);
    assert.equal(net.tap(0, w).reason, "WALLET_DENIED");
    const same = await c.denyList({ minVersion: 2 });
    assert.equal(same.version, dl.version, "no new version without a change");
  },
);

testBoth(
  "cumulative spend past the certificate's cap across readers: the excess is offline risk",
  async (c0) => {
    const { c, net } = await setup(c0, "cap", 0);
    // Each reader sees a cumulative within the cap; together they exceed it (the wallet lied at reader 2).
    const issuer = net.world.issuers[0]!;
    const w = craftWallet(issuer, net.world.now(), 2 * FARE);
    const t = net.world.now();
    const [ra, rb] = [net.readers[0]!, net.readers[1]!];
    const id16 = (r: typeof ra): Uint8Array => {
      const b = new Uint8Array(16);
      b.set(r.config.readerId);
      return b;
    };
    const zero = new Uint8Array(32);
    const a = craftBatch(ra.deviceKey, id16(ra), 1, zero, [
      craftPayment(w, ra.config.readerId, { counter: 1, amount: FARE, cumulative: FARE, time: t }),
      craftPayment(w, ra.config.readerId, {
        counter: 2,
        amount: FARE,
        cumulative: 2 * FARE,
        time: t + 5,
      }),
    ]);
    const b = craftBatch(rb.deviceKey, id16(rb), 1, zero, [
      craftPayment(w, rb.config.readerId, {
        counter: 3,
        amount: FARE,
        cumulative: FARE,
        time: t + 9,
      }),
    ]);
    assert.equal((await c.ingest(a.bytes)).settled, 2);
    const r = await c.ingest(b.bytes);
    assert.equal(r.settled, 1);
    assert.deepEqual(
      r.doubleSpends.map((d) => [d.kind, d.excess]),
      [["over_cap", FARE]],
    );
    assert.deepEqual(r.newlyDenied, [toHex(w.walletId)]);
    assert.equal(
      (await c.account(`issuer:${issuer.keyId}:float:978`))?.balance,
      -2 * FARE,
      "the float pays up to the cap",
    );
    assert.equal(
      (await c.account(`issuer:${issuer.keyId}:risk:978`))?.balance,
      -FARE,
      "offline risk pays the excess",
    );
    assert.equal(
      (await c.account("operator:metro:978"))?.balance,
      2 * FARE,
      "the float's part is paid",
    );
    assert.equal((await c.account("riskhold:metro:978"))?.balance, FARE, "the excess waits (§7a)");
    await assertBalanced(c);
  },
);

testBoth("acknowledgements are accepted by the firmware and free its flash", async (c0) => {
  const { c, net } = await setup(c0, "ack", 20);
  await c.ingest(net.exportBatches(0));
  const ack = await c.acknowledgement(net.world.readerId);
  assert.ok(ack);
  assert.equal(ack.length, 124);
  assert.equal(net.acknowledge(0, ack), 0);
  assert.equal(net.readers[0]!.reader.exports.ledgerAckedSeq(), 10);
  assert.equal(net.exportBatches(0).length, 0, "nothing left to export");
  const other = await Clearing.open({
    db: c.db,
    clearingKey: Ed25519Key.random(),
    operatorKey: net.world.operatorKey,
  });
  const wrong = await other.acknowledgement(net.world.readerId);
  assert.notEqual(
    net.acknowledge(0, wrong!),
    0,
    "an acknowledgement signed by another clearing key is refused",
  );
});

testBoth("deny lists are versioned, signed by the operator key, sorted", async (c0) => {
  const { c, net } = await setup(c0, "deny", 0);
  const a = net.world.createWallet(),
    b = net.world.createWallet();
  await c.denyWallet(b.walletIdHex, "reported lost");
  await c.denyWallet(a.walletIdHex, "reported lost");
  const d1 = await c.denyList({ minVersion: 2 });
  assert.deepEqual(d1.walletIds, [a.walletIdHex, b.walletIdHex].sort());
  assert.deepEqual(net.installDenyList(d1.image), [0, 0]);
  assert.equal(toHex(d1.image.subarray(0, 4)), "4f54444c");
  assert.equal(net.tap(1, a).reason, "WALLET_DENIED");
  await c.revokeIssuerKey(net.world.issuers[0]!.keyId, 0);
  const d2 = await c.denyList();
  assert.equal(d2.version, d1.version + 1);
  assert.ok(d2.revokedIssuerKeyIds.includes(net.world.issuers[0]!.keyId));
  assert.deepEqual(net.installDenyList(d2.image), [0, 0]);
});

testBoth("history export is RFC 4180 CSV of payments and transfers", async (c0) => {
  const { c, net } = await setup(c0, "csv", 4);
  await c.ingest(net.exportBatches(0));
  await c.createAccount({ id: 'wallet:x,"y":978', code: "wallet_holder", currency: 978 });
  await c.createTransfer({
    id: "t,1",
    debitAccount: "bank:978",
    creditAccount: 'wallet:x,"y":978',
    amount: 5,
    code: "topup",
    ref: "line1\nline2",
  });
  const csv = await c.historyCsv();
  const lines = csv.split("\r\n");
  assert.equal(
    lines[0],
    "type,id,time,tap_time,debit_account,credit_account,amount,currency," +
      "amount_minor,code,reader_id,seq,wallet_id,counter,status,ref",
  );
  const topup = lines.find((l) => l.startsWith('transfer,"t,1",'));
  assert.match(
    topup ?? "",
    /^transfer,"t,1",\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ,,bank:978,.*,0\.05,EUR,5,topup,/,
  );
  assert.equal(lines.filter((l) => l.startsWith("payment,")).length, 2);
  assert.ok(csv.includes('"t,1"'));
  assert.ok(csv.includes('"wallet:x,""y"":978"'));
  assert.ok(csv.includes('"line1\nline2"'));
  assert.ok(csv.endsWith("\r\n"));
});
