// A simulated phone wallet: the card side of the tap exchange. It receives C-APDU bytes
// and answers R-APDU bytes exactly as docs/PROTOCOL.md says an honest wallet does
// (including the re-tap rules), and can misbehave on request.
import {
  type Authorization, type CertificateHints, type PaymentCommand, type Receipt,
  CERTIFICATE_BYTES, CommandError, HINT_BYTES, PAYMENT_ANSWER_BYTES, PROTOCOL_VERSION,
  SELECT_ANSWER_BYTES, SW, authorizationHint, authorizationSignedMessage, certHash,
  certificateHints, decodeAuthorization, decodeCertificate, decodeTapCommand, encodeAuthorization,
  encodePaymentAnswer, encodeRepresentationAnswer, encodeResponse, encodeSelectAnswer,
  equalBytes, lenientXHint, negatedHint, proofHint, toHex, ProtocolError, possessionProofMessage,
} from "../protocol/index.ts";
import { createHash } from "node:crypto";
import { Ed25519Key } from "../issuer/ed25519.ts";
import type { Rng } from "./rng.ts";

/** Per-tap misbehaviours (the certificate-level ones are built into the certificate). */
export const MISBEHAVIOURS = [
  "replay-old-auth", "exceed-cap", "cumulative-below-amount", "wrong-key", "other-reader",
  "other-amount", "other-currency", "other-time", "reuse-counter", "auth-version", "slow-select",
  "slow-pay", "vanish-after-select", "vanish-after-pay", "vanish-before-receipt", "no-app",
  "garbage", "truncated", "oversized", "bad-status", "refuse", "garbage-auth", "truncated-auth",
  // Re-tap abuse (docs/PROTOCOL.md, "Re-taps"): answer RECEIPT with 69 85 instead of
  // 90 00; re-present a pending authorization bare, without its possession proof.
  "withhold-receipt-ack", "bare-retap",
  // Decoding hints (protocol 3) that do not check out: every hint wrong (the negated x and
  // random bytes, alternating), or all zero. The reader decodes on its own: same decision.
  "bad-hints", "zero-hints",
] as const;
export type Misbehaviour = (typeof MISBEHAVIOURS)[number];

/**
 * How a wallet fills its decoding hints on every tap (the `bad-hints` and `zero-hints`
 * misbehaviours do it for one tap): honest, wrong (negated x and bytes that are no x,
 * alternating), all zero, or `lenient` (x as a ZIP-215 decoder finds it: for an encoding
 * with y ≥ p it satisfies the curve equation with y mod p, yet the encoding stays
 * non-canonical and the reader must decline it as it would without hints).
 */
export const HINT_MODES = ["honest", "bad", "zero", "lenient"] as const;
export type HintMode = (typeof HINT_MODES)[number];

export type WalletReply =
  | { kind: "answer"; bytes: Uint8Array; latencyMs: number }
  /** The wallet leaves the field `afterMs` into this exchange; the reader sees ERR_FIELD_LOST. */
  | { kind: "vanish"; afterMs: number }
  /** No answer before `latencyMs` (the field turns that into a timeout when it exceeds the
   *  reader's). */
  | { kind: "late"; bytes: Uint8Array; latencyMs: number };

interface Pending {
  readerIdHex: string;
  counter: number;
  amount: number;
  bytes: Uint8Array;
}

export interface WalletOptions {
  certificate: Uint8Array;
  key: Ed25519Key;
  /** Signs instead of `key` for the `wrong-key` misbehaviour. */
  wrongKey?: Ed25519Key;
  /** Processing plus radio time per exchange, in simulated milliseconds. */
  latencyMs?: number;
  /** Latency of a `slow-*` answer; must exceed the reader's NFC timeout to matter. */
  slowLatencyMs?: number;
  name?: string;
  rng?: Rng;
  /** A passback attacker: re-presents its pending authorization at every tap and never
   *  gives it up (an honest wallet burns it after one unanswered re-presentation). */
  neverBurns?: boolean;
}

const HISTORY_MAX = 8; // authorizations kept for replay misbehaviour
const RECEIPTS_MAX = 16; // receipts kept for inspection

export class SimWallet {
  certificate: Uint8Array;
  certHash: Uint8Array;
  /** The honest decoding hints of `certificate` (computed once: the issuer's data). */
  private certHints: CertificateHints;
  readonly walletIdHex: string;
  offlineCap: number;
  readonly name: string;
  latencyMs: number;
  slowLatencyMs: number;
  /** How the hints are filled on every tap (docs/PROTOCOL.md, protocol 3). */
  hintMode: HintMode = "honest";
  /** Persistent misbehaviour, applied to every tap until cleared. */
  misbehaviour: Misbehaviour | undefined;
  private onceMisbehaviour: Misbehaviour | undefined;
  private sessionMisbehaviour: Misbehaviour | undefined;
  private readonly key: Ed25519Key;
  private wrongKey: Ed25519Key | undefined;
  private readonly rng: Rng | undefined;
  private counterValue = 0;
  private spentValue = 0;
  private readonly pendings = new Map<string, Pending>();
  private readonly historyList: Uint8Array[] = [];
  private readonly receiptList: Receipt[] = [];
  private selected = false;
  private presentedPending: Pending | undefined;
  private receiptThisSession = false;
  private vanished = false;
  private burnedCount = 0;
  private readonly neverBurns: boolean;
  /** Wrong hints sent under `bad-hints`: even ones are negated, odd ones random. */
  private badHintCount = 0;

  constructor(o: WalletOptions) {
    if (o.certificate.length !== CERTIFICATE_BYTES) {
      throw new RangeError(`certificate must be ${CERTIFICATE_BYTES} bytes`);
    }
    this.certificate = Uint8Array.from(o.certificate);
    this.certHash = certHash(this.certificate);
    this.certHints = certificateHints(this.certificate);
    const cert = decodeCertificate(this.certificate, { strictVersion: false, strictWindow: false });
    this.walletIdHex = toHex(cert.walletId);
    this.offlineCap = cert.offlineCap;
    this.key = o.key;
    this.wrongKey = o.wrongKey;
    this.latencyMs = o.latencyMs ?? 12;
    this.slowLatencyMs = o.slowLatencyMs ?? 5_000;
    this.name = o.name ?? `wallet ${this.walletIdHex.slice(0, 8)}`;
    this.rng = o.rng;
    this.neverBurns = o.neverBurns ?? false;
  }

  /**
   * A second phone holding copies of `victim`'s certificate and pending authorizations
   * (read off its storage or off the air) but not its key: `key` is the copier's own.
   * Its re-presentations carry proofs by the wrong key (docs/PROTOCOL.md, "Re-taps").
   */
  static copyOf(victim: SimWallet, key: Ed25519Key, name = `copy of ${victim.name}`): SimWallet {
    const copy = new SimWallet({
      certificate: victim.certificate, key, latencyMs: victim.latencyMs, name, neverBurns: true,
    });
    for (const [reader, p] of victim.pendings) {
      copy.pendings.set(reader, { ...p, bytes: Uint8Array.from(p.bytes) });
    }
    return copy;
  }

  /**
   * The wallet went online and its issuer certified it again (a new cap and window for
   * the same wallet id and key). Offline spend is per certificate, so it starts at 0;
   * the counter continues (readers track it per wallet id). Only without pending
   * authorizations: those are bound to the old certificate.
   */
  recertify(certificate: Uint8Array): void {
    const cert = decodeCertificate(certificate, { strictVersion: false, strictWindow: false });
    if (toHex(cert.walletId) !== this.walletIdHex) {
      throw new Error("recertify: another wallet's certificate");
    }
    if (this.pendings.size > 0) {
      throw new Error("recertify: pending authorizations are bound to the current certificate");
    }
    this.certificate = Uint8Array.from(certificate);
    this.certHash = certHash(this.certificate);
    this.certHints = certificateHints(this.certificate);
    this.offlineCap = cert.offlineCap;
    this.spentValue = 0;
  }

  /** Misbehave on the next tap only. */
  once(m: Misbehaviour): this { this.onceMisbehaviour = m; return this; }

  get counter(): number { return this.counterValue; }
  /** Cumulative offline spend, pending authorizations included. */
  get spent(): number { return this.spentValue; }
  get pending(): readonly Pending[] { return [...this.pendings.values()]; }
  get receipts(): readonly Receipt[] { return this.receiptList; }
  /** Pending authorizations given up after an unanswered re-presentation. */
  get burned(): number { return this.burnedCount; }
  get history(): readonly Uint8Array[] { return this.historyList; }

  /** The field comes up: a new session starts (called by the NFC field when the wallet enters). */
  beginSession(): void {
    this.selected = false;
    this.presentedPending = undefined;
    this.receiptThisSession = false;
    this.vanished = false;
    this.sessionMisbehaviour = this.onceMisbehaviour ?? this.misbehaviour;
    this.onceMisbehaviour = undefined;
  }

  /**
   * The session is over (the reader dropped its field or the wallet left; a phone cannot
   * tell which). A pending authorization the wallet re-presented without getting a
   * receipt back is no longer presented (its counter is burned) but its amount stays
   * counted as spent (docs/PROTOCOL.md "Re-taps" 3): the wallet cannot tell a decline
   * from an acceptance whose receipt was lost again.
   */
  endSession(): void {
    const p = this.presentedPending;
    if (p !== undefined && !this.receiptThisSession && !this.neverBurns) {
      this.pendings.delete(p.readerIdHex);
      this.burnedCount++;
    }
    this.presentedPending = undefined;
    this.selected = false;
  }

  receive(capdu: Uint8Array): WalletReply {
    const m = this.sessionMisbehaviour;
    let cmd;
    try {
      cmd = decodeTapCommand(capdu);
    } catch (err) {
      if (err instanceof CommandError) return this.status(err.sw);
      if (err instanceof ProtocolError) return this.status(SW.WRONG_DATA);
      throw err;
    }
    switch (cmd.kind) {
      case "SELECT": return this.onSelect(m);
      case "PAY": return this.onPay(cmd.payment, m);
      case "RECEIPT": return this.onReceipt(cmd.receipt, m);
    }
  }

  private answer(bytes: Uint8Array, latencyMs = this.latencyMs): WalletReply {
    return { kind: "answer", bytes, latencyMs };
  }

  /** A bare status word, no data. */
  private status(sw: number): WalletReply {
    return this.answer(encodeResponse(new Uint8Array(0), sw));
  }

  /** An answer that arrives after `slowLatencyMs` (later than the reader waits). */
  private late(data: Uint8Array): WalletReply {
    return { kind: "late", bytes: encodeResponse(data, SW.OK), latencyMs: this.slowLatencyMs };
  }

  private vanish(): WalletReply {
    this.vanished = true;
    return { kind: "vanish", afterMs: Math.max(1, Math.floor(this.latencyMs / 2)) };
  }

  private randomBytes(n: number): Uint8Array {
    const out = new Uint8Array(n);
    if (this.rng !== undefined) this.rng.fill(out);
    else for (let i = 0; i < n; i++) out[i] = (i * 151 + 17) & 0xff;
    return out;
  }

  /** The hint for `encoding` as this session sends it (`honest` = xHint(encoding)). */
  private hint(encoding: Uint8Array, honest: Uint8Array, m: Misbehaviour | undefined): Uint8Array {
    const mode: HintMode = m === "bad-hints" ? "bad" : m === "zero-hints" ? "zero" : this.hintMode;
    if (mode === "honest") return honest;
    if (mode === "zero") return new Uint8Array(HINT_BYTES);
    if (mode === "lenient") return lenientXHint(encoding);
    const n = this.badHintCount++;
    if (n % 2 === 0) return negatedHint(honest);
    // Bytes that are no x of this point, derived from it (not drawn from the wallet's rng,
    // so that its other random choices stay those of an honest-hint run).
    let out = honest;
    for (let i = 0; equalBytes(out, honest); i++) {
      out = Uint8Array.from(createHash("sha256").update(honest).update(`bad hint ${n} ${i}`)
        .digest());
    }
    return out;
  }

  /** certificate ‖ keyX ‖ certRX (195 bytes). */
  private selectAnswer(m: Misbehaviour | undefined): Uint8Array {
    const c = this.certificate;
    return encodeSelectAnswer(c, {
      keyX: this.hint(c.subarray(21, 53), this.certHints.keyX, m),
      certRX: this.hint(c.subarray(67, 99), this.certHints.certRX, m),
    });
  }

  private onSelect(m: Misbehaviour | undefined): WalletReply {
    if (m === "no-app") return this.status(SW.FILE_NOT_FOUND);
    if (m === "slow-select") return this.late(this.selectAnswer(m));
    // Random bytes one longer than an answer with its status word: never a valid frame.
    if (m === "garbage") return this.answer(this.randomBytes(1 + SELECT_ANSWER_BYTES));
    if (m === "truncated") {
      return this.answer(encodeResponse(this.selectAnswer(m).subarray(0, 100), SW.OK));
    }
    if (m === "oversized") return this.answer(this.randomBytes(600));
    if (m === "bad-status") return this.answer(encodeResponse(this.selectAnswer(m), 0x6f00));
    this.selected = true;
    return this.answer(encodeResponse(this.selectAnswer(m), SW.OK));
  }

  private onPay(p: PaymentCommand, m: Misbehaviour | undefined): WalletReply {
    if (!this.selected) return this.status(SW.CONDITIONS_NOT_SATISFIED);
    if (m === "vanish-after-select") return this.vanish();
    if (m === "refuse") return this.status(SW.CONDITIONS_NOT_SATISFIED);
    if (m === "garbage-auth") {
      // Random bytes of a payment answer's length: its decision depends on the bytes.
      return this.answer(encodeResponse(this.randomBytes(PAYMENT_ANSWER_BYTES), SW.OK));
    }
    if (m === "truncated-auth") return this.answer(encodeResponse(this.randomBytes(60), SW.OK));
    if (m === "replay-old-auth" && this.historyList.length > 0) {
      return this.answer(encodeResponse(this.paymentAnswer(this.historyList[0]!, m), SW.OK));
    }
    const readerIdHex = toHex(p.readerId);
    const pending = this.pendings.get(readerIdHex);
    let bytes: Uint8Array;
    if (pending !== undefined) {
      // Re-tap at the reader of a torn exchange: the pending authorization, unchanged,
      // with a proof that this wallet holds its key on this PAY's challenge.
      this.presentedPending = pending;
      bytes = m === "bare-retap"
        ? this.paymentAnswer(pending.bytes, m)
        : this.represent(p, pending.bytes, m);
    } else {
      const signed = this.sign(p, m);
      if (signed === undefined) return this.status(SW.CONDITIONS_NOT_SATISFIED);
      bytes = this.paymentAnswer(signed, m);
    }
    if (m === "vanish-after-pay") return this.vanish();
    if (m === "slow-pay") return this.late(bytes);
    return this.answer(encodeResponse(bytes, SW.OK));
  }

  /** authorization ‖ rX (139 bytes). */
  private paymentAnswer(authorization: Uint8Array, m: Misbehaviour | undefined): Uint8Array {
    const r = authorization.subarray(43, 75);
    return encodePaymentAnswer(authorization, this.hint(r, authorizationHint(authorization), m));
  }

  /** The pending authorization ‖ its possession proof for this PAY ‖ proofRX (203 bytes). */
  private represent(
    p: PaymentCommand,
    authorization: Uint8Array,
    m: Misbehaviour | undefined,
  ): Uint8Array {
    const proof = this.key.sign(possessionProofMessage(this.certHash, p, authorization));
    const r = proof.subarray(0, 32);
    return encodeRepresentationAnswer(authorization, proof, this.hint(r, proofHint(proof), m));
  }

  /** Signs a fresh authorization (with any requested lie); undefined = refuse (over the cap). */
  private sign(p: PaymentCommand, m: Misbehaviour | undefined): Uint8Array | undefined {
    let cumulative = this.spentValue + p.amount;
    if (m === "exceed-cap") {
      if (cumulative <= this.offlineCap) {
        cumulative = Math.min(this.offlineCap + p.amount, 0xffffffff);
      }
    } else if (cumulative > this.offlineCap) {
      return undefined;
    }
    const reuse = m === "reuse-counter" && this.counterValue > 0;
    const counter = reuse ? this.counterValue : this.counterValue + 1;
    const body = {
      version: m === "auth-version" ? 2 : PROTOCOL_VERSION,
      challenge: p.challenge,
      readerId: m === "other-reader" ? flipFirst(p.readerId) : p.readerId,
      amount: m === "other-amount" ? (p.amount + 1) >>> 0 : p.amount,
      currency: m === "other-currency" ? (p.currency ^ 1) : p.currency,
      readerTime: m === "other-time" ? (p.readerTime + 1) >>> 0 : p.readerTime,
      counter,
      cumulative: m === "cumulative-below-amount" ? Math.max(0, p.amount - 1) : cumulative,
    };
    let key = this.key;
    if (m === "wrong-key") key = this.wrongKey ??= new Ed25519Key(this.randomBytes(32));
    const walletSignature = key.sign(authorizationSignedMessage(this.certHash, body));
    const auth: Authorization = { ...body, walletSignature };
    const bytes = encodeAuthorization(auth);
    this.counterValue = counter;
    if (m === "reuse-counter" || m === "exceed-cap") {
      // A cheating wallet does not keep honest books; it does not mark the payment pending.
    } else {
      this.spentValue += p.amount;
      const readerIdHex = toHex(p.readerId);
      this.pendings.set(readerIdHex, { readerIdHex, counter, amount: p.amount, bytes });
    }
    this.historyList.push(bytes);
    if (this.historyList.length > HISTORY_MAX) this.historyList.shift();
    return bytes;
  }

  private onReceipt(r: Receipt, m: Misbehaviour | undefined): WalletReply {
    if (m === "vanish-before-receipt") return this.vanish();
    if (m === "withhold-receipt-ack") {
      return this.status(SW.CONDITIONS_NOT_SATISFIED);
    }
    const key = toHex(r.readerId);
    const pending = this.pendings.get(key);
    if (pending === undefined || pending.counter !== r.counter || pending.amount !== r.amount) {
      return this.status(SW.WRONG_DATA);
    }
    this.pendings.delete(key);
    this.receiptThisSession = true;
    this.receiptList.push(r);
    if (this.receiptList.length > RECEIPTS_MAX) this.receiptList.shift();
    return this.status(SW.OK);
  }

  /** Decoded view of the wallet's pending authorization at a reader, for tests. */
  pendingAt(readerId: Uint8Array): Authorization | undefined {
    const p = this.pendings.get(toHex(readerId));
    return p === undefined ? undefined : decodeAuthorization(p.bytes, { strictVersion: false });
  }

  isPendingAuthorization(bytes: Uint8Array): boolean {
    for (const p of this.pendings.values()) if (equalBytes(p.bytes, bytes)) return true;
    return false;
  }
}

function flipFirst(b: Uint8Array): Uint8Array {
  const out = Uint8Array.from(b);
  out[0] = out[0]! ^ 0x01;
  return out;
}
