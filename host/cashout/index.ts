// Cash-out (docs/CASHOUT.md): verified owners paid their settled balance to their own
// verified bank account, with fees and limits shown before they confirm, a second factor,
// held transfers in clearing's accounts, payout files and an audit trail.
// Built on clearing's database and accounts; the HTTP API and dashboard use this class.
import {
  DataKeyError,
  resealAll,
  sealerOf,
  type Clearing,
  type Db,
  type Sealer,
} from "../clearing/index.ts";
import { migrateCashout } from "./migrate.ts";
import { CASHOUT_DEFAULTS, type CashoutConfig, type Ctx } from "./context.ts";
import * as owners from "./owners.ts";
import * as flow from "./flow.ts";
import * as payout from "./payout.ts";
import { audit as writeAudit, loadCashout, toAudit, toCashout, timeline } from "./store.ts";
import type { FeeSchedule } from "./fees.ts";
import type { PayoutDebtor } from "./pain001.ts";
import type {
  AuditEntry,
  BankAccount,
  Cashout as CashoutRecord,
  CashoutState,
  KycState,
  Owner,
  PayoutFile,
  Quote,
  Result,
} from "./types.ts";

export * from "./types.ts";
export type { FeeSchedule, FeeBreakdown } from "./fees.ts";
export type { PayoutDebtor } from "./pain001.ts";
export type { CashoutConfig } from "./context.ts";
export type { OwnerSpec, BankAccountSpec } from "./owners.ts";
export type { RequestSpec } from "./flow.ts";
export type { ExportOptions } from "./payout.ts";
export { computeFee, describeSchedule, DEFAULT_FEE_SCHEDULES } from "./fees.ts";
export { formatMinor, parseMajor, currency } from "./money.ts";
export { transferIds } from "./flow.ts";

export interface CashoutOptions {
  /** Unix milliseconds; default Date.now. */
  now?: () => number;
  config?: Partial<CashoutConfig>;
}

/** Every method takes the acting party (`actor`, e.g. "owner:acme", "operator:alice",
 *  "bank:camt054") and records it in the audit trail; expected failures come back as
 *  `{ ok: false, error, message }`. */
export class CashoutService {
  private constructor(private readonly ctx: Ctx) {}

  /** The limits in force (attempt counts, expiry, …), for views that show them. */
  get config(): Ctx["config"] {
    return this.ctx.config;
  }

  /** Applies cash-out's migrations to clearing's database and seeds the default fee schedules. */
  static async open(
    clearing: Clearing | { db: Db; sealer?: Sealer },
    o: CashoutOptions = {},
  ): Promise<CashoutService> {
    const sealer = clearing.sealer ?? sealerOf(clearing.db);
    if (sealer === undefined) throw new DataKeyError("cash-out opened without a data key");
    const ctx: Ctx = {
      db: clearing.db,
      now: o.now ?? Date.now,
      config: { ...CASHOUT_DEFAULTS, ...o.config },
      sealer,
    };
    await migrateCashout(ctx.db);
    await resealAll(ctx.db, sealer, false); // clear-text rows from before sealing
    await flow.seedSchedules(ctx);
    return new CashoutService(ctx);
  }

  // ---- owners, identity, bank accounts, second factor ------------------------------
  addOwner(spec: owners.OwnerSpec, actor: string): Promise<Result<Owner>> {
    return owners.addOwner(this.ctx, spec, actor);
  }
  owner(id: string): Promise<Owner | undefined> {
    return owners.getOwner(this.ctx, id);
  }
  owners(): Promise<Owner[]> {
    return owners.listOwners(this.ctx);
  }
  setKyc(
    ownerId: string,
    state: KycState,
    actor: string,
    reference?: string,
  ): Promise<Result<Owner>> {
    return owners.setKyc(this.ctx, ownerId, state, actor, reference);
  }
  addBankAccount(
    ownerId: string,
    spec: owners.BankAccountSpec,
    actor: string,
  ): Promise<Result<{ account: BankAccount; confirmationCode: string }>> {
    return owners.addBankAccount(this.ctx, ownerId, spec, actor);
  }
  verifyBankAccount(accountId: string, code: string, actor: string): Promise<Result<BankAccount>> {
    return owners.verifyBankAccount(this.ctx, accountId, code, actor);
  }
  bankAccounts(ownerId: string): Promise<BankAccount[]> {
    return owners.listBankAccounts(this.ctx, ownerId);
  }
  /** Returns the base32 secret and the otpauth:// URI for an authenticator app. */
  enrollTotp(ownerId: string, actor: string): Promise<Result<{ secret: string; uri: string }>> {
    return owners.enrollTotp(this.ctx, ownerId, actor);
  }
  /** Lifts a second-factor block (docs/CASHOUT.md §3). */
  unblockTotp(ownerId: string, actor: string): Promise<Result<Owner>> {
    return owners.unblockTotp(this.ctx, ownerId, actor);
  }
  activateTotp(ownerId: string, code: string, actor: string): Promise<Result<Owner>> {
    return owners.activateTotp(this.ctx, ownerId, code, actor);
  }

  // ---- fees -------------------------------------------------------------------------
  feeSchedules(): Promise<FeeSchedule[]> {
    return flow.listSchedules(this.ctx);
  }
  setFeeSchedule(s: FeeSchedule, actor: string): Promise<Result<FeeSchedule>> {
    return flow.setSchedule(this.ctx, s, actor);
  }

  // ---- the flow -----------------------------------------------------------------------
  quote(
    ownerId: string,
    grossMinor: number,
    currency: string,
    actor: string,
  ): Promise<Result<Quote>> {
    return flow.quote(this.ctx, ownerId, grossMinor, currency, actor);
  }
  request(spec: flow.RequestSpec, actor: string): Promise<Result<CashoutRecord>> {
    return flow.request(this.ctx, spec, actor);
  }
  confirm(cashoutId: string, totpCode: string, actor: string): Promise<Result<CashoutRecord>> {
    return flow.confirm(this.ctx, cashoutId, totpCode, actor);
  }
  cancel(cashoutId: string, actor: string, reason?: string): Promise<Result<CashoutRecord>> {
    return flow.cancel(this.ctx, cashoutId, actor, reason);
  }
  /** Expires requested cash-outs past their confirmation deadline (run periodically). */
  expireDue(actor?: string): Promise<string[]> {
    return flow.expireDue(this.ctx, actor);
  }

  // ---- payouts ------------------------------------------------------------------------
  setDebtor(d: PayoutDebtor, actor: string): Promise<Result<PayoutDebtor>> {
    return payout.setDebtor(this.ctx, d, actor);
  }
  debtor(): Promise<PayoutDebtor | undefined> {
    return payout.getDebtor(this.ctx.db);
  }
  export(actor: string, o?: payout.ExportOptions): Promise<Result<PayoutFile>> {
    return payout.exportPayouts(this.ctx, actor, o);
  }
  payoutFile(idOrMsgId: string): Promise<PayoutFile | undefined> {
    return payout.getPayoutFile(this.ctx, idOrMsgId);
  }
  markPaid(cashoutId: string, actor: string, bankRef: string): Promise<Result<CashoutRecord>> {
    return payout.markPaid(this.ctx, cashoutId, actor, bankRef);
  }
  markFailed(cashoutId: string, actor: string, reason: string): Promise<Result<CashoutRecord>> {
    return payout.markFailed(this.ctx, cashoutId, actor, reason);
  }

  // ---- views ----------------------------------------------------------------------------
  cashout(id: string): Promise<CashoutRecord | undefined> {
    return loadCashout(this.ctx.db, id);
  }
  async cashouts(
    f: { ownerId?: string; state?: CashoutState; limit?: number } = {},
  ): Promise<CashoutRecord[]> {
    const limit = Math.min(Math.max(1, f.limit ?? 100), 10_000);
    const rows = await this.ctx.db.query(
      `SELECT * FROM cashouts WHERE ($1::text IS NULL OR owner_id = $1) AND ($2::text IS NULL OR state = $2)
       ORDER BY created_at DESC, id DESC LIMIT $3`,
      [f.ownerId ?? null, f.state ?? null, limit],
    );
    const out: CashoutRecord[] = [];
    for (const r of rows) out.push(toCashout(r, await timeline(this.ctx.db, String(r["id"]))));
    return out;
  }
  async auditTrail(
    f: { ownerId?: string; cashoutId?: string; limit?: number } = {},
  ): Promise<AuditEntry[]> {
    const limit = Math.min(Math.max(1, f.limit ?? 1000), 10_000);
    const rows = await this.ctx.db.query(
      `SELECT * FROM cashout_audit WHERE ($1::text IS NULL OR owner_id = $1) AND ($2::text IS NULL OR cashout_id = $2)
       ORDER BY seq DESC LIMIT $3`,
      [f.ownerId ?? null, f.cashoutId ?? null, limit],
    );
    return rows.map(toAudit);
  }
  /** Records an arbitrary operator note in the audit trail (e.g. a manual review). */
  note(
    actor: string,
    action: string,
    detail: Record<string, unknown>,
    ownerId?: string,
  ): Promise<void> {
    return writeAudit(this.ctx.db, new Date(this.ctx.now()).toISOString(), {
      actor,
      action: `note.${action}`,
      decision: "ok",
      ownerId: ownerId ?? null,
      detail,
    });
  }
}
