// ISO 20022 pain.001.001.09 (CustomerCreditTransferInitiationV09) payout files.
//
// One message per export: a group header, then one payment information block (PmtInf)
// per currency, all debited from the operator's clearing bank account, with one credit
// transfer (CdtTrfTxInf) per cash-out. Amounts are decimals made from integer minor units
// with the currency's exponent. Every element follows the sequence of its message
// definition type (see PAIN001_V09_SEQUENCES) and the writer checks its own output
// against that table after parsing it back.
import { el, serialize, parseXml, at, child, XmlError, type XmlElement } from "./xml.ts";
import { exponentOf, formatMinor, parseMajor } from "./money.ts";
import { validateIban, validateBic } from "./iban.ts";
import { EPC_NAME_CHARS_MAX, EPC_REMITTANCE_CHARS_MAX, epcText, isCalendarDate, isSepaTransfer } from "./sepa.ts";

export const PAIN001_V09_NAMESPACE = "urn:iso:std:iso:20022:tech:xsd:pain.001.001.09";

/** Element sequences of the pain.001.001.09 message definition for the types this file
 *  uses (name → type, in schema order; "?" optional, "*" repeatable, "+" one or more).
 *  Transcribed from the ISO 20022 message definition of CustomerCreditTransferInitiationV09
 *  (GroupHeader85, PaymentInstruction30, CreditTransferTransaction34, …). Only elements
 *  we may emit need a type; others are listed by name so the order check knows them. */
export const PAIN001_V09_SEQUENCES: Readonly<Record<string, readonly string[]>> = Object.freeze({
  Document: ["CstmrCdtTrfInitn:CustomerCreditTransferInitiationV09"],
  CustomerCreditTransferInitiationV09: ["GrpHdr:GroupHeader85", "PmtInf+:PaymentInstruction30", "SplmtryData*"],
  GroupHeader85: ["MsgId", "CreDtTm", "Authstn*", "NbOfTxs", "CtrlSum?", "InitgPty:PartyIdentification135", "FwdgAgt?"],
  PaymentInstruction30: [
    "PmtInfId", "PmtMtd", "BtchBookg?", "NbOfTxs?", "CtrlSum?", "PmtTpInf?", "ReqdExctnDt:DateAndDateTime2Choice",
    "PoolgAdjstmntDt?", "Dbtr:PartyIdentification135", "DbtrAcct:CashAccount38", "DbtrAgt:BranchAndFinancialInstitutionIdentification6",
    "DbtrAgtAcct?", "InstrForDbtrAgt?", "UltmtDbtr?", "ChrgBr?", "ChrgsAcct?", "ChrgsAcctAgt?", "CdtTrfTxInf+:CreditTransferTransaction34",
  ],
  CreditTransferTransaction34: [
    "PmtId:PaymentIdentification6", "PmtTpInf?", "Amt:AmountType4Choice", "XchgRateInf?", "ChrgBr?", "ChqInstr?", "UltmtDbtr?",
    "IntrmyAgt1?", "IntrmyAgt1Acct?", "IntrmyAgt2?", "IntrmyAgt2Acct?", "IntrmyAgt3?", "IntrmyAgt3Acct?",
    "CdtrAgt?:BranchAndFinancialInstitutionIdentification6", "CdtrAgtAcct?", "Cdtr:PartyIdentification135", "CdtrAcct?:CashAccount38",
    "UltmtCdtr?", "InstrForCdtrAgt*", "InstrForDbtrAgt?", "Purp?", "RgltryRptg*", "Tax?", "RltdRmtInf*",
    "RmtInf?:RemittanceInformation16", "SplmtryData*",
  ],
  PartyIdentification135: ["Nm?", "PstlAdr?", "Id?", "CtryOfRes?", "CtctDtls?"],
  CashAccount38: ["Id:AccountIdentification4Choice", "Tp?", "Ccy?", "Nm?", "Prxy?"],
  AccountIdentification4Choice: ["IBAN?", "Othr?"],
  BranchAndFinancialInstitutionIdentification6: ["FinInstnId:FinancialInstitutionIdentification18", "BrnchId?"],
  FinancialInstitutionIdentification18: ["BICFI?", "ClrSysMmbId?", "LEI?", "Nm?", "PstlAdr?", "Othr?"],
  PaymentIdentification6: ["InstrId?", "EndToEndId", "UETR?"],
  AmountType4Choice: ["InstdAmt?", "EqvtAmt?"],
  DateAndDateTime2Choice: ["Dt?", "DtTm?"],
  RemittanceInformation16: ["Ustrd*", "Strd*"],
});

/** Types whose content is a choice: exactly one of the listed elements. */
const CHOICES = new Set(["AccountIdentification4Choice", "AmountType4Choice", "DateAndDateTime2Choice"]);

/** Max35Text / Max140Text / Max70Text bounds of the fields we fill. */
export const PAIN_TEXT_MAX = { id: 35, name: 140, remittance: 140 } as const;

export interface PayoutDebtor {
  /** Initiating party and debtor: the operator running clearing. */
  readonly name: string;
  readonly iban: string;
  readonly bic: string;
}

export interface PayoutLine {
  readonly endToEndId: string;
  readonly amountMinor: number;
  readonly currency: string;
  readonly creditorName: string;
  readonly creditorIban: string;
  readonly creditorBic: string;
  readonly remittance: string;
}

export interface Pain001Input {
  readonly msgId: string;
  readonly createdAt: Date;
  /** Requested execution date, YYYY-MM-DD. */
  readonly executionDate: string;
  readonly debtor: PayoutDebtor;
  readonly lines: readonly PayoutLine[];
}

export class PayoutFileError extends Error {}

function checkText(what: string, value: string, max: number): string {
  if (value.length === 0 || [...value].length > max) throw new PayoutFileError(`${what} must be 1..${max} characters, got ${[...value].length}`);
  return value;
}

/** Sums amounts of mixed currencies as one decimal (GrpHdr/CtrlSum is the plain sum of
 *  all instructed amounts, irrespective of currency). */
export function decimalSum(items: readonly { amountMinor: number; currency: string }[]): string {
  const scale = Math.max(0, ...items.map((x) => exponentOf(x.currency)));
  let total = 0n;
  for (const x of items) total += BigInt(x.amountMinor) * 10n ** BigInt(scale - exponentOf(x.currency));
  if (scale === 0) return total.toString();
  const d = total.toString().padStart(scale + 1, "0");
  return `${d.slice(0, -scale)}.${d.slice(-scale)}`;
}

function party(name: string): XmlElement[] {
  return [el("Nm", checkText("party name", name, PAIN_TEXT_MAX.name))];
}

function account(iban: string): XmlElement[] {
  const v = validateIban(iban);
  if (!v.ok) throw new PayoutFileError(`IBAN ${iban}: ${v.message}`);
  return [el("Id", [el("IBAN", v.iban)])];
}

function agent(bic: string): XmlElement[] {
  const v = validateBic(bic);
  if (!v.ok) throw new PayoutFileError(`BIC ${bic}: ${v.message}`);
  return [el("FinInstnId", [el("BICFI", v.bic)])];
}

function transaction(l: PayoutLine, sepa: boolean): XmlElement {
  if (!Number.isSafeInteger(l.amountMinor) || l.amountMinor <= 0) throw new PayoutFileError(`payout ${l.endToEndId}: amount must be positive`);
  return el("CdtTrfTxInf", [
    el("PmtId", [el("EndToEndId", checkText("EndToEndId", l.endToEndId, PAIN_TEXT_MAX.id))]),
    el("Amt", [el("InstdAmt", formatMinor(l.amountMinor, l.currency), { Ccy: l.currency })]),
    el("CdtrAgt", agent(l.creditorBic)),
    el("Cdtr", party(sepa ? epcText(l.creditorName, EPC_NAME_CHARS_MAX) : l.creditorName)),
    el("CdtrAcct", account(l.creditorIban)),
    el("RmtInf", [el("Ustrd", checkText("remittance",
      sepa ? epcText(l.remittance, EPC_REMITTANCE_CHARS_MAX) : l.remittance, PAIN_TEXT_MAX.remittance))]),
  ]);
}

/** One block per (currency, SEPA or not): a SEPA block follows the EPC profile (SLEV,
 *  restricted characters, names ≤ 70); any other block shares charges (SHAR). */
function paymentInfo(input: Pain001Input, currency: string, sepa: boolean, lines: readonly PayoutLine[]): XmlElement {
  return el("PmtInf", [
    el("PmtInfId", checkText("PmtInfId", `${input.msgId}-${currency}${sepa ? "" : "X"}`, PAIN_TEXT_MAX.id)),
    el("PmtMtd", "TRF"),
    el("NbOfTxs", String(lines.length)),
    el("CtrlSum", decimalSum(lines)),
    el("ReqdExctnDt", [el("Dt", input.executionDate)]),
    el("Dbtr", party(sepa ? epcText(input.debtor.name, EPC_NAME_CHARS_MAX) : input.debtor.name)),
    el("DbtrAcct", account(input.debtor.iban)),
    el("DbtrAgt", agent(input.debtor.bic)),
    // SEPA credit transfers require "charges follow service level"; elsewhere shared.
    el("ChrgBr", sepa ? "SLEV" : "SHAR"),
    ...lines.map((l) => transaction(l, sepa)),
  ]);
}

/** A requested execution date is a real day, not before the file's creation day. */
export function checkExecutionDate(date: string, createdAt: Date): void {
  if (!isCalendarDate(date)) throw new PayoutFileError(`execution date ${date} is not a calendar date (YYYY-MM-DD)`);
  if (date < createdAt.toISOString().slice(0, 10)) {
    throw new PayoutFileError(`execution date ${date} is before the file's creation day`);
  }
}

/** xs:dateTime in UTC without fractional seconds, e.g. 2026-11-21T06:40:00Z. */
export function isoDateTime(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, "Z");
}

export function buildPain001(input: Pain001Input): XmlElement {
  if (input.lines.length === 0) throw new PayoutFileError("a payout file needs at least one payment");
  checkExecutionDate(input.executionDate, input.createdAt);
  // One currency per file: the group header's control sum then has that currency's
  // decimals, and a bank never has to add amounts of different currencies.
  const currency = input.lines[0]!.currency;
  exponentOf(currency);
  if (input.lines.some((l) => l.currency !== currency)) {
    throw new PayoutFileError("a payout file holds one currency; export each currency separately");
  }
  const sepa = input.lines.filter((l) => isSepaTransfer(l.currency, l.creditorIban));
  const other = input.lines.filter((l) => !isSepaTransfer(l.currency, l.creditorIban));
  const seen = new Set<string>();
  for (const l of input.lines) {
    if (seen.has(l.endToEndId)) throw new PayoutFileError(`EndToEndId ${l.endToEndId} appears twice`);
    seen.add(l.endToEndId);
  }
  return el("Document", [
    el("CstmrCdtTrfInitn", [
      el("GrpHdr", [
        el("MsgId", checkText("MsgId", input.msgId, PAIN_TEXT_MAX.id)),
        el("CreDtTm", isoDateTime(input.createdAt)),
        el("NbOfTxs", String(input.lines.length)),
        el("CtrlSum", decimalSum(input.lines)),
        el("InitgPty", party(sepa.length > 0 ? epcText(input.debtor.name, EPC_NAME_CHARS_MAX) : input.debtor.name)),
      ]),
      ...(sepa.length > 0 ? [paymentInfo(input, currency, true, sepa)] : []),
      ...(other.length > 0 ? [paymentInfo(input, currency, false, other)] : []),
    ]),
  ], { xmlns: PAIN001_V09_NAMESPACE });
}

export interface Pain001Summary {
  readonly msgId: string;
  readonly nbOfTxs: number;
  readonly ctrlSum: string;
  readonly payments: readonly { endToEndId: string; amount: string; currency: string; iban: string; bic: string; name: string }[];
}

/** Checks an element tree against PAIN001_V09_SEQUENCES: known children only, in schema
 *  order, required ones present, non-repeatable ones once, choices exactly one. Returns
 *  the problems found (empty when the structure is right). */
export function checkStructure(root: XmlElement): string[] {
  const problems: string[] = [];
  if (root.name !== "Document") problems.push(`root is <${root.name}>, expected <Document>`);
  if (root.attrs["xmlns"] !== PAIN001_V09_NAMESPACE) problems.push(`namespace is '${root.attrs["xmlns"] ?? ""}'`);
  const work: { e: XmlElement; type: string; path: string }[] = [{ e: root, type: "Document", path: "Document" }];
  while (work.length > 0) {
    const { e, type, path } = work.pop()!;
    const seq = PAIN001_V09_SEQUENCES[type];
    if (seq === undefined) continue;
    const slots = seq.map((s) => {
      const [head, childType] = s.split(":") as [string, string | undefined];
      const card = /[?*+]$/.test(head) ? head.slice(-1) : "";
      return { name: card ? head.slice(0, -1) : head, card, childType };
    });
    let slot = 0;
    const counts = new Map<string, number>();
    for (const c of e.children) {
      const idx = slots.findIndex((s) => s.name === c.name);
      if (idx < 0) { problems.push(`${path}: <${c.name}> is not part of ${type}`); continue; }
      if (idx < slot) problems.push(`${path}: <${c.name}> is out of order in ${type}`);
      slot = Math.max(slot, idx);
      counts.set(c.name, (counts.get(c.name) ?? 0) + 1);
      const s = slots[idx]!;
      if (s.childType !== undefined) work.push({ e: c, type: s.childType, path: `${path}/${c.name}` });
    }
    for (const s of slots) {
      const n = counts.get(s.name) ?? 0;
      const required = s.card === "" || s.card === "+";
      const repeatable = s.card === "*" || s.card === "+";
      if (required && n === 0 && !CHOICES.has(type)) problems.push(`${path}: ${type} requires <${s.name}>`);
      if (!repeatable && n > 1) problems.push(`${path}: <${s.name}> may appear once in ${type}`);
    }
    if (CHOICES.has(type) && e.children.length !== 1) problems.push(`${path}: ${type} is a choice of exactly one element`);
  }
  return problems;
}

/** Reads a pain.001 document back: the header figures and every payment. */
export function summarizePain001(xml: string): Pain001Summary {
  const root = parseXml(xml);
  const init = at(root, "CstmrCdtTrfInitn");
  const payments: Pain001Summary["payments"][number][] = [];
  for (const p of init.children.filter((c) => c.name === "PmtInf")) {
    for (const t of p.children.filter((c) => c.name === "CdtTrfTxInf")) {
      const amt = at(t, "Amt", "InstdAmt");
      payments.push({
        endToEndId: at(t, "PmtId", "EndToEndId").text, amount: amt.text, currency: amt.attrs["Ccy"] ?? "",
        iban: at(t, "CdtrAcct", "Id", "IBAN").text, bic: at(t, "CdtrAgt", "FinInstnId", "BICFI").text, name: at(t, "Cdtr", "Nm").text,
      });
    }
  }
  const hdr = at(init, "GrpHdr");
  const ctrl = child(hdr, "CtrlSum");
  if (ctrl === undefined) throw new XmlError("GrpHdr has no CtrlSum");
  return { msgId: at(hdr, "MsgId").text, nbOfTxs: Number(at(hdr, "NbOfTxs").text), ctrlSum: ctrl.text, payments };
}

/** Renders and re-reads: the document must parse, follow the schema order, and carry the
 *  count and control sums of the lines it was made from — checked right after writing,
 *  before anything is stored or handed out. */
export function renderPain001(input: Pain001Input): string {
  const xml = serialize(buildPain001(input));
  const root = parseXml(xml);
  const problems = checkStructure(root);
  if (problems.length > 0) throw new PayoutFileError(`pain.001 structure: ${problems.join("; ")}`);
  const sum = summarizePain001(xml);
  if (sum.nbOfTxs !== input.lines.length || sum.payments.length !== input.lines.length) throw new PayoutFileError("pain.001 count mismatch on read-back");
  if (sum.ctrlSum !== decimalSum(input.lines)) throw new PayoutFileError("pain.001 control sum mismatch on read-back");
  for (const p of at(root, "CstmrCdtTrfInitn").children.filter((c) => c.name === "PmtInf")) {
    const back = p.children.filter((c) => c.name === "CdtTrfTxInf").map((t) => {
      const amt = at(t, "Amt", "InstdAmt");
      const currency = amt.attrs["Ccy"] ?? "";
      return { amountMinor: parseMajor(amt.text, currency), currency };
    });
    if (at(p, "NbOfTxs").text !== String(back.length) || at(p, "CtrlSum").text !== decimalSum(back)) {
      throw new PayoutFileError(`PmtInf ${at(p, "PmtInfId").text}: count or control sum mismatch on read-back`);
    }
  }
  return xml;
}
