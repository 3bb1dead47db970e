// Wallet-key tables (docs/PROTOCOL.md, "Wallet-key tables"; assembly/reader/walletkeys.ts):
// a returning wallet's key gets precomputed verify tables in the board's idle time, and
// its later taps verify on the registered-key path. Through the real firmware on the
// simulated board: the decisions, receipts and signals of a reader that idles between
// taps must equal those of one that never does, forged signatures under a key with
// tables included; tables are built only in idle time, evicted least recently used, and
// lost on a reboot (RAM only).
import { test } from "node:test";
import assert from "node:assert/strict";
import { Reason, toHex } from "../../host/protocol/index.ts";
import type { Misbehaviour, SimWallet } from "../../host/sim/wallet.ts";
import { SimWorld } from "../../host/sim/world.ts";
import { firmwareHasReader, type TapResult } from "../../host/sim/reader.ts";
import { Rng } from "../../host/sim/rng.ts";
import { FirmwareCrypto } from "../../host/firmware/crypto.ts";
import { VerifyStatus } from "../../host/crypto/policy.ts";
import { runSim } from "../../host/sim/population.ts";

const SEED = Number(process.env["OFFTAP_READER_SEED"] ?? 14);

/** Registered-key slots (REGISTERED_KEYS_MAX): the first slot the firmware calls invalid. */
function registeredSlots(): number {
  const fw = new FirmwareCrypto();
  let n = 0;
  const probe = (slot: number): number =>
    fw.verifyRegistered(slot, new Uint8Array(0), new Uint8Array(64));
  while (n < 64 && probe(n) !== VerifyStatus.KeySlotInvalid) n++;
  return n;
}

/** Slots that serve wallets: those the simulator's provisioning leaves without an issuer
 *  key (it provisions three: ISSUER_KEYS_MAX 4 + WALLET_KEY_SLOTS_MIN 2 leaves three). */
const WALLET_SLOTS = firmwareHasReader()
  ? registeredSlots() - new SimWorld({ seed: SEED, provision: false }).config.issuerKeys.length
  : 0;
const skip = !firmwareHasReader()
  ? "build/offtap.wasm does not export the reader (run make build)"
  : WALLET_SLOTS < 1 ? "this firmware keeps no registered-key slot for wallets" : false;
const WALLETS = 5;
const TAPS = 70;
/** Misbehaviours that still reach the authorization's signature check, or the re-tap
 *  path's possession proof, under a key that may have tables. */
const FAULTS: readonly Misbehaviour[] = [
  "wrong-key", "wrong-key", "replay-old-auth", "reuse-counter", "exceed-cap", "other-amount",
  "vanish-before-receipt", "withhold-receipt-ack", "bare-retap", "cumulative-below-amount",
];
const GAP_MS = 1_500;

interface Seen { decision: number; receipt: string; signals: string }

function seen(r: TapResult): Seen {
  return {
    decision: r.decision,
    receipt: r.receiptBytes === undefined ? "-" : toHex(r.receiptBytes),
    signals: JSON.stringify(r.signals.map((s) => [s.kind, s.value])),
  };
}

/** A day at one reader: a few regulars tap again and again, some taps misbehave. The
 *  same seed gives the same wallets, challenges and faults in every world. */
function commute(idle: boolean): { seen: Seen[]; pieces: number; heldMax: number } {
  const world = new SimWorld({ seed: SEED, captureLogs: false });
  const pick = Rng.from(SEED, "wallet-tables day");
  const wallets: SimWallet[] = [];
  for (let i = 0; i < WALLETS; i++) wallets.push(world.createWallet({ offlineCap: 1_000_000 }));
  const out: Seen[] = [];
  let pieces = 0;
  let heldMax = 0;
  for (let t = 0; t < TAPS; t++) {
    const w = wallets[pick.below(WALLETS)]!;
    if (pick.below(4) === 0) w.once(FAULTS[pick.below(FAULTS.length)]!);
    out.push(seen(world.tap(w, 0)));
    world.idle(GAP_MS);
    if (idle) pieces += world.housekeeping();
    heldMax = Math.max(heldMax, world.reader.exports.walletKeyTables());
  }
  return { seen: out, pieces, heldMax };
}

test("a reader that builds wallet-key tables decides every tap as one that never does", {
  skip,
}, () => {
  const plain = commute(false);
  const tables = commute(true);
  assert.equal(plain.pieces, 0);
  assert.equal(plain.heldMax, 0, "no idle time, no tables");
  assert.equal(tables.heldMax, WALLET_SLOTS, "every wallet slot was used");
  // More returning wallets than slots: tables were evicted and rebuilt.
  assert.ok(tables.pieces > WALLET_SLOTS, `only ${tables.pieces} tables built`);
  tables.seen.forEach((s, i) => assert.deepEqual(s, plain.seen[i], `tap ${i}`));
  const decisions = new Set(tables.seen.map((s) => s.decision));
  for (const want of [Reason.ACCEPTED, Reason.AUTH_SIGNATURE_INVALID]) {
    assert.ok(decisions.has(want), `the day had no ${want}`);
  }
});

test("a forged signature under a key with tables is declined, an honest one accepted", {
  skip,
}, () => {
  const world = new SimWorld({ seed: SEED, captureLogs: false });
  const w = world.createWallet();
  assert.equal(world.tap(w, 0).decision, Reason.ACCEPTED); // certificate verified, cached
  assert.equal(world.housekeeping(), 0, "a first visit is not admitted");
  assert.equal(world.tap(w, 0).decision, Reason.ACCEPTED); // certificate cached: admitted
  assert.equal(world.reader.exports.walletKeyTables(), 0, "tables are never built in a tap");
  assert.equal(world.housekeeping(), 1);
  assert.equal(world.reader.exports.walletKeyTables(), 1);
  w.once("wrong-key");
  assert.equal(world.tap(w, 0).decision, Reason.AUTH_SIGNATURE_INVALID);
  assert.equal(world.housekeeping(), 0, "a key with tables is not queued again");
  // The wallet re-presents its declined authorization once (no such record), then pays.
  assert.equal(world.tap(w, 0).decision, Reason.CHALLENGE_MISMATCH);
  assert.equal(world.tap(w, 0).decision, Reason.ACCEPTED);
  assert.equal(world.housekeeping(), 0);
});

test("the least recently used wallet's tables go first; a reboot forgets them all", {
  skip,
}, () => {
  const world = new SimWorld({ seed: SEED, captureLogs: false });
  const wallets = Array.from({ length: WALLET_SLOTS + 1 }, () => world.createWallet());
  // Two visits each: every wallet is a returning one; the first three get the slots.
  const visit = (w: SimWallet): number => {
    assert.equal(world.tap(w, 0).decision, Reason.ACCEPTED);
    return world.housekeeping();
  };
  for (const w of wallets.slice(0, WALLET_SLOTS)) {
    assert.equal(visit(w), 0);
    assert.equal(visit(w), 1);
  }
  assert.equal(world.reader.exports.walletKeyTables(), WALLET_SLOTS);
  // Wallet 0 taps again (a hit: nothing to build), so wallet 1 is now the oldest.
  assert.equal(visit(wallets[0]!), 0);
  const late = wallets[WALLET_SLOTS]!;
  assert.equal(visit(late), 0);
  assert.equal(visit(late), 1, "the fourth returning wallet takes a slot");
  assert.equal(world.reader.exports.walletKeyTables(), WALLET_SLOTS);
  assert.equal(visit(wallets[0]!), 0, "wallet 0 kept its tables");
  assert.equal(visit(wallets[2]!), 0, "wallet 2 kept its tables");
  assert.equal(visit(wallets[1]!), 1, "wallet 1 was evicted and is built again");
  assert.equal(world.reboot(), 0);
  assert.equal(world.reader.exports.walletKeyTables(), 0, "RAM only");
  // After a reboot the certificate cache is empty too: a first visit again.
  assert.equal(visit(wallets[0]!), 0);
  assert.equal(visit(wallets[0]!), 1);
});

test("a rush hour with misbehaving wallets decides the same with and without idle work", {
  skip,
}, async () => {
  const run = (boardIdle: boolean): ReturnType<typeof runSim> =>
    runSim({ taps: 240, wallets: 12, seed: SEED, misbehavingShare: 0.3, boardIdle });
  const [idle, none] = [await run(true), await run(false)];
  assert.equal(idle.decisionFingerprint, none.decisionFingerprint);
  assert.deepEqual(idle.byDecision, none.byDecision);
  assert.equal(idle.ledgerRecords, none.ledgerRecords);
  assert.ok(idle.chargedOnce && none.chargedOnce);
});

test("idle has nothing to do on an unprovisioned reader", { skip }, () => {
  const world = new SimWorld({ seed: SEED, captureLogs: false, provision: false });
  assert.equal(world.housekeeping(), 0);
  assert.equal(world.reader.exports.walletKeyTables(), 0);
});
