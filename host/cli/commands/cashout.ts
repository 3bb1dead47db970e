// `offtap cashout` — cash-out on the command line (docs/CASHOUT.md §8): owners, identity
// verification, bank accounts, the second factor, fees, quote → request → confirm,
// payout files and the bank's answer. Same database flags as `offtap clear`.
import { userInfo } from "node:os";
import { CashoutService, formatMinor, parseMajor, type Cashout, type CashoutErrorCode, type Quote, type Result } from "../../cashout/index.ts";
import { formatIban } from "../../cashout/iban.ts";
import { CommandFailure, EXIT_FAILED, EXIT_OK, UsageError, type Command } from "../command.ts";
import { intFlag, parse } from "../args.ts";
import { bold, green, red, table, yellow } from "../output.ts";
import { DEFAULT_DB_DIR, openFromFlags } from "./clear.ts";
import type { Db } from "../../clearing/index.ts";
import type { PayoutFile } from "../../cashout/types.ts";
import { deliver, ensureDeliveries, pendingFiles, type Delivered } from "../../cashout/delivery.ts";

const COMMON = `options for every subcommand:
  --db DIR       PGlite data directory (default ${DEFAULT_DB_DIR}); DATABASE_URL selects a PostgreSQL server
                 secrets at rest use the data key: OFFTAP_DATA_KEY_FILE, OFFTAP_DATA_KEY, or
                 DIR.key beside --db (docs/CLEARING.md §12)
  --actor WHO    who acts, recorded in the audit trail (default cli:<user>)
  --json         machine-readable output
  -h, --help     help
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
  quote: "usage: offtap cashout quote --owner ID --amount 123.45 [--currency EUR]\n\nShows gross, fee (percentage, fixed part, min/max), net, the limits that apply, the settled\nbalance available, and when the quote expires. Exit 1 when the amount could not be paid out.",
  request: "usage: offtap cashout request --owner ID --account ID (--quote QID | --amount 123.45 [--currency EUR]) [--request-id ID]\n\nHolds the gross amount (pending transfers) and prints the cash-out id; confirm it within the\nconfirmation window with `offtap cashout confirm`. --request-id makes retries return the same cash-out.",
  confirm: "usage: offtap cashout confirm --cashout ID --code 123456\n\nThe owner's current TOTP code releases the payout. Each code works once; 5 wrong codes cancel the cash-out, and 5 in a row across cash-outs block the owner's second factor for 4 hours.",
  cancel: "usage: offtap cashout cancel --cashout ID [--reason TEXT]",
  expire: "usage: offtap cashout expire\n\nExpires every requested cash-out past its confirmation deadline and releases its money.",
  export: "usage: offtap cashout export [--out DIR] [--date YYYY-MM-DD] [--currency EUR] | export --file ID [--out DIR]\n\nWrites DIR/<MsgId>.xml (pain.001.001.09) and DIR/<MsgId>.csv (RFC 4180) for every confirmed\ncash-out and marks them exported (default DIR: .offtap/payouts). --file writes a stored file again.",
  paid: "usage: offtap cashout paid --cashout ID --ref BANKREF",
  failed: "usage: offtap cashout failed --cashout ID --reason TEXT\n\nThe payout is reversed with compensating transfers: the owner gets the net and the fee back.",
  list: "usage: offtap cashout list [--owner ID] [--state STATE] [--limit N]",
  show: "usage: offtap cashout show ID",
  owner: "usage: offtap cashout owner add --id ID --kind operator|merchant|wallet_holder --subject OPERATOR_OR_WALLET --name LEGAL_NAME\n       offtap cashout owner list\n       offtap cashout owner show ID",
  kyc: "usage: offtap cashout kyc set --owner ID --state unverified|pending|verified [--reference TEXT] --actor WHO\n\nRecords who verified the owner's identity and when; an owner cannot verify itself.",
  account: "usage: offtap cashout account add --owner ID --iban IBAN --bic BIC --holder NAME [--currency EUR]\n       offtap cashout account verify --account ID --code CODE\n       offtap cashout account list --owner ID\n\nThe holder must match the owner's legal name. `add` prints a one-time confirmation code that\nreaches the owner out of band (e.g. in a one-cent transfer to the account); `verify` checks it.",
  totp: "usage: offtap cashout totp enroll --owner ID      prints the otpauth:// URI and secret for an authenticator app\n       offtap cashout totp activate --owner ID --code 123456\n       offtap cashout totp unblock --owner ID   lifts a block after 5 wrong codes (docs/CASHOUT.md §3)",
  fees: "usage: offtap cashout fees [show]\n       offtap cashout fees set --currency EUR --percent 1.50 --fixed 0.25 --min-fee 0.50 --max-fee 25.00\n                               --min 10.00 --max 10000.00 --daily 20000.00 --daily-count 5",
  debtor: "usage: offtap cashout debtor show\n       offtap cashout debtor set --name NAME --iban IBAN --bic BIC",
  audit: "usage: offtap cashout audit [--owner ID] [--cashout ID] [--limit N]",
};

const OPTIONS = {
  db: { type: "string" }, json: { type: "boolean" }, help: { type: "boolean", short: "h" }, actor: { type: "string" },
  owner: { type: "string" }, amount: { type: "string" }, currency: { type: "string" }, account: { type: "string" },
  quote: { type: "string" }, "request-id": { type: "string" }, cashout: { type: "string" }, code: { type: "string" },
  reason: { type: "string" }, out: { type: "string" }, date: { type: "string" }, file: { type: "string" }, ref: { type: "string" },
  state: { type: "string" }, limit: { type: "string" }, id: { type: "string" }, kind: { type: "string" }, subject: { type: "string" },
  name: { type: "string" }, reference: { type: "string" }, iban: { type: "string" }, bic: { type: "string" }, holder: { type: "string" },
  percent: { type: "string" }, fixed: { type: "string" }, "min-fee": { type: "string" }, "max-fee": { type: "string" },
  min: { type: "string" }, max: { type: "string" }, daily: { type: "string" }, "daily-count": { type: "string" },
} as const;

type Values = ReturnType<typeof parse<typeof OPTIONS>>["values"];

/** Refusals caused by what was typed (exit 2) rather than by a rule (exit 1). */
const INPUT_ERRORS = new Set<CashoutErrorCode>(["INPUT_INVALID", "NOT_FOUND", "IBAN_INVALID", "BIC_INVALID", "NO_FEE_SCHEDULE"]);

function need(v: string | undefined, flag: string): string {
  if (v === undefined || v === "") throw new UsageError(`--${flag} is required`);
  return v;
}

function money(text: string, currency: string, flag: string): number {
  try { return parseMajor(text, currency); } catch (e) { throw new UsageError(`--${flag}: ${(e as Error).message}`); }
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
  const c = q.currency, f = (n: number): string => `${formatMinor(n, c)} ${c}`;
  const clamp = q.fee.clampedTo === null ? "" : ` (raised to the ${q.fee.clampedTo === "min" ? "minimum" : "maximum"} fee)`;
  const lines = [
    bold(`quote ${q.id}`) + ` — valid until ${q.expiresAt}`,
    `  gross      ${f(q.grossMinor)}`,
    `  fee        ${f(q.fee.feeMinor)} = ${formatMinor(q.fee.percentPartMinor, c)} (${(q.fee.percentBps / 100).toFixed(2)} %) + ${formatMinor(q.fee.fixedMinor, c)} fixed${clamp}`,
    `  net        ${bold(f(q.netMinor))} to your bank account`,
    `  available  ${f(q.availableMinor)} settled balance`,
    `  limits     ${f(q.limits.amountMinMinor)} … ${f(q.limits.amountMaxMinor)} per cash-out; ${f(q.limits.dailyRemainingMinor)} of ${f(q.limits.dailyLimitMinor)} and ${q.limits.dailyCountMax - q.limits.dailyCount} of ${q.limits.dailyCountMax} cash-outs left in the last 24 h`,
    `  schedule   ${q.display.schedule}`,
  ];
  lines.push(q.payable ? green("payable") : red(`not payable: ${q.refusals.join(", ")}`));
  return lines.join("\n");
}

function cashoutText(c: Cashout): string {
  const f = (n: number): string => `${formatMinor(n, c.currency)} ${c.currency}`;
  return [
    `${bold(c.id)}  ${c.state}  gross ${f(c.grossMinor)}  fee ${f(c.feeMinor)}  net ${f(c.netMinor)}`,
    `  owner ${c.ownerId}  account ${c.bankAccountId}${c.state === "requested" ? `  confirm before ${c.expiresAt}` : ""}`,
    ...c.timeline.map((t) => `  ${t.at}  ${t.state.padEnd(9)}  ${t.actor}${t.detail ? `  ${t.detail}` : ""}`),
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
    const cur = v.currency ?? "EUR";
    const r = await svc.quote(need(v.owner, "owner"), money(need(v.amount, "amount"), cur, "amount"), cur, actor);
    const code = report(r, json, quoteText);
    return r.ok && !r.value.payable ? EXIT_FAILED : code;
  },
  async request(svc, v, _r, actor, json) {
    const cur = v.currency ?? "EUR";
    if ((v.quote === undefined) === (v.amount === undefined)) throw new UsageError("give exactly one of --quote or --amount");
    const r = await svc.request({
      ownerId: need(v.owner, "owner"), bankAccountId: need(v.account, "account"),
      ...(v.quote !== undefined ? { quoteId: v.quote } : { grossMinor: money(v.amount!, cur, "amount"), currency: cur }),
      ...(v["request-id"] !== undefined ? { requestId: v["request-id"] } : {}),
    }, actor);
    return report(r, json, (c) => `${cashoutText(c)}\n${yellow(`held; confirm with: offtap cashout confirm --cashout ${c.id} --code <TOTP>`)}`);
  },
  async confirm(svc, v, _r, actor, json) {
    return report(await svc.confirm(need(v.cashout, "cashout"), need(v.code, "code"), actor), json, cashoutText);
  },
  async cancel(svc, v, _r, actor, json) {
    return report(await svc.cancel(need(v.cashout, "cashout"), actor, v.reason), json, cashoutText);
  },
  async expire(svc, _v, _r, actor, json) {
    const ids = await svc.expireDue(actor);
    console.log(json ? JSON.stringify({ expired: ids }) : ids.length === 0 ? "nothing to expire" : `expired: ${ids.join(", ")}`);
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
        ...(v.currency !== undefined ? { currency: v.currency } : {}),
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
    return report(await svc.markPaid(need(v.cashout, "cashout"), actor, need(v.ref, "ref")), json, cashoutText);
  },
  async failed(svc, v, _r, actor, json) {
    return report(await svc.markFailed(need(v.cashout, "cashout"), actor, need(v.reason, "reason")), json, cashoutText);
  },
  async list(svc, v, _r, _a, json) {
    const states = ["requested", "confirmed", "exported", "paid", "failed", "cancelled", "expired"];
    if (v.state !== undefined && !states.includes(v.state)) throw new UsageError(`--state must be one of ${states.join(", ")}`);
    const list = await svc.cashouts({ ...(v.owner !== undefined ? { ownerId: v.owner } : {}), ...(v.state !== undefined ? { state: v.state as Cashout["state"] } : {}), limit: intFlag("limit", v.limit, 100, 10_000) });
    if (json) console.log(JSON.stringify(list, null, 2));
    else console.log(table([["cash-out", "owner", "state", "currency", "gross", "fee", "net", "requested"],
      ...list.map((c) => [c.id, c.ownerId, c.state, c.currency, formatMinor(c.grossMinor, c.currency), formatMinor(c.feeMinor, c.currency), formatMinor(c.netMinor, c.currency), c.createdAt])]));
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

const setup: Record<string, Handler> = {
  async owner(svc, v, rest, actor, json) {
    if (rest[0] === "add") {
      const kind = need(v.kind, "kind") as "operator" | "merchant" | "wallet_holder";
      return report(await svc.addOwner({ id: need(v.id, "id"), kind, subject: need(v.subject, "subject"), legalName: need(v.name, "name") }, actor), json, (o) => `owner ${o.id} (${o.kind} ${o.subject}, ${o.legalName}) added; identity ${o.kyc.state}`);
    }
    if (rest[0] === "list") {
      const list = await svc.owners();
      console.log(json ? JSON.stringify(list, null, 2) : table([["owner", "kind", "subject", "legal name", "identity", "verified by", "TOTP"],
        ...list.map((o) => [o.id, o.kind, o.subject, o.legalName, o.kyc.state, o.kyc.verifiedBy ?? "", o.totpActive ? "active" : "—"])]));
      return EXIT_OK;
    }
    if (rest[0] === "show" && rest[1] !== undefined) {
      const o = await svc.owner(rest[1]);
      if (o === undefined) throw new UsageError(`no owner ${rest[1]}`);
      const accounts = await svc.bankAccounts(o.id);
      console.log(json ? JSON.stringify({ ...o, bankAccounts: accounts }, null, 2)
        : [`${bold(o.id)} ${o.kind} ${o.subject} — ${o.legalName}`, `  identity ${o.kyc.state}${o.kyc.verifiedBy ? ` by ${o.kyc.verifiedBy} at ${o.kyc.verifiedAt}` : ""}`, `  TOTP ${o.totpActive ? "active" : "not active"}`,
          ...accounts.map((a) => `  account ${a.id} ${formatIban(a.iban)} ${a.bic} ${a.currency} ${a.state}`)].join("\n"));
      return EXIT_OK;
    }
    throw new UsageError(HELP["owner"]!);
  },
  async kyc(svc, v, rest, actor, json) {
    if (rest[0] !== "set") throw new UsageError(HELP["kyc"]!);
    const state = need(v.state, "state") as "unverified" | "pending" | "verified";
    return report(await svc.setKyc(need(v.owner, "owner"), state, actor, v.reference), json, (o) => `owner ${o.id}: identity ${o.kyc.state}${o.kyc.verifiedBy ? ` (verified by ${o.kyc.verifiedBy} at ${o.kyc.verifiedAt})` : ""}`);
  },
  async account(svc, v, rest, actor, json) {
    if (rest[0] === "add") {
      const r = await svc.addBankAccount(need(v.owner, "owner"), { iban: need(v.iban, "iban"), bic: need(v.bic, "bic"), holderName: need(v.holder, "holder"), currency: v.currency ?? "EUR" }, actor);
      return report(r, json, (x) => `account ${x.account.id} (${formatIban(x.account.iban)}) added, unverified\nconfirmation code (delivered to the account holder out of band): ${x.confirmationCode}\nverify with: offtap cashout account verify --account ${x.account.id} --code <CODE>`);
    }
    if (rest[0] === "verify") return report(await svc.verifyBankAccount(need(v.account, "account"), need(v.code, "code"), actor), json, (a) => `account ${a.id} verified`);
    if (rest[0] === "list") {
      const list = await svc.bankAccounts(need(v.owner, "owner"));
      console.log(json ? JSON.stringify(list, null, 2) : table([["account", "IBAN", "BIC", "holder", "currency", "state"], ...list.map((a) => [a.id, formatIban(a.iban), a.bic, a.holderName, a.currency, a.state])]));
      return EXIT_OK;
    }
    throw new UsageError(HELP["account"]!);
  },
  async totp(svc, v, rest, actor, json) {
    if (rest[0] === "enroll") return report(await svc.enrollTotp(need(v.owner, "owner"), actor), json, (t) => `add this to an authenticator app, then run \`offtap cashout totp activate\`:\n${t.uri}\nsecret: ${t.secret}`);
    if (rest[0] === "activate") return report(await svc.activateTotp(need(v.owner, "owner"), need(v.code, "code"), actor), json, (o) => `owner ${o.id}: second factor active`);
    if (rest[0] === "unblock") {
      return report(await svc.unblockTotp(need(v.owner, "owner"), actor), json,
        (o) => `owner ${o.id}: second factor unblocked`);
    }
    throw new UsageError(HELP["totp"]!);
  },
  async fees(svc, v, rest, actor, json) {
    if (rest[0] === "set") {
      const cur = need(v.currency, "currency");
      const pct = need(v.percent, "percent");
      if (!/^\d{1,3}(\.\d{1,2})?$/.test(pct)) throw new UsageError("--percent takes a percentage with up to 2 decimals, e.g. 1.50");
      const m = (flag: keyof Values): number => money(need(v[flag] as string | undefined, flag), cur, flag);
      const s = {
        currency: cur, percentBps: Math.round(Number(pct) * 100), fixedMinor: m("fixed"), feeMinMinor: m("min-fee"), feeMaxMinor: m("max-fee"),
        amountMinMinor: m("min"), amountMaxMinor: m("max"), dailyLimitMinor: m("daily"), dailyCountMax: intFlag("daily-count", need(v["daily-count"], "daily-count"), 1, 1000),
      };
      return report(await svc.setFeeSchedule(s, actor), json, () => `${cur} fee schedule updated`);
    }
    if (rest[0] !== undefined && rest[0] !== "show") throw new UsageError(HELP["fees"]!);
    const list = await svc.feeSchedules();
    if (json) console.log(JSON.stringify(list, null, 2));
    else console.log(table([["currency", "percent", "fixed", "fee min", "fee max", "amount min", "amount max", "24 h limit", "24 h count"],
      ...list.map((s) => { const f = (x: number): string => formatMinor(x, s.currency); return [s.currency, `${(s.percentBps / 100).toFixed(2)} %`, f(s.fixedMinor), f(s.feeMinMinor), f(s.feeMaxMinor), f(s.amountMinMinor), f(s.amountMaxMinor), f(s.dailyLimitMinor), String(s.dailyCountMax)]; })]));
    return EXIT_OK;
  },
  async debtor(svc, v, rest, actor, json) {
    if (rest[0] === "set") return report(await svc.setDebtor({ name: need(v.name, "name"), iban: need(v.iban, "iban"), bic: need(v.bic, "bic") }, actor), json, (d) => `debtor ${d.name} ${formatIban(d.iban)} ${d.bic}`);
    const d = await svc.debtor();
    console.log(json ? JSON.stringify(d ?? null) : d === undefined ? "no debtor account set (offtap cashout debtor set)" : `debtor ${d.name} ${formatIban(d.iban)} ${d.bic}`);
    return EXIT_OK;
  },
  async audit(svc, v, _r, _a, json) {
    const list = await svc.auditTrail({ ...(v.owner !== undefined ? { ownerId: v.owner } : {}), ...(v.cashout !== undefined ? { cashoutId: v.cashout } : {}), limit: intFlag("limit", v.limit, 100, 10_000) });
    if (json) console.log(JSON.stringify(list, null, 2));
    else console.log(table([["#", "at", "actor", "action", "decision", "owner", "cash-out", "reason"],
      ...list.map((e) => [String(e.seq), e.at, e.actor, e.action, e.decision === "ok" ? e.decision : red(e.decision), e.ownerId ?? "", e.cashoutId ?? "", e.reason])]));
    return EXIT_OK;
  },
};

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
    const c = await openFromFlags(v.db);
    try {
      const svc = await CashoutService.open(c);
      await ensureDeliveries(c.db);
      return await handler(svc, v, rest, actor, v.json === true, c.db);
    } finally {
      await c.close();
    }
  },
};
