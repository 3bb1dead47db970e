// The reader firmware (build/offtap.wasm) on the simulated board: one tap per decision
// and reason code and per wallet misbehaviour, each checked against what
// docs/PROTOCOL.md prescribes (decision, signals, exchange budget); the re-tap rules
// (never charged twice, same receipt; the abuse cases are in reader-retap.test.ts); the
// ledger record of a payment, re-derived
// independently with @noble/ed25519 and @noble/hashes; and a heap-growth run.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as ed from "@noble/ed25519";
import { sha512 } from "@noble/hashes/sha2.js";
import {
  REASONS, Reason, isAcceptance, reasonName, toHex, decodeAuthorization, certHash, AUTH_LABEL,
} from "../../host/protocol/index.ts";
import { SCENARIOS, findScenario } from "../../host/sim/scenarios.ts";
import { MISBEHAVIOURS } from "../../host/sim/wallet.ts";
import { SimWorld, CERT_KINDS } from "../../host/sim/world.ts";
import { firmwareHasReader, type TapResult } from "../../host/sim/reader.ts";

ed.hashes.sha512 = sha512;
const skip = firmwareHasReader()
  ? false
  : "build/offtap.wasm does not export the reader (run make build)";
const SEED = Number(process.env["OFFTAP_READER_SEED"] ?? 1);

function expectSignals(r: TapResult, what: string): void {
  const got = r.signals.map((s) => [s.kind, s.value]);
  if (r.decision === Reason.NO_WALLET) {
    assert.deepEqual(got, [], `${what}: NO_WALLET signals nothing`);
  } else if (isAcceptance(r.decision)) {
    const accept = [[0, 1], [1, 1], [2, 1], [3, r.decision]];
    assert.deepEqual(got, accept, `${what}: gate open, green, accept beep, code`);
  } else {
    assert.deepEqual(got, [[1, 2], [2, 2], [3, r.decision]], `${what}: red, decline beep, reason`);
  }
}

function expectBudget(r: TapResult, what: string): void {
  assert.ok(r.exchanges.length <= 3, `${what}: at most 3 round trips, got ${r.exchanges.length}`);
  const bytes = r.exchanges.reduce((n, x) => n + x.tx.length + (x.rx?.length ?? 0), 0);
  assert.ok(bytes <= 600, `${what}: at most ~600 bytes, got ${bytes}`);
}

test("every decision code of docs/PROTOCOL.md and every misbehaviour has a scenario", () => {
  const codes = new Set<number>(SCENARIOS.map((s) => Reason[s.expected]));
  for (const r of REASONS) assert.ok(codes.has(r.code), `no scenario ends in ${r.name}`);
  const named = new Set(SCENARIOS.map((s) => s.name));
  for (const m of MISBEHAVIOURS) {
    // random bytes: its decision depends on the bytes (sim only)
    if (m === "garbage-auth") continue;
    assert.ok(
      named.has(m) || SCENARIOS.some((s) => s.name.includes(m)),
      `misbehaviour ${m} has no scenario`,
    );
  }
  for (const k of CERT_KINDS) {
    if (k === "honest") continue;
    const name = k.replace("wrong-currency", "cert-currency").replace("denied", "wallet-denied");
    assert.ok([...named].some((n) => n.includes(name)), `certificate kind ${k} has no scenario`);
  }
});

for (const s of SCENARIOS) {
  test(`scenario ${s.name}: ${s.expected}`, { skip }, () => {
    const run = s.run(SEED);
    const r = run.result;
    assert.equal(reasonName(r.decision), s.expected, `${s.name} (seed ${SEED}): ${s.description}`);
    expectSignals(r, s.name);
    expectBudget(r, s.name);
    for (const b of run.before) {
      expectSignals(b, `${s.name} (earlier tap)`);
      expectBudget(b, `${s.name} (earlier tap)`);
    }
    if (isAcceptance(r.decision)) {
      assert.ok(r.receipt !== undefined, "an acceptance sends a receipt");
    }
    else if (r.decision === Reason.ALREADY_USED) {
      assert.equal(r.receipt?.outcome, 2, "ALREADY_USED re-sends the receipt");
    }
    else assert.equal(r.receipt, undefined, "a decline sends no receipt");
  });
}

test("a re-tap after a torn exchange gets the same receipt and is charged once", { skip }, () => {
  const world = new SimWorld({ seed: SEED });
  const wallet = world.createWallet({ offlineCap: 10_000 });
  wallet.once("vanish-before-receipt");
  const first = world.tap(wallet);
  assert.equal(first.reason, "ACCEPTED");
  assert.equal(wallet.pending.length, 1, "the wallet holds its authorization pending");
  world.idle(1_500);
  const again = world.tap(wallet);
  assert.equal(again.reason, "ALREADY_USED", "the gate opened on the first tap: not again");
  assert.ok(!again.signals.some((x) => x.kind === 0), "no gate signal");
  assert.ok(again.receiptBytes !== undefined && first.receiptBytes !== undefined);
  assert.equal(first.receiptBytes[1], 0, "outcome 0: accepted now");
  assert.equal(again.receiptBytes[1], 2, "outcome 2: already used");
  const withoutOutcome = (b: Uint8Array): string =>
    toHex(Uint8Array.from([b[0]!, ...b.subarray(2)]));
  assert.equal(
    withoutOutcome(again.receiptBytes), withoutOutcome(first.receiptBytes),
    "every other receipt byte is the original's",
  );
  const e = world.reader.exports;
  assert.equal(e.ledgerNextSeq() - 1, 1, "the ledger holds one record");
  assert.equal(e.lastReceiptLen(), 46);
  assert.equal(
    toHex(new Uint8Array(e.memory.buffer, e.lastReceiptPtr(), 46)), toHex(again.receiptBytes),
    "probe: the receipt sent",
  );
  assert.equal(e.lastReceiptDelivered(), 1, "the re-tap delivered its receipt");
  assert.equal(wallet.pending.length, 0, "the receipt cleared the pending authorization");
  const next = world.tap(wallet);
  assert.equal(next.reason, "ACCEPTED");
  assert.equal(next.receipt?.counter, 2);
  assert.equal(e.ledgerNextSeq() - 1, 2);
});

test("a re-tap torn again: charged once, the counter burned and kept counted", { skip }, () => {
  const world = new SimWorld({ seed: SEED });
  const fare = world.config.fare;
  const wallet = world.createWallet({ offlineCap: 10_000 });
  wallet.once("vanish-before-receipt");
  assert.equal(world.tap(wallet).reason, "ACCEPTED");
  wallet.once("vanish-before-receipt");
  const again = world.tap(wallet);
  assert.equal(again.reason, "ALREADY_USED", "the reader recognises the payment");
  assert.equal(world.reader.exports.lastReceiptDelivered(), 0, "its receipt was lost again");
  assert.equal(
    wallet.burned, 1, "PROTOCOL.md Re-taps 3: no receipt after a re-presentation burns the counter",
  );
  const fresh = world.tap(wallet);
  assert.equal(fresh.reason, "ACCEPTED");
  const auth = decodeAuthorization(fresh.exchanges[1]!.rx!.subarray(0, 107));
  assert.equal(auth.counter, 2);
  assert.equal(auth.cumulative, 2 * fare, "the charged payment stays counted");
  assert.equal(
    world.reader.exports.ledgerNextSeq() - 1, 2,
    "two payments, two records: counter 1 charged once",
  );
});

test("a re-tap survives a reboot: ledger index and signal mark come from flash", { skip }, () => {
  const world = new SimWorld({ seed: SEED });
  const wallet = world.createWallet();
  wallet.once("vanish-before-receipt");
  const first = world.tap(wallet);
  assert.equal(first.reason, "ACCEPTED");
  assert.equal(world.reboot(), 0, "init after reboot");
  const again = world.tap(wallet);
  assert.equal(again.reason, "ALREADY_USED", "a reboot does not re-arm the gate");
  assert.equal(again.receipt?.sequence, first.receipt?.sequence);
  assert.equal(world.reader.exports.ledgerNextSeq() - 1, 1);
});

test("a torn PAY: stale authorization declined, burned, its amount counted", { skip }, () => {
  const world = new SimWorld({ seed: SEED });
  const fare = world.config.fare;
  const wallet = world.createWallet({ offlineCap: 10_000 });
  wallet.once("vanish-after-pay");
  assert.equal(world.tap(wallet).reason, "WALLET_VANISHED");
  const retap = world.tap(wallet);
  assert.equal(retap.reason, "CHALLENGE_MISMATCH");
  assert.equal(wallet.burned, 1);
  const fresh = world.tap(wallet);
  assert.equal(fresh.reason, "ACCEPTED");
  const auth = decodeAuthorization(fresh.exchanges[1]!.rx!.subarray(0, 107));
  assert.equal(auth.counter, 2, "the burned counter is not reused");
  assert.equal(
    auth.cumulative, 2 * fare,
    "the burned amount is still counted as spent (PROTOCOL.md Re-taps 3)",
  );
  assert.equal(
    world.reader.exports.ledgerNextSeq() - 1, 1, "only the fresh payment is in the ledger",
  );
});

test("a payment's ledger record: fields, body, hash link = recordHash", { skip }, () => {
  const world = new SimWorld({ seed: SEED });
  const wallet = world.createWallet();
  const r = world.tap(wallet);
  assert.equal(r.reason, "ACCEPTED");
  const e = world.reader.exports;
  const n = e.ledgerReadRecord(r.receipt!.sequence);
  assert.equal(n, 72 + 238, "record content: 72-byte head and a 238-byte body");
  const rec = world.reader.get(0, n);
  const v = new DataView(rec.buffer);
  assert.equal(v.getUint32(0, true), r.receipt!.sequence);
  assert.equal(toHex(rec.subarray(4, 20)), wallet.walletIdHex);
  assert.equal(v.getUint32(20, true), 1, "wallet counter");
  assert.equal(Number(v.getBigUint64(24, true)), world.config.fare);
  assert.equal(v.getUint32(32, true), r.receipt!.readerTime);
  const authBytes = rec.subarray(72, 179);
  const certBytes = rec.subarray(179, 310);
  assert.equal(toHex(certBytes), toHex(wallet.certificate));
  assert.equal(
    toHex(authBytes), toHex(r.exchanges[1]!.rx!.subarray(0, 107)),
    "the authorization exactly as received",
  );
  const signed = authBytes.subarray(0, 43);
  const msg = Uint8Array.from([...AUTH_LABEL, ...certHash(certBytes), ...signed]);
  assert.ok(
    ed.verify(authBytes.subarray(43), msg, certBytes.subarray(21, 53)),
    "the stored authorization verifies (noble)",
  );
  // docs/LEDGER.md §2.4: link(1) = SHA-512(32 zero bytes ‖ content[0..40) ‖ body)[0..32).
  const linked = [...new Uint8Array(32), ...rec.subarray(0, 40), ...rec.subarray(72, n)];
  const link = sha512(Uint8Array.from(linked)).subarray(0, 32);
  assert.equal(toHex(rec.subarray(40, 72)), toHex(link), "hash link");
  assert.equal(
    toHex(r.receipt!.recordHash), toHex(link.subarray(0, 16)),
    "receipt recordHash = first 16 bytes of the link",
  );
});

test("heap and memory do not grow over 10,000 taps of every kind", { skip }, () => {
  const world = new SimWorld({ seed: SEED, captureLogs: false });
  const e = world.reader.exports;
  assert.ok(typeof e.heapTop === "function", "firmware exports heapTop()");
  const wallets = Array.from({ length: 40 }, (_, i) => world.createWallet({
    offlineCap: 100_000_000, kind: i % 10 === 9 ? "cert-expired" : "honest",
  }));
  const misbehaviours = MISBEHAVIOURS.filter((m) => m !== "slow-select");
  world.tap(wallets[0]);
  const heap0 = e.heapTop();
  assert.equal(heap0, 0, "boards/ABI.md: heapTop stays 0 (no allocation at all)");
  const mem0 = e.memory.buffer.byteLength;
  const seen = new Set<number>();
  for (let i = 0; i < 10_000; i++) {
    const w = wallets[i % wallets.length]!;
    if (i % 7 === 3) w.once(misbehaviours[i % misbehaviours.length]!);
    seen.add(world.tap(i % 97 === 0 ? undefined : w).decision);
    world.idle(500);
    if (world.reader.exports.ledgerReusableSectors() < 2) {
      assert.equal(world.acknowledgeAll(), 0, "clearing acknowledges the ledger");
    }
    if (i % 1000 === 999) {
      assert.equal(e.heapTop(), heap0, `heap moved after ${i + 1} taps (seed ${SEED})`);
      assert.equal(e.memory.buffer.byteLength, mem0, `memory grew after ${i + 1} taps`);
    }
  }
  assert.equal(mem0, 2 * 65536, "two pages of linear memory");
  assert.ok(
    seen.size >= 10, `the run exercised many decisions (${[...seen].map(reasonName).join(", ")})`,
  );
});

test("the kiosk rejects the gate's calling convention and vice versa", { skip }, () => {
  const gate = new SimWorld({ seed: SEED });
  assert.equal(
    gate.tap(gate.createWallet(), 100).reason, "AMOUNT_OUT_OF_LIMITS",
    "gate mode: amount argument must be 0",
  );
  const kiosk = new SimWorld({ seed: SEED, mode: "kiosk", amountMin: 100, amountMax: 1_000 });
  const w = kiosk.createWallet();
  assert.equal(kiosk.tap(w, -5).reason, "AMOUNT_REQUIRED");
  assert.equal(kiosk.tap(w, 99).reason, "AMOUNT_OUT_OF_LIMITS");
  assert.equal(kiosk.tap(w, 1_000).reason, "ACCEPTED");
  assert.equal(kiosk.tap(w, 1_001).reason, "AMOUNT_OUT_OF_LIMITS");
});

test("a clock drifting inside the tolerance accepts; just outside it declines", { skip }, () => {
  const world = new SimWorld({ seed: SEED });
  const w = world.createWallet();
  const cert = w.certificate;
  const validFrom = new DataView(cert.buffer, cert.byteOffset).getUint32(59);
  world.setTime(validFrom - 300);
  assert.equal(world.tap(w).reason, "ACCEPTED", "readerTime + tolerance = validFrom");
  world.setTime(validFrom - 301);
  assert.equal(world.tap(w).reason, "CERT_NOT_YET_VALID");
  assert.ok(findScenario("cert-expired"));
});

test("a re-tap after the window is a CHALLENGE_MISMATCH, charging nothing", { skip }, () => {
  const world = new SimWorld({ seed: SEED });
  const torn = world.createWallet();
  torn.once("vanish-before-receipt");
  assert.equal(world.tap(torn).reason, "ACCEPTED");
  const records = world.reader.exports.ledgerNextSeq();
  world.idle(121_000); // RETAP_WINDOW_S (assembly/limits.ts) is 120 s
  assert.equal(world.tap(torn).reason, "CHALLENGE_MISMATCH");
  assert.equal(world.reader.exports.ledgerNextSeq(), records, "nothing appended");
});

test("a re-tap within the window after a reboot still gets its receipt", { skip }, () => {
  const world = new SimWorld({ seed: SEED });
  const torn = world.createWallet();
  torn.once("vanish-before-receipt");
  const first = world.tap(torn);
  assert.equal(first.reason, "ACCEPTED");
  world.reboot();
  world.idle(30_000);
  const again = world.tap(torn);
  assert.equal(again.reason, "ALREADY_USED");
  assert.deepEqual(again.receipt!.recordHash, first.receipt!.recordHash);
});

test("a re-tap of an acknowledged, reclaimed record: CHALLENGE_MISMATCH", { skip }, () => {
  const geometry = {
    ledgerBytes: 4 * 4096, sectorBytes: 4096, pageBytes: 256, denyBytes: 2 * 4096,
    configBytes: 4096,
  };
  const world = new SimWorld({ seed: SEED, geometry });
  const torn = world.createWallet();
  const other = world.createWallet({ offlineCap: 1_000_000 });
  torn.once("vanish-before-receipt");
  assert.equal(world.tap(torn).reason, "ACCEPTED");
  for (let i = 0; i < 40; i++) {
    assert.equal(world.tap(other).reason, "ACCEPTED");
    if (world.reader.exports.ledgerReusableSectors() < 2) assert.equal(world.acknowledgeAll(), 0);
  }
  assert.ok(world.reader.exports.ledgerReadRecord(1) < 0, "record 1 is gone from flash");
  // PROTOCOL.md "Re-taps" 2: not found → CHALLENGE_MISMATCH; LEDGER_ERROR is for flash failures.
  assert.equal(world.tap(torn).reason, "CHALLENGE_MISMATCH");
});
