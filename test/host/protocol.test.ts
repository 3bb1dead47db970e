// The host codec of tap protocol 3 (host/protocol/) against the committed vectors in
// test/vectors/protocol/, and the vectors against independent implementations: every
// byte layout is rebuilt here from docs/PROTOCOL.md's offsets with a DataView, every
// signature is verified with @noble/ed25519, every hash recomputed with @noble/hashes,
// and the reason table is parsed out of docs/PROTOCOL.md itself.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import * as ed from "@noble/ed25519";
import { sha512 } from "@noble/hashes/sha2.js";
import { repoRoot } from "../../host/firmware/paths.ts";
import {
  ProtocolError, CommandError, REASONS, STATUS_WORD_NAMES, certHash, certificateSignedMessage,
  authorizationSignedMessage, decodeAuthorization, decodeCertificate, decodeReceipt,
  decodeTapCommand, encodeAuthorization, encodeCertificate, encodeReceipt, encodeSelect, encodePay,
  encodeReceiptCommand, encodeResponse, parseResponse, fromHex, toHex,
  type Certificate, type Authorization, type Receipt, decodePaymentCommand, decodeRepresentation,
  encodeRepresentation, possessionProofMessage, decodePayAnswer, decodeSelectAnswer,
  encodePaymentAnswer, encodeSelectAnswer, summarizeResponse, xHint,
} from "../../host/protocol/index.ts";

ed.hashes.sha512 = sha512;

const dir = path.join(repoRoot, "test", "vectors", "protocol");
// Vector files are our own JSON; a missing field is a broken vector file, reported by name.
type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
function load(name: string): Json {
  return JSON.parse(readFileSync(path.join(dir, name), "utf8")) as Json;
}
const hex = (h: string): Uint8Array => fromHex(h);
const label = (s: string): Uint8Array => new TextEncoder().encode(s);
const cat = (...p: Uint8Array[]): Uint8Array => Uint8Array.from(Buffer.concat(p));

/** docs/PROTOCOL.md "Wallet certificate", offset by offset. */
function certLayout(f: Json, sig: Uint8Array): Uint8Array {
  const b = new Uint8Array(131); const v = new DataView(b.buffer);
  b[0] = f.version;
  v.setUint32(1, f.issuerKeyId);
  b.set(hex(f.walletId), 5);
  b.set(hex(f.walletPublicKey), 21);
  v.setUint16(53, f.currency);
  v.setUint32(55, f.offlineCap);
  v.setUint32(59, f.validFrom);
  v.setUint32(63, f.validUntil);
  b.set(sig, 67);
  return b;
}

/** docs/PROTOCOL.md "Payment authorization". */
function authLayout(f: Json, sig: Uint8Array): Uint8Array {
  const b = new Uint8Array(107); const v = new DataView(b.buffer);
  b[0] = f.version;
  b.set(hex(f.challenge), 1);
  b.set(hex(f.readerId), 17);
  v.setUint32(25, f.amount);
  v.setUint16(29, f.currency);
  v.setUint32(31, f.readerTime);
  v.setUint32(35, f.counter);
  v.setUint32(39, f.cumulative);
  b.set(sig, 43);
  return b;
}

/** docs/PROTOCOL.md "Receipt". */
function receiptLayout(f: Json): Uint8Array {
  const b = new Uint8Array(46); const v = new DataView(b.buffer);
  b[0] = f.version;
  b[1] = f.outcome;
  b.set(hex(f.readerId), 2);
  v.setUint32(10, f.sequence);
  v.setUint32(14, f.counter);
  v.setUint32(18, f.amount);
  v.setUint16(22, f.currency);
  v.setUint32(24, f.readerTime);
  b.set(hex(f.recordHash), 30);
  return b;
}

function expectProtocolError(fn: () => unknown, field: string, id: string): void {
  assert.throws(
    fn, (err: unknown) => err instanceof ProtocolError && err.field === field,
    `${id}: expected a ProtocolError on ${field}`,
  );
}

test("certificates: layout, issuer signature, certHash, codec round trip", () => {
  const v = load("certificates.json");
  assert.ok(v.cases.length >= 3);
  for (const c of v.cases) {
    const sig = hex(c.issuerSignature);
    const bytes = hex(c.certificate);
    assert.equal(toHex(certLayout(c.fields, sig)), c.certificate, `${c.id}: layout`);
    assert.equal(
      toHex(ed.getPublicKey(hex(c.issuerSeed))), c.issuerPublicKey, `${c.id}: issuer key from seed`,
    );
    assert.equal(
      c.signedMessage, toHex(cat(label("offtap/cert/v1"), bytes.subarray(0, 67))),
      `${c.id}: signed message`,
    );
    assert.ok(
      ed.verify(sig, hex(c.signedMessage), hex(c.issuerPublicKey)),
      `${c.id}: issuer signature (noble)`,
    );
    assert.equal(c.certHash, toHex(sha512(bytes).subarray(0, 16)), `${c.id}: certHash`);
    const decoded = decodeCertificate(bytes);
    assert.equal(toHex(encodeCertificate(decoded)), c.certificate, `${c.id}: re-encode`);
    assert.equal(decoded.issuerKeyId, c.fields.issuerKeyId);
    assert.equal(decoded.offlineCap, c.fields.offlineCap);
    assert.equal(decoded.validUntil, c.fields.validUntil);
    assert.equal(
      toHex(certificateSignedMessage(decoded)), c.signedMessage, `${c.id}: codec signed message`,
    );
    assert.equal(toHex(certHash(bytes)), c.certHash, `${c.id}: codec certHash`);
  }
  for (const c of v.invalid) {
    expectProtocolError(() => decodeCertificate(hex(c.bytes)), c.errorField, c.id);
  }
});

test("authorizations: layout, signature over label ‖ certHash ‖ body, codec round trip", () => {
  const v = load("authorizations.json");
  const certs = load("certificates.json");
  for (const c of v.cases) {
    const sig = hex(c.walletSignature);
    const bytes = hex(c.authorization);
    assert.equal(toHex(authLayout(c.fields, sig)), c.authorization, `${c.id}: layout`);
    const cert = certs.cases.find((x: Json) => x.id === c.certificateId);
    assert.equal(
      c.certHash, toHex(sha512(hex(cert.certificate)).subarray(0, 16)),
      `${c.id}: certHash of its certificate`,
    );
    assert.equal(
      c.walletPublicKey, cert.fields.walletPublicKey, `${c.id}: signed by the certified wallet key`,
    );
    assert.equal(
      c.signedMessage, toHex(cat(label("offtap/auth/v1"), hex(c.certHash), bytes.subarray(0, 43))),
      `${c.id}: signed message`,
    );
    assert.ok(
      ed.verify(sig, hex(c.signedMessage), hex(c.walletPublicKey)),
      `${c.id}: wallet signature (noble)`,
    );
    const decoded = decodeAuthorization(bytes);
    assert.equal(toHex(encodeAuthorization(decoded)), c.authorization, `${c.id}: re-encode`);
    assert.equal(decoded.counter, c.fields.counter);
    assert.equal(decoded.cumulative, c.fields.cumulative);
    assert.equal(
      toHex(authorizationSignedMessage(hex(c.certHash), decoded)), c.signedMessage,
      `${c.id}: codec signed message`,
    );
  }
  for (const c of v.invalid) {
    expectProtocolError(() => decodeAuthorization(hex(c.bytes)), c.errorField, c.id);
  }
});

test("re-presentations: authorization ‖ proof (label ‖ certHash ‖ command ‖ signature)", () => {
  const v = load("authorizations.json");
  assert.ok(v.representations.length >= 2);
  const proofs = new Set<string>();
  for (const c of v.representations) {
    const a = v.cases.find((x: Json) => x.id === c.authorizationId);
    const auth = hex(a.authorization);
    const bytes = hex(c.representation);
    assert.equal(bytes.length, 171, `${c.id}: 107 + 64 bytes`);
    assert.equal(toHex(bytes.subarray(0, 107)), a.authorization, `${c.id}: the authorization`);
    assert.equal(toHex(bytes.subarray(107)), c.possessionProof, `${c.id}: then the proof`);
    const signature = auth.subarray(43, 107);
    const msg = cat(label("offtap/retap/v2"), hex(c.certHash), hex(c.paymentCommand), signature);
    assert.equal(msg.length, 129, "docs/PROTOCOL.md: a 129-byte proof message");
    assert.equal(c.proofMessage, toHex(msg), `${c.id}: proof message`);
    const proof = hex(c.possessionProof);
    const walletKey = hex(a.walletPublicKey);
    assert.ok(ed.verify(proof, msg, walletKey), `${c.id}: proof by the wallet key (noble)`);
    assert.ok(!ed.verify(proof, hex(a.signedMessage), walletKey), "not an authorization");
    const cmd = decodePaymentCommand(hex(c.paymentCommand));
    const codecMsg = possessionProofMessage(hex(c.certHash), cmd, auth);
    assert.equal(toHex(codecMsg), c.proofMessage, `${c.id}: codec proof message`);
    const decoded = decodeRepresentation(bytes);
    assert.equal(toHex(encodeRepresentation(decoded)), c.representation, `${c.id}: re-encode`);
    proofs.add(c.possessionProof);
  }
  assert.equal(proofs.size, v.representations.length, "each challenge gets its own proof");
  const short = new Uint8Array(170);
  expectProtocolError(() => decodeRepresentation(short), "representation", "170 bytes");
});

test("receipts: layout and codec round trip", () => {
  const v = load("receipts.json");
  for (const c of v.cases) {
    assert.equal(toHex(receiptLayout(c.fields)), c.receipt, `${c.id}: layout`);
    const decoded = decodeReceipt(hex(c.receipt));
    assert.equal(toHex(encodeReceipt(decoded)), c.receipt, `${c.id}: re-encode`);
    assert.equal(decoded.outcome, c.fields.outcome);
    assert.equal(decoded.sequence, c.fields.sequence);
  }
  for (const c of v.invalid) {
    expectProtocolError(() => decodeReceipt(hex(c.bytes)), c.errorField, c.id);
  }
});

test("APDUs: the three commands, their answers, the status word of each malformed one", () => {
  const v = load("apdus.json");
  const [select, pay, receipt] = v.commands;
  assert.equal(select.apdu, "00a4040008f06f66667461700300", "SELECT of docs/PROTOCOL.md");
  assert.equal(toHex(encodeSelect()), select.apdu);
  assert.equal(pay.apdu, `8050000022${pay.paymentCommand}00`, "PAY header, Lc 0x22, Le 00");
  assert.equal(pay.apdu.length / 2, 40);
  assert.equal(receipt.apdu, `805200002e${receipt.receipt}`, "RECEIPT header, Lc 0x2E, no Le");
  assert.equal(receipt.apdu.length / 2, 51);
  const p = decodeTapCommand(hex(pay.apdu));
  assert.equal(p.kind, "PAY");
  if (p.kind === "PAY") {
    assert.equal(toHex(p.payment.challenge), pay.fields.challenge);
    assert.equal(p.payment.amount, pay.fields.amount);
    assert.equal(toHex(encodePay(p.payment)), pay.apdu);
  }
  const r = decodeTapCommand(hex(receipt.apdu));
  assert.equal(r.kind, "RECEIPT");
  if (r.kind === "RECEIPT") assert.equal(toHex(encodeReceiptCommand(r.receipt)), receipt.apdu);
  for (const c of v.rejected) {
    assert.throws(
      () => decodeTapCommand(hex(c.apdu)),
      (err: unknown) => err instanceof CommandError && err.sw === c.sw,
      `${c.id}: status word ${c.sw.toString(16)}`,
    );
  }
  for (const c of v.responses) {
    const parsed = parseResponse(hex(c.apdu));
    assert.equal(parsed.sw, c.sw, `${c.id}: status word`);
    assert.equal(toHex(parsed.data), c.data, `${c.id}: data`);
    assert.equal(toHex(encodeResponse(hex(c.data), c.sw)), c.apdu, `${c.id}: encode`);
  }
  // The byte budget of docs/PROTOCOL.md: 445 bytes in 3 round trips, 509 for a re-tap.
  const bytesOf = (id: string): number =>
    v.responses.find((x: Json) => x.id === id).apdu.length / 2;
  const commands = select.apdu.length / 2 + pay.apdu.length / 2 + receipt.apdu.length / 2;
  const common = commands + bytesOf("select-ok") + 2;
  assert.equal(bytesOf("select-ok"), 197, "195 data bytes + status word");
  assert.equal(bytesOf("payment-ok"), 141, "139 data bytes + status word");
  assert.equal(bytesOf("representation-ok"), 205, "203 data bytes + status word");
  assert.equal(common + bytesOf("payment-ok"), 445);
  assert.equal(common + bytesOf("representation-ok"), 509);
  assert.ok(common + bytesOf("representation-ok") <= 600);
});

// Decoding hints, checked with BigInt arithmetic written here from docs/PROTOCOL.md: a
// hint x checks out for an encoding (y, sign) when x < p, x's parity is the sign bit and
// −x² + y² = 1 + d·x²·y² (mod p).
const P = 2n ** 255n - 19n;
const D = (P - 121665n) * modPow(121666n, P - 2n) % P;
function modPow(b: bigint, e: bigint): bigint {
  let r = 1n;
  b %= P;
  for (; e > 0n; e >>= 1n, b = b * b % P) if (e & 1n) r = r * b % P;
  return r;
}
function le(bytes: Uint8Array): bigint {
  let n = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) n = (n << 8n) | BigInt(bytes[i]!);
  return n;
}
function hintChecksOut(encoding: Uint8Array, hint: Uint8Array): boolean {
  const y = le(encoding) & ((1n << 255n) - 1n);
  const sign = BigInt(encoding[31]! >> 7);
  const x = le(hint);
  if (x >= P || y >= P || (x & 1n) !== sign) return false;
  const xx = x * x % P;
  const yy = y * y % P;
  return ((P - xx + yy) % P) === (1n + D * xx % P * yy) % P;
}
/** Some x checks out for y (Euler's criterion on x² = (y² − 1)/(d·y² + 1)). */
function yHasPoint(y: bigint): boolean {
  const u = (y * y - 1n) % P;
  const v = (D * y % P * y + 1n) % P;
  const xx = u * modPow(v, P - 2n) % P;
  return xx === 0n || modPow(xx, (P - 1n) / 2n) === 1n;
}

test("hints: x of each point checks out, both parities, zeros for no point", () => {
  const v = load("hints.json");
  const ids = new Set(v.points.map((c: Json) => c.id));
  for (const id of ["base", "minus-base", "no-point", "y-not-canonical"]) assert.ok(ids.has(id));
  const parities = new Set<number>();
  for (const c of v.points) {
    const encoding = hex(c.encoding);
    const hint = hex(c.hint);
    assert.equal(toHex(xHint(encoding)), c.hint, `${c.id}: codec`);
    assert.equal(hint.length, 32, `${c.id}: 32 bytes`);
    assert.equal(hint[31]! & 0x80, 0, `${c.id}: top bit 0`);
    const y = le(encoding) & ((1n << 255n) - 1n);
    if (hint.some((b) => b !== 0) || c.id === "identity" || c.id === "order-2") {
      assert.ok(hintChecksOut(encoding, hint), `${c.id}: x checks out (x < p, parity, curve)`);
      parities.add(Number(le(hint) & 1n));
    } else {
      const strictOk = y < P && !((y === 1n || y === P - 1n) && encoding[31]! >> 7 === 1);
      assert.ok(!strictOk || !yHasPoint(y), `${c.id}: zeros only for an encoding with no point`);
    }
  }
  assert.deepEqual([...parities].sort(), [0, 1], "hints of both parities");
});

test("hints: each answer is structure ‖ hints; wrong hints never check out", () => {
  const v = load("hints.json");
  const apdus = load("apdus.json");
  const byId = (id: string): Json => v.answers.find((a: Json) => a.id === id);
  const dataOf = (id: string): string => apdus.responses.find((r: Json) => r.id === id).data;
  const certs = load("certificates.json");
  const auths = load("authorizations.json");
  const cert = hex(certs.cases[0].certificate);
  const auth = hex(auths.cases[0].authorization);
  const proof = hex(auths.representations[0].possessionProof);
  const sel = byId("select");
  assert.equal(sel.data, dataOf("select-ok"), "apdus.json answers SELECT with it");
  assert.equal(sel.data, toHex(cat(cert, hex(sel.keyX), hex(sel.certRX))), "layout 131 + 32 + 32");
  assert.ok(hintChecksOut(cert.subarray(21, 53), hex(sel.keyX)), "keyX: x of walletPublicKey");
  assert.ok(hintChecksOut(cert.subarray(67, 99), hex(sel.certRX)), "certRX: x of the cert's R");
  const s = decodeSelectAnswer(hex(sel.data));
  assert.equal(toHex(s.certificate), toHex(cert));
  assert.equal(toHex(encodeSelectAnswer(cert)), sel.data, "codec: honest hints by default");
  const pay = byId("payment");
  assert.equal(pay.data, dataOf("payment-ok"));
  assert.equal(pay.data, toHex(cat(auth, hex(pay.rX))), "layout 107 + 32");
  assert.ok(hintChecksOut(auth.subarray(43, 75), hex(pay.rX)), "rX: x of the signature's R");
  const rep = byId("representation");
  assert.equal(rep.data, dataOf("representation-ok"));
  assert.equal(rep.data, toHex(cat(auth, proof, hex(rep.proofRX))), "layout 107 + 64 + 32");
  assert.ok(hintChecksOut(proof.subarray(0, 32), hex(rep.proofRX)), "proofRX: x of the proof's R");
  const r = decodePayAnswer(hex(rep.data));
  assert.equal(r.kind, "representation");
  assert.equal(decodePayAnswer(hex(pay.data)).kind, "payment");
  assert.ok(v.badAnswers.length >= 4);
  for (const b of v.badAnswers) {
    const honest = hex(byId(b.honest).data);
    const bad = hex(b.data);
    assert.equal(bad.length, honest.length, `${b.id}: same length`);
    const structure = b.honest === "select" ? 131 : b.honest === "payment" ? 107 : 171;
    assert.equal(
      toHex(bad.subarray(0, structure)), toHex(honest.subarray(0, structure)),
      `${b.id}: the same signed bytes`,
    );
    const points = b.honest === "select"
      ? [[cert.subarray(21, 53), 131], [cert.subarray(67, 99), 163]] as const
      : b.honest === "payment" ? [[auth.subarray(43, 75), 107]] as const
        : [[proof.subarray(0, 32), 171]] as const;
    for (const [encoding, at] of points) {
      const hint = bad.subarray(at, at + 32);
      assert.ok(!hintChecksOut(encoding, hint), `${b.id}: the hint at ${at} does not check out`);
    }
  }
});

test("transcript summaries name the answer's wrong hints, and only those", () => {
  const v = load("hints.json");
  const data = (id: string, list = v.answers): Uint8Array =>
    encodeResponse(hex(list.find((a: Json) => a.id === id).data), 0x9000);
  assert.match(summarizeResponse("SELECT", data("select")), /^certificate v1 .*, hints honest$/);
  assert.match(summarizeResponse("PAY", data("payment")), /^authorization v1 .*, hints honest$/);
  assert.match(
    summarizeResponse("PAY", data("representation")),
    /^re-presented authorization .*, hints honest$/,
  );
  assert.match(
    summarizeResponse("SELECT", data("select-zero", v.badAnswers)),
    /, wrong hints keyX, certRX \(ignored\)$/,
  );
  assert.match(
    summarizeResponse("PAY", data("payment-negated", v.badAnswers)), /, wrong hint rX \(ignored\)$/,
  );
  const short = encodeResponse(hex(v.answers[0].data).subarray(0, 131), 0x9000);
  assert.match(summarizeResponse("SELECT", short), /bad data: selectAnswer: must be exactly 195/);
});

test("answer codecs refuse a wrong length with the answer's name", () => {
  expectProtocolError(() => decodeSelectAnswer(new Uint8Array(131)), "selectAnswer", "131");
  expectProtocolError(() => decodeSelectAnswer(new Uint8Array(196)), "selectAnswer", "196");
  for (const n of [107, 138, 140, 171, 202, 204]) {
    expectProtocolError(() => decodePayAnswer(new Uint8Array(n)), "payAnswer", `${n} bytes`);
  }
  expectProtocolError(() => xHint(new Uint8Array(31)), "point encoding", "31-byte encoding");
  expectProtocolError(
    () => encodePaymentAnswer(new Uint8Array(107), new Uint8Array(31)), "paymentAnswer.rX", "rX",
  );
});

test("encoders refuse out-of-range fields with the field's name", () => {
  const certs = load("certificates.json");
  const good: Certificate = decodeCertificate(hex(certs.cases[0].certificate));
  expectProtocolError(
    () => encodeCertificate({ ...good, offlineCap: 2 ** 32 }),
    "certificate.offlineCap",
    "cap 2^32",
  );
  expectProtocolError(
    () => encodeCertificate({ ...good, currency: -1 }),
    "certificate.currency",
    "negative currency",
  );
  expectProtocolError(
    () => encodeCertificate({ ...good, walletId: new Uint8Array(15) }),
    "certificate.walletId",
    "short wallet id",
  );
  const auths = load("authorizations.json");
  const a: Authorization = decodeAuthorization(hex(auths.cases[0].authorization));
  expectProtocolError(
    () => encodeAuthorization({ ...a, counter: 1.5 }),
    "authorization.counter",
    "fractional counter",
  );
  const recs = load("receipts.json");
  const rc: Receipt = decodeReceipt(hex(recs.cases[0].receipt));
  expectProtocolError(() => encodeReceipt({ ...rc, outcome: 3 }), "receipt.outcome", "outcome 3");
  assert.throws(() => fromHex("abc"), ProtocolError);
  assert.throws(() => parseResponse(new Uint8Array(1)), ProtocolError);
  assert.throws(() => parseResponse(new Uint8Array(259)), ProtocolError);
});

/** Rows of the markdown table that follows `heading` in docs/PROTOCOL.md. */
function docTable(heading: string): string[][] {
  const doc = readFileSync(path.join(repoRoot, "docs", "PROTOCOL.md"), "utf8");
  const start = doc.indexOf(heading);
  assert.ok(start >= 0, `docs/PROTOCOL.md has a section '${heading}'`);
  const lines = doc.slice(start).split("\n");
  const rows: string[][] = [];
  let inTable = false;
  for (const line of lines.slice(1)) {
    if (line.startsWith("|")) {
      inTable = true;
      rows.push(line.split("|").slice(1, -1).map((c) => c.trim()));
    }
    else if (inTable) break;
  }
  return rows.slice(2); // header and separator
}

test("the reason table is exactly docs/PROTOCOL.md's", () => {
  const rows = docTable("## Decision and reason codes");
  const fromDoc = rows.map(([code, name, meaning]) => ({
    code: Number(code), name: name!.replace(/`/g, ""), description: meaning!.replace(/`/g, ""),
  }));
  assert.deepEqual(REASONS.map((r) => ({ ...r })), fromDoc);
});

test("every status word of docs/PROTOCOL.md has a name, and no other", () => {
  const rows = docTable("## Status words used");
  const codes = rows.map(([sw]) => parseInt(sw!.replace(/[` ]/g, ""), 16)).sort();
  assert.deepEqual([...STATUS_WORD_NAMES.keys()].sort(), codes);
});
