// What every cash-out operation runs with: the database, a clock, and the bounds.
import type { Db, Sealer } from "../clearing/index.ts";
import { TOTP_DEFAULT, type TotpParams } from "./totp.ts";

export interface CashoutConfig {
  /** A quote holds its fee and limits this long. */
  readonly quoteTtlS: number;
  /** A requested cash-out must be confirmed within this time or it expires (held money released). */
  readonly requestTtlS: number;
  /** Wrong second-factor codes per cash-out before it is cancelled. */
  readonly confirmAttemptsMax: number;
  /** Consecutive wrong second-factor codes per owner, across all its cash-outs, before its
   *  second factor is blocked (PSD2 RTS Art. 4(3)(b): at most 5). */
  readonly totpFailuresMax: number;
  /** How long the block lasts unless an operator lifts it sooner. */
  readonly totpBlockS: number;
  /** Wrong bank-account confirmation codes before the account is disabled. */
  readonly accountCodeAttemptsMax: number;
  /** Cash-outs per payout file: a bank file of 10 000 transfers is common, far more is not. */
  readonly exportBatchMax: number;
  readonly totp: TotpParams;
  /** Shown in authenticator apps (otpauth issuer). */
  readonly totpIssuer: string;
}

export const CASHOUT_DEFAULTS: CashoutConfig = Object.freeze({
  quoteTtlS: 10 * 60,
  requestTtlS: 15 * 60,
  confirmAttemptsMax: 5,
  totpFailuresMax: 5,
  totpBlockS: 4 * 60 * 60,
  accountCodeAttemptsMax: 5,
  exportBatchMax: 10_000,
  totp: TOTP_DEFAULT,
  totpIssuer: "offtap",
});

export interface Ctx {
  readonly db: Db;
  /** Unix milliseconds; injected so tests control TOTP windows, expiry and daily limits. */
  readonly now: () => number;
  readonly config: CashoutConfig;
  /** Seals TOTP secrets, bank details and payout files at rest (docs/CASHOUT.md). */
  readonly sealer: Sealer;
}

export const nowIso = (ctx: Ctx): string => new Date(ctx.now()).toISOString();

/** Ids and actors are short printable text; refused otherwise (validated at the edge). */
export function validText(v: unknown, max = 128): v is string {
  return typeof v === "string" && v.length >= 1 && v.length <= max && !/[\u0000-\u001f\u007f]/.test(v);
}

export function validId(v: unknown): v is string {
  return typeof v === "string" && /^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/.test(v);
}
