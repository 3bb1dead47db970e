// Payout files against the published schemas: every pain.001 the cash-out code writes is
// validated with xmllint (libxml2) against the ISO 20022 pain.001.001.09 XSD, and every
// SEPA payment block against the EPC SCT customer-to-PSP XSD (EPC132-08 2025 V1.0). Both
// schemas and their provenance are in test/vectors/iso20022/. Negative cases show the
// validation can fail. The EPC rules its XSD does not encode (EUR only, the EPC Latin
// character set) are checked here directly.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Clearing } from "../../host/clearing/index.ts";
import { renderPain001, type PayoutLine } from "../../host/cashout/pain001.ts";
import { parseXml, type XmlElement } from "../../host/cashout/xml.ts";
import { install, must } from "./cashout-support.ts";

const VECTORS = new URL("../vectors/iso20022/", import.meta.url).pathname;
const ISO_XSD = join(VECTORS, "pain.001.001.09.xsd");
const EPC_XSD = join(VECTORS, "EPC132-08_2025_V1.0_pain.001.001.09.xsd");

const XMLLINT = spawnSync("xmllint", ["--version"], { encoding: "utf8" });
const SKIP = XMLLINT.error === undefined ? false
  : "xmllint not found (Debian package libxml2-utils; `make test-deps` installs it)";

const dir = mkdtempSync(join(tmpdir(), "offtap-payout-xsd-"));
process.on("exit", () => rmSync(dir, { recursive: true, force: true }));
let fileNo = 0;

/** Runs `xmllint --noout --schema XSD FILE`; returns the exit status and its messages. */
function xmllint(xsd: string, xml: string): { status: number | null; out: string } {
  const file = join(dir, `payout-${++fileNo}.xml`);
  writeFileSync(file, xml);
  const r = spawnSync("xmllint", ["--noout", "--schema", xsd, file], { encoding: "utf8" });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

function assertValid(xsd: string, xml: string, what: string): void {
  const r = xmllint(xsd, xml);
  assert.equal(r.status, 0, `${what} fails ${xsd.split("/").pop()}:\n${r.out}`);
}

function assertInvalid(xsd: string, xml: string, expect: RegExp, what: string): void {
  const r = xmllint(xsd, xml);
  assert.notEqual(r.status, 0, `${what} passes ${xsd.split("/").pop()} but must not`);
  assert.match(r.out, expect, what);
}

const PMT_INF = /\n {4}<PmtInf>[\s\S]*?<\/PmtInf>/g;

/** The SEPA block of a file as a file of its own (the EPC schema is for a whole
 *  message): other blocks dropped, the header's count and control sum made the block's. */
function sepaOnly(xml: string): string {
  const blocks = [...xml.matchAll(PMT_INF)].map((m) => m[0]);
  const sepa = blocks.filter((b) => b.includes("<ChrgBr>SLEV</ChrgBr>"));
  assert.equal(sepa.length, 1, "one SEPA block");
  const nb = /<NbOfTxs>(\d+)<\/NbOfTxs>/.exec(sepa[0]!)![1]!;
  const sum = /<CtrlSum>([0-9.]+)<\/CtrlSum>/.exec(sepa[0]!)![1]!;
  const head = xml.slice(0, xml.indexOf("\n    <PmtInf>"))
    .replace(/<NbOfTxs>\d+<\/NbOfTxs>/, `<NbOfTxs>${nb}</NbOfTxs>`)
    .replace(/<CtrlSum>[0-9.]+<\/CtrlSum>/, `<CtrlSum>${sum}</CtrlSum>`);
  return `${head}${sepa[0]!}\n  </CstmrCdtTrfInitn>\n</Document>\n`;
}

/** EPC rules the EPC XSD leaves open: EUR only, and names and remittance text within the
 *  EPC basic Latin set (EPC217-08: a–z A–Z 0–9 / - ? : ( ) . , ' + space). */
function epcProfileProblems(xml: string): string[] {
  const problems: string[] = [];
  const work: XmlElement[] = [parseXml(xml)];
  while (work.length > 0) {
    const e = work.pop()!;
    work.push(...e.children);
    const ccy = e.attrs["Ccy"];
    if (ccy !== undefined && ccy !== "EUR") problems.push(`currency ${ccy}`);
    if ((e.name === "Nm" || e.name === "Ustrd") && !/^[A-Za-z0-9/\-?:().,'+ ]+$/.test(e.text)) {
      problems.push(`${e.name} '${e.text}'`);
    }
  }
  return problems;
}

const DEBTOR = {
  name: "Offtap Clearing & Co <Ops>", iban: "DE89370400440532013000", bic: "COBADEFFXXX",
};
const BASE = {
  msgId: "OFFTAP-20261121-9f3a", createdAt: new Date("2026-11-21T06:40:00.123Z"),
  executionDate: "2026-11-23", debtor: DEBTOR,
};
const LONG_NAME =
  "Zoë Åström-Øvergaard Ærøskøbing Handelsgesellschaft mit beschränkter Haftung & Co KG";

function sepaLines(): PayoutLine[] {
  return [
    { endToEndId: "co_1", amountMinor: 98_475, currency: "EUR", creditorName: LONG_NAME,
      creditorIban: "FR1420041010050500013M02606", creditorBic: "BNPAFRPP",
      remittance: "offtap cash-out co_1 <first> & ½ € \"quoted\"" },
    { endToEndId: "co_2", amountMinor: 1, currency: "EUR", creditorName: "Jane O'Doe",
      creditorIban: "NL91ABNA0417164300", creditorBic: "ABNANL2A", remittance: "cash-out co_2" },
    { endToEndId: "co_3", amountMinor: 99_999_999_999, currency: "EUR", creditorName: "Kiosk Ltd",
      creditorIban: "GB29NWBK60161331926819", creditorBic: "NWBKGB2LXXX", remittance: "co_3" },
    { endToEndId: "x".repeat(35), amountMinor: 1_050, currency: "EUR",
      creditorName: "Łódź Kawiarnia Spółka z o.o.", creditorIban: "PL61109010140000071219812874",
      creditorBic: "WBKPPLPP", remittance: "r".repeat(140) },
  ];
}

test("payout files: a SEPA file passes the ISO 20022 and the EPC SCT schemas",
  { skip: SKIP }, () => {
  const xml = renderPain001({ ...BASE, lines: sepaLines() });
  assertValid(ISO_XSD, xml, "SEPA file");
  assertValid(EPC_XSD, xml, "SEPA file");
  assert.deepEqual(epcProfileProblems(xml), []);
  assert.match(xml, /<CtrlSum>1000000995.25<\/CtrlSum>/,
    "sum of 984.75 + 0.01 + 999999999.99 + 10.50");
});

test("payout files: EUR outside SEPA and other currencies pass the ISO schema",
  { skip: SKIP }, () => {
  const turkey: PayoutLine = {
    endToEndId: "co_9", amountMinor: 700, currency: "EUR",
    creditorName: "İstanbul Gişe A.Ş. & Ortakları", creditorIban: "TR330006100519786457841326",
    creditorBic: "TGBATRISXXX", remittance: "cash-out co_9 <ödeme>",
  };
  const mixed = renderPain001({ ...BASE, lines: [...sepaLines(), turkey] });
  assertValid(ISO_XSD, mixed, "mixed EUR file");
  assert.equal([...mixed.matchAll(PMT_INF)].length, 2);
  // The EPC schema is for SEPA only: the SHAR block is outside it, the SLEV block inside.
  assertInvalid(EPC_XSD, mixed, /SHAR/, "mixed file with a non-SEPA block");
  const sepa = sepaOnly(mixed);
  assertValid(EPC_XSD, sepa, "the mixed file's SEPA block");
  assert.deepEqual(epcProfileProblems(sepa), []);
  assert.ok(mixed.includes("İstanbul Gişe A.Ş. &amp; Ortakları"),
    "outside SEPA the name is kept");

  const others: [string, PayoutLine][] = [
    ["KWD (3 decimals)", { endToEndId: "co_4", amountMinor: 1_234_567, currency: "KWD",
      creditorName: "Gate Co", creditorIban: "KW81CBKU0000000000001234560101",
      creditorBic: "CBKUKWKW",
      remittance: "cash-out co_4" }],
    ["JPY (no decimals)", { endToEndId: "co_5", amountMinor: 50_000, currency: "JPY",
      creditorName: "東京キオスク株式会社", creditorIban: "DE89370400440532013000",
      creditorBic: "COBADEFF",
      remittance: "cash-out co_5" }],
    ["GBP", { endToEndId: "co_6", amountMinor: 123_456, currency: "GBP", creditorName: "Kiosk Ltd",
      creditorIban: "GB29NWBK60161331926819", creditorBic: "NWBKGB2L",
      remittance: "cash-out co_6" }],
  ];
  for (const [what, line] of others) {
    const second = { ...line, endToEndId: `${line.endToEndId}b` };
    const xml = renderPain001({ ...BASE, lines: [line, second] });
    assertValid(ISO_XSD, xml, what);
    assert.match(xml, /<ChrgBr>SHAR<\/ChrgBr>/, what);
    assert.notDeepEqual(epcProfileProblems(xml), [], `${what} is not a SEPA transfer`);
  }
});

test("payout files: the file the cash-out service exports passes both schemas",
  { skip: SKIP }, async () => {
  const c = await Clearing.open({ databaseUrl: null });
  try {
    const { svc, ownerId, accountId, nextCode } = await install(c, { balance: 500_000 });
    for (const amount of [100_000, 12_345]) {
      const q = must(await svc.quote(ownerId, amount, "EUR", `owner:${ownerId}`));
      const req = { ownerId, bankAccountId: accountId, quoteId: q.id };
      const co = must(await svc.request(req, `owner:${ownerId}`));
      must(await svc.confirm(co.id, nextCode(), `owner:${ownerId}`));
    }
    const file = must(await svc.export("operator:payouts", { executionDate: "2026-11-23" }));
    assert.equal(file.nbOfTxs, 2);
    assertValid(ISO_XSD, file.xml, "exported file");
    assertValid(EPC_XSD, file.xml, "exported file");
    assert.deepEqual(epcProfileProblems(file.xml), []);
  } finally {
    await c.close();
  }
});

test("payout files: the schemas catch what a bank would reject", { skip: SKIP }, () => {
  const good = renderPain001({ ...BASE, lines: sepaLines().slice(0, 2) });
  assertValid(ISO_XSD, good, "baseline");
  assertValid(EPC_XSD, good, "baseline");
  const ctrl3 = good.replace(/<CtrlSum>984.76<\/CtrlSum>/, "<CtrlSum>984.761</CtrlSum>");
  assert.notEqual(ctrl3, good);
  assertInvalid(EPC_XSD, ctrl3, /CtrlSum[\s\S]*fractionDigits/, "CtrlSum with 3 decimals");
  const name71 = good.replace(/<Nm>Jane O&apos;Doe<\/Nm>/, `<Nm>${"N".repeat(71)}</Nm>`);
  assert.notEqual(name71, good);
  assertInvalid(EPC_XSD, name71, /Nm[\s\S]*maxLength/, "71-character name");
  const name141 = good.replace(/<Nm>Jane O&apos;Doe<\/Nm>/, `<Nm>${"N".repeat(141)}</Nm>`);
  assertInvalid(ISO_XSD, name141, /Nm[\s\S]*maxLength/, "141-character name");
  const amt6 = good.replace(/>0.01<\/InstdAmt>/, ">0.000001</InstdAmt>");
  assert.notEqual(amt6, good);
  assertInvalid(ISO_XSD, amt6, /InstdAmt[\s\S]*fractionDigits/, "amount with 6 decimals");
  const badBic = good.replace("<BICFI>ABNANL2A</BICFI>", "<BICFI>ABNANL2</BICFI>");
  assertInvalid(ISO_XSD, badBic, /BICFI/, "7-character BIC");
  const badIban = good.replace("<IBAN>NL91ABNA0417164300</IBAN>",
    "<IBAN>nl91abna0417164300</IBAN>");
  assertInvalid(ISO_XSD, badIban, /IBAN/, "lower-case IBAN");
  const order = good.replace(/(<MsgId>[^<]*<\/MsgId>)(\s*)(<CreDtTm>[^<]*<\/CreDtTm>)/, "$3$2$1");
  assert.notEqual(order, good);
  assertInvalid(ISO_XSD, order, /CreDtTm/, "header elements out of order");
  const shar = good.replace("<ChrgBr>SLEV</ChrgBr>", "<ChrgBr>SHAR</ChrgBr>");
  assertValid(ISO_XSD, shar, "SHAR is ISO 20022");
  assertInvalid(EPC_XSD, shar, /SLEV/, "SHAR is not SEPA");
  assert.deepEqual(epcProfileProblems(good.replace('Ccy="EUR"', 'Ccy="USD"')), ["currency USD"]);
  assert.equal(epcProfileProblems(good.replace("Jane O&apos;Doe", "Jane Döe")).length, 1);
});
