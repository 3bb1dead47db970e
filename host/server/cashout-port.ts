// Adapter: host/cashout/ (CashoutService) behind the API's CashoutPort. It decides the
// wire shapes (host/server/context.ts), whose actor each call is recorded under in the
// audit trail, and which HTTP status each of cash-out's refusal codes becomes.
import type { Clearing } from "../clearing/index.ts";
import {
  CashoutService,
  currency as currencyInfo,
  type BankAccount,
  type Cashout,
  type CashoutErrorCode,
  type Owner,
  type Quote,
  type Result,
} from "../cashout/index.ts";
import {
  CashoutRefused,
  type CashoutPort,
  type CashoutView,
  type OwnerView,
  type QuoteView,
} from "./context.ts";

const DEFAULT_CURRENCY = "EUR";

/** The HTTP status of each expected refusal: identity and second-factor prerequisites are
 *  403, rule violations 422, state conflicts 409, brute force 429. */
const STATUS: Record<CashoutErrorCode, CashoutRefused["status"]> = {
  INPUT_INVALID: 400,
  NOT_FOUND: 404,
  OWNER_EXISTS: 409,
  OWNER_NOT_VERIFIED: 403,
  KYC_SELF_VERIFICATION: 403,
  ACCOUNT_NOT_VERIFIED: 403,
  ACCOUNT_DISABLED: 403,
  NAME_MISMATCH: 403,
  CURRENCY_MISMATCH: 422,
  IBAN_INVALID: 400,
  BIC_INVALID: 400,
  READER_SUSPECT: 403,
  CODE_INVALID: 422,
  TOO_MANY_ATTEMPTS: 429,
  TOTP_NOT_ACTIVE: 403,
  TOTP_INVALID: 422,
  TOTP_BLOCKED: 429,
  TOTP_FORMAT: 400,
  AMOUNT_BELOW_MIN: 422,
  AMOUNT_ABOVE_MAX: 422,
  DAILY_LIMIT: 422,
  DAILY_COUNT: 422,
  INSUFFICIENT_BALANCE: 422,
  FEE_EXCEEDS_AMOUNT: 422,
  NO_FEE_SCHEDULE: 422,
  QUOTE_EXPIRED: 409,
  QUOTE_MISMATCH: 409,
  QUOTE_USED: 409,
  QUOTE_NOT_PAYABLE: 422,
  STATE_INVALID: 409,
  EXPIRED: 409,
  REQUEST_ID_REUSED: 409,
  NOTHING_TO_EXPORT: 409,
  DEBTOR_NOT_CONFIGURED: 409,
  TRANSFER_REFUSED: 409,
};

/** What the fee preview says when a quoted amount cannot be paid out now. */
const REFUSAL_TEXT: Partial<Record<CashoutErrorCode, string>> = {
  OWNER_NOT_VERIFIED: "the owner's identity is not verified yet",
  READER_SUSPECT: "a reader of this operator is suspect; clearing's operator must decide first",
  TOTP_NOT_ACTIVE: "set up the authenticator (TOTP) first",
  AMOUNT_BELOW_MIN: "below the minimum cash-out",
  AMOUNT_ABOVE_MAX: "above the maximum cash-out",
  FEE_EXCEEDS_AMOUNT: "the fee would leave nothing to pay out",
  DAILY_LIMIT: "over what remains of the 24-hour limit",
  DAILY_COUNT: "the number of cash-outs in 24 hours is at its maximum",
  INSUFFICIENT_BALANCE: "more than the settled balance available",
};

function unwrap<T>(r: Result<T>): T {
  if (r.ok) return r.value;
  const detail: Record<string, number> =
    r.triesLeft === undefined ? {} : { triesLeft: r.triesLeft };
  throw new CashoutRefused(STATUS[r.error] ?? 422, r.message, r.error.toLowerCase(), detail);
}

function ownerView(o: Owner, accounts: BankAccount[]): OwnerView {
  const cur = accounts.find((a) => a.state === "verified")?.currency ?? DEFAULT_CURRENCY;
  const numeric = currencyInfo(cur).numeric;
  const accountId =
    o.kind === "wallet_holder"
      ? `wallet:${o.subject}:${numeric}`
      : `operator:${o.subject}:${numeric}`;
  return {
    id: o.id,
    name: o.legalName,
    kind: o.kind,
    verified: o.kyc.state === "verified",
    currency: cur,
    accountId,
    operatorId: o.kind === "wallet_holder" ? undefined : o.subject,
    bankAccounts: accounts.map((a) => ({
      id: a.id,
      holder: a.holderName,
      iban: maskIban(a.iban),
      verified: a.state === "verified",
    })),
    totpEnrolled: o.totpActive,
  };
}

/** The dashboard shows whose account a payout goes to, not the whole number. */
function maskIban(iban: string): string {
  const plain = iban.replace(/\s+/g, "");
  return plain.length <= 8 ? plain : `${plain.slice(0, 4)} •••• ${plain.slice(-4)}`;
}

function quoteView(q: Quote): QuoteView {
  const first = q.refusals[0];
  return {
    ownerId: q.ownerId,
    currency: q.currency,
    gross: q.grossMinor,
    fee: q.fee.feeMinor,
    net: q.netMinor,
    percentBps: q.fee.percentBps,
    percentPart: q.fee.percentPartMinor,
    fixed: q.fee.fixedMinor,
    feeMin: q.schedule.feeMinMinor,
    feeMax: q.schedule.feeMaxMinor,
    clampedTo: q.fee.clampedTo,
    amountMin: q.limits.amountMinMinor,
    amountMax: q.limits.amountMaxMinor,
    available: q.availableMinor,
    dailyLimit: q.limits.dailyLimitMinor,
    dailyUsed: q.limits.dailyUsedMinor,
    refusal:
      first === undefined ? null : (REFUSAL_TEXT[first] ?? first.toLowerCase().replace(/_/g, " ")),
  };
}

function cashoutView(c: Cashout, attemptsMax: number): CashoutView {
  return {
    id: c.id,
    ownerId: c.ownerId,
    bankAccountId: c.bankAccountId,
    currency: c.currency,
    gross: c.grossMinor,
    fee: c.feeMinor,
    net: c.netMinor,
    status: c.state,
    timeline: c.timeline.map((t) => ({ status: t.state, at: t.at, note: t.detail })),
    // Wrong codes this cash-out still takes before it is cancelled (requested ones only).
    confirmTriesLeft: c.state === "requested" ? Math.max(0, attemptsMax - c.confirmAttempts) : null,
  };
}

export class ServiceCashoutPort implements CashoutPort {
  constructor(readonly service: CashoutService) {}

  private view(c: Cashout): CashoutView {
    return cashoutView(c, this.service.config.confirmAttemptsMax);
  }

  async owner(ownerId: string): Promise<OwnerView | undefined> {
    const o = await this.service.owner(ownerId);
    return o === undefined ? undefined : ownerView(o, await this.service.bankAccounts(o.id));
  }

  async owners(): Promise<OwnerView[]> {
    const out: OwnerView[] = [];
    for (const o of await this.service.owners())
      out.push(ownerView(o, await this.service.bankAccounts(o.id)));
    return out;
  }

  private async requireOwner(ownerId: string): Promise<OwnerView> {
    const o = await this.owner(ownerId);
    if (o === undefined) throw new CashoutRefused(404, `no owner ${ownerId}`, "not_found");
    return o;
  }

  async quote(ownerId: string, gross: number): Promise<QuoteView> {
    const o = await this.requireOwner(ownerId);
    return quoteView(
      unwrap(await this.service.quote(ownerId, gross, o.currency, `owner:${ownerId}`)),
    );
  }

  async request(
    ownerId: string,
    gross: number,
    bankAccountId: string | undefined,
  ): Promise<CashoutView> {
    const o = await this.requireOwner(ownerId);
    // Without an explicit account: the owner's one verified account in its currency.
    const account = bankAccountId ?? o.bankAccounts.find((a) => a.verified)?.id;
    if (account === undefined)
      throw new CashoutRefused(
        403,
        "the owner has no verified bank account to pay out to",
        "account_not_verified",
      );
    const spec = { ownerId, bankAccountId: account, grossMinor: gross, currency: o.currency };
    return this.view(unwrap(await this.service.request(spec, `owner:${ownerId}`)));
  }

  private async own(ownerId: string, cashoutId: string): Promise<void> {
    const c = await this.service.cashout(cashoutId);
    if (c === undefined || c.ownerId !== ownerId)
      throw new CashoutRefused(404, `no cash-out ${cashoutId}`, "not_found");
  }

  async confirm(ownerId: string, cashoutId: string, code: string): Promise<CashoutView> {
    await this.own(ownerId, cashoutId);
    return this.view(unwrap(await this.service.confirm(cashoutId, code, `owner:${ownerId}`)));
  }

  async cancel(ownerId: string, cashoutId: string): Promise<CashoutView> {
    await this.own(ownerId, cashoutId);
    const actor = `owner:${ownerId}`;
    return this.view(unwrap(await this.service.cancel(cashoutId, actor, "cancelled by the owner")));
  }

  async get(cashoutId: string): Promise<CashoutView | undefined> {
    const c = await this.service.cashout(cashoutId);
    return c === undefined ? undefined : this.view(c);
  }

  async list(ownerId: string | undefined, limit: number): Promise<CashoutView[]> {
    const filter = { ...(ownerId === undefined ? {} : { ownerId }), limit };
    return (await this.service.cashouts(filter)).map((c) => this.view(c));
  }
}

/** The cash-out service on this clearing database (migrations applied). */
export async function openCashoutPort(
  clearing: Clearing,
  now?: () => number,
): Promise<ServiceCashoutPort> {
  return new ServiceCashoutPort(
    await CashoutService.open(clearing, now === undefined ? {} : { now }),
  );
}
