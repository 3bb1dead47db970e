// Cash-out's public types (docs/CASHOUT.md). Money: safe non-negative integer minor
// units; currencies: ISO 4217 alphabetic codes; times: ISO 8601 UTC strings.
import type { FeeBreakdown, FeeSchedule } from "./fees.ts";

export type OwnerKind = "operator" | "merchant" | "wallet_holder";
export type KycState = "unverified" | "pending" | "verified";
export type BankAccountState = "unverified" | "verified" | "disabled";
export type CashoutState =
  "requested" | "confirmed" | "exported" | "paid" | "failed" | "cancelled" | "expired";

export interface Owner {
  id: string;
  kind: OwnerKind;
  /** operator/merchant: clearing's operator id; wallet_holder: the wallet id (hex). */
  subject: string;
  legalName: string;
  kyc: {
    state: KycState;
    reference: string | null;
    verifiedBy: string | null;
    verifiedAt: string | null;
  };
  totpActive: boolean;
  createdAt: string;
}

export interface BankAccount {
  id: string;
  ownerId: string;
  iban: string;
  bic: string;
  holderName: string;
  currency: string;
  state: BankAccountState;
  verifiedBy: string | null;
  verifiedAt: string | null;
  createdAt: string;
}

export interface Limits {
  amountMinMinor: number;
  amountMaxMinor: number;
  dailyLimitMinor: number;
  dailyCountMax: number;
  /** Gross requested in the rolling 24 h window before now (live cash-outs only). */
  dailyUsedMinor: number;
  dailyCount: number;
  dailyRemainingMinor: number;
  /** "rolling-24h-utc": the window is the 24 h before the request instant. */
  window: "rolling-24h-utc";
}

export interface Quote {
  id: string;
  ownerId: string;
  currency: string;
  grossMinor: number;
  fee: FeeBreakdown;
  netMinor: number;
  /** The settled balance that may still be paid out (posted credits − debits − held). */
  availableMinor: number;
  limits: Limits;
  schedule: FeeSchedule;
  /** Decimal strings for people: gross, fee, net, available. */
  display: { gross: string; fee: string; net: string; available: string; schedule: string };
  payable: boolean;
  /** Why not payable (codes), empty when payable. */
  refusals: CashoutErrorCode[];
  createdAt: string;
  expiresAt: string;
}

export interface TimelineEntry {
  state: CashoutState;
  at: string;
  actor: string;
  detail: string;
}

export interface Cashout {
  id: string;
  ownerId: string;
  bankAccountId: string;
  clearingAccount: string;
  currency: string;
  grossMinor: number;
  feeMinor: number;
  netMinor: number;
  quoteId: string | null;
  state: CashoutState;
  confirmAttempts: number;
  payoutFileId: string | null;
  bankRef: string | null;
  failureReason: string | null;
  createdAt: string;
  expiresAt: string;
  updatedAt: string;
  timeline: TimelineEntry[];
}

export interface PayoutFile {
  id: string;
  msgId: string;
  executionDate: string;
  nbOfTxs: number;
  ctrlSum: string;
  xml: string;
  csv: string;
  xmlSha256: string;
  createdBy: string;
  createdAt: string;
  cashoutIds: string[];
}

export interface AuditEntry {
  seq: number;
  at: string;
  actor: string;
  action: string;
  decision: "ok" | "refused";
  ownerId: string | null;
  cashoutId: string | null;
  reason: string;
  detail: Record<string, unknown>;
}

export type CashoutErrorCode =
  | "INPUT_INVALID"
  | "NOT_FOUND"
  | "OWNER_EXISTS"
  | "OWNER_NOT_VERIFIED"
  | "KYC_SELF_VERIFICATION"
  | "ACCOUNT_NOT_VERIFIED"
  | "ACCOUNT_DISABLED"
  | "NAME_MISMATCH"
  | "CURRENCY_MISMATCH"
  | "IBAN_INVALID"
  | "BIC_INVALID"
  | "CODE_INVALID"
  | "TOO_MANY_ATTEMPTS"
  | "TOTP_NOT_ACTIVE"
  | "TOTP_INVALID"
  | "TOTP_BLOCKED"
  | "TOTP_FORMAT"
  | "READER_SUSPECT"
  | "AMOUNT_BELOW_MIN"
  | "AMOUNT_ABOVE_MAX"
  | "DAILY_LIMIT"
  | "DAILY_COUNT"
  | "INSUFFICIENT_BALANCE"
  | "FEE_EXCEEDS_AMOUNT"
  | "NO_FEE_SCHEDULE"
  | "QUOTE_EXPIRED"
  | "QUOTE_MISMATCH"
  | "QUOTE_USED"
  | "QUOTE_NOT_PAYABLE"
  | "STATE_INVALID"
  | "EXPIRED"
  | "REQUEST_ID_REUSED"
  | "NOTHING_TO_EXPORT"
  | "DEBTOR_NOT_CONFIGURED"
  | "TRANSFER_REFUSED";

/** What a refusal may add to its code and message: after a wrong second-factor code, how
 *  many codes may still be tried before the cash-out is cancelled or the factor blocked. */
export interface RefusalDetail {
  triesLeft?: number;
}

/** Expected failures are values (house style): `ok: false` with a code, never a throw. */
export type Result<T> =
  | { ok: true; value: T }
  | ({ ok: false; error: CashoutErrorCode; message: string } & RefusalDetail);

export const ok = <T>(value: T): Result<T> => ({ ok: true, value });
export const err = <T = never>(
  error: CashoutErrorCode,
  message: string,
  detail: RefusalDetail = {},
): Result<T> => ({ ok: false, error, message, ...detail });
