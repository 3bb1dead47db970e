// A reader declines every tap once its deny list is older than its maximum age
// (DENY_LIST_STALE), and installs only newer versions. So clearing must issue its list
// again, unchanged but newer, before any registered reader's copy can go stale
// (docs/CLEARING.md §8): here, readers that declared 7 days get a new version after 3.5
// days, and a simulated reader that installs each answer never stops accepting taps.
import assert from "node:assert/strict";
import { SimNetwork } from "../../host/clearing/simulate.ts";
import { Clearing } from "../../host/clearing/index.ts";
import { DENY_MAX_AGE_ASSUMED_S } from "../../host/clearing/outputs.ts";
import { Reason } from "../../host/protocol/index.ts";
import { testBoth } from "./clearing-support.ts";

const DAY_S = 86_400;

async function withClock(c0: Clearing, net: SimNetwork, clock: { s: number }): Promise<Clearing> {
  const c = await Clearing.open({
    db: c0.db, clearingKey: net.world.clearingKey, operatorKey: net.world.operatorKey,
    now: () => clock.s,
  });
  for (const i of net.world.issuers) await c.registerIssuerKey(i.keyId, i.publicKey);
  return c;
}

testBoth("an unchanged deny list is issued again before readers' copies go stale", async (c0) => {
  const net = new SimNetwork({ seed: "deny-fresh", readers: 1 });
  const maxAge = net.readers[0]!.config.denyMaxAgeS;
  assert.equal(maxAge, 7 * DAY_S, "the simulated reader's maximum age");
  const clock = { s: net.world.now() };
  const c = await withClock(c0, net, clock);
  await c.registerReader(net.readerSpec(0));
  const t0 = clock.s;
  const first = await c.denyList({ minVersion: 2 });
  assert.equal(net.installDenyList(first.image)[0], 0);

  clock.s = t0 + maxAge / 2 - 1;
  const same = await c.denyList({ minVersion: 2 });
  assert.equal(same.version, first.version, "younger than half the maximum age: the same list");
  assert.equal(same.issuedAt, t0);

  clock.s = t0 + maxAge / 2;
  const again = await c.denyList({ minVersion: 2 });
  assert.equal(again.version, first.version + 1, "half the maximum age: a new version");
  assert.equal(again.issuedAt, clock.s);
  assert.deepEqual(again.walletIds, first.walletIds, "with the same content");

  // The reader, fed each answer as it comes, is never stale: a week and more after the
  // first list it still accepts a tap.
  net.world.setTime(clock.s);
  assert.equal(net.installDenyList(again.image)[0], 0);
  clock.s = t0 + maxAge + DAY_S;
  net.world.setTime(clock.s);
  const later = await c.denyList({ minVersion: 2 });
  assert.equal(later.version, again.version + 1);
  assert.equal(net.installDenyList(later.image)[0], 0);
  const tap = net.tap(0, net.world.createWallet());
  assert.equal(tap.decision, Reason.ACCEPTED, `the reader's list is fresh: ${tap.reason}`);
});

testBoth("with no reader's maximum age declared, a day is assumed", async (c0) => {
  const net = new SimNetwork({ seed: "deny-fresh-none", readers: 1 });
  const clock = { s: net.world.now() };
  const c = await withClock(c0, net, clock);
  const { denyMaxAgeS: _declared, ...spec } = net.readerSpec(0);
  await c.registerReader(spec);
  const t0 = clock.s;
  const first = await c.denyList();
  clock.s = t0 + DENY_MAX_AGE_ASSUMED_S / 2 - 1;
  assert.equal((await c.denyList()).version, first.version);
  clock.s = t0 + DENY_MAX_AGE_ASSUMED_S / 2;
  assert.equal((await c.denyList()).version, first.version + 1);
});
