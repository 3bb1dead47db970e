// Ledger status codes (docs/LEDGER.md §8). Errors are values: every expected failure
// (full ledger, torn data, bad signature) is one of these, never a trap.
export const OK: i32 = 0;
export const ERR_BOUNDS: i32 = -1;
export const ERR_IO: i32 = -2;
export const ERR_PARTITION: i32 = -3;
export const ERR_NOT_CONFIGURED: i32 = -10;
export const ERR_BAD_CONFIG: i32 = -11;
export const ERR_LEDGER_FULL: i32 = -12;
export const ERR_BAD_ARGUMENT: i32 = -13;
export const ERR_VERIFY: i32 = -14;
export const ERR_NOT_FOUND: i32 = -15;
export const ERR_CORRUPT: i32 = -16;
export const ERR_BAD_SIGNATURE: i32 = -17;
export const ERR_BAD_ACK: i32 = -18;
export const ERR_STALE_VERSION: i32 = -19;
export const ERR_BAD_FORMAT: i32 = -20;
