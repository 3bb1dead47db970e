// The cash-out flow (docs/CASHOUT.md §4): quote → request (money held by pending
// transfers) → confirm with a second factor (held transfers posted) | cancel | expire
// (held transfers voided). A held transfer is posted or voided once, never both: the
// cash-out row is locked for every transition and clearing refuses a second resolution.
import { randomBytes } from "node:crypto";
import type { Tx } from "../clearing/index.ts";
import { applyTransfer, createAccount, getAccount, accountIds } from "../clearing/accounts.ts";
import {
  checkSchedule,
  computeFee,
  describeSchedule,
  DEFAULT_FEE_SCHEDULES,
  type FeeSchedule,
} from "./fees.ts";
import { currency as currencyInfo, checkMinor, MoneyError } from "./money.ts";
import { formatMoney } from "../money/index.ts";
import { namesMatch } from "./iban.ts";
import { audit, bankDetail, loadCashout, loadOwnerRow, setState, toSchedule } from "./store.ts";
import { consumeTotp, TOTP_REFUSAL, totpFormatMessage, triesLeftText } from "./owners.ts";
import { nowIso, validId, validText, type Ctx } from "./context.ts";
import {
  ok,
  err,
  type Cashout,
  type CashoutErrorCode,
  type Limits,
  type Quote,
  type Result,
} from "./types.ts";

/** States whose gross counts against the daily limit: money that is or was on its way out. */
const LIVE_STATES = ["requested", "confirmed", "exported", "paid"];
const DAY_MS = 24 * 60 * 60 * 1000;

export class AbortTx extends Error {
  constructor(
    readonly code: CashoutErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export const transferIds = {
  hold: (id: string): string => `cashout:${id}:hold`,
  fee: (id: string): string => `cashout:${id}:fee`,
  resolve: (pendingId: string, how: "post" | "void"): string => `${pendingId}:${how}`,
  payout: (id: string): string => `cashout:${id}:payout`,
  reverse: (id: string): string => `cashout:${id}:reverse`,
  feeRefund: (id: string): string => `cashout:${id}:fee-refund`,
} as const;

/** The clearing account an owner's settled balance lives in (docs/CLEARING.md §3). */
export function clearingAccountOf(owner: Record<string, unknown>, numericCurrency: number): string {
  return owner["kind"] === "wallet_holder"
    ? accountIds.walletHolder(String(owner["subject"]), numericCurrency)
    : accountIds.operator(String(owner["subject"]), numericCurrency);
}

export async function seedSchedules(ctx: Ctx): Promise<void> {
  for (const s of DEFAULT_FEE_SCHEDULES) {
    await ctx.db.query(
      `INSERT INTO cashout_fee_schedules (currency, percent_bps, fixed_minor, fee_min_minor, fee_max_minor, amount_min_minor,
         amount_max_minor, daily_limit_minor, daily_count_max, updated_by, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'system:defaults', $10::timestamptz) ON CONFLICT (currency) DO NOTHING`,
      [
        s.currency,
        s.percentBps,
        s.fixedMinor,
        s.feeMinMinor,
        s.feeMaxMinor,
        s.amountMinMinor,
        s.amountMaxMinor,
        s.dailyLimitMinor,
        s.dailyCountMax,
        nowIso(ctx),
      ],
    );
  }
}

export async function getSchedule(tx: Tx, currency: string): Promise<FeeSchedule | undefined> {
  const r = (
    await tx.query("SELECT * FROM cashout_fee_schedules WHERE currency = $1", [currency])
  )[0];
  return r === undefined ? undefined : toSchedule(r);
}

export async function listSchedules(ctx: Ctx): Promise<FeeSchedule[]> {
  return (await ctx.db.query("SELECT * FROM cashout_fee_schedules ORDER BY currency")).map(
    toSchedule,
  );
}

export async function setSchedule(
  ctx: Ctx,
  s: FeeSchedule,
  actor: string,
): Promise<Result<FeeSchedule>> {
  if (!validText(actor)) return err("INPUT_INVALID", "actor is required");
  try {
    checkSchedule(s);
  } catch (e) {
    return err("INPUT_INVALID", (e as Error).message);
  }
  return ctx.db.transaction(async (tx) => {
    const at = nowIso(ctx);
    const before = await getSchedule(tx, s.currency);
    await tx.query(
      `INSERT INTO cashout_fee_schedules (currency, percent_bps, fixed_minor, fee_min_minor, fee_max_minor, amount_min_minor,
         amount_max_minor, daily_limit_minor, daily_count_max, updated_by, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11::timestamptz)
       ON CONFLICT (currency) DO UPDATE SET percent_bps = $2, fixed_minor = $3, fee_min_minor = $4, fee_max_minor = $5,
         amount_min_minor = $6, amount_max_minor = $7, daily_limit_minor = $8, daily_count_max = $9, updated_by = $10, updated_at = $11::timestamptz`,
      [
        s.currency,
        s.percentBps,
        s.fixedMinor,
        s.feeMinMinor,
        s.feeMaxMinor,
        s.amountMinMinor,
        s.amountMaxMinor,
        s.dailyLimitMinor,
        s.dailyCountMax,
        actor,
        at,
      ],
    );
    await audit(tx, at, {
      actor,
      action: "fees.set",
      decision: "ok",
      detail: { before: before ?? null, after: s } as Record<string, unknown>,
    });
    return ok(s);
  });
}

interface Evaluation {
  schedule: FeeSchedule;
  fee: ReturnType<typeof computeFee>;
  netMinor: number;
  availableMinor: number;
  limits: Limits;
  clearingAccount: string;
  refusals: CashoutErrorCode[];
}

/** Every fee and limit decision for one amount, in one place; quote and request share it. */
async function evaluate(
  tx: Tx,
  ctx: Ctx,
  owner: Record<string, unknown>,
  grossMinor: number,
  currency: string,
  schedule: FeeSchedule,
): Promise<Evaluation> {
  const cur = currencyInfo(currency);
  const fee = computeFee(grossMinor, schedule);
  const netMinor = grossMinor - fee.feeMinor;
  const clearingAccount = clearingAccountOf(owner, cur.numeric);
  const acct = await getAccount(tx, clearingAccount);
  const availableMinor = acct === undefined ? 0 : Math.max(0, acct.available);
  const since = new Date(ctx.now() - DAY_MS).toISOString();
  const used = (
    await tx.query(
      `SELECT coalesce(sum(gross_minor), 0) AS used, count(*) AS cnt FROM cashouts
     WHERE owner_id = $1 AND currency = $2 AND state = ANY($3::text[]) AND created_at > $4::timestamptz`,
      [String(owner["id"]), currency, LIVE_STATES, since],
    )
  )[0]!;
  const dailyUsedMinor = Number(used["used"]),
    dailyCount = Number(used["cnt"]);
  const limits: Limits = {
    amountMinMinor: schedule.amountMinMinor,
    amountMaxMinor: schedule.amountMaxMinor,
    dailyLimitMinor: schedule.dailyLimitMinor,
    dailyCountMax: schedule.dailyCountMax,
    dailyUsedMinor,
    dailyCount,
    dailyRemainingMinor: Math.max(0, schedule.dailyLimitMinor - dailyUsedMinor),
    window: "rolling-24h-utc",
  };
  const refusals: CashoutErrorCode[] = [];
  if (owner["kyc_state"] !== "verified") refusals.push("OWNER_NOT_VERIFIED");
  if (owner["totp_active"] !== true) refusals.push("TOTP_NOT_ACTIVE");
  if (await hasSuspectReader(tx, owner)) refusals.push("READER_SUSPECT");
  if (grossMinor < schedule.amountMinMinor) refusals.push("AMOUNT_BELOW_MIN");
  if (grossMinor > schedule.amountMaxMinor) refusals.push("AMOUNT_ABOVE_MAX");
  if (netMinor < 1) refusals.push("FEE_EXCEEDS_AMOUNT");
  if (dailyUsedMinor + grossMinor > schedule.dailyLimitMinor) refusals.push("DAILY_LIMIT");
  if (dailyCount + 1 > schedule.dailyCountMax) refusals.push("DAILY_COUNT");
  if (grossMinor > availableMinor) refusals.push("INSUFFICIENT_BALANCE");
  return { schedule, fee, netMinor, availableMinor, limits, clearingAccount, refusals };
}

/** An operator whose reader is suspect or rejected (docs/CLEARING.md §7a) cashes out
 *  nothing until clearing's operator has decided: its balance may hold the reader's loot. */
async function hasSuspectReader(tx: Tx, owner: Record<string, unknown>): Promise<boolean> {
  if (owner["kind"] !== "operator") return false;
  const rows = await tx.query(
    "SELECT 1 FROM readers WHERE operator_id = $1 AND status <> 'active' LIMIT 1",
    [String(owner["subject"])],
  );
  return rows.length > 0;
}

const MESSAGES: Partial<Record<CashoutErrorCode, string>> = {
  OWNER_NOT_VERIFIED: "the owner's identity is not verified",
  TOTP_NOT_ACTIVE: "the owner has no active second factor (enrol and activate TOTP first)",
  AMOUNT_BELOW_MIN: "the amount is below the minimum cash-out",
  AMOUNT_ABOVE_MAX: "the amount is above the maximum cash-out",
  FEE_EXCEEDS_AMOUNT: "the fee would leave nothing to pay out",
  DAILY_LIMIT: "the amount exceeds what remains of the 24 h limit",
  DAILY_COUNT: "the number of cash-outs in 24 h is at its maximum",
  INSUFFICIENT_BALANCE: "the settled balance available is smaller than the amount",
  READER_SUSPECT:
    "a reader of this operator is suspect or rejected; clearing's operator must decide first",
};

function parseAmount(grossMinor: number, currency: string): Result<number> {
  try {
    currencyInfo(currency);
    checkMinor(grossMinor, "amount");
  } catch (e) {
    return err("INPUT_INVALID", (e as MoneyError).message);
  }
  return grossMinor > 0 ? ok(grossMinor) : err("INPUT_INVALID", "amount must be positive");
}

function toQuote(
  id: string,
  ownerId: string,
  currency: string,
  grossMinor: number,
  e: Evaluation,
  createdAt: string,
  expiresAt: string,
): Quote {
  // `display` is for people: "1,234.50 EUR" (host/money); the amounts beside it are minor units.
  const f = (v: number): string => formatMoney(v, currency);
  return {
    id,
    ownerId,
    currency,
    grossMinor,
    fee: e.fee,
    netMinor: Math.max(0, e.netMinor),
    availableMinor: e.availableMinor,
    limits: e.limits,
    schedule: e.schedule,
    payable: e.refusals.length === 0,
    refusals: e.refusals,
    createdAt,
    expiresAt,
    display: {
      gross: f(grossMinor),
      fee: f(e.fee.feeMinor),
      net: f(Math.max(0, e.netMinor)),
      available: f(e.availableMinor),
      schedule: describeSchedule(e.schedule),
    },
  };
}

/** The fee calculator: gross, fee with its breakdown, net, the limits that apply, the
 *  settled balance available, and an expiry. Stored and audited: the fee a request
 *  charges is the fee its quote showed. */
export async function quote(
  ctx: Ctx,
  ownerId: string,
  grossMinor: number,
  currency: string,
  actor: string,
): Promise<Result<Quote>> {
  if (!validText(actor)) return err("INPUT_INVALID", "actor is required");
  const amt = parseAmount(grossMinor, currency);
  if (!amt.ok) return amt;
  const id = `q_${randomBytes(8).toString("hex")}`;
  return ctx.db.transaction(async (tx) => {
    const createdAt = nowIso(ctx);
    const expiresAt = new Date(ctx.now() + ctx.config.quoteTtlS * 1000).toISOString();
    const owner = await loadOwnerRow(tx, ownerId);
    if (owner === undefined) return err<Quote>("NOT_FOUND", `no owner ${ownerId}`);
    const schedule = await getSchedule(tx, currency);
    if (schedule === undefined)
      return err<Quote>("NO_FEE_SCHEDULE", `no fee schedule for ${currency}`);
    const e = await evaluate(tx, ctx, owner, grossMinor, currency, schedule);
    const q = toQuote(id, ownerId, currency, grossMinor, e, createdAt, expiresAt);
    await tx.query(
      `INSERT INTO cashout_quotes (id, owner_id, currency, gross_minor, fee_minor, net_minor, payable, body, created_at, expires_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb, $9::timestamptz, $10::timestamptz)`,
      [
        id,
        ownerId,
        currency,
        grossMinor,
        e.fee.feeMinor,
        q.netMinor,
        q.payable,
        JSON.stringify(q),
        createdAt,
        expiresAt,
      ],
    );
    await audit(tx, createdAt, {
      actor,
      action: "quote",
      decision: q.payable ? "ok" : "refused",
      ownerId,
      reason: q.refusals.join(","),
      detail: {
        quoteId: id,
        currency,
        grossMinor,
        fee: e.fee,
        netMinor: q.netMinor,
        availableMinor: e.availableMinor,
        limits: e.limits,
      },
    });
    return ok(q);
  });
}

export interface RequestSpec {
  ownerId: string;
  bankAccountId: string;
  /** Either a quote (its amount and fee are used) or an amount and currency. */
  quoteId?: string;
  grossMinor?: number;
  currency?: string;
  /** Client-chosen id: retrying a request with the same id returns the same cash-out. */
  requestId?: string;
}

/** Step one: checks every rule, then holds the money with two pending transfers
 *  (owner → payouts in transit: net; owner → fee income: fee) and records `requested`. */
export async function request(
  ctx: Ctx,
  spec: RequestSpec,
  actor: string,
): Promise<Result<Cashout>> {
  if (!validText(actor)) return err("INPUT_INVALID", "actor is required");
  if (spec.requestId !== undefined && !validId(spec.requestId))
    return err("INPUT_INVALID", "request id: 1..64 of letters, digits, '.', '_', ':', '-'");
  if (spec.quoteId === undefined && (spec.grossMinor === undefined || spec.currency === undefined))
    return err("INPUT_INVALID", "give a quote id, or an amount and a currency");
  const id = `co_${spec.requestId ?? randomBytes(8).toString("hex")}`;
  try {
    return await ctx.db.transaction((tx) => requestTx(tx, ctx, spec, id, actor));
  } catch (e) {
    if (!(e instanceof AbortTx)) throw e;
    await audit(ctx.db, nowIso(ctx), {
      actor,
      action: "request",
      decision: "refused",
      ownerId: spec.ownerId,
      reason: e.code,
      detail: { cashoutId: id, message: e.message },
    });
    return err(e.code, e.message);
  }
}

async function requestTx(
  tx: Tx,
  ctx: Ctx,
  spec: RequestSpec,
  id: string,
  actor: string,
): Promise<Result<Cashout>> {
  const at = nowIso(ctx);
  const refuse = async (
    code: CashoutErrorCode,
    message: string,
    detail: Record<string, unknown> = {},
  ): Promise<Result<Cashout>> => {
    await audit(tx, at, {
      actor,
      action: "request",
      decision: "refused",
      ownerId: spec.ownerId,
      reason: code,
      detail: { cashoutId: id, message, ...detail },
    });
    return err(code, message);
  };
  // The owner row lock serializes this owner's requests: the daily-limit sums and the
  // balance check below see every earlier request, also across server connections.
  const owner = await loadOwnerRow(tx, spec.ownerId, true);
  if (owner === undefined) return refuse("NOT_FOUND", `no owner ${spec.ownerId}`);
  // This owner's overdue requests release their holds first, so they neither block the
  // balance nor count against the daily limit.
  const overdue = await tx.query(
    "SELECT id FROM cashouts WHERE owner_id = $1 AND state = 'requested' AND expires_at <= $2::timestamptz ORDER BY id",
    [spec.ownerId, at],
  );
  for (const r of overdue)
    await expireOne(tx, (await loadCashout(tx, String(r["id"]), true))!, "system:expiry", at);
  const prior = await loadCashout(tx, id);
  if (prior !== undefined) {
    const same =
      prior.ownerId === spec.ownerId &&
      prior.bankAccountId === spec.bankAccountId &&
      (spec.quoteId === undefined
        ? prior.grossMinor === spec.grossMinor && prior.currency === spec.currency
        : prior.quoteId === spec.quoteId);
    return same
      ? ok(prior)
      : refuse(
          "REQUEST_ID_REUSED",
          `request id ${spec.requestId ?? ""} was used for a different cash-out`,
        );
  }
  let grossMinor = spec.grossMinor ?? 0,
    currency = spec.currency ?? "",
    quotedFee: number | undefined;
  if (spec.quoteId !== undefined) {
    const q = (
      await tx.query("SELECT * FROM cashout_quotes WHERE id = $1 FOR UPDATE", [spec.quoteId])
    )[0];
    if (q === undefined || q["owner_id"] !== spec.ownerId)
      return refuse("NOT_FOUND", `no quote ${spec.quoteId} for this owner`);
    if (q["used_by"] !== null)
      return refuse(
        "QUOTE_USED",
        `quote ${spec.quoteId} was already used by ${String(q["used_by"])}`,
      );
    if (new Date(q["expires_at"] as string | Date).getTime() <= ctx.now())
      return refuse("QUOTE_EXPIRED", `quote ${spec.quoteId} has expired; ask for a new one`);
    if (
      (spec.grossMinor !== undefined && spec.grossMinor !== Number(q["gross_minor"])) ||
      (spec.currency !== undefined && spec.currency !== q["currency"])
    ) {
      return refuse("QUOTE_MISMATCH", "the amount or currency differs from the quote");
    }
    grossMinor = Number(q["gross_minor"]);
    currency = String(q["currency"]);
    quotedFee = Number(q["fee_minor"]);
  }
  const amt = parseAmount(grossMinor, currency);
  if (!amt.ok) return refuse(amt.error, amt.message);
  const acct = (
    await tx.query("SELECT * FROM cashout_bank_accounts WHERE id = $1", [spec.bankAccountId])
  )[0];
  if (acct === undefined || acct["owner_id"] !== spec.ownerId)
    return refuse("NOT_FOUND", `no bank account ${spec.bankAccountId} for this owner`);
  if (acct["state"] !== "verified")
    return refuse("ACCOUNT_NOT_VERIFIED", "the bank account has not been verified");
  if (acct["currency"] !== currency)
    return refuse(
      "CURRENCY_MISMATCH",
      `the bank account is in ${String(acct["currency"])}, the cash-out in ${currency}`,
    );
  if (!namesMatch(bankDetail(ctx.sealer, acct, "holder_name"), String(owner["legal_name"]))) {
    return refuse("NAME_MISMATCH", "the account holder does not match the owner");
  }
  const schedule = await getSchedule(tx, currency);
  if (schedule === undefined) return refuse("NO_FEE_SCHEDULE", `no fee schedule for ${currency}`);
  const e = await evaluate(tx, ctx, owner, grossMinor, currency, schedule);
  const decision = {
    grossMinor,
    currency,
    fee: e.fee,
    netMinor: e.netMinor,
    availableMinor: e.availableMinor,
    limits: e.limits,
  };
  if (e.refusals.length > 0)
    return refuse(e.refusals[0]!, MESSAGES[e.refusals[0]!] ?? e.refusals[0]!, {
      ...decision,
      refusals: e.refusals,
    });
  if (quotedFee !== undefined && quotedFee !== e.fee.feeMinor)
    return refuse("QUOTE_MISMATCH", "the fee schedule changed since the quote; ask for a new one");
  await hold(tx, ctx, id, owner, spec, e, grossMinor, currency, at);
  if (spec.quoteId !== undefined)
    await tx.query("UPDATE cashout_quotes SET used_by = $2 WHERE id = $1", [spec.quoteId, id]);
  const m = (minor: number): string => formatMoney(minor, currency);
  await setState(
    tx,
    id,
    "requested",
    actor,
    at,
    `gross ${m(grossMinor)}, fee ${m(e.fee.feeMinor)}, net ${m(e.netMinor)}`,
  );
  await audit(tx, at, {
    actor,
    action: "request",
    decision: "ok",
    ownerId: spec.ownerId,
    cashoutId: id,
    detail: { ...decision, quoteId: spec.quoteId ?? null },
  });
  return ok((await loadCashout(tx, id))!);
}

async function hold(
  tx: Tx,
  ctx: Ctx,
  id: string,
  owner: Record<string, unknown>,
  spec: RequestSpec,
  e: Evaluation,
  grossMinor: number,
  currency: string,
  at: string,
): Promise<void> {
  const cur = currencyInfo(currency);
  await createAccount(tx, {
    id: accountIds.payouts(cur.numeric),
    code: "payouts_in_transit",
    currency: cur.numeric,
    name: `payouts in transit ${currency}`,
  });
  await createAccount(tx, {
    id: accountIds.fees(cur.numeric),
    code: "fee_income",
    currency: cur.numeric,
    name: `cash-out fees ${currency}`,
  });
  const expires = new Date(ctx.now() + ctx.config.requestTtlS * 1000).toISOString();
  await tx.query(
    `INSERT INTO cashouts (id, owner_id, bank_account_id, clearing_account, currency, gross_minor, fee_minor, net_minor, quote_id, state,
       created_at, expires_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'requested', $10::timestamptz, $11::timestamptz, $10::timestamptz)`,
    [
      id,
      String(owner["id"]),
      spec.bankAccountId,
      e.clearingAccount,
      currency,
      grossMinor,
      e.fee.feeMinor,
      e.netMinor,
      spec.quoteId ?? null,
      at,
      expires,
    ],
  );
  const legs = [
    {
      id: transferIds.hold(id),
      credit: accountIds.payouts(cur.numeric),
      amount: e.netMinor,
      code: "cashout_hold",
    },
    {
      id: transferIds.fee(id),
      credit: accountIds.fees(cur.numeric),
      amount: e.fee.feeMinor,
      code: "cashout_fee",
    },
  ];
  for (const leg of legs) {
    if (leg.amount === 0) continue; // a zero fee holds nothing (clearing transfers are > 0)
    const r = await applyTransfer(tx, {
      id: leg.id,
      debitAccount: e.clearingAccount,
      creditAccount: leg.credit,
      amount: leg.amount,
      code: leg.code,
      ref: id,
      kind: "pending",
    });
    if (!r.ok)
      throw new AbortTx(
        r.error === "EXCEEDS_CREDITS" ? "INSUFFICIENT_BALANCE" : "TRANSFER_REFUSED",
        r.message,
      );
  }
}

/** Posts or voids a cash-out's held transfers inside the caller's transaction. */
async function resolveHolds(tx: Tx, c: Cashout, how: "post" | "void"): Promise<void> {
  for (const pendingId of [transferIds.hold(c.id), transferIds.fee(c.id)]) {
    if (pendingId === transferIds.fee(c.id) && c.feeMinor === 0) continue;
    const r = await applyTransfer(tx, {
      id: transferIds.resolve(pendingId, how),
      pendingId,
      kind: how === "post" ? "post_pending" : "void_pending",
      debitAccount: "",
      creditAccount: "",
      code: how === "post" ? "cashout_post" : "cashout_void",
      ref: c.id,
    });
    // The cash-out row is locked and in `requested`, so its holds are pending: anything
    // else is a broken invariant, and the transaction must not commit.
    if (!r.ok || !r.created)
      throw new Error(
        `cash-out ${c.id}: ${how} of ${pendingId} failed: ${r.ok ? "already resolved" : r.message}`,
      );
  }
}

/** Step two: the owner's TOTP code releases the payout (held transfers posted). Wrong
 *  codes count; at the maximum the cash-out is cancelled and the money released. */
export async function confirm(
  ctx: Ctx,
  cashoutId: string,
  code: string,
  actor: string,
): Promise<Result<Cashout>> {
  if (!validText(actor)) return err("INPUT_INVALID", "actor is required");
  return ctx.db.transaction(async (tx) => {
    const at = nowIso(ctx);
    // Lock order owner → cash-out, as in request (which may expire this owner's cash-outs).
    const peek = (await tx.query("SELECT owner_id FROM cashouts WHERE id = $1", [cashoutId]))[0];
    if (peek === undefined) return err<Cashout>("NOT_FOUND", `no cash-out ${cashoutId}`);
    const owner = (await loadOwnerRow(tx, String(peek["owner_id"]), true))!;
    const c = (await loadCashout(tx, cashoutId, true))!;
    const refuse = async (
      code2: CashoutErrorCode,
      message: string,
      triesLeft?: number,
    ): Promise<Result<Cashout>> => {
      await audit(tx, at, {
        actor,
        action: "confirm",
        decision: "refused",
        ownerId: c.ownerId,
        cashoutId,
        reason: code2,
      });
      return err(code2, message, triesLeft === undefined ? {} : { triesLeft });
    };
    if (c.state !== "requested")
      return refuse("STATE_INVALID", `cash-out ${cashoutId} is ${c.state}, not requested`);
    if (new Date(c.expiresAt).getTime() <= ctx.now()) {
      await expireOne(tx, c, "system:expiry", at);
      return refuse(
        "EXPIRED",
        `cash-out ${cashoutId} expired at ${c.expiresAt}; its money is released`,
      );
    }
    if (owner["kyc_state"] !== "verified")
      return refuse("OWNER_NOT_VERIFIED", "the owner's identity is no longer verified");
    if (await hasSuspectReader(tx, owner))
      return refuse("READER_SUSPECT", MESSAGES.READER_SUSPECT!);
    const acct = (
      await tx.query("SELECT state FROM cashout_bank_accounts WHERE id = $1", [c.bankAccountId])
    )[0];
    if (acct?.["state"] !== "verified")
      return refuse("ACCOUNT_NOT_VERIFIED", "the bank account is no longer verified");
    const noFactor = "the owner has no active second factor";
    if (owner["totp_active"] !== true) return refuse("TOTP_NOT_ACTIVE", noFactor);
    const check = await consumeTotp(tx, ctx, owner, code);
    const v = check.verdict;
    if (v === "not_enrolled") return refuse("TOTP_NOT_ACTIVE", noFactor);
    // A slip of the keyboard (not the code's length) is not a guess: nothing is counted.
    if (v === "format") return err<Cashout>("TOTP_FORMAT", totpFormatMessage(check.digits));
    if (v !== "ok") {
      const attempts = c.confirmAttempts + 1;
      await tx.query("UPDATE cashouts SET confirm_attempts = $2 WHERE id = $1", [
        cashoutId,
        attempts,
      ]);
      if (attempts >= ctx.config.confirmAttemptsMax) {
        await resolveHolds(tx, c, "void");
        await setState(
          tx,
          cashoutId,
          "cancelled",
          "system:second-factor",
          at,
          "too many wrong second-factor codes",
        );
        const text = "too many wrong codes: the cash-out is cancelled and its money released";
        return refuse("TOO_MANY_ATTEMPTS", text, 0);
      }
      if (v === "blocked") return refuse("TOTP_BLOCKED", TOTP_REFUSAL.blocked, 0);
      // Whichever runs out first: this cash-out's tries or the owner's second factor.
      const left = Math.min(ctx.config.confirmAttemptsMax - attempts, check.triesLeft);
      return refuse("TOTP_INVALID", `${TOTP_REFUSAL.invalid} (${triesLeftText(left)})`, left);
    }
    await resolveHolds(tx, c, "post");
    await setState(tx, cashoutId, "confirmed", actor, at, "second factor accepted");
    await audit(tx, at, {
      actor,
      action: "confirm",
      decision: "ok",
      ownerId: c.ownerId,
      cashoutId,
      detail: { netMinor: c.netMinor, feeMinor: c.feeMinor },
    });
    return ok((await loadCashout(tx, cashoutId))!);
  });
}

async function expireOne(tx: Tx, c: Cashout, actor: string, at: string): Promise<void> {
  await resolveHolds(tx, c, "void");
  await setState(tx, c.id, "expired", actor, at, "not confirmed in time");
  await audit(tx, at, {
    actor,
    action: "expire",
    decision: "ok",
    ownerId: c.ownerId,
    cashoutId: c.id,
  });
}

export async function cancel(
  ctx: Ctx,
  cashoutId: string,
  actor: string,
  reason = "",
): Promise<Result<Cashout>> {
  if (!validText(actor)) return err("INPUT_INVALID", "actor is required");
  return ctx.db.transaction(async (tx) => {
    const at = nowIso(ctx);
    const c = await loadCashout(tx, cashoutId, true);
    if (c === undefined) return err<Cashout>("NOT_FOUND", `no cash-out ${cashoutId}`);
    if (c.state !== "requested") {
      await audit(tx, at, {
        actor,
        action: "cancel",
        decision: "refused",
        ownerId: c.ownerId,
        cashoutId,
        reason: "STATE_INVALID",
      });
      return err<Cashout>(
        "STATE_INVALID",
        `cash-out ${cashoutId} is ${c.state}; only a requested cash-out can be cancelled`,
      );
    }
    await resolveHolds(tx, c, "void");
    await setState(tx, cashoutId, "cancelled", actor, at, reason);
    await audit(tx, at, {
      actor,
      action: "cancel",
      decision: "ok",
      ownerId: c.ownerId,
      cashoutId,
      reason,
    });
    return ok((await loadCashout(tx, cashoutId))!);
  });
}

/** Expires every requested cash-out past its confirmation deadline; returns their ids. */
export async function expireDue(ctx: Ctx, actor = "system:expiry"): Promise<string[]> {
  const due = await ctx.db.query(
    "SELECT id FROM cashouts WHERE state = 'requested' AND expires_at <= $1::timestamptz ORDER BY id",
    [nowIso(ctx)],
  );
  const done: string[] = [];
  for (const r of due) {
    const id = String(r["id"]);
    const expired = await ctx.db.transaction(async (tx) => {
      const c = await loadCashout(tx, id, true);
      if (c === undefined || c.state !== "requested" || new Date(c.expiresAt).getTime() > ctx.now())
        return false;
      await expireOne(tx, c, actor, nowIso(ctx));
      return true;
    });
    if (expired) done.push(id);
  }
  return done;
}
