// The tap state machine (docs/PROTOCOL.md, "Reader checks, in order"): SELECT → checks
// 2–6 on the certificate → PAY → re-tap path or checks 9–12 → durable append → durable
// signal mark → accept signals → RECEIPT. Every step returns CONTINUE or the decision
// that ends the tap; the first failing check names it. Static buffers only; three NFC
// exchanges at most, each bounded by the configured timeout, and every loop below is
// bounded by a constant.
import { RAPDU_BYTES_MAX, CAPDU_BYTES_MAX } from "../limits";
import { nfcTransceive, clockUnixSeconds, randomFill, signal } from "../board/reader";
import {
  SIGNAL_GATE, SIGNAL_LED, SIGNAL_BUZZER, SIGNAL_DISPLAY, GATE_OPEN, LED_GREEN, LED_RED,
  BUZZER_ACCEPT, BUZZER_DECLINE,
} from "../board/codes";
import { sha512 } from "../crypto/sha512";
import {
  ed25519VerifyRegistered, ed25519VerifyRegisteredDecoding, ed25519VerifyDecoded,
  ed25519ForgetDecoded,
} from "../crypto/verify";
import * as c from "./codes";
import { bytesCopy, bytesEqual, storeBe32, loadLe32 } from "./bytes";
import {
  buildSelect, buildPay, buildReceipt, judgeResponse, STEP_SELECT, STEP_PAY, STEP_RECEIPT,
  RECEIPT_BYTES, HINT_BYTES,
} from "./apdu";
import {
  CERT_BYTES, CERT_HASH_BYTES, CERT_WALLET_ID, CERT_WALLET_KEY, CERT_SIGNATURE, certIssuerKeyId,
  certOfflineCap, certCheckShape, certSignedMessage, certCheckWindow, certCheckPayment,
} from "./cert";
import {
  AUTH_BYTES, AUTH_SIGNATURE, AUTH_CURRENCY, authCounter, buildPayCommand, authChallengeMatches,
  authCheckEcho, authCheckCap, authSignedMessage, CHALLENGE_BYTES, PROOF_BYTES,
  REPRESENTATION_BYTES, proofSignedMessage,
} from "./auth";
import { certCacheContains, certCacheInsert } from "./cache";
import { walletKeySlot, walletKeyAdmit, walletKeyHasTables } from "./walletkeys";
import {
  BODY_AUTH, BODY_CERT, OUTCOME_ACCEPTED, OUTCOME_ALREADY_ACCEPTED, OUTCOME_ALREADY_USED, REC_BODY,
  REC_HEAD_BYTES, REC_TIME, receiptBuild, receiptFromRecord,
} from "./receipt";
import * as cfg from "./config";
import * as lg from "./ledgerport";
import { retapInWindow } from "./retap";
import { ERR_NOT_FOUND } from "../ledger/status";

/** Payment body appended to the ledger: authorization ‖ certificate (238 bytes), so that
 *  clearing can re-verify both signatures from the record alone. The received frames
 *  are copied straight into it. */
export const BODY_BYTES: i32 = AUTH_BYTES + CERT_BYTES;
const body: usize = memory.data(BODY_BYTES, 16);
const cert: usize = body + BODY_CERT;
const auth: usize = body + BODY_AUTH;
const tx: usize = memory.data(CAPDU_BYTES_MAX, 16);
const rx: usize = memory.data(RAPDU_BYTES_MAX, 16);
/** The 34-byte payment command sent in PAY; the challenge is its first 16 bytes. */
const command: usize = memory.data(40, 16);
/** A signed message: label ‖ … (81 bytes for a certificate, 73 for an authorization,
 *  129 for a possession proof). */
const message: usize = memory.data(136, 16);
/** The possession proof of a re-presentation (docs/PROTOCOL.md, "Re-presentation"). */
const proof: usize = memory.data(PROOF_BYTES, 16);
const digest: usize = memory.data(64, 16);
const certHash: usize = memory.data(CERT_HASH_BYTES, 16);
/** Issuer key id as the deny list stores it: eight bytes, the u32 as a big-endian u64. */
const keyId8: usize = memory.data(8, 8);
const receipt: usize = memory.data(RECEIPT_BYTES, 16);
/** The answers' decoding hints (docs/PROTOCOL.md, "Decoding hints"): x of the wallet key
 *  and of the certificate signature's R (SELECT), x of the R of the signature PAY
 *  brought (the authorization's, or a re-presentation's proof's). Never trusted: the
 *  verifies check them and decode on their own when they do not hold. */
const keyHint: usize = memory.data(HINT_BYTES, 16);
const certRHint: usize = memory.data(HINT_BYTES, 16);
const payRHint: usize = memory.data(HINT_BYTES, 16);
/** SELECT's answer: certificate ‖ keyHint ‖ certRHint. */
const SELECT_ANSWER_BYTES: i32 = CERT_BYTES + 2 * HINT_BYTES;
/** PAY's answer: authorization ‖ hint, or authorization ‖ proof ‖ hint. */
const PAYMENT_ANSWER_BYTES: i32 = AUTH_BYTES + HINT_BYTES;
const REPRESENTATION_ANSWER_BYTES: i32 = REPRESENTATION_BYTES + HINT_BYTES;

let configured = false;
let nowS: u32 = 0;
let amountNow: u32 = 0;
let receiptReady = false;
let receiptDelivered = false;
/** The PAY answer was a re-presentation (pending authorization ‖ possession proof). */
let represented = false;
/** This tap's certificate was in the certificate cache: its wallet is a returning one. */
let certWasCached = false;

export function setConfigured(v: bool): void { configured = v; }
export function receiptPtr(): usize { return receipt; }
export function receiptLength(): i32 { return receiptReady ? RECEIPT_BYTES : 0; }
export function receiptWasDelivered(): bool { return receiptDelivered; }

/** One exchange through the board: the answer's length or a negative NFC error. */
@inline function exchange(txLen: i32): i32 {
  return nfcTransceive(tx, txLen, rx, RAPDU_BYTES_MAX, cfg.nfcTimeoutMs);
}

/** Check 1: SELECT by AID; a 131-byte version-1 certificate lands in the body buffer, its
 *  two decoding hints beside it. */
function selectWallet(): i32 {
  const r = judgeResponse(STEP_SELECT, exchange(buildSelect(tx)), rx, SELECT_ANSWER_BYTES);
  if (r != c.CONTINUE) return r;
  bytesCopy(cert, rx, CERT_BYTES);
  bytesCopy(keyHint, rx + <usize>CERT_BYTES, HINT_BYTES);
  bytesCopy(certRHint, rx + <usize>(CERT_BYTES + HINT_BYTES), HINT_BYTES);
  sha512(cert, CERT_BYTES, digest);
  bytesCopy(certHash, digest, CERT_HASH_BYTES);
  return certCheckShape(cert);
}

/** A signature on message[0..len) with rHint for its R: under registered key slot
 *  `slot`, or when slot < 0 under the key at pk (the wallet key: decoded already if
 *  checkCertificate held it, else from keyHint when it holds). One call site each keeps
 *  the verifies out of line. */
function verifyMessage(slot: i32, pk: usize, len: i32, sig: usize, rHint: usize): i32 {
  if (slot >= 0) return ed25519VerifyRegistered(slot, message, len, sig, rHint);
  return ed25519VerifyDecoded(pk, message, len, sig, rHint, keyHint);
}

/** The certificate's signature on message[0..len) under issuer key slot `slot`. A wallet
 *  key without tables will be verified on the plain path, which decodes it (a square
 *  root): the certificate's verify decodes it in its own exponentiation instead
 *  (crypto/verify.ts), with the same status for every input either way. */
function checkCertificate(slot: i32, len: i32): i32 {
  const key = cert + CERT_WALLET_KEY;
  const sig = cert + CERT_SIGNATURE;
  if (walletKeyHasTables(key)) return verifyMessage(slot, 0, len, sig, certRHint);
  return ed25519VerifyRegisteredDecoding(slot, message, len, sig, key, certRHint, keyHint);
}

/** Checks 2 and 3: a provisioned, unrevoked issuer key whose signature verifies (or a
 *  certificate verified recently here, or by clearing: its deny list vouches for it). A
 *  vouched certificate enters the cache as if verified here, so a wallet's second tap
 *  is what makes it a returning one (key tables), whichever way its first was checked. */
function checkIssuer(): i32 {
  const id = certIssuerKeyId(cert);
  const slot = cfg.keySlotOf(id);
  if (slot < 0) return c.ISSUER_UNKNOWN;
  store<u32>(keyId8, 0);
  storeBe32(keyId8 + 4, id);
  const revoked = lg.ledgerIssuerRevoked(keyId8);
  if (revoked != 0) return revoked < 0 ? c.LEDGER_ERROR : c.ISSUER_REVOKED;
  certWasCached = certCacheContains(certHash);
  if (certWasCached) return c.CONTINUE;
  if (lg.ledgerCertVouched(certHash) == 1) {
    certCacheInsert(certHash);
    return c.CONTINUE;
  }
  const len = certSignedMessage(cert, message);
  if (checkCertificate(slot, len) != 0) return c.CERT_SIGNATURE_INVALID;
  certCacheInsert(certHash);
  return c.CONTINUE;
}

/** Checks 4–6: validity window, deny list, currency and per-tap limits. */
function checkWalletStanding(): i32 {
  let r = certCheckWindow(cert, nowS, cfg.driftToleranceS);
  if (r != c.CONTINUE) return r;
  const stale = lg.ledgerDenyStale(nowS);
  if (stale != 0) return stale < 0 ? c.LEDGER_ERROR : c.DENY_LIST_STALE;
  const denied = lg.ledgerWalletDenied(cert + CERT_WALLET_ID);
  if (denied != 0) return denied < 0 ? c.LEDGER_ERROR : c.WALLET_DENIED;
  return certCheckPayment(cert, cfg.currency, amountNow, cfg.amountMin, cfg.amountMax);
}

/** Check 7: PAY with a fresh challenge; a 107-byte version-1 authorization lands in the
 *  body buffer, for a re-presentation its possession proof in `proof`, and the answer's
 *  decoding hint in payRHint.
 *  Without a random challenge there is no replay protection: no PAY. */
function requestAuthorization(): i32 {
  if (randomFill(command, CHALLENGE_BYTES) != 0) return c.READER_FAULT;
  buildPayCommand(command, cfg.readerIdPtr(), amountNow, cfg.currency, nowS);
  const rc = exchange(buildPay(tx, command));
  const r = judgeResponse(STEP_PAY, rc, rx, PAYMENT_ANSWER_BYTES, REPRESENTATION_ANSWER_BYTES);
  if (r != c.CONTINUE) return r;
  bytesCopy(auth, rx, AUTH_BYTES);
  represented = rc == REPRESENTATION_ANSWER_BYTES + 2;
  if (represented) bytesCopy(proof, rx + <usize>AUTH_BYTES, PROOF_BYTES);
  const hintAt = represented ? REPRESENTATION_BYTES : AUTH_BYTES;
  bytesCopy(payRHint, rx + <usize>hintAt, HINT_BYTES);
  return c.CONTINUE;
}

/** A signature by the certificate's wallet key on message[0..len): on the registered
 *  path when the key has tables (reader/walletkeys.ts), else plain; the same decision
 *  either way. A returning wallet whose key verified on the plain path is queued for
 *  tables, built between taps. Returns 0 when valid. */
function verifyWalletSignature(len: i32, sig: usize): i32 {
  const key = cert + CERT_WALLET_KEY;
  const slot = walletKeySlot(key);
  const r = verifyMessage(slot, key, len, sig, payRHint);
  if (slot < 0 && r == 0 && certWasCached) walletKeyAdmit(key);
  return r;
}

/** Checks 9–12 on an authorization for this challenge. */
function checkAuthorization(): i32 {
  let r = authCheckEcho(auth, command);
  if (r != c.CONTINUE) return r;
  const len = authSignedMessage(auth, certHash, message);
  if (verifyWalletSignature(len, auth + AUTH_SIGNATURE) != 0) return c.AUTH_SIGNATURE_INVALID;
  if (lg.ledgerFindWallet(cert + CERT_WALLET_ID) && authCounter(auth) <= lg.lastFoundCounter()) {
    return c.COUNTER_REPLAYED;
  }
  return authCheckCap(auth, certOfflineCap(cert));
}

/** Check 8.1: the re-presented authorization and certificate are byte for byte this
 *  wallet's last record, recorded within RETAP_WINDOW_S. Returns CONTINUE with the
 *  record at ledgerRecordPtr() and its sequence in lastFoundSequence(), or the decline.
 *  A record already acknowledged and reclaimed is gone: a mismatch, not a flash fault. */
function findRetapRecord(): i32 {
  if (!lg.ledgerFindWallet(cert + CERT_WALLET_ID)) return c.CHALLENGE_MISMATCH;
  if (lg.lastFoundCounter() != authCounter(auth)) return c.CHALLENGE_MISMATCH;
  const n = lg.ledgerReadRecord(lg.lastFoundSequence());
  if (n == ERR_NOT_FOUND) return c.CHALLENGE_MISMATCH;
  if (n < 0) return c.LEDGER_ERROR;
  const rec = lg.ledgerRecordPtr();
  if (n != REC_HEAD_BYTES + BODY_BYTES) return c.CHALLENGE_MISMATCH;
  if (!bytesEqual(rec + REC_BODY, body, BODY_BYTES)) return c.CHALLENGE_MISMATCH;
  if (!retapInWindow(loadLe32(rec + REC_TIME), nowS)) return c.CHALLENGE_MISMATCH;
  return c.CONTINUE;
}

/** Check 8.2: the wallet holds its key now — the proof signs this tap's payment command
 *  and names the re-presented authorization by its signature. Only re-taps pay for it. */
function checkPossession(): i32 {
  const len = proofSignedMessage(auth, certHash, command, message);
  if (verifyWalletSignature(len, proof) != 0) return c.RETAP_PROOF_INVALID;
  return c.CONTINUE;
}

/**
 * Check 8, the re-tap path (docs/PROTOCOL.md, "Re-taps"): the record must match
 * (8.1), the wallet must prove possession of its key on this challenge (8.2), and the
 * gate opens only if the record was never signalled (8.3) — marking it first, durably.
 * Returns CONTINUE (ALREADY_ACCEPTED: open now), ALREADY_USED (receipt only) or the
 * decline. Nothing is appended: a re-tap never charges.
 */
function recoverRetap(): i32 {
  let r = findRetapRecord();
  if (r == c.CONTINUE) r = checkPossession();
  if (r != c.CONTINUE) return r;
  const seq = lg.lastFoundSequence();
  const state = lg.ledgerWasSignalled(seq);
  // Acknowledged by clearing since the lookup means settled and gone: as if reclaimed.
  if (state == ERR_NOT_FOUND) return c.CHALLENGE_MISMATCH;
  if (state < 0) return c.LEDGER_ERROR;
  const outcome = state == 1 ? OUTCOME_ALREADY_USED : OUTCOME_ALREADY_ACCEPTED;
  const rec = lg.ledgerRecordPtr();
  const recLen = REC_HEAD_BYTES + BODY_BYTES;
  r = receiptFromRecord(receipt, outcome, cfg.readerIdPtr(), rec, recLen, BODY_BYTES);
  if (r != c.CONTINUE) return r;
  if (state == 1) {
    receiptReady = true;
    return c.ALREADY_USED;
  }
  if (lg.ledgerMarkSignalled(seq) != 0) return c.LEDGER_ERROR;
  receiptReady = true;
  return c.CONTINUE;
}

/** Check 13: the durable append, then the durable signal mark. Only their success may
 *  lead to an accept signal. A failed mark leaves the payment in the ledger, unsignalled
 *  and without a receipt: the wallet keeps it pending, and its re-tap gets the one
 *  opening (docs/PROTOCOL.md, "Gate openings"). */
function commitPayment(): i32 {
  const walletId = cert + CERT_WALLET_ID;
  const counter = authCounter(auth);
  const seq = lg.ledgerAppendPayment(walletId, counter, amountNow, nowS, body, BODY_BYTES);
  if (seq <= 0) return lg.appendDecision(seq);
  if (lg.ledgerMarkSignalled(<u32>seq) != 0) return c.LEDGER_ERROR;
  receiptBuild(
    receipt, OUTCOME_ACCEPTED, cfg.readerIdPtr(), <u32>seq, counter, amountNow,
    auth + AUTH_CURRENCY, nowS, lg.ledgerChainHeadPtr(),
  );
  receiptReady = true;
  return c.CONTINUE;
}

function signalAccept(code: i32): void {
  signal(SIGNAL_GATE, GATE_OPEN);
  signal(SIGNAL_LED, LED_GREEN);
  signal(SIGNAL_BUZZER, BUZZER_ACCEPT);
  signal(SIGNAL_DISPLAY, code);
}

/** Declines show red, beep and the reason. An empty field is not a decline anyone
 *  sees: a board may call tap as its poll, so NO_WALLET signals nothing. */
export function signalDecline(code: i32): void {
  if (code == c.NO_WALLET) return;
  signal(SIGNAL_LED, LED_RED);
  signal(SIGNAL_BUZZER, BUZZER_DECLINE);
  signal(SIGNAL_DISPLAY, code);
}

/** Check 14: the receipt. Its fate does not change the decision (the re-tap path
 *  recovers a receipt that did not arrive); it is recorded for the probes. */
function sendReceipt(): void {
  const rc = exchange(buildReceipt(tx, receipt));
  receiptDelivered = judgeResponse(STEP_RECEIPT, rc, rx, 0) == c.CONTINUE;
}

/** The accepted ending shared by a new payment and a recovered re-tap. */
function finishAccepted(code: i32): i32 {
  signalAccept(code);
  sendReceipt();
  return code;
}

/** The amount of this tap: the fare in gate mode (argument must be 0), the argument in
 *  kiosk mode (must be > 0). Returns CONTINUE with amountNow set, or the decision. */
function chooseAmount(amountArg: i32): i32 {
  if (cfg.mode == cfg.MODE_GATE) {
    if (amountArg != 0) return c.AMOUNT_OUT_OF_LIMITS;
    amountNow = cfg.fare;
    return c.CONTINUE;
  }
  if (amountArg <= 0) return c.AMOUNT_REQUIRED;
  amountNow = <u32>amountArg;
  return c.CONTINUE;
}

/** ALREADY_USED: a decline for the gate, a receipt for the wallet (outcome 2), so that
 *  it can settle its pending authorization. The signals come first, as for any decline. */
function finishUsed(): i32 {
  signalDecline(c.ALREADY_USED);
  sendReceipt();
  return c.ALREADY_USED;
}

/** Runs one tap to its decision and gives its signals: an acceptance's after the
 *  append and the mark, a decline's at the end. */
export function runTap(amountArg: i32): i32 {
  const code = decideTap(amountArg);
  if (!c.isAcceptance(code) && code != c.ALREADY_USED) signalDecline(code);
  return code;
}

function decideTap(amountArg: i32): i32 {
  receiptReady = false;
  receiptDelivered = false;
  represented = false;
  certWasCached = false;
  ed25519ForgetDecoded();
  if (!configured) return c.NOT_CONFIGURED;
  let r = chooseAmount(amountArg);
  if (r != c.CONTINUE) return r;
  nowS = clockUnixSeconds();
  r = selectWallet();
  if (r == c.CONTINUE) r = checkIssuer();
  if (r == c.CONTINUE) r = checkWalletStanding();
  if (r == c.CONTINUE) r = requestAuthorization();
  if (r != c.CONTINUE) return r;
  if (represented) {
    r = recoverRetap();
    if (r == c.ALREADY_USED) return finishUsed();
    return r == c.CONTINUE ? finishAccepted(c.ALREADY_ACCEPTED) : r;
  }
  if (!authChallengeMatches(auth, command)) return c.CHALLENGE_MISMATCH;
  r = checkAuthorization();
  if (r == c.CONTINUE) r = commitPayment();
  return r == c.CONTINUE ? finishAccepted(c.ACCEPTED) : r;
}
