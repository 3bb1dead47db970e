// Generates test/vectors/protocol/*.json: byte-level vectors of tap protocol 3
// (docs/PROTOCOL.md) and recorded full tap exchanges ("tapes") of every simulator
// scenario. Deterministic: keys come from fixed seeds (SHA-256 of a label), the tapes
// from fixed simulator seeds, so re-running it reproduces the committed files byte for
// byte unless the protocol, the simulator or the firmware's behaviour changed.
//
//   node --import tsx tools/gen-protocol-vectors.ts [--check]
//
// --check compares instead of writing and exits 1 when a file would change.
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { repoRoot } from "../host/firmware/paths.ts";
import { Ed25519Key } from "../host/issuer/ed25519.ts";
import { Issuer } from "../host/issuer/issuer.ts";
import {
  AID, type AuthorizationBody, type Receipt, SW, authorizationSignedMessage, certHash,
  certificateSignedMessage, encodeAuthorization, encodeCommandApdu, encodePay, encodeReceipt,
  encodeReceiptCommand, encodeResponse, encodeSelect,
  encodePaymentCommand, encodeRepresentation, possessionProofMessage, toHex, type PaymentCommand,
  RECEIPT_VERSION, certificateHints, authorizationHint, proofHint, encodeSelectAnswer,
  encodePaymentAnswer, encodeRepresentationAnswer, negatedHint, xHint, HINT_BYTES,
} from "../host/protocol/index.ts";
import { FIELD_P, numberToBytesLE } from "../host/crypto/encoding.ts";
import { SCENARIOS } from "../host/sim/scenarios.ts";
import { TapeRecorder, type Tape } from "../host/sim/tape.ts";
import { DEFAULT_START_UNIX_S } from "../host/sim/world.ts";

const OUT_DIR = path.join(repoRoot, "test", "vectors", "protocol");
const TAPE_SEED = 20261121;

function seedOf(label: string): Uint8Array {
  return Uint8Array.from(createHash("sha256").update(`offtap protocol vectors: ${label}`).digest());
}
const bytesOf = (label: string, n: number): Uint8Array => seedOf(label).subarray(0, n);

interface CertCase {
  id: string;
  comment: string;
  issuerSeedLabel: string;
  keyId: number;
  walletSeedLabel: string;
  walletIdLabel: string;
  cap: number;
  currency: number;
  validFrom: number;
  validUntil: number;
}

const CERT_CASES: CertCase[] = [
  {
    id: "cert-eur", comment: "typical transit wallet: EUR, 50.00 cap, one year",
    issuerSeedLabel: "issuer 1", keyId: 1, walletSeedLabel: "wallet 1",
    walletIdLabel: "wallet id 1", cap: 5000, currency: 978, validFrom: 1_792_713_600,
    validUntil: 1_824_249_600,
  },
  {
    id: "cert-max", comment: "every integer field at its maximum", issuerSeedLabel: "issuer 2",
    keyId: 0xffffffff, walletSeedLabel: "wallet 2", walletIdLabel: "wallet id 2", cap: 0xffffffff,
    currency: 999, validFrom: 0xfffffffe, validUntil: 0xffffffff,
  },
  {
    id: "cert-jpy-zero-cap", comment: "JPY, zero cap (every payment is over the cap), validFrom 0",
    issuerSeedLabel: "issuer 1", keyId: 1, walletSeedLabel: "wallet 3",
    walletIdLabel: "wallet id 3", cap: 0, currency: 392, validFrom: 0, validUntil: 1,
  },
];

function certificates() {
  const cases = CERT_CASES.map((c) => {
    const issuer = new Issuer(c.keyId, new Ed25519Key(seedOf(c.issuerSeedLabel)));
    const wallet = new Ed25519Key(seedOf(c.walletSeedLabel));
    const { certificate, bytes } = issuer.certify({
      walletId: bytesOf(c.walletIdLabel, 16), walletPublicKey: wallet.publicKey, offlineCap: c.cap,
      currency: c.currency, validFrom: c.validFrom, validUntil: c.validUntil,
    });
    return {
      id: c.id, comment: c.comment, issuerSeed: toHex(issuer.key.seed),
      issuerPublicKey: toHex(issuer.publicKey), walletSeed: toHex(wallet.seed),
      fields: {
        version: 1, issuerKeyId: c.keyId, walletId: toHex(certificate.walletId),
        walletPublicKey: toHex(certificate.walletPublicKey), currency: c.currency,
        offlineCap: c.cap, validFrom: c.validFrom, validUntil: c.validUntil,
      },
      signedMessage: toHex(certificateSignedMessage(certificate)),
      issuerSignature: toHex(certificate.issuerSignature),
      certificate: toHex(bytes), certHash: toHex(certHash(bytes)),
    };
  });
  const good = Buffer.from(cases[0]!.certificate, "hex");
  const version2 = Uint8Array.from(good); version2[0] = 2;
  const emptyWindow = Uint8Array.from(good); emptyWindow.set(good.subarray(59, 63), 63);
  const invalid = [
    {
      id: "cert-short", comment: "130 bytes", bytes: toHex(good.subarray(0, 130)),
      errorField: "certificate",
    },
    {
      id: "cert-long", comment: "132 bytes", bytes: toHex(Buffer.concat([good, Buffer.of(0)])),
      errorField: "certificate",
    },
    {
      id: "cert-version-2", comment: "version 2: a v1 reader declines UNSUPPORTED_VERSION",
      bytes: toHex(version2), errorField: "certificate.version",
    },
    {
      id: "cert-empty-window", comment: "validUntil = validFrom (no issuer signs this)",
      bytes: toHex(emptyWindow), errorField: "certificate.validUntil",
    },
  ];
  return {
    description: "Wallet certificates (docs/PROTOCOL.md, 131 bytes). signedMessage = "
      + "\"offtap/cert/v1\" ‖ bytes[0..67); certHash = SHA-512(certificate)[0..16).",
    cases, invalid,
  };
}

function authorizations(certs: ReturnType<typeof certificates>) {
  const specs = [
    {
      id: "auth-first", comment: "first payment of cert-eur: counter 1, cumulative = amount",
      cert: 0, walletSeedLabel: "wallet 1", challengeLabel: "challenge 1",
      readerIdLabel: "reader 1", amount: 250, currency: 978, readerTime: 1_795_305_600, counter: 1,
      cumulative: 250,
    },
    {
      id: "auth-later", comment: "a later payment: counter 17, cumulative 4,250", cert: 0,
      walletSeedLabel: "wallet 1", challengeLabel: "challenge 2", readerIdLabel: "reader 1",
      amount: 250, currency: 978, readerTime: 1_795_400_000, counter: 17, cumulative: 4250,
    },
    {
      id: "auth-max", comment: "every integer field at its maximum, under cert-max", cert: 1,
      walletSeedLabel: "wallet 2", challengeLabel: "challenge 3", readerIdLabel: "reader 2",
      amount: 0xffffffff, currency: 999, readerTime: 0xffffffff, counter: 0xffffffff,
      cumulative: 0xffffffff,
    },
  ];
  const cases = specs.map((s) => {
    const certHex = certs.cases[s.cert]!.certificate;
    const ch = certHash(Buffer.from(certHex, "hex"));
    const body: AuthorizationBody = {
      version: 1, challenge: bytesOf(s.challengeLabel, 16), readerId: bytesOf(s.readerIdLabel, 8),
      amount: s.amount, currency: s.currency, readerTime: s.readerTime, counter: s.counter,
      cumulative: s.cumulative,
    };
    const msg = authorizationSignedMessage(ch, body);
    const wallet = new Ed25519Key(seedOf(s.walletSeedLabel));
    const sig = wallet.sign(msg);
    return {
      id: s.id, comment: s.comment, certificateId: certs.cases[s.cert]!.id, certHash: toHex(ch),
      walletSeed: toHex(wallet.seed), walletPublicKey: toHex(wallet.publicKey),
      fields: {
        version: 1, challenge: toHex(body.challenge), readerId: toHex(body.readerId),
        amount: s.amount, currency: s.currency, readerTime: s.readerTime, counter: s.counter,
        cumulative: s.cumulative,
      },
      signedMessage: toHex(msg), walletSignature: toHex(sig),
      authorization: toHex(encodeAuthorization({ ...body, walletSignature: sig })),
    };
  });
  const good = Buffer.from(cases[0]!.authorization, "hex");
  const v0 = Uint8Array.from(good); v0[0] = 0;
  const invalid = [
    {
      id: "auth-short", comment: "106 bytes", bytes: toHex(good.subarray(0, 106)),
      errorField: "authorization",
    },
    {
      id: "auth-version-0", comment: "version 0", bytes: toHex(v0),
      errorField: "authorization.version",
    },
  ];
  return {
    description: "Payment authorizations (107 bytes). signedMessage = \"offtap/auth/v1\" ‖ "
      + "certHash ‖ bytes[0..43). representations: a pending authorization re-presented at a "
      + "later PAY (171 bytes = authorization ‖ possessionProof); proofMessage = "
      + "\"offtap/retap/v2\" ‖ certHash ‖ paymentCommand ‖ authorization[43..107).",
    cases, invalid, representations: representations(cases),
  };
}

/** Re-presentations (docs/PROTOCOL.md, "Re-presentation") of auth-first at later PAYs. */
interface AuthCase {
  id: string;
  certHash: string;
  walletSeed: string;
  authorization: string;
  fields: { readerId: string; amount: number; currency: number };
}

/** Re-presentations (docs/PROTOCOL.md, "Re-presentation") of auth-first at later PAYs. */
function representations(cases: AuthCase[]) {
  const a = cases[0]!;
  const specs = [
    {
      id: "retap-same-reader", comment: "auth-first re-presented at the same reader 20 s later",
      challengeLabel: "challenge retap 1", readerTime: 1_795_305_620,
    },
    {
      id: "retap-after-reboot", comment: "after a reboot: another challenge, another proof",
      challengeLabel: "challenge retap 2", readerTime: 1_795_305_650,
    },
  ];
  const wallet = new Ed25519Key(Buffer.from(a.walletSeed, "hex"));
  const authorization = Buffer.from(a.authorization, "hex");
  return specs.map((s) => {
    const command: PaymentCommand = {
      challenge: bytesOf(s.challengeLabel, 16), readerId: Buffer.from(a.fields.readerId, "hex"),
      amount: a.fields.amount, currency: a.fields.currency, readerTime: s.readerTime,
    };
    const msg = possessionProofMessage(Buffer.from(a.certHash, "hex"), command, authorization);
    const proof = wallet.sign(msg);
    const bytes = encodeRepresentation({ authorization, possessionProof: proof });
    return {
      id: s.id, comment: s.comment, authorizationId: a.id, certHash: a.certHash,
      paymentCommand: toHex(encodePaymentCommand(command)), proofMessage: toHex(msg),
      possessionProof: toHex(proof), representation: toHex(bytes),
    };
  });
}

function receipts() {
  const base: Receipt = {
    version: RECEIPT_VERSION, outcome: 0, readerId: bytesOf("reader 1", 8), sequence: 1, counter: 1,
    amount: 250, currency: 978, readerTime: 1_795_305_600, recordHash: bytesOf("record 1", 16),
  };
  const max: Receipt = {
    ...base, readerId: bytesOf("reader 2", 8), sequence: 0xffffffff, counter: 0xffffffff,
    amount: 0xffffffff, currency: 0xffff, readerTime: 0xffffffff,
    recordHash: bytesOf("record 2", 16),
  };
  const specs: { id: string; comment: string; r: Receipt }[] = [
    { id: "receipt-accepted", comment: "accepted now", r: base },
    {
      id: "receipt-retap", r: { ...base, outcome: 1 },
      comment: "the same payment, re-tapped, the gate opened now: outcome 1, the rest identical",
    },
    {
      id: "receipt-used", r: { ...base, outcome: 2 },
      comment: "the same payment after a re-tap whose gate had opened before: outcome 2",
    },
    { id: "receipt-max", comment: "integers at their maximum", r: max },
  ];
  const cases = specs.map((s) => ({
    id: s.id, comment: s.comment,
    fields: {
      version: RECEIPT_VERSION, outcome: s.r.outcome, readerId: toHex(s.r.readerId),
      sequence: s.r.sequence, counter: s.r.counter, amount: s.r.amount, currency: s.r.currency,
      readerTime: s.r.readerTime, recordHash: toHex(s.r.recordHash),
    },
    receipt: toHex(encodeReceipt(s.r)),
  }));
  const good = Buffer.from(cases[0]!.receipt, "hex");
  const mutate = (at: number, v: number): string => {
    const b = Uint8Array.from(good);
    b[at] = v;
    return toHex(b);
  };
  const bad = (id: string, comment: string, bytes: string, errorField: string) =>
    ({ id, comment, bytes, errorField });
  const invalid = [
    bad("receipt-outcome-3", "outcome 3 does not exist", mutate(1, 3), "receipt.outcome"),
    bad("receipt-reserved", "reserved bytes must be zero", mutate(29, 1), "receipt.reserved"),
    bad("receipt-version-1", "version 1: no outcome 2", mutate(0, 1), "receipt.version"),
    bad("receipt-short", "45 bytes", toHex(good.subarray(0, 45)), "receipt"),
  ];
  return { description: "Receipts (46 bytes), sent by the reader in RECEIPT.", cases, invalid };
}

function apdus(
  certs: ReturnType<typeof certificates>, auths: ReturnType<typeof authorizations>,
  recs: ReturnType<typeof receipts>,
) {
  const a = auths.cases[0]!;
  const payment: PaymentCommand = {
    challenge: Buffer.from(a.fields.challenge, "hex"),
    readerId: Buffer.from(a.fields.readerId, "hex"), amount: a.fields.amount,
    currency: a.fields.currency, readerTime: a.fields.readerTime,
  };
  const receipt = Buffer.from(recs.cases[0]!.receipt, "hex");
  const rf = recs.cases[0]!.fields;
  const receiptFields = {
    ...rf, readerId: Buffer.from(rf.readerId, "hex"), recordHash: Buffer.from(rf.recordHash, "hex"),
  };
  const commands = [
    {
      id: "select", comment: "SELECT by AID, Le = 00 (256)", kind: "SELECT",
      apdu: toHex(encodeSelect()), aid: toHex(AID),
    },
    {
      id: "pay", comment: "PAY for auth-first", kind: "PAY", apdu: toHex(encodePay(payment)),
      paymentCommand: toHex(encodePaymentCommand(payment)),
      fields: {
        challenge: a.fields.challenge, readerId: a.fields.readerId, amount: a.fields.amount,
        currency: a.fields.currency, readerTime: a.fields.readerTime,
      },
    },
    {
      id: "receipt", comment: "RECEIPT carrying receipt-accepted (case 3: no Le)",
      kind: "RECEIPT", apdu: toHex(encodeReceiptCommand(receiptFields)), receipt: toHex(receipt),
    },
  ];
  const select = Buffer.from(commands[0]!.apdu, "hex");
  const pay = Buffer.from(commands[1]!.apdu, "hex");
  const otherAid = Uint8Array.from(select); otherAid[12] = 0x02;
  const badReceipt = Buffer.from(commands[2]!.apdu, "hex");
  badReceipt[6] = 3;
  const outcome3 = toHex(badReceipt);
  const rejected = [
    {
      id: "select-other-aid",
      comment: "SELECT of major version 02: not found (a protocol 3 wallet)",
      apdu: toHex(otherAid), sw: SW.FILE_NOT_FOUND,
    },
    {
      id: "wrong-cla", comment: "PAY with CLA 00",
      apdu: toHex(Buffer.concat([Buffer.of(0x00), pay.subarray(1)])), sw: SW.CLA_NOT_SUPPORTED,
    },
    {
      id: "unknown-ins", comment: "INS 54 is not part of the protocol",
      apdu: toHex(encodeCommandApdu({
        cla: 0x80, ins: 0x54, p1: 0, p2: 0, data: new Uint8Array(0), le: undefined,
      })),
      sw: SW.INS_NOT_SUPPORTED,
    },
    {
      id: "pay-short-data", comment: "PAY with 33 data bytes",
      apdu: toHex(Buffer.concat([
        pay.subarray(0, 4), Buffer.of(33), pay.subarray(5, 38), Buffer.of(0),
      ])),
      sw: SW.WRONG_LENGTH,
    },
    {
      id: "pay-no-le", comment: "PAY without Le", apdu: toHex(pay.subarray(0, 39)),
      sw: SW.WRONG_LENGTH,
    },
    {
      id: "lc-mismatch", comment: "Lc says 34 but the frame is 3 bytes short",
      apdu: toHex(pay.subarray(0, 37)), sw: SW.WRONG_LENGTH,
    },
    {
      id: "header-only-3", comment: "three bytes are not a header", apdu: toHex(pay.subarray(0, 3)),
      sw: SW.WRONG_LENGTH,
    },
    { id: "receipt-bad-outcome", comment: "RECEIPT, outcome 3", apdu: outcome3, sw: SW.WRONG_DATA },
  ];
  const ans = answers(certs, auths);
  const ok = (id: string, comment: string, data: string) => ({
    id, comment, data, sw: SW.OK, apdu: toHex(encodeResponse(Buffer.from(data, "hex"), SW.OK)),
  });
  const responses = [
    ok("select-ok", "SELECT answer: cert-eur ‖ keyX ‖ certRX (195 bytes)", ans.select),
    ok("payment-ok", "PAY answer: auth-first ‖ rX (139 bytes)", ans.payment),
    ok(
      "representation-ok",
      "PAY answer of a re-tap: retap-same-reader's authorization ‖ proof ‖ proofRX (203 bytes)",
      ans.representation,
    ),
    { id: "receipt-ok", comment: "RECEIPT answer", data: "", sw: SW.OK, apdu: "9000" },
    {
      id: "no-application", comment: "SELECT of an application the phone lacks", data: "",
      sw: SW.FILE_NOT_FOUND, apdu: "6a82",
    },
    {
      id: "refused", comment: "the wallet refuses to pay", data: "",
      sw: SW.CONDITIONS_NOT_SATISFIED, apdu: "6985",
    },
  ];
  return {
    description: "Command and response APDUs (ISO/IEC 7816-4 short APDUs). `rejected` lists "
      + "malformed commands and the status word a wallet answers.",
    commands, rejected, responses,
  };
}

/** What the answers' vectors carry: the first certificate, authorization and possession
 *  proof of the byte vectors above. */
function answerParts(
  certs: ReturnType<typeof certificates>,
  auths: ReturnType<typeof authorizations>,
) {
  return {
    certificate: Buffer.from(certs.cases[0]!.certificate, "hex"),
    authorization: Buffer.from(auths.cases[0]!.authorization, "hex"),
    proof: Buffer.from(auths.representations[0]!.possessionProof, "hex"),
  };
}

/** The three answers of protocol 3 with honest hints, from the byte vectors above. */
function answers(
  certs: ReturnType<typeof certificates>,
  auths: ReturnType<typeof authorizations>,
) {
  const { certificate, authorization, proof } = answerParts(certs, auths);
  return {
    select: toHex(encodeSelectAnswer(certificate)),
    payment: toHex(encodePaymentAnswer(authorization)),
    representation: toHex(encodeRepresentationAnswer(authorization, proof)),
  };
}

/** A point encoding: y little-endian with the sign bit on top. */
function encodingOf(y: bigint, sign: 0 | 1): Uint8Array {
  const out = numberToBytesLE(y, 32);
  out[31] = out[31]! | (sign << 7);
  return out;
}

const NON_SQUARE_SEARCH_MAX = 1000n; // half of all y have no point: a few steps suffice

/** The smallest y ≥ 2 that no curve point has (its encoding decodes to nothing). */
function firstNonPointY(): bigint {
  for (let y = 2n; y < NON_SQUARE_SEARCH_MAX; y++) {
    if (xHint(encodingOf(y, 0)).every((b) => b === 0)) return y;
  }
  throw new Error(`no y without a point below ${NON_SQUARE_SEARCH_MAX}`);
}

function hintPoints(certs: ReturnType<typeof certificates>) {
  const base = Buffer.from(
    "5866666666666666666666666666666666666666666666666666666666666666", "hex",
  );
  const minusBase = Uint8Array.from(base);
  minusBase[31] = minusBase[31]! | 0x80;
  const key = Buffer.from(certs.cases[0]!.fields.walletPublicKey, "hex");
  const noY = firstNonPointY();
  const point = (id: string, comment: string, encoding: Uint8Array) =>
    ({ id, comment, encoding: toHex(encoding), hint: toHex(xHint(encoding)) });
  return [
    point("base", "the base point B: sign bit 0, x even", base),
    point("minus-base", "−B: the same y, sign bit 1, x = p − x(B), odd", minusBase),
    point("wallet-key", "cert-eur's walletPublicKey", key),
    point("identity", "the neutral element (y = 1): x = 0", encodingOf(1n, 0)),
    point("order-2", "the point of order 2 (y = p − 1): x = 0", encodingOf(FIELD_P - 1n, 0)),
    point("no-point", "the smallest y with no point: 32 zero bytes", encodingOf(noY, 0)),
    point("no-point-signed", "the same y, sign bit 1: zeros", encodingOf(noY, 1)),
    point("y-not-canonical", "y = p (not < p, strict policy): zeros", encodingOf(FIELD_P, 0)),
    point("x-zero-signed", "y = 1 with sign bit 1 (not canonical): zeros", encodingOf(1n, 1)),
  ];
}

/** The honest answers' hints, and the same answers with wrong hints. */
function hintAnswers(
  certs: ReturnType<typeof certificates>,
  auths: ReturnType<typeof authorizations>,
) {
  const { certificate, authorization, proof } = answerParts(certs, auths);
  const ch = certificateHints(certificate);
  const rX = authorizationHint(authorization);
  const proofRX = proofHint(proof);
  const ans = answers(certs, auths);
  const zero = new Uint8Array(HINT_BYTES);
  const garbage = (label: string): Uint8Array => bytesOf(label, HINT_BYTES);
  const bad = (id: string, honest: string, comment: string, data: Uint8Array) =>
    ({ id, honest, comment, data: toHex(data) });
  const selectWith = (keyX: Uint8Array, certRX: Uint8Array): Uint8Array =>
    encodeSelectAnswer(certificate, { keyX, certRX });
  const pAsHint = numberToBytesLE(FIELD_P, HINT_BYTES);
  return {
    answers: [
      {
        id: "select", certificateId: certs.cases[0]!.id, data: ans.select,
        keyX: toHex(ch.keyX), certRX: toHex(ch.certRX),
      },
      { id: "payment", authorizationId: auths.cases[0]!.id, data: ans.payment, rX: toHex(rX) },
      {
        id: "representation", representationId: auths.representations[0]!.id,
        data: ans.representation, proofRX: toHex(proofRX),
      },
    ],
    badAnswers: [
      bad("select-negated", "select", "keyX and certRX negated (p − x)",
        selectWith(negatedHint(ch.keyX), negatedHint(ch.certRX))),
      bad("select-garbage", "select", "keyX and certRX: bytes that are no x",
        selectWith(garbage("bad keyX"), garbage("bad certRX"))),
      bad("select-zero", "select", "all-zero hints", selectWith(zero, zero)),
      bad("payment-negated", "payment", "rX negated",
        encodePaymentAnswer(authorization, negatedHint(rX))),
      bad("payment-p", "payment", "rX = p: not < p", encodePaymentAnswer(authorization, pAsHint)),
      bad("representation-negated", "representation", "proofRX negated",
        encodeRepresentationAnswer(authorization, proof, negatedHint(proofRX))),
    ],
  };
}

function hintCases(
  certs: ReturnType<typeof certificates>,
  auths: ReturnType<typeof authorizations>,
) {
  return {
    description: "Decoding hints (docs/PROTOCOL.md, protocol 3): a hint is x of a point, "
      + "32 bytes little-endian, < p, top bit 0; 32 zero bytes for an encoding that decodes to "
      + "no point under the strict policy. `points`: encodings and their hints. `answers`: the "
      + "hints of each answer of apdus.json. `badAnswers`: the same answers with wrong hints "
      + "(the negated x, p − x, p itself, zeros, or bytes that are no x); a reader decides "
      + "exactly as on the honest answer.",
    points: hintPoints(certs),
    ...hintAnswers(certs, auths),
  };
}

function tapes(): { description: string; rngSeed: number; tapes: Tape[] } {
  const out: Tape[] = [];
  for (const s of SCENARIOS) {
    if (!s.tape) continue; // a fault between two flash programs: covered by reader tests
    const recorder = new TapeRecorder();
    const run = s.run(TAPE_SEED, { recorder });
    if (run.result.reason !== s.expected) {
      throw new Error(`scenario ${s.name}: firmware decided ${run.result.reason}, `
        + `docs/PROTOCOL.md expects ${s.expected} (seed ${TAPE_SEED})`);
    }
    out.push({
      id: s.name, comment: `${s.description}; last tap expected ${s.expected}`, rngSeed: TAPE_SEED,
      geometry: run.world.config.geometry, startUnixSeconds: DEFAULT_START_UNIX_S,
      steps: recorder.steps,
    });
  }
  return {
    description: "Recorded tap exchanges: provisioning block (docs/CONFIG.md), deny-list "
      + "images, and per tap the reader clock, the hardware-random bytes it drew, every C-APDU "
      + "it sent with the R-APDU (or NFC error status) it got back and the radio time, the "
      + "decision, the receipt and the signals. The last tap of each tape has the decision "
      + "docs/PROTOCOL.md prescribes for its scenario.",
    rngSeed: TAPE_SEED,
    tapes: out,
  };
}

function main(): number {
  const check = process.argv.includes("--check");
  const certs = certificates();
  const auths = authorizations(certs);
  const recs = receipts();
  const files: Record<string, unknown> = {
    "certificates.json": certs,
    "authorizations.json": auths,
    "receipts.json": recs,
    "apdus.json": apdus(certs, auths, recs),
    "hints.json": hintCases(certs, auths),
    "exchanges.json": tapes(),
  };
  mkdirSync(OUT_DIR, { recursive: true });
  let stale = 0;
  for (const [name, content] of Object.entries(files)) {
    const file = path.join(OUT_DIR, name);
    const head = {
      generator: "tools/gen-protocol-vectors.ts", protocol: "docs/PROTOCOL.md version 3",
    };
    const text = JSON.stringify({ ...head, ...(content as object) }, null, 1) + "\n";
    if (check) {
      let old = "";
      try { old = readFileSync(file, "utf8"); } catch { /* missing counts as stale */ }
      if (old !== text) {
        console.error(`${name}: differs from what the generator produces`);
        stale++;
      }
    } else {
      writeFileSync(file, text);
      console.log(`wrote ${path.relative(repoRoot, file)} (${text.length} bytes)`);
    }
  }
  return stale === 0 ? 0 : 1;
}

process.exitCode = main();
