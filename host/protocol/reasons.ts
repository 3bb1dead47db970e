// The one table of decision and reason codes (docs/PROTOCOL.md, "Decision and reason
// codes"), shared by the simulator, the CLI and clearing. 0 and 1 are acceptances;
// ALREADY_USED (43) is a decline that still carries a receipt.

export interface ReasonInfo {
  readonly code: number;
  readonly name: string;
  readonly description: string;
}

export const REASONS: readonly ReasonInfo[] = [
  { code: 0, name: "ACCEPTED", description: "paid now; gate opens" },
  {
    code: 1, name: "ALREADY_ACCEPTED",
    description: "re-tap of a payment in the ledger whose gate never opened "
      + "(power cut or failed mark); same receipt, the gate opens once, nothing charged",
  },
  { code: 16, name: "NO_WALLET", description: "nothing answered in the field (timeout on SELECT)" },
  {
    code: 17, name: "WALLET_VANISHED",
    description: "the wallet left the field or timed out mid-exchange",
  },
  {
    code: 18, name: "WRONG_AID",
    description: "the device does not have the offtap application (6A 82)",
  },
  {
    code: 19, name: "MALFORMED",
    description: "garbage, truncated or oversized frame, wrong length, bad status word",
  },
  {
    code: 20, name: "UNSUPPORTED_VERSION",
    description: "certificate or authorization version the reader does not speak",
  },
  { code: 21, name: "ISSUER_UNKNOWN", description: "certificate's issuer key id not provisioned" },
  { code: 22, name: "ISSUER_REVOKED", description: "issuer key revoked by the deny list" },
  {
    code: 23, name: "CERT_SIGNATURE_INVALID",
    description: "issuer signature fails the strict policy",
  },
  { code: 24, name: "CERT_NOT_YET_VALID", description: "reader time before validFrom − tolerance" },
  { code: 25, name: "CERT_EXPIRED", description: "reader time after validUntil + tolerance" },
  {
    code: 26, name: "DENY_LIST_STALE",
    description: "the reader's deny list is older than its configured maximum age",
  },
  { code: 27, name: "WALLET_DENIED", description: "wallet id on the deny list" },
  {
    code: 28, name: "CURRENCY_MISMATCH",
    description: "certificate or authorization currency is not the reader's",
  },
  {
    code: 29, name: "AMOUNT_OUT_OF_LIMITS",
    description: "amount below the per-tap minimum or above the maximum",
  },
  {
    code: 30, name: "WALLET_REFUSED",
    description: "the wallet declined (69 85): over its cap or user refusal",
  },
  {
    code: 31, name: "CHALLENGE_MISMATCH",
    description: "authorization is not for this challenge and not a known re-tap",
  },
  { code: 32, name: "READER_ID_MISMATCH", description: "authorization names another reader" },
  {
    code: 33, name: "AMOUNT_MISMATCH",
    description: "authorization amount differs from the requested amount",
  },
  {
    code: 34, name: "AUTH_SIGNATURE_INVALID",
    description: "wallet signature fails the strict policy",
  },
  {
    code: 35, name: "COUNTER_REPLAYED",
    description: "counter not greater than the last recorded for this wallet",
  },
  {
    code: 36, name: "OVER_OFFLINE_CAP",
    description: "cumulative > offlineCap, or cumulative < amount",
  },
  { code: 37, name: "LEDGER_FULL", description: "unacknowledged ledger full; nothing overwritten" },
  { code: 38, name: "LEDGER_ERROR", description: "flash write or read-back failed" },
  { code: 39, name: "NOT_CONFIGURED", description: "the reader has no valid provisioning" },
  { code: 40, name: "AMOUNT_REQUIRED", description: "kiosk mode tap without an amount" },
  {
    code: 41, name: "READER_FAULT",
    description: "the reader's hardware RNG failed; no payment command was sent",
  },
  {
    code: 42, name: "RETAP_PROOF_INVALID",
    description: "a re-presented authorization whose possession proof fails: a copy, a replay, "
      + "or a wallet without its key",
  },
  {
    code: 43, name: "ALREADY_USED",
    description: "re-tap of a payment whose gate opening was already given; receipt re-sent "
      + "(outcome 2), gate stays shut, nothing charged",
  },
];

/** Code constants by name, e.g. `Reason.ACCEPTED === 0`. */
export const Reason = {
  ACCEPTED: 0,
  ALREADY_ACCEPTED: 1,
  NO_WALLET: 16,
  WALLET_VANISHED: 17,
  WRONG_AID: 18,
  MALFORMED: 19,
  UNSUPPORTED_VERSION: 20,
  ISSUER_UNKNOWN: 21,
  ISSUER_REVOKED: 22,
  CERT_SIGNATURE_INVALID: 23,
  CERT_NOT_YET_VALID: 24,
  CERT_EXPIRED: 25,
  DENY_LIST_STALE: 26,
  WALLET_DENIED: 27,
  CURRENCY_MISMATCH: 28,
  AMOUNT_OUT_OF_LIMITS: 29,
  WALLET_REFUSED: 30,
  CHALLENGE_MISMATCH: 31,
  READER_ID_MISMATCH: 32,
  AMOUNT_MISMATCH: 33,
  AUTH_SIGNATURE_INVALID: 34,
  COUNTER_REPLAYED: 35,
  OVER_OFFLINE_CAP: 36,
  LEDGER_FULL: 37,
  LEDGER_ERROR: 38,
  NOT_CONFIGURED: 39,
  AMOUNT_REQUIRED: 40,
  READER_FAULT: 41,
  RETAP_PROOF_INVALID: 42,
  ALREADY_USED: 43,
} as const;

export type ReasonName = keyof typeof Reason;

const byCode = new Map(REASONS.map((r) => [r.code, r]));

/** The table entry for a code, or undefined when the code is not in the protocol. */
export function reasonInfo(code: number): ReasonInfo | undefined {
  return byCode.get(code);
}

/** The name of a code; unknown codes are shown as `UNKNOWN(<code>)`, never hidden. */
export function reasonName(code: number): string {
  return byCode.get(code)?.name ?? `UNKNOWN(${code})`;
}

export function isAcceptance(code: number): boolean {
  return code === Reason.ACCEPTED || code === Reason.ALREADY_ACCEPTED;
}
