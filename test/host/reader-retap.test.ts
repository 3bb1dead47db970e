// Re-taps that cannot be abused (docs/PROTOCOL.md "Re-taps" and "Gate openings",
// SECURITY.md "Re-taps"), through the real firmware (build/offtap.wasm) on the simulated
// board: passback by a wallet that withholds 90 00 or leaves the field, the same across
// reboots, copies of an authorization on another phone, and power cuts between a
// payment's write and its gate signal. Gate openings are counted from the board's
// signals; charges from the ledger.
import { test } from "node:test";
import assert from "node:assert/strict";
import { SW, decodeTapCommand, encodeResponse } from "../../host/protocol/index.ts";
import { SimWallet, type Misbehaviour, type WalletReply } from "../../host/sim/wallet.ts";
import { SimWorld } from "../../host/sim/world.ts";
import { PowerCut } from "../../host/sim/board.ts";
import { firmwareHasReader, type TapResult } from "../../host/sim/reader.ts";
import { Ed25519Key } from "../../host/issuer/ed25519.ts";
import type { FieldCard } from "../../host/sim/field.ts";

const skip = firmwareHasReader()
  ? false
  : "build/offtap.wasm does not export the reader (run make build)";
const SEED = Number(process.env["OFFTAP_READER_SEED"] ?? 7);
/** boards/ABI.md: signal kind 0 is the gate, value 1 opens it. */
const SIGNAL_GATE = 0;
const GATE_OPEN = 1;
const RETAPS = 40;
/** Seconds between re-taps: 40 re-taps every 3 s stay inside the 120 s window. */
const RETAP_GAP_MS = 2_900;

function gateOpenings(r: TapResult): number {
  return r.signals.filter((s) => s.kind === SIGNAL_GATE && s.value === GATE_OPEN).length;
}

function records(world: SimWorld): number {
  return world.reader.exports.ledgerNextSeq() - 1;
}

/** A passback attacker: keeps re-presenting its pending authorization and never settles. */
function passbackWallet(world: SimWorld, m: Misbehaviour | undefined): SimWallet {
  const w = world.createWallet({ offlineCap: 100_000, neverBurns: true });
  w.misbehaviour = m;
  return w;
}

/** Pays once (with the wallet's misbehaviour), then re-taps RETAPS times in the window. */
function payThenRetap(world: SimWorld, w: SimWallet, between?: (i: number) => void): TapResult[] {
  const taps = [world.tap(w)];
  for (let i = 0; i < RETAPS; i++) {
    world.idle(RETAP_GAP_MS);
    between?.(i);
    taps.push(world.tap(w));
  }
  return taps;
}

function expectOneOpening(world: SimWorld, taps: TapResult[], what: string): void {
  assert.equal(taps[0]!.reason, "ACCEPTED", `${what}: the payment`);
  const opened = taps.reduce((n, t) => n + gateOpenings(t), 0);
  assert.equal(opened, 1, `${what}: one gate opening for one fare (seed ${SEED})`);
  for (const [i, t] of taps.slice(1).entries()) {
    assert.equal(t.reason, "ALREADY_USED", `${what}: re-tap ${i + 1}`);
    assert.equal(t.receipt?.outcome, 2, `${what}: re-tap ${i + 1} gets its receipt, outcome 2`);
    assert.equal(t.receipt?.sequence, taps[0]!.receipt?.sequence, "the same record's receipt");
  }
  assert.equal(records(world), 1, `${what}: charged once`);
  assert.equal(world.reader.exports.heapTop(), 0, `${what}: no allocation on the re-tap path`);
}

const PASSBACKS = [
  { m: "withhold-receipt-ack", what: "withholds 90 00" },
  { m: "vanish-before-receipt", what: "vanishes before the receipt" },
] as const;

for (const { m, what } of PASSBACKS) {
  test(`passback: a wallet that ${what} re-taps ${RETAPS} times: one opening`, { skip }, () => {
    const world = new SimWorld({ seed: SEED });
    const w = passbackWallet(world, m);
    expectOneOpening(world, payThenRetap(world, w), m);
  });
}

test("passback across reboots: a reboot before every re-tap does not re-arm", { skip }, () => {
  const world = new SimWorld({ seed: SEED });
  const w = passbackWallet(world, "withhold-receipt-ack");
  const taps = payThenRetap(world, w, () => assert.equal(world.reboot(), 0, "init after reboot"));
  expectOneOpening(world, taps, "reboots");
});

test("a delivered receipt, then a reboot: a replayed authorization opens nothing", { skip }, () => {
  const world = new SimWorld({ seed: SEED });
  const w = passbackWallet(world, "withhold-receipt-ack");
  w.misbehaviour = undefined;
  const first = world.tap(w);
  assert.equal(first.reason, "ACCEPTED");
  assert.equal(world.reader.exports.lastReceiptDelivered(), 1);
  // A replay of the delivered authorization: bare, it is not for this challenge.
  world.reboot();
  w.once("replay-old-auth");
  const replay = world.tap(w);
  assert.equal(replay.reason, "CHALLENGE_MISMATCH");
  assert.equal(gateOpenings(replay), 0);
  assert.equal(records(world), 1);
});

test("a copy of authorization and certificate on another phone opens nothing", { skip }, () => {
  const world = new SimWorld({ seed: SEED });
  const victim = world.createWallet();
  victim.once("vanish-before-receipt");
  assert.equal(world.tap(victim).reason, "ACCEPTED");
  const copy = SimWallet.copyOf(victim, new Ed25519Key(new Uint8Array(32).fill(0x5a)));
  const declines: TapResult[] = [];
  for (let i = 0; i < 5; i++) {
    world.idle(RETAP_GAP_MS);
    declines.push(world.tap(copy));
  }
  world.reboot();
  declines.push(world.tap(copy));
  copy.once("bare-retap");
  const bare = world.tap(copy);
  for (const d of declines) {
    assert.equal(d.reason, "RETAP_PROOF_INVALID", "a proof by another key");
    assert.equal(d.receipt, undefined, "no receipt for a copy");
  }
  assert.equal(bare.reason, "CHALLENGE_MISMATCH", "without a proof it is no re-tap at all");
  assert.equal([...declines, bare].reduce((n, t) => n + gateOpenings(t), 0), 0);
  assert.equal(records(world), 1, "nothing charged");
  // The victim itself still settles its payment: receipt, no second opening.
  const own = world.tap(victim);
  assert.equal(own.reason, "ALREADY_USED");
  assert.equal(victim.pending.length, 0);
});

/** A phone that replays a re-presentation it overheard, byte for byte. */
class ReplayCard implements FieldCard {
  constructor(private readonly selectAnswer: Uint8Array, private readonly payAnswer: Uint8Array) {}
  beginSession(): void { /* stateless */ }
  endSession(): void { /* stateless */ }
  receive(capdu: Uint8Array): WalletReply {
    const kind = decodeTapCommand(capdu).kind;
    let data: Uint8Array = new Uint8Array(0);
    if (kind === "SELECT") data = this.selectAnswer;
    if (kind === "PAY") data = this.payAnswer;
    return { kind: "answer", bytes: encodeResponse(data, SW.OK), latencyMs: 10 };
  }
}

test("an overheard re-presentation replayed later is declined, even unsignalled", { skip }, () => {
  const world = new SimWorld({ seed: SEED });
  const victim = passbackWallet(world, undefined);
  world.armSignalMarkFault("fail", 2); // the payment and its first re-tap both fail to mark
  assert.equal(world.tap(victim).reason, "LEDGER_ERROR", "written, not signalled");
  world.idle(RETAP_GAP_MS);
  const heard = world.tap(victim);
  assert.equal(heard.reason, "LEDGER_ERROR", "the re-tap's mark failed too: still unsignalled");
  const payAnswer = heard.exchanges[1]!.rx!.subarray(0, -2);
  assert.equal(payAnswer.length, 203, "a re-presentation (with its hint) went over the air");
  const selectAnswer = heard.exchanges[0]!.rx!.subarray(0, -2);
  world.idle(RETAP_GAP_MS);
  world.board.field.enter(new ReplayCard(selectAnswer, payAnswer));
  let replay: TapResult;
  try { replay = world.reader.tap(0); } finally { world.board.field.leave(); }
  assert.equal(replay.reason, "RETAP_PROOF_INVALID", "its proof signed another challenge");
  assert.equal(gateOpenings(replay), 0);
  const own = world.tap(victim);
  assert.equal(own.reason, "ALREADY_ACCEPTED", "the key holder still gets the opening");
  assert.equal(gateOpenings(own), 1);
  assert.equal(records(world), 1, "charged once");
});

test("written, never signalled (failed mark): one opening on the re-tap", { skip }, () => {
  const world = new SimWorld({ seed: SEED });
  const w = world.createWallet();
  world.armSignalMarkFault("fail");
  const first = world.tap(w);
  assert.equal(first.reason, "LEDGER_ERROR");
  assert.equal(gateOpenings(first), 0, "no mark, no gate");
  assert.equal(first.receipt, undefined, "no receipt: the wallet keeps it pending");
  assert.equal(records(world), 1, "the payment is in the ledger");
  assert.equal(w.pending.length, 1);
  world.idle(RETAP_GAP_MS);
  const again = world.tap(w);
  assert.equal(again.reason, "ALREADY_ACCEPTED");
  assert.equal(gateOpenings(again), 1);
  assert.equal(again.receipt?.outcome, 1);
  assert.equal(again.receipt?.sequence, 1);
  assert.equal(w.pending.length, 0, "settled");
  assert.equal(records(world), 1, "charged once");
});

test("power cut between the write and the gate: one opening on the re-tap, ever", { skip }, () => {
  const world = new SimWorld({ seed: SEED });
  const w = passbackWallet(world, "withhold-receipt-ack");
  world.armSignalMarkFault("cut");
  assert.throws(() => world.tap(w), PowerCut);
  assert.equal(world.reboot(), 0);
  assert.equal(records(world), 1, "the record survived the cut");
  const taps: TapResult[] = [];
  for (let i = 0; i <= RETAPS; i++) {
    world.idle(RETAP_GAP_MS);
    taps.push(world.tap(w));
    if (i % 10 === 9) world.reboot();
  }
  assert.equal(taps[0]!.reason, "ALREADY_ACCEPTED", "the one opening the payment never had");
  assert.equal(taps[0]!.receipt?.outcome, 1);
  for (const t of taps.slice(1)) assert.equal(t.reason, "ALREADY_USED");
  assert.equal(taps.reduce((n, t) => n + gateOpenings(t), 0), 1, "one opening in all");
  assert.equal(records(world), 1, "charged once");
});

/** Counts the flash programs of one honest paying tap (a dry run on a twin world). */
function programsOfOnePayment(): number {
  const world = new SimWorld({ seed: SEED });
  const w = world.createWallet();
  let n = 0;
  world.reader.beforeProgram = (): undefined => { n++; return undefined; };
  assert.equal(world.tap(w).reason, "ACCEPTED");
  return n;
}

test("power cut before each flash program of a payment: never two openings", { skip }, () => {
  const programs = programsOfOnePayment();
  assert.ok(programs >= 2, "an append and a mark at least");
  let oneOpeningAfterWrite = 0;
  for (let k = 1; k <= programs; k++) {
    const world = new SimWorld({ seed: SEED });
    const w = world.createWallet();
    let seen = 0;
    world.reader.beforeProgram = (): undefined => {
      if (++seen === k) throw new PowerCut(k, "program");
      return undefined;
    };
    assert.throws(() => world.tap(w), PowerCut, `cut ${k}`);
    world.reader.beforeProgram = undefined;
    assert.equal(world.reboot(), 0, `cut ${k}: reboot`);
    const written = records(world);
    assert.ok(written <= 1, `cut ${k}: at most the one record`);
    const taps: TapResult[] = [];
    for (let i = 0; i < 4; i++) {
      world.idle(RETAP_GAP_MS);
      taps.push(world.tap(w));
    }
    const openings = taps.reduce((n, t) => n + gateOpenings(t), 0);
    const paid = taps.filter((t) => t.reason === "ACCEPTED").length;
    if (written === 1) {
      // The record is whole and its mark blank (a clean cut never tears the mark): the
      // re-tap gets the opening, once, and nothing new is charged for it.
      assert.equal(taps[0]!.reason, "ALREADY_ACCEPTED", `cut ${k}`);
      assert.equal(openings, 1 + paid, `cut ${k}: one opening per payment`);
      assert.equal(records(world), 1 + paid, `cut ${k}: charged once`);
      oneOpeningAfterWrite++;
    } else {
      assert.equal(taps[0]!.reason, "CHALLENGE_MISMATCH", `cut ${k}: nothing to re-tap`);
      assert.equal(openings, paid, `cut ${k}: openings only for payments`);
    }
  }
  assert.ok(oneOpeningAfterWrite >= 1, "some cut falls between the write and the mark");
});

test("torn programs (the flash's cut model) at each program: at most one opening", { skip }, () => {
  const programs = programsOfOnePayment();
  for (let k = 1; k <= programs; k++) {
    for (const flashSeed of [1, 2, 3]) {
      const world = new SimWorld({ seed: SEED });
      const w = world.createWallet();
      const base = world.board.flash.stats.programs + world.board.flash.stats.erases;
      world.board.flash.setFaults({ cutAtOp: base + k }, flashSeed);
      assert.throws(() => world.tap(w), PowerCut, `torn cut ${k}`);
      world.board.flash.setFaults({});
      assert.equal(world.reboot(), 0, `torn cut ${k}: reboot`);
      const written = records(world);
      let openings = 0;
      let payments = 0;
      for (let i = 0; i < 3; i++) {
        world.idle(RETAP_GAP_MS);
        const t = world.tap(w);
        openings += gateOpenings(t);
        if (t.reason === "ACCEPTED") payments++;
      }
      const at = `torn cut ${k}/${flashSeed}`;
      assert.ok(openings <= written + payments, `${at}: at most one opening per payment`);
      assert.equal(records(world), written + payments, `${at}: no extra charge`);
    }
  }
});
