// Every fixed bound of the firmware lives here, each with the reason for its value.
// The firmware allocates nothing after start-up: every buffer below is static memory.

/** Linear memory the firmware may use: WASM3 on the ESP32 allocates 64 KiB pages out
 *  of ~320 KiB shared with the radio stacks; two pages is the budget in BRIEF.md. */
export const MEMORY_PAGES_MAX: i32 = 2;

/** Host <-> firmware exchange buffer. Large enough for one short-APDU tap exchange
 *  (≤ ~600 bytes) several times over and for every test-vector message we carry;
 *  longer messages go through the streaming verify exports. */
export const IO_BUFFER_BYTES: i32 = 4096;

/** Issuer keys the reader knows in advance and keeps precomputed verify tables for.
 *  Operators run a handful of issuers; each slot costs table memory (see crypto/). */
export const REGISTERED_KEYS_MAX: i32 = 4;
