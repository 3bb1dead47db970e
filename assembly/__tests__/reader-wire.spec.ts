// The reader's wire handling against docs/PROTOCOL.md: APDU bytes, the judging of every
// kind of answer, certificate and authorization fields and checks, and the receipt built
// from a ledger record (docs/LEDGER.md §2.3). Expected bytes are written out from the
// documents' tables, not taken from the code under test.
import {
  buildSelect, buildPay, buildReceipt, judgeResponse, STEP_SELECT, STEP_PAY, STEP_RECEIPT,
} from "../reader/apdu";
import {
  CERT_BYTES, certIssuerKeyId, certCurrency, certOfflineCap, certValidFrom, certValidUntil,
  certCheckShape, certCheckWindow, certCheckPayment, certSignedMessage,
} from "../reader/cert";
import {
  AUTH_BYTES, authAmount, authCounter, authCumulative, buildPayCommand, authChallengeMatches,
  authCheckEcho, authCheckCap, authSignedMessage, REPRESENTATION_BYTES, proofSignedMessage,
} from "../reader/auth";
import { retapInWindow } from "../reader/retap";
import { receiptFromRecord, RECEIPT_BYTES } from "../reader/receipt";
import * as c from "../reader/codes";

const buf: usize = memory.data(1024, 16);
const buf2: usize = memory.data(1024, 16);
const cmd: usize = memory.data(64, 16);
const readerId: usize = memory.data(8, 8);

function hex(ptr: usize, len: i32): string {
  const digits = "0123456789abcdef";
  let s = "";
  for (let i = 0; i < len; i++) {
    const b = load<u8>(ptr + <usize>i);
    s += digits.charAt(b >> 4) + digits.charAt(b & 15);
  }
  return s;
}

function putHex(ptr: usize, h: string): i32 {
  const n = h.length >> 1;
  for (let i = 0; i < n; i++) store<u8>(ptr + <usize>i, <u8>I32.parseInt(h.substr(i * 2, 2), 16));
  return n;
}

function putBe32(p: usize, v: u32): void {
  store<u8>(p, <u8>(v >>> 24)); store<u8>(p + 1, <u8>(v >>> 16));
  store<u8>(p + 2, <u8>(v >>> 8)); store<u8>(p + 3, <u8>v);
}

function fill(p: usize, v: u8, n: i32): void {
  for (let i = 0; i < n; i++) store<u8>(p + <usize>i, v);
}

/** A frame of n data bytes (first byte = version) followed by a status word. */
function frame(n: i32, version: u8, sw: u32): i32 {
  fill(buf, 0xAB, n);
  if (n > 0) store<u8>(buf, version);
  store<u8>(buf + <usize>n, <u8>(sw >> 8));
  store<u8>(buf + <usize>(n + 1), <u8>sw);
  return n + 2;
}

/** A certificate laid out by the table of docs/PROTOCOL.md. */
function makeCert(p: usize): void {
  fill(p, 0, CERT_BYTES);
  store<u8>(p, 1);
  putBe32(p + 1, 0x01020304);                     // issuerKeyId
  fill(p + 5, 0x11, 16);                          // walletId
  fill(p + 21, 0x22, 32);                         // walletPublicKey
  store<u8>(p + 53, 0x03); store<u8>(p + 54, 0xD2); // currency 978
  putBe32(p + 55, 5000);                          // offlineCap
  putBe32(p + 59, 1000);                          // validFrom
  putBe32(p + 63, 2000);                          // validUntil
  fill(p + 67, 0x33, 64);                         // issuerSignature
}

describe("reader APDUs (PROTOCOL.md, The exchange)", () => {
  it("SELECT is 00 A4 04 00 08 <AID> 00", () => {
    expect(buildSelect(buf)).toBe(14);
    expect(hex(buf, 14)).toBe("00a4040008f06f66667461700300");
  });

  it("PAY carries the 34-byte command between 80 50 00 00 22 and Le 00", () => {
    for (let i = 0; i < 34; i++) store<u8>(cmd + <usize>i, <u8>(i + 1));
    expect(buildPay(buf, cmd)).toBe(40);
    expect(hex(buf, 5)).toBe("8050000022");
    expect(hex(buf + 5, 34)).toBe(hex(cmd, 34));
    expect(load<u8>(buf + 39)).toBe(0);
  });

  it("RECEIPT is 80 52 00 00 2E and the 46-byte receipt, no Le", () => {
    fill(buf2, 0x5A, 46);
    expect(buildReceipt(buf, buf2)).toBe(51);
    expect(hex(buf, 5)).toBe("805200002e");
    expect(hex(buf + 5, 46)).toBe(hex(buf2, 46));
  });

  it("builds the payment command fields big-endian at their offsets", () => {
    fill(cmd, 0x77, 16);
    putHex(readerId, "0102030405060708");
    buildPayCommand(cmd, readerId, 0x000000FA, 978, 0x6B49D200);
    expect(hex(cmd, 34)).toBe(
      "77777777777777777777777777777777" + "0102030405060708" + "000000fa" + "03d2" + "6b49d200",
    );
  });
});

describe("judging answers (PROTOCOL.md, Judging an answer)", () => {
  it("maps board transport errors by step", () => {
    expect(judgeResponse(STEP_SELECT, -4, buf, CERT_BYTES)).toBe(c.NO_WALLET);
    expect(judgeResponse(STEP_SELECT, -5, buf, CERT_BYTES)).toBe(c.NO_WALLET);
    expect(judgeResponse(STEP_PAY, -4, buf, AUTH_BYTES)).toBe(c.WALLET_VANISHED);
    expect(judgeResponse(STEP_PAY, -5, buf, AUTH_BYTES)).toBe(c.WALLET_VANISHED);
    expect(judgeResponse(STEP_RECEIPT, -5, buf, 0)).toBe(c.WALLET_VANISHED);
    expect(judgeResponse(STEP_SELECT, -6, buf, CERT_BYTES)).toBe(c.MALFORMED);
    expect(judgeResponse(STEP_PAY, -7, buf, AUTH_BYTES)).toBe(c.MALFORMED);
    expect(judgeResponse(STEP_PAY, -1, buf, AUTH_BYTES)).toBe(c.MALFORMED);
    expect(judgeResponse(STEP_PAY, i32.MIN_VALUE, buf, AUTH_BYTES)).toBe(c.MALFORMED);
  });

  it("refuses answers shorter than a status word or longer than a short R-APDU", () => {
    expect(judgeResponse(STEP_SELECT, 0, buf, CERT_BYTES)).toBe(c.MALFORMED);
    expect(judgeResponse(STEP_SELECT, 1, buf, CERT_BYTES)).toBe(c.MALFORMED);
    expect(judgeResponse(STEP_SELECT, 259, buf, CERT_BYTES)).toBe(c.MALFORMED);
    expect(judgeResponse(STEP_SELECT, i32.MAX_VALUE, buf, CERT_BYTES)).toBe(c.MALFORMED);
  });

  it("names the status words of the table, alone", () => {
    expect(judgeResponse(STEP_SELECT, frame(0, 0, 0x6A82), buf, CERT_BYTES)).toBe(c.WRONG_AID);
    expect(judgeResponse(STEP_PAY, frame(0, 0, 0x6985), buf, AUTH_BYTES)).toBe(c.WALLET_REFUSED);
    expect(judgeResponse(STEP_PAY, frame(0, 0, 0x6A80), buf, AUTH_BYTES)).toBe(c.MALFORMED);
    expect(judgeResponse(STEP_PAY, frame(0, 0, 0x6700), buf, AUTH_BYTES)).toBe(c.MALFORMED);
    expect(judgeResponse(STEP_SELECT, frame(0, 0, 0x6F00), buf, CERT_BYTES)).toBe(c.MALFORMED);
    expect(judgeResponse(STEP_SELECT, frame(1, 1, 0x6A82), buf, CERT_BYTES)).toBe(c.MALFORMED);
    expect(judgeResponse(STEP_SELECT, frame(131, 1, 0x6985), buf, CERT_BYTES)).toBe(c.MALFORMED);
  });

  it("accepts exactly the step's data length with version 1", () => {
    expect(judgeResponse(STEP_SELECT, frame(131, 1, 0x9000), buf, CERT_BYTES)).toBe(c.CONTINUE);
    expect(judgeResponse(STEP_PAY, frame(107, 1, 0x9000), buf, AUTH_BYTES)).toBe(c.CONTINUE);
    expect(judgeResponse(STEP_RECEIPT, frame(0, 0, 0x9000), buf, 0)).toBe(c.CONTINUE);
  });

  it("takes PAY's second length, a 171-byte re-presentation, and no length between", () => {
    expect(REPRESENTATION_BYTES).toBe(171);
    const alt = REPRESENTATION_BYTES;
    expect(judgeResponse(STEP_PAY, frame(171, 1, 0x9000), buf, AUTH_BYTES, alt)).toBe(c.CONTINUE);
    expect(judgeResponse(STEP_PAY, frame(107, 1, 0x9000), buf, AUTH_BYTES, alt)).toBe(c.CONTINUE);
    expect(judgeResponse(STEP_PAY, frame(170, 1, 0x9000), buf, AUTH_BYTES, alt)).toBe(c.MALFORMED);
    expect(judgeResponse(STEP_PAY, frame(172, 1, 0x9000), buf, AUTH_BYTES, alt)).toBe(c.MALFORMED);
    expect(judgeResponse(STEP_PAY, frame(139, 1, 0x9000), buf, AUTH_BYTES, alt)).toBe(c.MALFORMED);
    const v2 = frame(171, 2, 0x9000);
    expect(judgeResponse(STEP_PAY, v2, buf, AUTH_BYTES, alt)).toBe(c.UNSUPPORTED_VERSION);
    expect(judgeResponse(STEP_PAY, frame(171, 1, 0x9000), buf, AUTH_BYTES)).toBe(c.MALFORMED);
  });

  it("judges length before version", () => {
    expect(judgeResponse(STEP_SELECT, frame(130, 1, 0x9000), buf, CERT_BYTES)).toBe(c.MALFORMED);
    expect(judgeResponse(STEP_SELECT, frame(132, 1, 0x9000), buf, CERT_BYTES)).toBe(c.MALFORMED);
    expect(judgeResponse(STEP_SELECT, frame(0, 0, 0x9000), buf, CERT_BYTES)).toBe(c.MALFORMED);
    expect(judgeResponse(STEP_PAY, frame(60, 2, 0x9000), buf, AUTH_BYTES)).toBe(c.MALFORMED);
    expect(judgeResponse(STEP_RECEIPT, frame(1, 1, 0x9000), buf, 0)).toBe(c.MALFORMED);
    const cert2 = frame(131, 2, 0x9000);
    expect(judgeResponse(STEP_SELECT, cert2, buf, CERT_BYTES)).toBe(c.UNSUPPORTED_VERSION);
    const auth0 = frame(107, 0, 0x9000);
    expect(judgeResponse(STEP_PAY, auth0, buf, AUTH_BYTES)).toBe(c.UNSUPPORTED_VERSION);
  });
});

describe("certificate (PROTOCOL.md, Wallet certificate)", () => {
  it("reads every field big-endian at its offset", () => {
    makeCert(buf);
    expect(certIssuerKeyId(buf)).toBe(0x01020304);
    expect(certCurrency(buf)).toBe(978);
    expect(certOfflineCap(buf)).toBe(5000);
    expect(certValidFrom(buf)).toBe(1000);
    expect(certValidUntil(buf)).toBe(2000);
    expect(certCheckShape(buf)).toBe(c.CONTINUE);
  });

  it("refuses a window that ends where it starts", () => {
    makeCert(buf);
    putBe32(buf + 63, 1000);
    expect(certCheckShape(buf)).toBe(c.MALFORMED);
    putBe32(buf + 63, 999);
    expect(certCheckShape(buf)).toBe(c.MALFORMED);
  });

  it("signs the label and bytes [0..67)", () => {
    makeCert(buf);
    const label = String.UTF8.encode("offtap/cert/v1");
    expect(certSignedMessage(buf, buf2)).toBe(81);
    expect(hex(buf2, 14)).toBe(hex(changetype<usize>(label), 14));
    expect(hex(buf2 + 14, 67)).toBe(hex(buf, 67));
  });

  it("widens the validity window by the tolerance, inclusive", () => {
    makeCert(buf); // 1000 … 2000
    expect(certCheckWindow(buf, 699, 300)).toBe(c.CERT_NOT_YET_VALID);
    expect(certCheckWindow(buf, 700, 300)).toBe(c.CONTINUE);
    expect(certCheckWindow(buf, 2300, 300)).toBe(c.CONTINUE);
    expect(certCheckWindow(buf, 2301, 300)).toBe(c.CERT_EXPIRED);
    expect(certCheckWindow(buf, 999, 0)).toBe(c.CERT_NOT_YET_VALID);
    expect(certCheckWindow(buf, 2001, 0)).toBe(c.CERT_EXPIRED);
  });

  it("does not wrap near 0 or 2^32", () => {
    makeCert(buf);
    putBe32(buf + 59, 100);
    putBe32(buf + 63, 0xFFFFFFF0);
    expect(certCheckWindow(buf, 0, 300)).toBe(c.CONTINUE);
    expect(certCheckWindow(buf, 0xFFFFFFFF, 300)).toBe(c.CONTINUE);
    putBe32(buf + 59, 0xFFFFFF00);
    putBe32(buf + 63, 0xFFFFFFFE);
    expect(certCheckWindow(buf, 5, 300)).toBe(c.CERT_NOT_YET_VALID);
  });

  it("checks currency before the per-tap limits", () => {
    makeCert(buf);
    expect(certCheckPayment(buf, 978, 250, 1, 10000)).toBe(c.CONTINUE);
    expect(certCheckPayment(buf, 840, 250, 1, 10000)).toBe(c.CURRENCY_MISMATCH);
    expect(certCheckPayment(buf, 840, 0, 1, 10000)).toBe(c.CURRENCY_MISMATCH);
    expect(certCheckPayment(buf, 978, 1, 1, 10000)).toBe(c.CONTINUE);
    expect(certCheckPayment(buf, 978, 10000, 1, 10000)).toBe(c.CONTINUE);
    expect(certCheckPayment(buf, 978, 0, 1, 10000)).toBe(c.AMOUNT_OUT_OF_LIMITS);
    expect(certCheckPayment(buf, 978, 10001, 1, 10000)).toBe(c.AMOUNT_OUT_OF_LIMITS);
  });
});

/** A command and a matching authorization (PROTOCOL.md, PAY). */
function makeAuth(auth: usize): void {
  fill(cmd, 0x5C, 16);
  putHex(readerId, "a1a2a3a4a5a6a7a8");
  buildPayCommand(cmd, readerId, 250, 978, 1800000000);
  fill(auth, 0, AUTH_BYTES);
  store<u8>(auth, 1);
  for (let i = 0; i < 34; i++) store<u8>(auth + 1 + <usize>i, load<u8>(cmd + <usize>i));
  putBe32(auth + 35, 7);     // counter
  putBe32(auth + 39, 1250);  // cumulative
  fill(auth + 43, 0x44, 64); // walletSignature
}

describe("authorization (PROTOCOL.md, PAY)", () => {
  it("reads counter, cumulative and amount big-endian", () => {
    makeAuth(buf);
    expect(authAmount(buf)).toBe(250);
    expect(authCounter(buf)).toBe(7);
    expect(authCumulative(buf)).toBe(1250);
    expect(authChallengeMatches(buf, cmd)).toBe(true);
    expect(authCheckEcho(buf, cmd)).toBe(c.CONTINUE);
  });

  it("notices a challenge that differs in its last byte", () => {
    makeAuth(buf);
    store<u8>(buf + 16, load<u8>(buf + 16) ^ 1);
    expect(authChallengeMatches(buf, cmd)).toBe(false);
  });

  it("names each echoed field that differs, in check order", () => {
    makeAuth(buf); store<u8>(buf + 24, 0);
    expect(authCheckEcho(buf, cmd)).toBe(c.READER_ID_MISMATCH);
    makeAuth(buf); store<u8>(buf + 28, 251);
    expect(authCheckEcho(buf, cmd)).toBe(c.AMOUNT_MISMATCH);
    makeAuth(buf); store<u8>(buf + 30, 0xD3);
    expect(authCheckEcho(buf, cmd)).toBe(c.CURRENCY_MISMATCH);
    makeAuth(buf); store<u8>(buf + 34, 1);
    expect(authCheckEcho(buf, cmd)).toBe(c.MALFORMED);
    makeAuth(buf); store<u8>(buf + 24, 0); store<u8>(buf + 28, 251);
    expect(authCheckEcho(buf, cmd)).toBe(c.READER_ID_MISMATCH);
  });

  it("bounds cumulative by the amount below and the cap above", () => {
    makeAuth(buf); // amount 250, cumulative 1250
    expect(authCheckCap(buf, 1250)).toBe(c.CONTINUE);
    expect(authCheckCap(buf, 1249)).toBe(c.OVER_OFFLINE_CAP);
    putBe32(buf + 39, 250);
    expect(authCheckCap(buf, 1000)).toBe(c.CONTINUE);
    putBe32(buf + 39, 249);
    expect(authCheckCap(buf, 1000)).toBe(c.OVER_OFFLINE_CAP);
  });

  it("signs the label, certHash and bytes [0..43)", () => {
    makeAuth(buf);
    fill(cmd + 40, 0x9E, 16); // a certHash
    const label = String.UTF8.encode("offtap/auth/v1");
    expect(authSignedMessage(buf, cmd + 40, buf2)).toBe(73);
    expect(hex(buf2, 14)).toBe(hex(changetype<usize>(label), 14));
    expect(hex(buf2 + 14, 16)).toBe(hex(cmd + 40, 16));
    expect(hex(buf2 + 30, 43)).toBe(hex(buf, 43));
  });

  it("proves possession over the label, certHash, this PAY's command and the signature", () => {
    makeAuth(buf);
    for (let i = 0; i < 64; i++) store<u8>(buf + 43 + <usize>i, <u8>(0x40 + i)); // signature
    fill(cmd + 40, 0x9E, 16); // a certHash
    const label = String.UTF8.encode("offtap/retap/v2");
    expect(proofSignedMessage(buf, cmd + 40, cmd, buf2)).toBe(129);
    expect(hex(buf2, 15)).toBe(hex(changetype<usize>(label), 15));
    expect(hex(buf2 + 15, 16)).toBe(hex(cmd + 40, 16));
    expect(hex(buf2 + 31, 34)).toBe(hex(cmd, 34));
    expect(hex(buf2 + 65, 64)).toBe(hex(buf + 43, 64));
  });
});

describe("re-tap window (PROTOCOL.md, Re-taps)", () => {
  it("serves 120 s either side of the record's time and no more", () => {
    expect(retapInWindow(1000, 1000)).toBe(true);
    expect(retapInWindow(1000, 1120)).toBe(true);
    expect(retapInWindow(1000, 1121)).toBe(false);
    expect(retapInWindow(1000, 880)).toBe(true);
    expect(retapInWindow(1000, 879)).toBe(false);
    expect(retapInWindow(0xFFFFFFF0, 0xFFFFFFFF)).toBe(true);
    expect(retapInWindow(0, 0xFFFFFFFF)).toBe(false);
  });
});

/** A ledger record content (LEDGER.md §2.3, little-endian) with a payment body. */
function makeRecord(rec: usize, bodyLen: i32): i32 {
  fill(rec, 0, 72 + bodyLen);
  store<u32>(rec, 0x01020304);      // sequence
  fill(rec + 4, 0x11, 16);           // wallet id
  store<u32>(rec + 20, 9);           // counter
  store<u64>(rec + 24, 250);         // amount
  store<u32>(rec + 32, 1800000000);  // time
  store<u16>(rec + 36, <u16>bodyLen);
  store<u16>(rec + 38, 1);           // kind payment
  for (let i = 0; i < 32; i++) store<u8>(rec + 40 + <usize>i, <u8>(0xC0 + i)); // link
  store<u8>(rec + 72 + 29, 0x03); store<u8>(rec + 72 + 30, 0xD2); // auth currency 978
  return 72 + bodyLen;
}

describe("receipt from a ledger record (PROTOCOL.md, RECEIPT)", () => {
  it("lays the record's fields out big-endian", () => {
    putHex(readerId, "0102030405060708");
    const n = makeRecord(buf, 238);
    expect(receiptFromRecord(buf2, 1, readerId, buf, n, 238)).toBe(c.CONTINUE);
    expect(RECEIPT_BYTES).toBe(46);
    expect(hex(buf2, 46)).toBe(
      "02" + "01" + "0102030405060708" + "01020304" + "00000009" + "000000fa" + "03d2"
      + "6b49d200" + "0000"
      + "c0c1c2c3c4c5c6c7c8c9cacbcccdcecf",
    );
  });

  it("carries outcome 2 (already used) and nothing else different", () => {
    const n = makeRecord(buf, 238);
    expect(receiptFromRecord(buf2, 2, readerId, buf, n, 238)).toBe(c.CONTINUE);
    expect(hex(buf2, 2)).toBe("0202");
  });

  it("refuses records that are not a payment of the expected shape", () => {
    let n = makeRecord(buf, 238);
    expect(receiptFromRecord(buf2, 0, readerId, buf, n - 1, 238)).toBe(c.LEDGER_ERROR);
    store<u16>(buf + 38, 2);
    expect(receiptFromRecord(buf2, 0, readerId, buf, n, 238)).toBe(c.LEDGER_ERROR);
    n = makeRecord(buf, 238);
    store<u64>(buf + 24, 0x100000000);
    expect(receiptFromRecord(buf2, 0, readerId, buf, n, 238)).toBe(c.LEDGER_ERROR);
    n = makeRecord(buf, 200);
    expect(receiptFromRecord(buf2, 0, readerId, buf, n, 238)).toBe(c.LEDGER_ERROR);
  });
});
