// The clearing service's public types (docs/CLEARING.md). Money is a safe non-negative
// integer number of minor units; ids of wallets and readers cross the API as lower-case hex.

/** Flags of an account (docs/CLEARING.md §3). */
export interface AccountFlags {
  /** debits_pending + debits_posted ≤ credits_posted at all times. */
  debitsMustNotExceedCredits?: boolean;
}

export type AccountCode =
  | "bank" | "issuer_float" | "issuer_risk" | "operator_settlement" | "fee_income"
  | "payouts_in_transit"
  | "wallet_holder" | (string & {});

export interface AccountSpec {
  id: string;
  code: AccountCode;
  /** ISO 4217 numeric, e.g. 978 (EUR). */
  currency: number;
  flags?: AccountFlags;
  /** Free text shown on dashboards. */
  name?: string;
}

export interface Account {
  id: string;
  code: string;
  currency: number;
  name: string;
  flags: Required<AccountFlags>;
  debitsPending: number;
  debitsPosted: number;
  creditsPending: number;
  creditsPosted: number;
  /** credits_posted − debits_posted. */
  balance: number;
  /** balance − debits_pending: what may still be debited when the flag is set. */
  available: number;
}

export type TransferKind = "single" | "pending" | "post_pending" | "void_pending";

export interface TransferSpec {
  /** Client-supplied, ≤ 128 characters: the same id with the same content is a no-op. */
  id: string;
  debitAccount: string;
  creditAccount: string;
  /** > 0; for post_pending ≤ the pending amount (default: all of it); ignored for
   *  void_pending. */
  amount?: number;
  /** What the transfer is, e.g. "payment", "cashout_hold". */
  code: string;
  /** Free text linking the transfer to its cause (payment key, cash-out id). */
  ref?: string;
  kind?: TransferKind;
  /** For post_pending / void_pending: the pending transfer's id. */
  pendingId?: string;
}

export interface Transfer {
  id: string;
  debitAccount: string;
  creditAccount: string;
  amount: number;
  code: string;
  ref: string;
  kind: TransferKind;
  pendingId: string | null;
  /** For a pending transfer: "pending" until posted or voided. */
  pendingState: "pending" | "posted" | "voided" | null;
  createdAt: string;
}

export type TransferError =
  | "ACCOUNT_NOT_FOUND" | "SAME_ACCOUNT" | "CURRENCY_MISMATCH" | "AMOUNT_INVALID" | "ID_INVALID"
  | "EXISTS_WITH_DIFFERENT_CONTENT" | "EXCEEDS_CREDITS" | "PENDING_NOT_FOUND"
  | "PENDING_ALREADY_POSTED"
  | "PENDING_ALREADY_VOIDED" | "PENDING_AMOUNT_EXCEEDED" | "PENDING_ACCOUNTS_MISMATCH";

/** Errors are values: a refused transfer is `ok: false` with a code, never a throw. */
export type TransferResult =
  | { ok: true; transfer: Transfer; created: boolean }
  | { ok: false; id: string; error: TransferError; message: string };

export interface InvariantReport {
  ok: boolean;
  /** Per currency: Σ balances (posted) and Σ (credits_pending − debits_pending); both 0
   *  when ok. */
  sums: { currency: number; posted: number; pending: number }[];
  /** Accounts whose stored balances differ from those recomputed from transfers. */
  mismatched: string[];
  /** Accounts with the flag whose debits exceed their credits. */
  overdrawn: string[];
}

export interface ReaderSpec {
  /** 16-byte ledger reader id (an 8-byte wire id is zero-padded), hex or bytes. */
  readerId: Uint8Array | string;
  devicePublicKey: Uint8Array | string;
  operatorId: string;
  currency?: number;
  amountMin?: number;
  amountMax?: number;
  driftToleranceS?: number;
  name?: string;
  /** The reader's deny-list maximum age in seconds (docs/CONFIG.md); absent: it has no deny
   *  list, and clearing cannot tell which lists it must have held (docs/CLEARING.md §7a). */
  denyMaxAgeS?: number;
}

export interface Reader {
  readerId: string;
  devicePublicKey: string;
  operatorId: string;
  currency: number;
  amountMin: number;
  amountMax: number;
  driftToleranceS: number;
  name: string;
  lastSeq: number;
  lastHead: string;
  /** docs/CLEARING.md §7a: suspect readers' batches wait for an operator's decision. */
  status: ReaderStatus;
  statusReason: string;
  /** The highest sequence clearing has acknowledged to the reader. */
  ackedSeq: number;
  denyMaxAgeS: number | null;
}

export type ReaderStatus = "active" | "suspect" | "rejected";

export type EvidenceKind =
  | "over_cap_at_reader" | "counter_not_increasing" | "denied_at_reader" | "failed_reader_check";

/** A record an honest reader could not have written (docs/CLEARING.md §7a). */
export interface ReaderEvidence {
  readerId: string;
  seq: number;
  kind: EvidenceKind;
  walletId: string;
  counter: number;
  /** The record's u64 amount, as decimal text. */
  amount: string;
  detail: string;
}

export type BatchStatus = "accepted" | "duplicate" | "held" | "rejected";

export interface BatchOutcome {
  readerId: string;
  firstSeq: number;
  lastSeq: number;
  status: BatchStatus;
  /** Why held or rejected ("gap", "fork", "bad signature", "unknown reader", …). */
  reason: string;
  settled: number;
  rejectedRecords: number;
  duplicates: number;
}

export interface DoubleSpend {
  walletId: string;
  counter: number;
  kind: "counter_reuse" | "over_cap" | "denied_wallet";
  readerId: string;
  seq: number;
  /** Minor units booked against the issuer's offline-risk account. */
  excess: number;
  issuerKeyId: number;
}

export interface IngestReport {
  batches: BatchOutcome[];
  /** Payments verified and paid out to operators in this upload. */
  settled: number;
  settledAmount: number;
  duplicates: number;
  rejectedRecords: { readerId: string; seq: number; reason: number; reasonName: string }[];
  held: number;
  doubleSpends: DoubleSpend[];
  /** Wallets newly put on the deny list by this upload. */
  newlyDenied: string[];
  /** Records that prove their reader dishonest (not paid), and the readers turned suspect. */
  evidence: ReaderEvidence[];
  suspectReaders: string[];
}

export interface IngestOptions {
  /** Register unknown readers on the fly (simulator and demo only): needs their key. */
  autoRegister?: (readerIdHex: string) => ReaderSpec | undefined;
}

export interface Payment {
  walletId: string;
  counter: number;
  readerId: string;
  seq: number;
  amount: number;
  /** Minor units paid from issuer offline-risk instead of float. */
  excess: number;
  time: number;
  certHash: string;
  issuerKeyId: number;
  currency: number;
  operatorId: string;
  status: "settled" | "excess";
  settledAt: string;
}

export interface HeldBatch {
  readerId: string;
  firstSeq: number;
  lastSeq: number;
  reason: string;
  receivedAt: string;
}

export interface Conflict {
  walletId: string;
  counter: number;
  kind: DoubleSpend["kind"];
  readerId: string;
  seq: number;
  amount: number;
  excess: number;
  detectedAt: string;
}

export interface DenyListImage {
  version: number;
  issuedAt: number;
  walletIds: string[];
  revokedIssuerKeyIds: number[];
  /** certHashes (hex, ascending) of the certificates the list vouches for (format 2; empty:
   *  format 1): their issuer signature was verified by clearing (docs/CLEARING.md §8). */
  vouchedCertHashes: string[];
  /** The signed OTDL image (docs/LEDGER.md §7). */
  image: Uint8Array;
}
