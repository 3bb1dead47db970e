// `offtap cashout` — cash-out on the command line (docs/CASHOUT.md §8): owners, identity
// verification, bank accounts, the second factor, fees, quote → request → confirm,
// payout files and the bank's answer. Same database flags as `offtap clear`.
import { userInfo } from "node:os";
import {
  CashoutService, parseMajor, type Cashout, type CashoutErrorCode, type Quote, type Result,
} from "../../cashout/index.ts";
import { describeClamp } from "../../cashout/fees.ts";
import { formatIban } from "../../cashout/iban.ts";
import { CommandFailure, EXIT_FAILED, EXIT_OK, UsageError, type Command } from "../command.ts";
import { intFlag, parse } from "../args.ts";
import { bold, green, red, table, yellow } from "../output.ts";
import { DEFAULT_DB_DIR, openFromFlags } from "./clear.ts";
import type { Db } from "../../clearing/index.ts";
import type { PayoutFile } from "../../cashout/types.ts";
import { deliver, ensureDeliveries, pendingFiles, type Delivered } from "../../cashout/delivery.ts";
import { alignRight, formatBasisPoints, formatMoney, isoTime } from "../../money/index.ts";
import { CURRENCY_FLAG_HELP, currencyFlag } from "../../money/flags.ts";
import { currentTotpCode } from "../../cashout/totp-code.ts";
import { sealerOf } from "../../clearing/sealed.ts";

const COMMON = `options for every subcommand:
  --db DIR       PGlite data directory (default ${DEFAULT_DB_DIR}); DATABASE_URL selects a
                 PostgreSQL server
                 secrets at rest use the data key: OFFTAP_DATA_KEY_FILE, OFFTAP_DATA_KEY, or
                 DIR.key beside --db (docs/CLEARING.md §12)
  --create       create the database when --db names none yet (else an error)
  --create       create the database when --db names none yet (else an error)
  --actor WHO    who acts, recorded in the audit trail (default cli:<user>)
  --json         machine-readable output: amounts in integer minor units (grossMinor …)
                 beside the currency's ISO 4217 code (README "Money, currencies and times")
  --currency C   ${CURRENCY_FLAG_HELP}; default EUR
  -h, --help     help
amounts (--amount, fees set …) are major units with the currency's decimals: 123.45 EUR
exit codes: 0 done, 1 refused by a rule (the reason is printed), 2 usage or input error`;

const HELP: Record<string, string> = {
  "": `usage: offtap cashout <subcommand> [options]

Pays verified owners their settled balance to their own verified bank account, with fees
and limits shown before they confirm, a TOTP second factor, payout files (ISO 20022
pain.001.001.09 and CSV) and an audit trail (docs/CASHOUT.md).

subcommands:
  quote        fee, net, limits and available balance for an amount (nothing is held)
  request      hold the money for a cash-out (step one)
  confirm      release it with the owner's TOTP code (step two)
  cancel       cancel a requested cash-out (held money released)
  expire       expire requested cash-outs past their confirmation deadline
  export       write confirmed cash-outs to a pain.001 payout file and a CSV
  paid|failed  record the bank's answer for an exported cash-out
  list|show    cash-outs, or one with its timeline
  owner        add|list|show owners          kyc     set an owner's identity verification state
  account      add|verify|list bank accounts totp    enroll|activate the second factor
  fees         show|set the fee schedule     debtor  show|set the operator's paying account
  audit        the audit trail

${COMMON}`,
  quote: `usage: offtap cashout quote --owner ID --amount 123.45 [--currency EUR]

Shows gross, fee (percentage, fixed part, min/max), net, the limits that apply, the settled
balance available, and when the quote expires. --amount is in major units (123.45 EUR).
Exit 1 when the amount could not be paid out.`,
  request: `usage: offtap cashout request --owner ID [--account ID] (--quote QID | --amount 123.45
                              [--currency EUR]) [--request-id ID]

Holds the gross amount (pending transfers) and prints the cash-out id; confirm it within the
confirmation window with \`offtap cashout confirm\`. --request-id makes retries return the
same cash-out. --account defaults to the owner's one verified account in the currency.`,
  confirm: `usage: offtap cashout confirm --cashout ID --code 123456

The owner's current TOTP code releases the payout. Each code works once; 5 wrong codes cancel
the cash-out, and 5 in a row across cash-outs block the owner's second factor for 4 hours.`,
  cancel: "usage: offtap cashout cancel --cashout ID [--reason TEXT]",
  expire: `usage: offtap cashout expire

Expires every requested cash-out past its confirmation deadline and releases its money.`,
  export: `usage: offtap cashout export [--out DIR] [--date YYYY-MM-DD] [--currency EUR]
       offtap cashout export --file ID [--out DIR]

Writes DIR/<MsgId>.xml (pain.001.001.09) and DIR/<MsgId>.csv (RFC 4180) for every confirmed
cash-out and marks them exported (default DIR: .offtap/payouts). --file writes a stored file
again.`,
  paid: "usage: offtap cashout paid --cashout ID --ref BANKREF",
  failed: `usage: offtap cashout failed --cashout ID --reason TEXT

The payout is reversed with compensating transfers: the owner gets the net and the fee back.`,
  list: "usage: offtap cashout list [--owner ID] [--state STATE] [--limit N]",
  show: "usage: offtap cashout show ID",
  owner: `usage: offtap cashout owner add --id ID --kind operator|merchant|wallet_holder
                                --subject OPERATOR_OR_WALLET --name LEGAL_NAME
       offtap cashout owner list
       offtap cashout owner show ID`,
  kyc: `usage: offtap cashout kyc set --owner ID --state unverified|pending|verified
                            [--reference TEXT] --actor WHO

Records who verified the owner's identity and when; an owner cannot verify itself.`,
  account: `usage: offtap cashout account add --owner ID --iban IBAN --bic BIC --holder NAME
                                  [--currency EUR]
       offtap cashout account verify --account ID --code CODE
       offtap cashout account list --owner ID

The holder must match the owner's legal name. \`add\` prints a one-time confirmation code that
reaches the owner out of band (e.g. in a one-cent transfer to the account); \`verify\` checks it.`,
  totp: `usage: offtap cashout totp enroll --owner ID
           prints the otpauth:// URI and secret for an authenticator app
       offtap cashout totp activate --owner ID --code 123456
       offtap cashout totp unblock --owner ID
           lifts a block after 5 wrong codes (docs/CASHOUT.md §3)
       offtap cashout totp code --owner ID
           the code the owner's authenticator shows now (demo and test databases;
           each use is audited)`,
  fees: `usage: offtap cashout fees [show]
       offtap cashout fees set --currency EUR --percent 1.50 --fixed 0.25 --min-fee 0.50
                               --max-fee 25.00 --min 10.00 --max 10000.00 --daily 20000.00
                               --daily-count 5
amounts are major units of --currency; --percent has up to 2 decimals`,
  debtor: `usage: offtap cashout debtor show
       offtap cashout debtor set --name NAME --iban IBAN --bic BIC`,
  audit: "usage: offtap cashout audit [--owner ID] [--cashout ID] [--limit N]",
};

const OPTIONS = {
  db: { type: "string" }, json: { type: "boolean" }, help: { type: "boolean", short: "h" },
  actor: { type: "string" }, owner: { type: "string" }, amount: { type: "string" },
  currency: { type: "string" }, account: { type: "string" }, quote: { type: "string" },
  "request-id": { type: "string" }, cashout: { type: "string" }, code: { type: "string" },
  reason: { type: "string" }, out: { type: "string" }, date: { type: "string" },
  file: { type: "string" }, ref: { type: "string" }, state: { type: "string" },
  limit: { type: "string" }, id: { type: "string" }, kind: { type: "string" },
  subject: { type: "string" }, name: { type: "string" }, reference: { type: "string" },
  iban: { type: "string" }, bic: { type: "string" }, holder: { type: "string" },
  percent: { type: "string" }, fixed: { type: "string" }, "min-fee": { type: "string" },
  "max-fee": { type: "string" }, min: { type: "string" }, max: { type: "string" },
  daily: { type: "string" }, "daily-count": { type: "string" }, create: { type: "boolean" },
} as const;

type Values = ReturnType<typeof parse<typeof OPTIONS>>["values"];

/** Refusals caused by what was typed (exit 2) rather than by a rule (exit 1). */
const INPUT_ERRORS = new Set<CashoutErrorCode>([
  "INPUT_INVALID", "NOT_FOUND", "IBAN_INVALID", "BIC_INVALID", "NO_FEE_SCHEDULE",
  "TOTP_FORMAT",
]);

function need(v: string | undefined, flag: string): string {
  if (v === undefined || v === "") throw new UsageError(`--${flag} is required`);
  return v;
}

/** `--amount 123.45` in major units of `currency` → minor units. */
function money(text: string, currency: string, flag: string): number {
  try {
    return parseMajor(text, currency);
  } catch (e) {
    throw new UsageError(`--${flag}: ${(e as Error).message}`);
  }
}

/** `--currency EUR|eur|978` → "EUR" (what cash-out stores); absent → EUR. */
function cur(v: Values): string {
  return currencyFlag("currency", v.currency).alpha;
}

/** The owner's one verified account in the currency: what --account defaults to. */
async function onlyAccount(svc: CashoutService, ownerId: string, currency: string):
  Promise<string> {
  const usable = (a: { state: string; currency: string }): boolean =>
    a.state === "verified" && a.currency === currency;
  const ok = (await svc.bankAccounts(ownerId)).filter(usable);
  if (ok.length === 1) return ok[0]!.id;
  throw new UsageError(`--account is required: owner ${ownerId} has ${ok.length} verified ` +
    `${currency} ` +
    "accounts (offtap cashout account list --owner ID)");
}

/** Prints a Result: the value (JSON or text), or the refusal. */
function report<T>(r: Result<T>, json: boolean, text: (v: T) => string): number {
  if (!r.ok) {
    if (INPUT_ERRORS.has(r.error)) throw new UsageError(`${r.error}: ${r.message}`);
    if (json) console.log(JSON.stringify({ ok: false, error: r.error, message: r.message }));
    else throw new CommandFailure(r.message, `refused: ${r.error}`, r.error);
    return EXIT_FAILED;
  }
  console.log(json ? JSON.stringify(r.value, null, 2) : text(r.value));
  return EXIT_OK;
}

function quoteText(q: Quote): string {
  const f = (n: number): string => formatMoney(n, q.currency);
  const clamp = q.fee.clampedTo === null ? "" : ` (${describeClamp(q.fee.clampedTo)})`;
  const pct = formatBasisPoints(q.fee.percentBps);
  const l = q.limits;
  const countLeft = l.dailyCountMax - l.dailyCount;
  const lines = [
    bold(`quote ${q.id}`) + ` — valid until ${isoTime(q.expiresAt)}`,
    `  gross      ${f(q.grossMinor)}`,
    `  fee        ${f(q.fee.feeMinor)}: ${f(q.fee.percentPartMinor)} (${pct}) `
      + `+ ${f(q.fee.fixedMinor)} fixed${clamp}`,
    `  net        ${bold(f(q.netMinor))} to your bank account`,
    `  available  ${f(q.availableMinor)} settled balance`,
    `  limits     ${f(l.amountMinMinor)} … ${f(l.amountMaxMinor)} per cash-out; `
      + `${f(l.dailyRemainingMinor)} of ${f(l.dailyLimitMinor)} and ${countLeft} of `
      + `${l.dailyCountMax} cash-outs left in the last 24 h`,
    `  schedule   ${q.display.schedule}`,
  ];
  lines.push(q.payable ? green("payable") : red(`not payable: ${q.refusals.join(", ")}`));
  return lines.join("\n");
}

function cashoutText(c: Cashout): string {
  const f = (n: number): string => formatMoney(n, c.currency);
  const deadline = c.state === "requested" ? `  confirm before ${isoTime(c.expiresAt)}` : "";
  const step = (t: Cashout["timeline"][number]): string =>
    `  ${isoTime(t.at)}  ${t.state.padEnd(9)}  ${t.actor}${t.detail ? `  ${t.detail}` : ""}`;
  return [
    `${bold(c.id)}  ${c.state}  gross ${f(c.grossMinor)}  fee ${f(c.feeMinor)}  `
      + `net ${f(c.netMinor)}`,
    `  owner ${c.ownerId}  account ${c.bankAccountId}${deadline}`,
    ...c.timeline.map(step),
  ].join("\n");
}

type Handler = (
  svc: CashoutService, v: Values, rest: string[], actor: string, json: boolean, db: Db,
) => Promise<number>;

/** What `export` reports for one payout file written to disk. */
function payoutSummary(file: PayoutFile, files: Delivered) {
  return {
    id: file.id, msgId: file.msgId, nbOfTxs: file.nbOfTxs, ctrlSum: file.ctrlSum,
    executionDate: file.executionDate, xmlSha256: file.xmlSha256, cashoutIds: file.cashoutIds,
    files,
  };
}

const flow: Record<string, Handler> = {
  async quote(svc, v, _r, actor, json) {
    const c = cur(v);
    const gross = money(need(v.amount, "amount"), c, "amount");
    const r = await svc.quote(need(v.owner, "owner"), gross, c, actor);
    const code = report(r, json, quoteText);
    return r.ok && !r.value.payable ? EXIT_FAILED : code;
  },
  async request(svc, v, _r, actor, json) {
    const c = cur(v);
    if ((v.quote === undefined) === (v.amount === undefined)) {
      throw new UsageError("give exactly one of --quote or --amount");
    }
    const what = v.quote !== undefined
      ? { quoteId: v.quote }
      : { grossMinor: money(v.amount!, c, "amount"), currency: c };
    const ownerId = need(v.owner, "owner");
    const r = await svc.request({
      ownerId, bankAccountId: v.account ?? await onlyAccount(svc, ownerId, c), ...what,
      ...(v["request-id"] !== undefined ? { requestId: v["request-id"] } : {}),
    }, actor);
    const held = (x: Cashout): string => `${cashoutText(x)}\n`
      + yellow(`held; confirm with: offtap cashout confirm --cashout ${x.id} --code <TOTP>`);
    return report(r, json, held);
  },
  async confirm(svc, v, _r, actor, json) {
    const r = await svc.confirm(need(v.cashout, "cashout"), need(v.code, "code"), actor);
    return report(r, json, cashoutText);
  },
  async cancel(svc, v, _r, actor, json) {
    return report(await svc.cancel(need(v.cashout, "cashout"), actor, v.reason), json, cashoutText);
  },
  async expire(svc, _v, _r, actor, json) {
    const ids = await svc.expireDue(actor);
    const text = ids.length === 0 ? "nothing to expire" : `expired: ${ids.join(", ")}`;
    console.log(json ? JSON.stringify({ expired: ids }) : text);
    return EXIT_OK;
  },
  async export(svc, v, _r, actor, json, db) {
    const out = v.out ?? ".offtap/payouts";
    // Files an interrupted export stored but never wrote go out first (docs/CLEARING.md
    // "Durability"); the cash-outs in them are already `exported`.
    const finished = [];
    for (const id of await pendingFiles(db)) {
      const pending = await svc.payoutFile(id);
      if (pending === undefined) continue;
      const s = payoutSummary(pending, await deliver(db, pending, out));
      finished.push(s);
      if (!json) console.log(yellow(`payout file ${s.msgId} was stored by an export that did not `
        + `finish writing it; written now → ${s.files.xml}, ${s.files.csv}`));
    }
    let file;
    if (v.file !== undefined) {
      file = await svc.payoutFile(v.file);
      if (file === undefined) throw new UsageError(`no payout file ${v.file}`);
    } else {
      const r = await svc.export(actor, {
        ...(v.date !== undefined ? { executionDate: v.date } : {}),
        ...(v.currency !== undefined ? { currency: cur(v) } : {}),
      });
      if (!r.ok && r.error === "NOTHING_TO_EXPORT") {
        const none = { ok: true, exported: 0, ...(finished.length > 0 ? { finished } : {}) };
        console.log(json ? JSON.stringify(none) : "nothing to export");
        return EXIT_OK;
      }
      if (!r.ok) return report(r, json, () => "");
      file = r.value;
    }
    // The cash-outs are marked exported (durably) before the file is written: a crash now
    // leaves the file pending, and the next export finishes it.
    const summary = payoutSummary(file, await deliver(db, file, out));
    const shown = finished.length > 0 ? { ...summary, finished } : summary;
    console.log(json ? JSON.stringify(shown, null, 2) : `${green(`${file.nbOfTxs} payout(s), `
      + `control sum ${file.ctrlSum}`)} → ${summary.files.xml}, ${summary.files.csv}`);
    return EXIT_OK;
  },
  async paid(svc, v, _r, actor, json) {
    const r = await svc.markPaid(need(v.cashout, "cashout"), actor, need(v.ref, "ref"));
    return report(r, json, cashoutText);
  },
  async failed(svc, v, _r, actor, json) {
    const r = await svc.markFailed(need(v.cashout, "cashout"), actor, need(v.reason, "reason"));
    return report(r, json, cashoutText);
  },
  async list(svc, v, _r, _a, json) {
    const states = ["requested", "confirmed", "exported", "paid", "failed", "cancelled", "expired"];
    if (v.state !== undefined && !states.includes(v.state)) {
      throw new UsageError(`--state must be one of ${states.join(", ")}`);
    }
    const list = await svc.cashouts({
      ...(v.owner !== undefined ? { ownerId: v.owner } : {}),
      ...(v.state !== undefined ? { state: v.state as Cashout["state"] } : {}),
      limit: intFlag("limit", v.limit, 100, 10_000),
    });
    if (json) {
      console.log(JSON.stringify(list, null, 2));
      return EXIT_OK;
    }
    const row = (c: Cashout): string[] => [c.id, c.ownerId, c.state,
      formatMoney(c.grossMinor, c.currency), formatMoney(c.feeMinor, c.currency),
      formatMoney(c.netMinor, c.currency), isoTime(c.createdAt)];
    console.log(table(alignRight([
      ["cash-out", "owner", "state", "gross", "fee", "net", "requested"], ...list.map(row),
    ], [3, 4, 5])));
    return EXIT_OK;
  },
  async show(svc, _v, rest, _a, json) {
    if (rest.length !== 1) throw new UsageError("give one cash-out id");
    const c = await svc.cashout(rest[0]!);
    if (c === undefined) throw new UsageError(`no cash-out ${rest[0]}`);
    console.log(json ? JSON.stringify(c, null, 2) : cashoutText(c));
    return EXIT_OK;
  },
};

/** `owner show ID`: the owner, its identity check and its bank accounts. */
async function showOwner(svc: CashoutService, id: string, json: boolean): Promise<number> {
  const o = await svc.owner(id);
  if (o === undefined) throw new UsageError(`no owner ${id}`);
  const accounts = await svc.bankAccounts(o.id);
  if (json) {
    console.log(JSON.stringify({ ...o, bankAccounts: accounts }, null, 2));
    return EXIT_OK;
  }
  const by = o.kyc.verifiedBy
    ? ` by ${o.kyc.verifiedBy} at ${isoTime(o.kyc.verifiedAt ?? "")}` : "";
  console.log([
    `${bold(o.id)} ${o.kind} ${o.subject} — ${o.legalName}`,
    `  identity ${o.kyc.state}${by}`,
    `  TOTP ${o.totpActive ? "active" : "not active"}`,
    ...accounts.map((a) =>
      `  account ${a.id} ${formatIban(a.iban)} ${a.bic} ${a.currency} ${a.state}`),
  ].join("\n"));
  return EXIT_OK;
}

const setup: Record<string, Handler> = {
  async owner(svc, v, rest, actor, json) {
    if (rest[0] === "add") {
      const kind = need(v.kind, "kind") as "operator" | "merchant" | "wallet_holder";
      const spec = {
        id: need(v.id, "id"), kind, subject: need(v.subject, "subject"),
        legalName: need(v.name, "name"),
      };
      return report(await svc.addOwner(spec, actor), json,
        (o) => `owner ${o.id} (${o.kind} ${o.subject}, ${o.legalName}) added; `
          + `identity ${o.kyc.state}`);
    }
    if (rest[0] === "list") {
      const list = await svc.owners();
      if (json) {
        console.log(JSON.stringify(list, null, 2));
        return EXIT_OK;
      }
      const head = ["owner", "kind", "subject", "legal name", "identity", "verified by", "TOTP"];
      console.log(table([head, ...list.map((o) => [o.id, o.kind, o.subject, o.legalName,
        o.kyc.state, o.kyc.verifiedBy ?? "", o.totpActive ? "active" : "—"])]));
      return EXIT_OK;
    }
    if (rest[0] === "show" && rest[1] !== undefined) return showOwner(svc, rest[1], json);
    throw new UsageError(HELP["owner"]!);
  },
  async kyc(svc, v, rest, actor, json) {
    if (rest[0] !== "set") throw new UsageError(HELP["kyc"]!);
    const state = need(v.state, "state") as "unverified" | "pending" | "verified";
    const r = await svc.setKyc(need(v.owner, "owner"), state, actor, v.reference);
    return report(r, json, (o) => {
      const by = o.kyc.verifiedBy
        ? ` (verified by ${o.kyc.verifiedBy} at ${isoTime(o.kyc.verifiedAt ?? "")})` : "";
      return `owner ${o.id}: identity ${o.kyc.state}${by}`;
    });
  },
  async account(svc, v, rest, actor, json) {
    if (rest[0] === "add") {
      const spec = {
        iban: need(v.iban, "iban"), bic: need(v.bic, "bic"), holderName: need(v.holder, "holder"),
        currency: cur(v),
      };
      const r = await svc.addBankAccount(need(v.owner, "owner"), spec, actor);
      return report(r, json, (x) => [
        `account ${x.account.id} (${formatIban(x.account.iban)}) added, unverified`,
        `confirmation code (delivered to the account holder out of band): ${x.confirmationCode}`,
        `verify with: offtap cashout account verify --account ${x.account.id} --code <CODE>`,
      ].join("\n"));
    }
    if (rest[0] === "verify") {
      const code = need(v.code, "code");
      const r = await svc.verifyBankAccount(need(v.account, "account"), code, actor);
      return report(r, json, (a) => `account ${a.id} verified`);
    }
    if (rest[0] === "list") {
      const list = await svc.bankAccounts(need(v.owner, "owner"));
      if (json) {
        console.log(JSON.stringify(list, null, 2));
        return EXIT_OK;
      }
      console.log(table([["account", "IBAN", "BIC", "holder", "currency", "state"],
        ...list.map((a) => [a.id, formatIban(a.iban), a.bic, a.holderName, a.currency, a.state])]));
      return EXIT_OK;
    }
    throw new UsageError(HELP["account"]!);
  },
  async totp(svc, v, rest, actor, json, db) {
    if (rest[0] === "enroll") {
      return report(await svc.enrollTotp(need(v.owner, "owner"), actor), json, (t) =>
        "add this to an authenticator app, then run `offtap cashout totp activate`:\n"
        + `${t.uri}\nsecret: ${t.secret}`);
    }
    if (rest[0] === "code") {
      const r = await currentTotpCode(db, sealerOf(db)!, need(v.owner, "owner"), Date.now(), actor);
      return report(r, json, (t) => t.code);
    }
    if (rest[0] === "activate") {
      const r = await svc.activateTotp(need(v.owner, "owner"), need(v.code, "code"), actor);
      return report(r, json, (o) => `owner ${o.id}: second factor active`);
    }
    if (rest[0] === "unblock") {
      return report(await svc.unblockTotp(need(v.owner, "owner"), actor), json,
        (o) => `owner ${o.id}: second factor unblocked`);
    }
    throw new UsageError(HELP["totp"]!);
  },
  async fees(svc, v, rest, actor, json) {
    if (rest[0] === "set") return setFees(svc, v, actor, json);
    if (rest[0] !== undefined && rest[0] !== "show") throw new UsageError(HELP["fees"]!);
    const list = await svc.feeSchedules();
    if (json) {
      console.log(JSON.stringify(list, null, 2));
      return EXIT_OK;
    }
    const row = (s: (typeof list)[number]): string[] => {
      const f = (x: number): string => formatMoney(x, s.currency);
      return [s.currency, formatBasisPoints(s.percentBps), f(s.fixedMinor), f(s.feeMinMinor),
        f(s.feeMaxMinor), f(s.amountMinMinor), f(s.amountMaxMinor), f(s.dailyLimitMinor),
        String(s.dailyCountMax)];
    };
    console.log(table(alignRight([["currency", "percent", "fixed", "fee min", "fee max",
      "amount min", "amount max", "24 h limit", "24 h count"], ...list.map(row)],
    [2, 3, 4, 5, 6, 7])));
    return EXIT_OK;
  },
  async debtor(svc, v, rest, actor, json) {
    const text = (d: { name: string; iban: string; bic: string }): string =>
      `debtor ${d.name} ${formatIban(d.iban)} ${d.bic}`;
    if (rest[0] === "set") {
      const d = { name: need(v.name, "name"), iban: need(v.iban, "iban"), bic: need(v.bic, "bic") };
      return report(await svc.setDebtor(d, actor), json, text);
    }
    const d = await svc.debtor();
    if (json) console.log(JSON.stringify(d ?? null));
    else if (d === undefined) console.log("no debtor account set (offtap cashout debtor set)");
    else console.log(text(d));
    return EXIT_OK;
  },
  async audit(svc, v, _r, _a, json) {
    const list = await svc.auditTrail({
      ...(v.owner !== undefined ? { ownerId: v.owner } : {}),
      ...(v.cashout !== undefined ? { cashoutId: v.cashout } : {}),
      limit: intFlag("limit", v.limit, 100, 10_000),
    });
    if (json) {
      console.log(JSON.stringify(list, null, 2));
      return EXIT_OK;
    }
    console.log(table([["#", "at", "actor", "action", "decision", "owner", "cash-out", "reason"],
      ...list.map((e) => [String(e.seq), isoTime(e.at), e.actor, e.action,
        e.decision === "ok" ? e.decision : red(e.decision), e.ownerId ?? "", e.cashoutId ?? "",
        e.reason])]));
    return EXIT_OK;
  },
};

/** `fees set`: every amount in major units of --currency (required here: a schedule is
 *  per currency, so it is never defaulted). */
async function setFees(svc: CashoutService, v: Values, actor: string,
  json: boolean): Promise<number> {
  const c = currencyFlag("currency", need(v.currency, "currency")).alpha;
  const pct = need(v.percent, "percent");
  if (!/^\d{1,3}(\.\d{1,2})?$/.test(pct)) {
    throw new UsageError("--percent takes a percentage with up to 2 decimals, e.g. 1.50");
  }
  const m = (flag: keyof Values): number =>
    money(need(v[flag] as string | undefined, flag), c, flag);
  const s = {
    // A percentage with at most 2 decimals is a whole number of basis points: parsed
    // exactly like a 2-decimal amount, never through floating point.
    currency: c, percentBps: parseMajor(pct, "EUR"), fixedMinor: m("fixed"),
    feeMinMinor: m("min-fee"), feeMaxMinor: m("max-fee"), amountMinMinor: m("min"),
    amountMaxMinor: m("max"), dailyLimitMinor: m("daily"),
    dailyCountMax: intFlag("daily-count", need(v["daily-count"], "daily-count"), 1, 1000),
  };
  return report(await svc.setFeeSchedule(s, actor), json, () => `${c} fee schedule updated`);
}

const HANDLERS: Record<string, Handler> = { ...flow, ...setup };

export const command: Command = {
  name: "cashout",
  summary: "cash-out: owners, bank accounts, fees, quote/request/confirm with TOTP, payout files",
  async run(argv) {
    const { values: v, positionals } = parse(argv, OPTIONS, true);
    const [sub, ...rest] = positionals;
    if (sub === undefined) {
      console.log(HELP[""]);
      return v.help ? EXIT_OK : 2;
    }
    const handler = HANDLERS[sub];
    if (handler === undefined) throw new UsageError(`unknown subcommand '${sub}'`);
    if (v.help) { console.log(`${HELP[sub] ?? HELP[""]}\n\n${COMMON}`); return EXIT_OK; }
    const actor = v.actor ?? `cli:${userInfo().username}`;
    const c = await openFromFlags(v.db, undefined, v.create === true);
    try {
      const svc = await CashoutService.open(c);
      await ensureDeliveries(c.db);
      return await handler(svc, v, rest, actor, v.json === true, c.db);
    } finally {
      await c.close();
    }
  },
};
