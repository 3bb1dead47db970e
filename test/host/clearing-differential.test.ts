// Reader and clearing agree: every tap the real firmware accepted settles at clearing, and
// every crafted record the firmware declined (for anything a record lets clearing check) is
// rejected by clearing. Inputs: the simulator's misbehaving wallets, and hand-crafted
// certificates and authorizations (small-order and mixed-order keys, non-canonical
// encodings, S ≥ L, small-order R, flipped bits) presented to the firmware over the field.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { Point } from "@noble/ed25519";
import { SimNetwork } from "../../host/clearing/simulate.ts";
import { craftBatch } from "../../host/clearing/craft.ts";
import { challengeScalar } from "../../host/crypto/reference.ts";
import { FIELD_P, GROUP_L, bytesToNumberLE, numberToBytesLE } from "../../host/crypto/encoding.ts";
import { torsionPoints } from "../../host/crypto/torsion.ts";
import type { Issuer } from "../../host/issuer/issuer.ts";
import type { Payment } from "../../host/ledger/format.ts";
import {
  SW, authorizationSignedMessage, certHash, certificateSignedMessage, decodeTapCommand,
  encodeAuthorization, encodeCertificate,
  encodeResponse, readU32, toHex, type CertificateBody, type PaymentCommand, HINT_BYTES,
  encodePaymentAnswer, encodeSelectAnswer, lenientXHint, negatedHint, xHint,
} from "../../host/protocol/index.ts";
import type { FieldCard } from "../../host/sim/field.ts";
import type { WalletReply } from "../../host/sim/wallet.ts";
import { CERT_KINDS, MISBEHAVIOURS } from "../../host/sim/index.ts";
import { Rng } from "../../host/sim/rng.ts";
import { assertBalanced, testBoth, withWorldKeys } from "./clearing-support.ts";

const L = GROUP_L;
const concat = (...p: Uint8Array[]): Uint8Array => Uint8Array.from(Buffer.concat(p));

/** A signer over raw scalars, so a test can build what no library will sign. */
interface RawKey { a: bigint; A: Uint8Array; mode: "honest" | "zero-a" | "mixed" }

function scalarOfSeed(seed: Uint8Array): bigint {
  const h = createHash("sha512").update(seed).digest();
  h[0]! &= 248; h[31]! &= 127; h[31]! |= 64;
  return bytesToNumberLE(h.subarray(0, 32)) % L;
}

function sigBytes(R: Uint8Array, s: bigint): Uint8Array {
  return concat(R, numberToBytesLE(s, 32));
}

type Tweak = "s-plus-l" | "r-identity" | "r-noncanonical";

function signRaw(k: RawKey, msg: Uint8Array, rng: Rng, tweak?: Tweak): Uint8Array {
  if (tweak === "r-identity" || tweak === "r-noncanonical") {
    // R = O: then [s]B − [k]A = R needs s = k·a (mod L); O encoded canonically or as y = p + 1.
    const R = tweak === "r-identity" ? numberToBytesLE(1n, 32) : numberToBytesLE(FIELD_P + 1n, 32);
    return sigBytes(R, (challengeScalar(R, k.A, msg) * k.a) % L);
  }
  for (let tries = 0; tries < 256; tries++) {
    const r = (bytesToNumberLE(rng.bytes(32)) % (L - 1n)) + 1n;
    const R = Point.BASE.multiply(r).toBytes();
    const c = challengeScalar(R, k.A, msg);
    // A mixed-order key A = [a]B + T verifies cofactorlessly only when [c]T = O: c ≡ 0 (mod 8).
    if (k.mode === "mixed" && c % 8n !== 0n) continue;
    const s = (r + c * k.a) % L;
    return sigBytes(R, tweak === "s-plus-l" ? s + L : s);
  }
  throw new Error("no usable nonce in 256 tries");
}

function walletKey(kind: string, rng: Rng): RawKey {
  const a = scalarOfSeed(rng.bytes(32));
  if (kind === "small-order-key") return { a: 0n, A: numberToBytesLE(1n, 32), mode: "zero-a" };
  if (kind === "noncanonical-key") {
    return { a: 0n, A: numberToBytesLE(FIELD_P + 1n, 32), mode: "zero-a" };
  }
  if (kind === "mixed-order-key") {
    const T = torsionPoints().find((p) => !p.multiply(4n, false).is0())!; // order 8
    return { a, A: Point.BASE.multiply(a).add(T).toBytes(), mode: "mixed" };
  }
  return { a, A: Point.BASE.multiply(a).toBytes(), mode: "honest" };
}

/** Decoding hints a crafted card sends (protocol 3): they may change the reader's cost,
 *  never its decision, so the cases cycle through honest, lenient (x of y mod p), negated
 *  and zero hints. */
const HINT_KINDS = ["honest", "lenient", "negated", "zero"] as const;
type HintKind = (typeof HINT_KINDS)[number];

function hintOf(encoding: Uint8Array, kind: HintKind): Uint8Array {
  if (kind === "zero") return new Uint8Array(HINT_BYTES);
  if (kind === "lenient") return lenientXHint(encoding);
  return kind === "negated" ? negatedHint(xHint(encoding)) : xHint(encoding);
}

/** Answers SELECT with a fixed certificate and PAY with whatever `authorize` builds for
 *  this challenge, each with decoding hints of kind `hints`. */
class CraftedCard implements FieldCard {
  lastAuth: Uint8Array | undefined;
  constructor(
    private readonly certificate: Uint8Array,
    readonly authorize: (p: PaymentCommand) => Uint8Array,
    private readonly hints: HintKind,
  ) {}
  beginSession(): void {}
  endSession(): void {}
  receive(capdu: Uint8Array): WalletReply {
    const cmd = decodeTapCommand(capdu);
    let data: Uint8Array = new Uint8Array(0);
    const c = this.certificate;
    if (cmd.kind === "SELECT") {
      data = encodeSelectAnswer(c, {
        keyX: hintOf(c.subarray(21, 53), this.hints),
        certRX: hintOf(c.subarray(67, 99), this.hints),
      });
    } else if (cmd.kind === "PAY") {
      const auth = (this.lastAuth = this.authorize(cmd.payment));
      data = encodePaymentAnswer(auth, hintOf(auth.subarray(43, 75), this.hints));
    }
    return { kind: "answer", bytes: encodeResponse(data, SW.OK), latencyMs: 5 };
  }
}

interface Case { name: string; card: CraftedCard; certificate: Uint8Array; walletId: Uint8Array }

const CASES = [
  "honest", "mixed-order-key", "small-order-key", "noncanonical-key", "wallet-s-plus-l",
  "wallet-r-identity", "wallet-r-noncanonical",
  "issuer-s-plus-l", "issuer-r-identity", "flip-auth", "flip-cert",
] as const;

type CaseName = (typeof CASES)[number];

/** The signature tweak of a case, on the issuer's or the wallet's side. */
function tweakOf(name: CaseName, side: "issuer" | "wallet"): Tweak | undefined {
  const tweaks: readonly Tweak[] = ["s-plus-l", "r-identity", "r-noncanonical"];
  return tweaks.find((t) => name === `${side}-${t}`);
}

function makeCase(name: CaseName, i: number, issuer: Issuer, now: number, rng: Rng): Case {
  const wk = walletKey(name, rng);
  const walletId = rng.bytes(16);
  const body: CertificateBody = {
    version: 1, issuerKeyId: issuer.keyId, walletId, walletPublicKey: wk.A, currency: 978,
    offlineCap: 5_000, validFrom: now - 86_400, validUntil: now + 86_400 * 365,
  };
  const issuerKey: RawKey = {
    a: scalarOfSeed(issuer.key.seed), A: issuer.publicKey, mode: "honest",
  };
  const tweakI = tweakOf(name, "issuer");
  const issuerSignature = signRaw(issuerKey, certificateSignedMessage(body), rng, tweakI);
  const certificate = encodeCertificate({ ...body, issuerSignature });
  if (name === "flip-cert") {
    const at = rng.below(131);
    certificate[at] = certificate[at]! ^ (1 << rng.below(8));
  }
  const tweakW = tweakOf(name, "wallet");
  const card = new CraftedCard(certificate, (p) => {
    const a = { version: 1, ...p, counter: i + 1, cumulative: p.amount };
    const signed = authorizationSignedMessage(certHash(certificate), a);
    const auth = encodeAuthorization({ ...a, walletSignature: signRaw(wk, signed, rng, tweakW) });
    if (name === "flip-auth") {
      const at = rng.below(107);
      auth[at] = auth[at]! ^ (1 << rng.below(8));
    }
    return auth;
  }, HINT_KINDS[i % HINT_KINDS.length]!);
  return { name, card, certificate, walletId };
}

/** The record the reader writes for an accepted tap (docs/PROTOCOL.md "Ledger record"),
 *  built from what the card sent. */
function recordOf(c: Case, pay: PaymentCommand): Payment {
  // A tap declined before PAY (at the certificate) never asked for an authorization: build
  // the one the wallet would give.
  const auth = c.card.lastAuth ?? c.card.authorize(pay);
  return {
    walletId: c.certificate.slice(5, 21), counter: readU32(auth, 35),
    amount: BigInt(readU32(auth, 25)), time: readU32(auth, 31), body: concat(auth, c.certificate),
  };
}

const ROUNDS = 3; // every case this many times with fresh keys and flip positions

/** Cases no strict verifier accepts. */
const MUST_DECLINE: readonly CaseName[] = [
  "small-order-key", "noncanonical-key", "wallet-s-plus-l", "wallet-r-identity",
  "wallet-r-noncanonical", "issuer-s-plus-l", "issuer-r-identity",
];

const CRAFTED_TITLE = "crafted adversarial taps: clearing settles exactly what the firmware "
  + "accepted";

testBoth(CRAFTED_TITLE, async (c0) => {
  const net = new SimNetwork({ seed: "differential-crafted", readers: 1 });
  const c = await withWorldKeys(c0, net);
  await c.registerReader(net.readerSpec(0));
  const rng = Rng.from("differential-crafted", "cases");
  const r = net.readers[0]!;
  const accepted = new Set<string>();
  const declined: Case[] = [];
  let n = 0;
  for (let round = 0; round < ROUNDS; round++) {
    for (const name of CASES) {
      const k = makeCase(name, n++, net.world.issuers[round % 2]!, net.world.now(), rng);
      r.board.field.enter(k.card);
      let res;
      try { res = r.reader.tap(0); } finally { r.board.field.leave(); }
      if (res.accepted) accepted.add(`${toHex(k.walletId)}:${n}`);
      else declined.push(k);
      if (name === "honest" || name === "mixed-order-key") {
        assert.ok(res.accepted, `${name} is valid under the strict policy (${res.reason})`);
      }
      if (MUST_DECLINE.includes(name)) {
        assert.ok(!res.accepted, `${name} must be declined`);
      }
      net.idle(1_000);
    }
  }
  // Direction 1: what the firmware wrote, clearing settles — all of it, nothing else.
  const rep = await c.ingest(net.exportBatches(0));
  assert.deepEqual(rep.rejectedRecords, []);
  const payments = await c.payments({ limit: 1000 });
  const settled = new Set(payments.map((p) => `${p.walletId}:${p.counter}`));
  assert.deepEqual([...settled].sort(), [...accepted].sort());
  // Direction 2: the declined taps' records, as a forged ledger signed with the reader's key,
  // are all rejected.
  const pay: PaymentCommand = {
    challenge: new Uint8Array(16), readerId: r.config.readerId, amount: r.config.fare,
    currency: r.config.currency, readerTime: net.world.now(),
  };
  const records = declined.map((k) => recordOf(k, pay));
  assert.ok(records.length >= 9 * ROUNDS, "every adversarial case was declined");
  const id16 = new Uint8Array(16); id16.set(r.config.readerId);
  const last = (await c.reader(id16))!;
  let head: Uint8Array = Buffer.from(last.lastHead, "hex");
  let seq = last.lastSeq + 1;
  for (let at = 0; at < records.length; at += 10) {
    const part = records.slice(at, at + 10);
    const b = craftBatch(r.deviceKey, id16, seq, head, part);
    const out = await c.ingest(b.bytes);
    assert.equal(out.settled, 0, "clearing settles nothing the firmware declined");
    assert.equal(out.rejectedRecords.length, part.length);
    // Such records prove the reader skipped its checks: it turns suspect until an operator
    // decides (docs/CLEARING.md §7a); releasing it lets the next forged batch be judged.
    assert.equal((await c.reader(id16))!.status, "suspect");
    assert.equal((await c.decideReader(id16, "release", "differential test")).ok, true);
    head = b.head;
    seq += part.length;
  }
  await assertBalanced(c);
});

const SIMULATED_TITLE = "simulated wallets of every certificate kind and misbehaviour: "
  + "clearing settles exactly the accepted taps";

testBoth(SIMULATED_TITLE, async (c0) => {
  const net = new SimNetwork({ seed: "differential-sim", readers: 2 });
  {
    const c = await withWorldKeys(c0, net);
    const accepted = new Set<string>();
    for (const kind of CERT_KINDS) {
      for (const m of [undefined, ...MISBEHAVIOURS]) {
        const w = net.world.createWallet({ kind });
        for (let i = 0; i < 2; i++) {
          if (m !== undefined && i === 1) w.once(m);
          const at = i % 2;
          const before = w.counter;
          const res = net.tap(at, w);
          if (res.decision === 0) accepted.add(`${w.walletIdHex}:${w.counter}`);
          assert.ok(
            res.decision !== 0 || w.counter > before || m === "reuse-counter",
            "an acceptance is of a fresh authorization",
          );
          net.idle(1_500);
        }
      }
    }
    const rep1 = await c.ingest(net.exportBatches(0), { autoRegister: net.autoRegister });
    const rep2 = await c.ingest(net.exportBatches(1), { autoRegister: net.autoRegister });
    assert.deepEqual(
      [...rep1.rejectedRecords, ...rep2.rejectedRecords], [],
      "no record the firmware accepted fails clearing's checks",
    );
    const payments = await c.payments({ limit: 10_000 });
    const settled = new Set(payments.map((p) => `${p.walletId}:${p.counter}`));
    const conflicts = await c.conflicts();
    const reused = conflicts.filter((x) => x.kind === "counter_reuse");
    const paidCopies = new Set([...settled, ...reused.map((x) => `${x.walletId}:${x.counter}`)]);
    for (const k of accepted) assert.ok(paidCopies.has(k), `accepted tap ${k} was settled`);
    for (const k of settled) assert.ok(accepted.has(k), `settled ${k} was accepted by a reader`);
    await assertBalanced(c);
  }
});
