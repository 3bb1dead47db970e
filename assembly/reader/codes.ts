// Decision and reason codes of docs/PROTOCOL.md ("Decision and reason codes"): one table
// for firmware, simulator, CLI and clearing. 0 and 1 are acceptances.
export const ACCEPTED: i32 = 0;
export const ALREADY_ACCEPTED: i32 = 1;
export const NO_WALLET: i32 = 16;
export const WALLET_VANISHED: i32 = 17;
export const WRONG_AID: i32 = 18;
export const MALFORMED: i32 = 19;
export const UNSUPPORTED_VERSION: i32 = 20;
export const ISSUER_UNKNOWN: i32 = 21;
export const ISSUER_REVOKED: i32 = 22;
export const CERT_SIGNATURE_INVALID: i32 = 23;
export const CERT_NOT_YET_VALID: i32 = 24;
export const CERT_EXPIRED: i32 = 25;
export const DENY_LIST_STALE: i32 = 26;
export const WALLET_DENIED: i32 = 27;
export const CURRENCY_MISMATCH: i32 = 28;
export const AMOUNT_OUT_OF_LIMITS: i32 = 29;
export const WALLET_REFUSED: i32 = 30;
export const CHALLENGE_MISMATCH: i32 = 31;
export const READER_ID_MISMATCH: i32 = 32;
export const AMOUNT_MISMATCH: i32 = 33;
export const AUTH_SIGNATURE_INVALID: i32 = 34;
export const COUNTER_REPLAYED: i32 = 35;
export const OVER_OFFLINE_CAP: i32 = 36;
export const LEDGER_FULL: i32 = 37;
export const LEDGER_ERROR: i32 = 38;
export const NOT_CONFIGURED: i32 = 39;
export const AMOUNT_REQUIRED: i32 = 40;
export const READER_FAULT: i32 = 41;
export const RETAP_PROOF_INVALID: i32 = 42;
export const ALREADY_USED: i32 = 43;

/** "No decision yet": internal, never returned by tap. */
export const CONTINUE: i32 = -1;

@inline export function isAcceptance(code: i32): bool {
  return code == ACCEPTED || code == ALREADY_ACCEPTED;
}

// init statuses (docs/CONFIG.md). Ledger statuses (−1 … −20, docs/LEDGER.md §8) are
// passed through unchanged; the reader's own are −30 … −39.
export const INIT_OK: i32 = 0;
export const ERR_CONFIG_LENGTH: i32 = -30;
export const ERR_CONFIG_MAGIC: i32 = -31;
export const ERR_CONFIG_VERSION: i32 = -32;
export const ERR_CONFIG_CRC: i32 = -33;
export const ERR_CONFIG_FIELD: i32 = -34;
export const ERR_CONFIG_KEY: i32 = -35;
