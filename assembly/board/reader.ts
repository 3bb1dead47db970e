// The reader's imports from its board (boards/ABI.md, "Reader imports"). Numbers only;
// every pointer is an offset into this module's memory that the board bounds-checks.
// The flash imports are declared by the ledger (assembly/ledger/).

/** Sends one C-APDU and waits up to timeoutMs for the R-APDU; returns its length
 *  (status word included) or a negative NFC error. */
// @ts-ignore: decorator
@external("env", "nfcTransceive")
export declare function nfcTransceive(tx: usize, txLen: i32, rx: usize, rxCap: i32, timeoutMs: i32): i32;

/** Wall clock, Unix seconds as an unsigned 32-bit value. */
// @ts-ignore: decorator
@external("env", "clockUnixSeconds")
export declare function clockUnixSeconds(): u32;

/** Monotonic milliseconds since boot, wrapping at 2^32; timings only. */
// @ts-ignore: decorator
@external("env", "clockMillis")
export declare function clockMillis(): u32;

/** Fills len bytes at ptr from the hardware RNG; 0 = done, negative = failure. */
// @ts-ignore: decorator
@external("env", "randomFill")
export declare function randomFill(ptr: usize, len: i32): i32;

/** Drives gate relay, LED, buzzer and display. */
// @ts-ignore: decorator
@external("env", "signal")
export declare function signal(kind: i32, value: i32): void;

/** UTF-8 text at ptr; level LOG_DEBUG … LOG_ERROR. */
// @ts-ignore: decorator
@external("env", "log")
export declare function log(level: i32, ptr: usize, len: i32): void;
