// The risk model (docs/CLEARING.md §7a, issue 10 finding 2) on both databases: a merchant
// holding its reader's device key and a wallet of its own mints nothing and cashes out
// nothing; each kind of evidence makes the reader suspect; issuer-risk money waits for the
// holding period and the operator's limit; the issuer's exposure per wallet is (k − 1) × cap.
import assert from "node:assert/strict";
import { SimNetwork } from "../../host/clearing/simulate.ts";
import { Clearing, type ReaderSpec } from "../../host/clearing/index.ts";
import type { Payment } from "../../host/ledger/format.ts";
import { Reason } from "../../host/protocol/index.ts";
import {
  assertBalanced,
  checked,
  craftBatch,
  craftPayment,
  craftWallet,
  testBoth,
  type CraftedWallet,
} from "./clearing-support.ts";
import { install } from "./cashout-support.ts";

const CAP = 1_000; // 10.00
const DENY_MAX_AGE_S = 3_600;
const DRIFT_S = 300;
const HOLD_S = 86_400;

/** Clearing on the test's database with a clock the test moves, the world's keys, and
 *  `readers` registered with a deny-list maximum age. */
async function world(
  c0: Clearing,
  seed: string,
  readers: number,
): Promise<{
  c: Clearing;
  net: SimNetwork;
  clock: { s: number };
  spec: (i: number) => ReaderSpec;
}> {
  const net = new SimNetwork({ seed, readers });
  const clock = { s: net.world.now() };
  const w = net.world;
  const c = checked(
    await Clearing.open({
      db: c0.db,
      clearingKey: w.clearingKey,
      operatorKey: w.operatorKey,
      now: () => clock.s,
      riskHoldS: HOLD_S,
    }),
  );
  for (const i of [...w.issuers, w.revokedIssuer]) await c.registerIssuerKey(i.keyId, i.publicKey);
  const spec = (i: number): ReaderSpec => ({
    ...net.readerSpec(i),
    amountMax: 100_000,
    driftToleranceS: DRIFT_S,
    denyMaxAgeS: DENY_MAX_AGE_S,
  });
  for (let i = 0; i < readers; i++) await c.registerReader(spec(i));
  return { c, net, clock, spec };
}

/** Writes batches for reader `i` the way its device key would sign them, chain and all. */
function signer(
  net: SimNetwork,
  i: number,
): { id16: Uint8Array; batch(ps: Payment[]): Uint8Array } {
  const r = net.readers[i]!;
  const id16 = new Uint8Array(16);
  id16.set(r.config.readerId);
  let seq = 1;
  let head: Uint8Array = new Uint8Array(32);
  return {
    id16,
    batch(ps: Payment[]): Uint8Array {
      const b = craftBatch(r.deviceKey, id16, seq, head, ps);
      seq += ps.length;
      head = b.head;
      return b.bytes;
    },
  };
}

const tap = (
  net: SimNetwork,
  i: number,
  w: CraftedWallet,
  counter: number,
  time: number,
  amount = CAP,
  cumulative = CAP,
): Payment =>
  craftPayment(w, net.readers[i]!.config.readerId, { counter, amount, cumulative, time });

testBoth(
  "the issue's attack: 200 taps at the cap, 50 counter reuses, 100 after denial mint nothing",
  async (c0) => {
    const { c, net, clock } = await world(c0, "attack", 1);
    const issuer = net.world.issuers[0]!;
    const w = craftWallet(issuer, clock.s, CAP);
    const r = signer(net, 0);
    const t0 = clock.s;
    const atCap = r.batch(Array.from({ length: 200 }, (_v, i) => tap(net, 0, w, i + 1, t0 + i)));
    const reuses = r.batch(Array.from({ length: 50 }, (_v, i) => tap(net, 0, w, 1, t0 + 300 + i)));
    await c.denyWallet(w.walletId, "reported stolen");
    clock.s = t0 + 1_000;
    await c.denyList();
    const late = t0 + 1_000 + DENY_MAX_AGE_S + DRIFT_S + 1;
    const denied = r.batch(
      Array.from({ length: 100 }, (_v, i) => tap(net, 0, w, 201 + i, late + i)),
    );

    const a = await c.ingest(atCap);
    assert.equal(a.settled, 1, "the first tap is the wallet's own money, within its cap");
    assert.equal(a.evidence.length, 199);
    assert.ok(a.evidence.every((e) => e.kind === "over_cap_at_reader"));
    assert.deepEqual(a.suspectReaders, [Buffer.from(r.id16).toString("hex")]);
    const b = await c.ingest(reuses);
    const d = await c.ingest(denied);
    assert.deepEqual(
      [b.held, d.held, b.settled, d.settled],
      [1, 1, 0, 0],
      "a suspect reader's batches wait",
    );

    // The operator (the merchant) cannot cash out while its reader is suspect.
    const inst = await install(c, { operatorId: "metro", balance: 1 });
    const q = await inst.svc.quote(inst.ownerId, CAP, "EUR", `owner:${inst.ownerId}`);
    assert.ok(q.ok && q.value.refusals.includes("READER_SUSPECT"), JSON.stringify(q));
    const req = await inst.svc.request(
      { ownerId: inst.ownerId, bankAccountId: inst.accountId, grossMinor: CAP, currency: "EUR" },
      `owner:${inst.ownerId}`,
    );
    assert.equal(req.ok ? "ok" : req.error, "READER_SUSPECT");

    const [s] = await c.suspectReaders();
    assert.equal(s?.heldBatches, 2);
    assert.equal(s?.evidenceCount, 199);
    assert.match(s!.reason, /^over_cap_at_reader at sequence 2: 2000 spent at this reader/);

    // Released, the held batches are judged in turn: every one of them is evidence again.
    const rel1 = await c.decideReader(r.id16, "release", "look at the rest");
    assert.ok(rel1.ok);
    assert.equal(rel1.report.settled, 0);
    assert.equal(rel1.report.evidence.length, 50);
    assert.ok(rel1.report.evidence.every((e) => e.kind === "counter_not_increasing"));
    const rel2 = await c.decideReader(r.id16, "release", "and the last");
    assert.ok(rel2.ok);
    assert.equal(rel2.report.settled, 0);
    assert.equal(rel2.report.evidence.length, 100);
    const rej = await c.decideReader(r.id16, "reject", "device key compromised");
    assert.ok(rej.ok);
    assert.equal((await c.reader(r.id16))?.status, "rejected");
    assert.equal(
      (await c.ingest(r.batch([tap(net, 0, w, 400, late + 500)]))).batches[0]?.status,
      "rejected",
    );

    // Nothing minted: no issuer-risk money, the operator holds the one in-cap tap (and the
    // 0.01 the cash-out set-up paid it); nothing cashed out.
    assert.equal((await c.account(`issuer:${issuer.keyId}:risk:978`))?.balance ?? 0, 0);
    assert.equal((await c.account("riskhold:metro:978"))?.balance ?? 0, 0);
    assert.equal((await c.account("operator:metro:978"))?.balance, CAP + 1);
    assert.equal((await c.payments({ limit: 1000 })).length, 1);
    assert.equal((await inst.svc.cashouts({ ownerId: inst.ownerId })).length, 0);
    await assertBalanced(c);
  },
);

testBoth(
  "a wallet listed longer than the reader's deny-list age is evidence; before that, good faith",
  async (c0) => {
    const { c, net, clock } = await world(c0, "denied", 1);
    const w = craftWallet(net.world.issuers[0]!, clock.s, 100 * CAP);
    const r = signer(net, 0);
    const t0 = clock.s;
    await c.denyWallet(w.walletId, "fraud report");
    clock.s = t0 + 10;
    await c.denyList();
    const edge = t0 + 10 + DENY_MAX_AGE_S + DRIFT_S;
    const ok = await c.ingest(r.batch([tap(net, 0, w, 1, edge, 100, 100)]));
    assert.equal(ok.settled, 1, "an honest reader may still hold a list from before the denial");
    assert.deepEqual(ok.evidence, []);
    const bad = await c.ingest(r.batch([tap(net, 0, w, 2, edge + 1, 100, 200)]));
    assert.equal(bad.settled, 0);
    assert.deepEqual(
      bad.evidence.map((e) => e.kind),
      ["denied_at_reader"],
    );
    assert.equal((await c.reader(r.id16))?.status, "suspect");
  },
);

testBoth(
  "a counter not above the reader's last is evidence only while the earlier record is in its flash",
  async (c0) => {
    const { c, net, clock } = await world(c0, "counter", 1);
    const w = craftWallet(net.world.issuers[0]!, clock.s, 100 * CAP);
    const r = signer(net, 0);
    const t = clock.s;
    assert.equal((await c.ingest(r.batch([tap(net, 0, w, 5, t, 100, 100)]))).settled, 1);
    assert.ok(await c.acknowledgement(r.id16), "acknowledged: the reader may free the record");
    // The reader forgot counter 5 with the record: a lower counter is the wallet's fraud
    // (a double spend for the issuer), not the reader's.
    const after = await c.ingest(r.batch([tap(net, 0, w, 3, t + 5, 100, 200)]));
    assert.deepEqual([after.settled, after.evidence.length], [1, 0]);
    const again = await c.ingest(r.batch([tap(net, 0, w, 3, t + 9, 100, 300)]));
    assert.deepEqual(
      again.evidence.map((e) => e.kind),
      ["counter_not_increasing"],
    );
  },
);

testBoth(
  "a record outside its certificate's validity is evidence against the reader",
  async (c0) => {
    const { c, net, clock } = await world(c0, "expired", 1);
    const w = craftWallet(net.world.issuers[0]!, clock.s, 100 * CAP);
    const r = signer(net, 0);
    const tooLate = clock.s + 86_400 * 365 + DRIFT_S + 1;
    const rep = await c.ingest(r.batch([tap(net, 0, w, 1, tooLate, 100, 100)]));
    assert.deepEqual(
      rep.rejectedRecords.map((x) => x.reason),
      [Reason.CERT_EXPIRED],
    );
    assert.deepEqual(
      rep.evidence.map((e) => e.kind),
      ["failed_reader_check"],
    );
    assert.equal((await c.reader(r.id16))?.status, "suspect");
  },
);

testBoth(
  "issuer exposure per wallet is (k − 1) × cap; risk money waits for the hold and the limit",
  async (c0) => {
    const { c, net, clock } = await world(c0, "exposure", 3);
    const issuer = net.world.issuers[0]!;
    const w = craftWallet(issuer, clock.s, CAP);
    const rs = [0, 1, 2].map((i) => signer(net, i));
    const t = clock.s;
    // Each reader sees the wallet spend its whole cap in two taps — honest at each reader.
    let counter = 0;
    for (const [i, r] of rs.entries()) {
      const ps = [
        tap(net, i, w, ++counter, t + counter, CAP / 2, CAP / 2),
        tap(net, i, w, ++counter, t + counter, CAP / 2, CAP),
      ];
      assert.deepEqual((await c.ingest(r.batch(ps))).evidence, []);
    }
    // One more tap at the first reader is over the cap *at that reader*: evidence, unpaid.
    const more = await c.ingest(rs[0]!.batch([tap(net, 0, w, ++counter, t + 50, 1, CAP)]));
    assert.deepEqual([more.settled, more.evidence[0]?.kind], [0, "over_cap_at_reader"]);
    const k = 3;
    assert.equal((await c.account(`issuer:${issuer.keyId}:float:978`))?.balance, -CAP);
    assert.equal(
      (await c.account(`issuer:${issuer.keyId}:risk:978`))?.balance,
      -(k - 1) * CAP,
      "exposure = (k − 1) × cap",
    );
    assert.equal((await c.account("riskhold:metro:978"))?.balance, (k - 1) * CAP);

    // Held: nothing moves before the holding period, then only within the operator's limit
    // (the holds are the second and third readers', which are in good standing).
    assert.equal((await c.releaseRiskHolds()).released, 0);
    clock.s = t + HOLD_S + 100;
    assert.ok(await c.setRiskLimit("metro", CAP + CAP / 2));
    const rel = await c.releaseRiskHolds();
    // Four holds of CAP / 2 (two taps at each of the second and third readers).
    assert.deepEqual([rel.released, rel.amount, rel.waiting], [3, CAP + CAP / 2, 1]);
    assert.equal((await c.account("operator:metro:978"))?.balance, CAP + CAP + CAP / 2);
    assert.equal((await c.account("riskhold:metro:978"))?.balance, CAP / 2);
    assert.ok(await c.setRiskLimit("metro", 10 * CAP));
    assert.equal((await c.releaseRiskHolds()).released, 1);
    assert.equal((await c.account("riskhold:metro:978"))?.balance, 0);
    await assertBalanced(c);
  },
);
