// Cash-out building blocks against published vectors and independent computations:
// IBAN (SWIFT IBAN Registry examples), TOTP/HOTP (RFC 6238 Appendix B, RFC 4226
// Appendix D), base32 (RFC 4648 §10), money, fees, XML, CSV and pain.001 structure.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import {
  validateIban,
  validateBic,
  namesMatch,
  formatIban,
  IBAN_LENGTH,
} from "../../host/cashout/iban.ts";
import {
  hotp,
  totp,
  matchTotp,
  base32Encode,
  base32Decode,
  otpauthUri,
  TOTP_DEFAULT,
  type TotpAlgorithm,
} from "../../host/cashout/totp.ts";
import { formatMinor, parseMajor, MoneyError } from "../../host/cashout/money.ts";
import {
  computeFee,
  checkSchedule,
  divRoundHalfUp,
  DEFAULT_FEE_SCHEDULES,
  type FeeSchedule,
} from "../../host/cashout/fees.ts";
import { describeClamp, describeSchedule } from "../../host/cashout/fees.ts";
import { el, serialize, parseXml, escapeXml, XmlError } from "../../host/cashout/xml.ts";
import { toCsv, parseCsv } from "../../host/cashout/csv.ts";
import {
  buildPain001,
  renderPain001,
  checkStructure,
  summarizePain001,
  PAIN001_V09_NAMESPACE,
  type PayoutLine,
} from "../../host/cashout/pain001.ts";

// ---- IBAN / BIC -----------------------------------------------------------------------

// Example IBANs published in the SWIFT IBAN Registry (one per country's entry).
const REGISTRY_EXAMPLES = [
  "DE89370400440532013000",
  "GB29NWBK60161331926819",
  "FR1420041010050500013M02606",
  "NL91ABNA0417164300",
  "BE68539007547034",
  "CH9300762011623852957",
  "NO9386011117947",
  "AT611904300234573201",
  "ES9121000418450200051332",
  "IT60X0542811101000000123456",
  "MT84MALT011000012345MTLCAST001S",
  "SE4550000000058398257466",
  "PL61109010140000071219812874",
  "IE29AIBK93115212345678",
  "DK5000400440116243",
  "FI2112345600000785",
  "LU280019400644750000",
  "PT50000201231234567890154",
];

test("IBAN: every SWIFT registry example validates and has its country's registered length", () => {
  for (const iban of REGISTRY_EXAMPLES) {
    const r = validateIban(iban);
    assert.ok(r.ok, `${iban}: ${r.ok ? "" : r.message}`);
    assert.equal(iban.length, IBAN_LENGTH[iban.slice(0, 2)]);
  }
  // The print form and lower case are accepted and normalised.
  const p = validateIban("de89 3704 0044 0532 0130 00");
  assert.ok(p.ok && p.iban === "DE89370400440532013000");
  assert.equal(formatIban("DE89370400440532013000"), "DE89 3704 0044 0532 0130 00");
});

test("IBAN: every digit-for-digit and letter-for-letter substitution fails the check", () => {
  // MOD 97-10 changes by d·10^k (|d| ≤ 35 < 97, 97 prime) for such a substitution, so it
  // always detects one; a letter↔digit swap changes the digit string's length instead.
  const iban = "GB29NWBK60161331926819";
  for (let i = 0; i < iban.length; i++) {
    const digit = /\d/.test(iban[i]!);
    for (const ch of digit ? "0123456789" : "ABCDEFGHIJKLMNOPQRSTUVWXYZ") {
      if (ch === iban[i]) continue;
      const bad = iban.slice(0, i) + ch + iban.slice(i + 1);
      assert.equal(validateIban(bad).ok, false, bad);
    }
  }
});

test("IBAN: wrong length, unknown country, bad characters and bad checksum are refused with a reason", () => {
  const cases: [string, string][] = [
    ["DE8937040044053201300", "length"],
    ["DE893704004405320130000", "length"],
    ["XX89370400440532013000", "country"],
    ["DE89-3704-0044", "format"],
    ["", "format"],
    ["DE00370400440532013000", "checksum"],
    ["GB28NWBK60161331926819", "checksum"],
  ];
  for (const [iban, reason] of cases) {
    const r = validateIban(iban);
    assert.equal(r.ok, false, iban);
    if (!r.ok) assert.equal(r.reason, reason, iban);
  }
});

test("BIC: ISO 9362 shapes; test BICs and malformed codes refused", () => {
  for (const ok of ["DEUTDEFF", "DEUTDEFF500", "NWBKGB2L", "BNPAFRPP", "ABNANL2A", "1234DEFFXXX"])
    assert.ok(validateBic(ok).ok, ok);
  for (const bad of ["DEUTDEF", "DEUTDEFF5", "DEUT1EFF", "DEUTDE00", "DEUTDEFF50", "DEUTDEFF50_"])
    assert.equal(validateBic(bad).ok, false, bad);
});

test("account holder names match regardless of case, accents, punctuation and word order — and only then", () => {
  assert.ok(namesMatch("Müller GmbH", "MULLER, GMBH"));
  assert.ok(namesMatch("José  Álvarez", "alvarez jose"));
  assert.ok(namesMatch("ACME Transit Ltd.", "Ltd ACME transit"));
  assert.equal(namesMatch("ACME Transit Ltd", "ACME Transit"), false);
  assert.equal(namesMatch("Jane Doe", "John Doe"), false);
  assert.equal(namesMatch("", ""), false);
  assert.equal(namesMatch("!!!", "..."), false);
});

// ---- TOTP -----------------------------------------------------------------------------

const SEEDS: Record<TotpAlgorithm, Uint8Array> = {
  sha1: new TextEncoder().encode("12345678901234567890"),
  sha256: new TextEncoder().encode("12345678901234567890123456789012"),
  sha512: new TextEncoder().encode(
    "1234567890123456789012345678901234567890123456789012345678901234",
  ),
};

// RFC 6238 Appendix B: time, mode, 8-digit TOTP.
const RFC6238: [number, TotpAlgorithm, string][] = [
  [59, "sha1", "94287082"],
  [59, "sha256", "46119246"],
  [59, "sha512", "90693936"],
  [1111111109, "sha1", "07081804"],
  [1111111109, "sha256", "68084774"],
  [1111111109, "sha512", "25091201"],
  [1111111111, "sha1", "14050471"],
  [1111111111, "sha256", "67062674"],
  [1111111111, "sha512", "99943326"],
  [1234567890, "sha1", "89005924"],
  [1234567890, "sha256", "91819424"],
  [1234567890, "sha512", "93441116"],
  [2000000000, "sha1", "69279037"],
  [2000000000, "sha256", "90698825"],
  [2000000000, "sha512", "38618901"],
  [20000000000, "sha1", "65353130"],
  [20000000000, "sha256", "77737706"],
  [20000000000, "sha512", "47863826"],
];

test("TOTP: RFC 6238 Appendix B vectors (SHA-1, SHA-256, SHA-512; 8 digits; 30 s)", () => {
  for (const [t, alg, want] of RFC6238) {
    assert.equal(
      totp(SEEDS[alg], t, { algorithm: alg, digits: 8, stepSeconds: 30, windowSteps: 1 }),
      want,
      `T=${t} ${alg}`,
    );
  }
});

test("HOTP: RFC 4226 Appendix D vectors (counters 0..9, 6 digits)", () => {
  const want = [
    "755224",
    "287082",
    "359152",
    "969429",
    "338314",
    "254676",
    "287922",
    "162583",
    "399871",
    "520489",
  ];
  want.forEach((w, i) => assert.equal(hotp(SEEDS.sha1, BigInt(i), 6), w, `counter ${i}`));
});

test("TOTP: the 6-digit default is the low 6 digits of the 8-digit vector, and matches within ±1 step only", () => {
  for (const [t, alg, want8] of RFC6238.filter((v) => v[1] === "sha1")) {
    assert.equal(totp(SEEDS.sha1, t, TOTP_DEFAULT), want8.slice(2), `T=${t} ${alg}`);
  }
  const t0 = 1111111111;
  const code = totp(SEEDS.sha1, t0);
  const step = BigInt(Math.floor(t0 / 30));
  assert.equal(matchTotp(SEEDS.sha1, code, t0), step);
  assert.equal(matchTotp(SEEDS.sha1, code, t0 + 30), step, "one step late is inside the window");
  assert.equal(matchTotp(SEEDS.sha1, code, t0 - 30), step, "one step early is inside the window");
  assert.equal(matchTotp(SEEDS.sha1, code, t0 + 61), null, "two steps late is outside");
  assert.equal(matchTotp(SEEDS.sha1, "12345", t0), null, "wrong length");
  assert.equal(matchTotp(SEEDS.sha1, "abcdef", t0), null, "not digits");
});

test("HOTP truncation agrees with an independent computation over node:crypto for random counters", () => {
  for (let c = 0n; c < 200n; c += 7n) {
    const msg = Buffer.alloc(8);
    msg.writeBigUInt64BE(c * 1_000_003n);
    const mac = createHmac("sha1", SEEDS.sha1).update(msg).digest();
    const off = mac[19]! & 15;
    const v = mac.readUInt32BE(off) & 0x7fffffff;
    assert.equal(hotp(SEEDS.sha1, c * 1_000_003n, 6), String(v % 1_000_000).padStart(6, "0"));
  }
});

test("base32: RFC 4648 §10 vectors (unpadded) and round trips", () => {
  const vectors: [string, string][] = [
    ["", ""],
    ["f", "MY"],
    ["fo", "MZXQ"],
    ["foo", "MZXW6"],
    ["foob", "MZXW6YQ"],
    ["fooba", "MZXW6YTB"],
    ["foobar", "MZXW6YTBOI"],
  ];
  for (const [plain, enc] of vectors) {
    assert.equal(base32Encode(new TextEncoder().encode(plain)), enc);
    assert.equal(new TextDecoder().decode(base32Decode(enc)), plain);
  }
  assert.equal(
    new TextDecoder().decode(base32Decode("MZXW6YTBOI======")),
    "foobar",
    "padding accepted",
  );
  assert.throws(() => base32Decode("MZXW1"), RangeError);
});

test("otpauth URI carries the secret and parameters authenticator apps read", () => {
  const u = new URL(otpauthUri(SEEDS.sha1, "offtap", "acme transit"));
  assert.equal(u.protocol, "otpauth:");
  assert.equal(u.host, "totp");
  assert.equal(decodeURIComponent(u.pathname), "/offtap:acme transit");
  assert.equal(u.searchParams.get("secret"), "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"); // RFC 6238's seed in base32
  assert.equal(u.searchParams.get("algorithm"), "SHA1");
  assert.equal(u.searchParams.get("digits"), "6");
  assert.equal(u.searchParams.get("period"), "30");
});

// ---- money and fees -------------------------------------------------------------------

test("money: minor units ↔ decimals by ISO 4217 exponent, no rounding of typed amounts", () => {
  assert.equal(formatMinor(12345, "EUR"), "123.45");
  assert.equal(formatMinor(5, "EUR"), "0.05");
  assert.equal(formatMinor(0, "EUR"), "0.00");
  assert.equal(formatMinor(5, "JPY"), "5");
  assert.equal(formatMinor(5, "KWD"), "0.005");
  assert.equal(parseMajor("123.45", "EUR"), 12345);
  assert.equal(parseMajor("123.4", "EUR"), 12340);
  assert.equal(parseMajor("123", "EUR"), 12300);
  assert.equal(parseMajor("7", "JPY"), 7);
  for (const bad of ["1.234", "-1", "1e3", "1,000.00", " ", "0x10", "1."])
    assert.throws(() => parseMajor(bad, "EUR"), MoneyError, bad);
  assert.throws(() => parseMajor("1.5", "JPY"), MoneyError);
  assert.throws(() => formatMinor(1, "XYZ"), MoneyError);
});

const S: FeeSchedule = {
  currency: "EUR",
  percentBps: 150,
  fixedMinor: 25,
  feeMinMinor: 50,
  feeMaxMinor: 2500,
  amountMinMinor: 1000,
  amountMaxMinor: 1_000_000,
  dailyLimitMinor: 2_000_000,
  dailyCountMax: 5,
};

/** The documented rule computed a second way: exact rational a/b with the half compared in integers. */
function independentFee(gross: number, s: FeeSchedule): number {
  const num = gross * s.percentBps; // < 2^53 for the amounts used here
  const q = Math.floor(num / 10_000),
    r = num - q * 10_000;
  const pct = r * 2 >= 10_000 ? q + 1 : q;
  return Math.min(s.feeMaxMinor, Math.max(s.feeMinMinor, pct + s.fixedMinor));
}

test("fees: worked examples of the documented rule (1.5 % + 0.25, min 0.50, max 25.00)", () => {
  // 1 000.00 → 15.00 + 0.25 = 15.25; 10.00 → 0.15 + 0.25 = 0.40 → min 0.50; 5 000.00 → 75.25 → max 25.00
  assert.equal(computeFee(100_000, S).feeMinor, 1525);
  const small = computeFee(1000, S);
  assert.equal(small.feeMinor, 50);
  assert.equal(small.clampedTo, "min");
  assert.equal(small.unclampedMinor, 40);
  const big = computeFee(500_000, S);
  assert.equal(big.feeMinor, 2500);
  assert.equal(big.clampedTo, "max");
  // The quote's words follow the direction: a minimum raises the fee, a maximum lowers it.
  assert.equal(big.unclampedMinor > big.feeMinor, true);
  assert.equal(describeClamp(small.clampedTo), "raised to the minimum fee");
  assert.equal(describeClamp(big.clampedTo), "lowered to the maximum fee");
  assert.equal(describeClamp(computeFee(100_000, S).clampedTo), "");
  assert.equal(describeSchedule(S), "1.50 % + 0.25 EUR (fee at least 0.50 EUR, at most 25.00 EUR)");
  // Half up: 1.5 % of 10.10 = 0.1515 → 0.15; of 10.30 = 0.1545 → 0.15; 1.5 % of 0.30 = 0.0045 → 0.00;
  // 1.5 % of 1.00 = 0.015 → 0.02 (exactly half rounds up)
  assert.equal(computeFee(100, { ...S, feeMinMinor: 0 }).percentPartMinor, 2);
  assert.equal(computeFee(30, { ...S, feeMinMinor: 0 }).percentPartMinor, 0);
  assert.equal(divRoundHalfUp(5n, 10n), 1n);
  assert.equal(divRoundHalfUp(4n, 10n), 0n);
  assert.equal(divRoundHalfUp(15n, 10n), 2n);
});

test("fees: the calculator equals an independent computation of the rule for 20 000 amounts", () => {
  for (const s of [
    S,
    { ...S, percentBps: 1000, fixedMinor: 0, feeMinMinor: 0 },
    { ...S, percentBps: 333, fixedMinor: 7 },
  ]) {
    for (let g = 1; g <= 2_000_000; g += 97) {
      const f = computeFee(g, s);
      assert.equal(f.feeMinor, independentFee(g, s), `gross ${g} bps ${s.percentBps}`);
      assert.ok(f.feeMinor >= s.feeMinMinor && f.feeMinor <= s.feeMaxMinor);
    }
  }
});

test("fee schedules: inconsistent bounds are refused; the shipped defaults are consistent", () => {
  for (const s of DEFAULT_FEE_SCHEDULES) assert.doesNotThrow(() => checkSchedule(s));
  assert.throws(() => checkSchedule({ ...S, feeMinMinor: 3000 }));
  assert.throws(() => checkSchedule({ ...S, percentBps: 10_001 }));
  assert.throws(() => checkSchedule({ ...S, amountMinMinor: 0 }));
  assert.throws(() => checkSchedule({ ...S, amountMaxMinor: 3_000_000 }));
  assert.throws(() => checkSchedule({ ...S, fixedMinor: -1 }));
  assert.throws(() => checkSchedule({ ...S, currency: "XYZ" }));
});

// ---- XML and CSV ----------------------------------------------------------------------

test("XML: every special character is escaped and parses back to the same text", () => {
  const nasty = `A&B <C> "D" 'E' ]]> & &amp; Ünïcödé 𝄞`;
  const doc = serialize(el("R", [el("T", nasty, { a: nasty })]));
  assert.ok(!doc.includes("<C>"));
  const back = parseXml(doc);
  assert.equal(back.children[0]!.text, nasty);
  assert.equal(back.children[0]!.attrs["a"], nasty);
  assert.throws(() => escapeXml("bell\u0007"), XmlError);
  for (const bad of [
    "<a><b></a></b>",
    "<a>",
    "<a></a><b></b>",
    "<a>x &foo; y</a>",
    "<a>x & y</a>",
    "<a b='1' b='2'></a>",
    "text",
  ]) {
    assert.throws(() => parseXml(bad), XmlError, bad);
  }
});

test("CSV: RFC 4180 quoting (comma, quote, CR, LF) round-trips; lines end with CRLF", () => {
  const rows = [["plain", "with,comma", 'with "quote"', "line\nbreak", "cr\r\nlf", ""]];
  const text = toCsv(["a", "b", "c", "d", "e", "f"], rows);
  assert.ok(text.endsWith("\r\n"));
  assert.equal(text.split("\r\n")[0], "a,b,c,d,e,f");
  assert.ok(text.includes('"with ""quote"""'));
  assert.deepEqual(parseCsv(text), [["a", "b", "c", "d", "e", "f"], ...rows]);
  assert.throws(() => toCsv(["a", "b"], [["1"]]), RangeError);
});

// ---- pain.001 -------------------------------------------------------------------------

const DEBTOR = {
  name: "Offtap Clearing & Co <Ops>",
  iban: "DE89370400440532013000",
  bic: "COBADEFFXXX",
};

function lines(): PayoutLine[] {
  return [
    {
      endToEndId: "co_1",
      amountMinor: 98_475,
      currency: "EUR",
      creditorName: 'ACME Transit "Nord" & Söhne',
      creditorIban: "FR1420041010050500013M02606",
      creditorBic: "BNPAFRPP",
      remittance: "cash-out co_1 <first>",
    },
    {
      endToEndId: "co_2",
      amountMinor: 1,
      currency: "EUR",
      creditorName: "Jane Doe",
      creditorIban: "NL91ABNA0417164300",
      creditorBic: "ABNANL2A",
      remittance: "cash-out co_2",
    },
    {
      endToEndId: "co_3",
      amountMinor: 123_456,
      currency: "GBP",
      creditorName: "Kiosk Ltd",
      creditorIban: "GB29NWBK60161331926819",
      creditorBic: "NWBKGB2L",
      remittance: "cash-out co_3",
    },
    {
      endToEndId: "co_4",
      amountMinor: 5,
      currency: "KWD",
      creditorName: "Gate Co",
      creditorIban: "KW81CBKU0000000000001234560101",
      creditorBic: "CBKUKWKW",
      remittance: "cash-out co_4",
    },
  ];
}

test("pain.001.001.09: well-formed, namespace, counts and control sums computed independently", () => {
  const eurLines = lines().filter((l) => l.currency === "EUR");
  const xml = renderPain001({
    msgId: "MSG-1",
    createdAt: new Date("2026-11-21T06:40:00.123Z"),
    executionDate: "2026-11-23",
    debtor: DEBTOR,
    lines: eurLines,
  });
  assert.ok(xml.startsWith('<?xml version="1.0" encoding="UTF-8"?>'));
  assert.ok(xml.includes(`<Document xmlns="${PAIN001_V09_NAMESPACE}">`));
  // Independent reading with regular expressions, not our parser.
  const amounts = [...xml.matchAll(/<InstdAmt Ccy="([A-Z]{3})">([0-9.]+)<\/InstdAmt>/g)].map(
    (m) => ({ ccy: m[1]!, v: m[2]! }),
  );
  assert.deepEqual(amounts, [
    { ccy: "EUR", v: "984.75" },
    { ccy: "EUR", v: "0.01" },
  ]);
  const grp = /<GrpHdr>[\s\S]*?<NbOfTxs>(\d+)<\/NbOfTxs>\s*<CtrlSum>([0-9.]+)<\/CtrlSum>/.exec(
    xml,
  )!;
  assert.equal(grp[1], "2");
  assert.equal(grp[2], "984.76", "one currency per file: its own two decimals");
  const pmtInfs = [...xml.matchAll(/<PmtInf>([\s\S]*?)<\/PmtInf>/g)].map((m) => m[1]!);
  assert.equal(pmtInfs.length, 1, "both creditors are in SEPA countries");
  assert.match(pmtInfs[0]!, /<ChrgBr>SLEV<\/ChrgBr>/);
  const eur = pmtInfs.find((p) => p.includes("MSG-1-EUR"))!;
  assert.match(eur, /<NbOfTxs>2<\/NbOfTxs>\s*<CtrlSum>984.76<\/CtrlSum>/);
  assert.match(eur, /<PmtMtd>TRF<\/PmtMtd>/);
  assert.match(eur, /<ReqdExctnDt>\s*<Dt>2026-11-23<\/Dt>\s*<\/ReqdExctnDt>/);
  assert.match(eur, /<DbtrAcct>\s*<Id>\s*<IBAN>DE89370400440532013000<\/IBAN>/);
  assert.match(xml, /<CreDtTm>2026-11-21T06:40:00Z<\/CreDtTm>/);
  // The EPC character set: diacritics dropped, & → +, anything else "." (EPC217-08).
  assert.ok(xml.includes("ACME Transit .Nord. + Sohne"));
  assert.ok(xml.includes("Offtap Clearing + Co .Ops."));
  assert.ok(!/<Ops>|<first>/.test(xml));
  const sum = summarizePain001(xml);
  assert.equal(sum.payments.length, 2);
  assert.equal(sum.payments[0]!.name, "ACME Transit .Nord. + Sohne");
  assert.deepEqual(checkStructure(parseXml(xml)), []);
});

test("pain.001.001.09: the structure check catches wrong order, missing and unknown elements", () => {
  const good = buildPain001({
    msgId: "M",
    createdAt: new Date(0),
    executionDate: "2026-01-01",
    debtor: DEBTOR,
    lines: lines().slice(0, 1),
  });
  assert.deepEqual(checkStructure(good), []);
  const init = good.children[0]!;
  const hdr = init.children[0]!;
  const swapped = {
    ...good,
    children: [
      {
        ...init,
        children: [
          { ...hdr, children: [hdr.children[1]!, hdr.children[0]!, ...hdr.children.slice(2)] },
          ...init.children.slice(1),
        ],
      },
    ],
  };
  assert.ok(
    checkStructure(swapped).some((p) => p.includes("out of order")),
    "MsgId/CreDtTm swapped",
  );
  const missing = {
    ...good,
    children: [
      {
        ...init,
        children: [
          { ...hdr, children: hdr.children.filter((c) => c.name !== "NbOfTxs") },
          ...init.children.slice(1),
        ],
      },
    ],
  };
  assert.ok(checkStructure(missing).some((p) => p.includes("requires <NbOfTxs>")));
  const unknown = {
    ...good,
    children: [{ ...init, children: [...init.children, el("Bogus", "x")] }],
  };
  assert.ok(checkStructure(unknown).some((p) => p.includes("<Bogus>")));
  const pmt = init.children[1]!;
  const txFirst = {
    ...good,
    children: [{ ...init, children: [hdr, { ...pmt, children: [...pmt.children].reverse() }] }],
  };
  assert.ok(checkStructure(txFirst).length > 0, "reversed PmtInf");
});

test("pain.001: bad IBAN/BIC, over-long ids, duplicate end-to-end ids and empty files are refused", () => {
  const base = { msgId: "M", createdAt: new Date(0), executionDate: "2026-01-01", debtor: DEBTOR };
  assert.throws(() => renderPain001({ ...base, lines: [] }));
  assert.throws(() =>
    renderPain001({
      ...base,
      lines: [{ ...lines()[0]!, creditorIban: "FR1420041010050500013M02607" }],
    }),
  );
  assert.throws(() => renderPain001({ ...base, lines: [{ ...lines()[0]!, creditorBic: "BNPA" }] }));
  assert.throws(() =>
    renderPain001({ ...base, lines: [{ ...lines()[0]!, endToEndId: "x".repeat(36) }] }),
  );
  assert.throws(() => renderPain001({ ...base, lines: [lines()[0]!, lines()[0]!] }));
  assert.throws(() => renderPain001({ ...base, lines: [{ ...lines()[0]!, amountMinor: 0 }] }));
});

test("payout files: one currency per file, real dates, EPC profile only for SEPA, no CSV formulas", () => {
  const base = {
    msgId: "M2",
    createdAt: new Date("2026-11-21T06:40:00Z"),
    executionDate: "2026-11-23",
    debtor: DEBTOR,
  };
  assert.throws(() => renderPain001({ ...base, lines: lines() }), /one currency/);
  assert.throws(
    () => renderPain001({ ...base, executionDate: "2026-02-31", lines: lines().slice(0, 1) }),
    /calendar/,
  );
  assert.throws(
    () => renderPain001({ ...base, executionDate: "2026-11-20", lines: lines().slice(0, 1) }),
    /before/,
  );
  const kwd = renderPain001({ ...base, lines: lines().filter((l) => l.currency === "KWD") });
  assert.match(kwd, /<GrpHdr>[\s\S]*?<CtrlSum>0.005<\/CtrlSum>/, "KWD has three decimals");
  assert.match(kwd, /<ChrgBr>SHAR<\/ChrgBr>/);
  // EUR to a SEPA and to a non-SEPA country: two blocks, SLEV only for the SEPA one.
  const long =
    "Zoë Åström-Øvergaard Ærøskøbing Handelsgesellschaft mit beschränkter Haftung & Co KG";
  const mixed = renderPain001({
    ...base,
    lines: [
      { ...lines()[0]!, creditorName: long },
      {
        endToEndId: "co_9",
        amountMinor: 700,
        currency: "EUR",
        creditorName: "İstanbul Gişe A.Ş.",
        creditorIban: "TR330006100519786457841326",
        creditorBic: "TGBATRISXXX",
        remittance: "cash-out co_9",
      },
    ],
  });
  const blocks = [...mixed.matchAll(/<PmtInf>([\s\S]*?)<\/PmtInf>/g)].map((m) => m[1]!);
  assert.equal(blocks.length, 2);
  assert.match(blocks[0]!, /<PmtInfId>M2-EUR<\/PmtInfId>[\s\S]*<ChrgBr>SLEV<\/ChrgBr>/);
  assert.match(blocks[1]!, /<PmtInfId>M2-EURX<\/PmtInfId>[\s\S]*<ChrgBr>SHAR<\/ChrgBr>/);
  const sepaName = /<Cdtr>\s*<Nm>([^<]*)<\/Nm>/.exec(blocks[0]!)![1]!;
  assert.ok(sepaName.length <= 70, sepaName);
  assert.match(sepaName, /^[A-Za-z0-9/\-?:().,'+ ]+$/);
  assert.ok(sepaName.startsWith("Zoe Astrom-Overgaard AEroskobing"), sepaName);
  assert.ok(blocks[1]!.includes("İstanbul Gişe A.Ş."), "outside SEPA the name is kept");
  // CSV: formula-looking cells are neutralized, numbers are not.
  const csv = toCsv(
    ["name", "amount", "note"],
    [['=HYPERLINK("http://x","y")', "-12.50", "@SUM(A1)"]],
  );
  const row = parseCsv(csv)[1]!;
  assert.deepEqual(row, ['\'=HYPERLINK("http://x","y")', "-12.50", "'@SUM(A1)"]);
  for (const v of ["+1+1", "-1-1", "\tx", "\rx"])
    assert.ok(parseCsv(toCsv(["v"], [[v]]))[1]![0]!.startsWith("'"), v);
});
