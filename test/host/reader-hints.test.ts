// Decoding hints (docs/PROTOCOL.md, protocol 3) are advice: the reader checks each one
// and decodes on its own when it does not check out, so a hint can change what a tap
// costs, never what it decides. Through the real firmware on the simulated board, one
// population of taps — first-time and returning wallets (cached certificate, registered
// key tables), torn payments and their re-taps, copied and bare re-presentations,
// forged, unknown-issuer and expired certificates, certificates for keys that are off the
// curve, small-order or not canonical, authorizations that lie or are signed by another
// key — runs once per hint mode: honest, wrong (negated x and bytes that are no x), all
// zero, and lenient (x of y mod p for a non-canonical encoding). Every decision, receipt,
// signal, ledger record and wallet book must be the honest run's, byte for byte.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  certificateHints, decodePayAnswer, decodeSelectAnswer, equalBytes, fromHex, parseResponse, toHex,
  xHint,
} from "../../host/protocol/index.ts";
import { SimWallet, type HintMode, type Misbehaviour } from "../../host/sim/wallet.ts";
import { SimWorld, type CertKind } from "../../host/sim/world.ts";
import { firmwareHasReader } from "../../host/sim/reader.ts";
import type { TapResult } from "../../host/sim/reader.ts";
import { Ed25519Key } from "../../host/issuer/ed25519.ts";

const skip = firmwareHasReader()
  ? false
  : "build/offtap.wasm does not export the reader (run make build)";
const SEED = Number(process.env["OFFTAP_READER_SEED"] ?? 14);
const HONEST_WALLETS = 4;
const VISITS = 3;
/** Keys no authorization verifies under: y = p (not canonical), y = 1 with the sign bit,
 *  y = 2 (no point), the neutral element (small order). */
const BAD_KEYS = [
  "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
  "0100000000000000000000000000000000000000000000000000000000000080",
  "0200000000000000000000000000000000000000000000000000000000000000",
  "0100000000000000000000000000000000000000000000000000000000000000",
];
/** Per-tap faults of a returning wallet: lies in the authorization, another key, replays. */
const AUTH_FAULTS: readonly Misbehaviour[] = [
  "wrong-key", "other-amount", "other-reader", "replay-old-auth", "reuse-counter", "exceed-cap",
  "cumulative-below-amount", "auth-version",
];
const CERT_FAULTS: readonly CertKind[] = [
  "cert-bad-signature", "issuer-unknown", "cert-expired", "issuer-revoked", "denied",
];

/** Everything a tap left that a hint must not change. */
interface TapTrace {
  label: string;
  reason: string;
  receipt: string;
  signals: string;
  /** C-APDUs the reader sent (the challenge and the receipt included). */
  commands: string;
}

interface Run {
  taps: TapTrace[];
  records: string[];
  wallets: string[];
  /** Hints sent that differ from the honest ones, and all hints sent. */
  wrongHints: number;
  hints: number;
}

/** Counts the hints of a tap's answers and those that are not the honest ones. */
function countHints(r: TapResult, run: Run): void {
  for (const x of r.exchanges) {
    if (x.rx === undefined || x.rx.length < 2) continue;
    const { data, sw } = parseResponse(x.rx);
    if (sw !== 0x9000) continue;
    const sent: [Uint8Array, Uint8Array][] = [];
    if (x.tx[1] === 0xa4 && data.length === 195) {
      const a = decodeSelectAnswer(data);
      const honest = certificateHints(a.certificate);
      sent.push([a.keyX, honest.keyX], [a.certRX, honest.certRX]);
    } else if (x.tx[1] === 0x50 && (data.length === 139 || data.length === 203)) {
      const a = decodePayAnswer(data);
      if (a.kind === "payment") sent.push([a.rX, xHint(a.authorization.subarray(43, 75))]);
      else sent.push([a.proofRX, xHint(a.proof.subarray(0, 32))]);
    }
    for (const [hint, honest] of sent) {
      run.hints++;
      if (!equalBytes(hint, honest)) run.wrongHints++;
    }
  }
}

function traceOf(label: string, r: TapResult): TapTrace {
  return {
    label,
    reason: r.reason,
    receipt: r.receiptBytes === undefined ? "-" : toHex(r.receiptBytes),
    signals: r.signals.map((s) => `${s.kind}:${s.value}@${s.atMs}`).join(","),
    commands: r.exchanges.map((x) => toHex(x.tx)).join(" "),
  };
}

function walletWithKey(world: SimWorld, keyHex: string, n: number, mode: HintMode): SimWallet {
  const now = world.now();
  const key = new Ed25519Key(new Uint8Array(32).fill(0x30 + n));
  const certificate = world.issuers[0]!.certify({
    walletId: new Uint8Array(16).fill(0xb0 + n), walletPublicKey: fromHex(keyHex),
    offlineCap: 1_000_000, currency: world.config.currency,
    validFrom: now - 86_400, validUntil: now + 86_400,
  }).bytes;
  const w = new SimWallet({ certificate, key, name: `bad key ${n}` });
  w.hintMode = mode;
  return w;
}

/** The whole population under one hint mode, from one seed. */
function runPopulation(mode: HintMode): Run {
  const world = new SimWorld({ seed: SEED, captureLogs: false });
  const run: Run = { taps: [], records: [], wallets: [], wrongHints: 0, hints: 0 };
  const all: SimWallet[] = [];
  const tap = (label: string, w: SimWallet): TapResult => {
    const r = world.tap(w);
    countHints(r, run);
    run.taps.push(traceOf(label, r));
    world.idle(1_500);
    return r;
  };
  const make = (kind: CertKind = "honest"): SimWallet => {
    const w = world.createWallet({ kind, offlineCap: 100_000 });
    w.hintMode = mode;
    all.push(w);
    return w;
  };
  const honest = Array.from({ length: HONEST_WALLETS }, () => make());
  for (let visit = 0; visit < VISITS; visit++) {
    honest.forEach((w, i) => tap(`honest ${i} visit ${visit}`, w));
    world.housekeeping(); // returning wallets' keys get their tables
  }
  for (const m of AUTH_FAULTS) {
    const w = make();
    tap(`${m}: the wallet's first payment`, w);
    tap(m, w.once(m));
  }
  CERT_FAULTS.forEach((k) => tap(`certificate ${k}`, make(k)));
  BAD_KEYS.forEach((k, i) => tap(`key ${k.slice(0, 8)}…`, walletWithKey(world, k, i, mode)));
  // Torn exchanges and their re-taps: receipt lost (a re-presentation), PAY answer lost
  // (a stale authorization), a copy of the pending authorization, one presented bare.
  const torn = make();
  tap("torn receipt", torn.once("vanish-before-receipt"));
  const copy = SimWallet.copyOf(torn, new Ed25519Key(new Uint8Array(32).fill(0x77)));
  copy.hintMode = mode;
  tap("copied re-presentation", copy);
  tap("re-tap after torn receipt", torn);
  const stale = make();
  tap("torn PAY", stale.once("vanish-after-pay"));
  tap("re-tap after torn PAY", stale);
  const bare = make();
  tap("torn receipt again", bare.once("vanish-before-receipt"));
  tap("bare re-presentation", bare.once("bare-retap"));
  honest.forEach((w, i) => tap(`honest ${i} last visit`, w));
  const e = world.reader.exports;
  for (let seq = 1; seq < e.ledgerNextSeq(); seq++) {
    run.records.push(toHex(world.reader.get(0, e.ledgerReadRecord(seq))));
  }
  for (const w of all) {
    run.wallets.push(`${w.name} counter ${w.counter} spent ${w.spent} burned ${w.burned} `
      + `receipts ${w.receipts.length} pending ${w.pending.length}`);
  }
  return run;
}

test("hints never change a decision: honest, wrong, zero and lenient hints, one population", {
  skip,
}, () => {
  const honest = runPopulation("honest");
  assert.equal(honest.wrongHints, 0, "the honest run sends honest hints");
  const reasons = new Set(honest.taps.map((t) => t.reason));
  for (const want of [
    "ACCEPTED", "ALREADY_USED", "CHALLENGE_MISMATCH", "RETAP_PROOF_INVALID",
    "CERT_SIGNATURE_INVALID", "AUTH_SIGNATURE_INVALID", "ISSUER_UNKNOWN", "CERT_EXPIRED",
    "AMOUNT_MISMATCH", "COUNTER_REPLAYED", "OVER_OFFLINE_CAP",
  ]) {
    assert.ok(reasons.has(want), `the population reaches ${want} (seed ${SEED})`);
  }
  assert.ok(honest.records.length >= HONEST_WALLETS * VISITS, "payments were written");
  for (const mode of ["bad", "zero", "lenient"] as const) {
    const run = runPopulation(mode);
    if (mode !== "lenient") {
      // Zeros are the right hint of an encoding with no point (and of x = 0).
      assert.ok(
        run.wrongHints >= 0.9 * run.hints && run.hints > 50,
        `${mode}: ${run.wrongHints} of ${run.hints} hints wrong`,
      );
    } else {
      assert.ok(run.wrongHints >= 1, "lenient: the y = p key's hint differs from zeros");
    }
    assert.equal(run.taps.length, honest.taps.length);
    honest.taps.forEach((t, i) => {
      assert.deepEqual(run.taps[i], t, `${mode} hints, tap ${i} (${t.label}), seed ${SEED}`);
    });
    assert.deepEqual(run.records, honest.records, `${mode} hints: the same ledger records`);
    assert.deepEqual(run.wallets, honest.wallets, `${mode} hints: the same wallet books`);
  }
});
