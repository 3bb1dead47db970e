// The reader's imports from its board (boards/ABI.md, "Reader imports"). Numbers only;
// every pointer is an offset into this module's memory that the board bounds-checks.
// The flash imports are declared by the ledger (assembly/ledger/).
//
// Compile-time board switch: build/offtap.wasm imports these functions from its board.
// build/taprunner.wasm's target (asconfig.json "taprunner") defines the global aliases
// scriptedNfcTransceive … scriptedFlashErase with asc `--use`, pointing at the in-module
// scripted board (assembly/taprunner/board.ts), so it imports nothing but WASI.
// `isDefined` folds at compile time and the dead branch is never compiled: the firmware
// neither imports nor lays out anything of the scripted board (this file must not
// import it — an imported file's static data would be laid out in the firmware's
// memory), and the taprunner never emits the env imports.

// @ts-ignore: decorator
@external("env", "nfcTransceive")
declare function envNfcTransceive(tx: usize, txLen: i32, rx: usize, rxCap: i32, timeoutMs: i32): i32;
// @ts-ignore: decorator
@external("env", "clockUnixSeconds")
declare function envClockUnixSeconds(): u32;
// @ts-ignore: decorator
@external("env", "clockMillis")
declare function envClockMillis(): u32;
// @ts-ignore: decorator
@external("env", "randomFill")
declare function envRandomFill(ptr: usize, len: i32): i32;
// @ts-ignore: decorator
@external("env", "signal")
declare function envSignal(kind: i32, value: i32): void;
// @ts-ignore: decorator
@external("env", "log")
declare function envLog(level: i32, ptr: usize, len: i32): void;

/** Sends one C-APDU and waits up to timeoutMs for the R-APDU; returns its length
 *  (status word included) or a negative NFC error. */
// @ts-ignore: decorator
@inline export function nfcTransceive(tx: usize, txLen: i32, rx: usize, rxCap: i32, timeoutMs: i32): i32 {
  // @ts-ignore: defined by the taprunner target only
  if (isDefined(scriptedNfcTransceive)) return scriptedNfcTransceive(tx, txLen, rx, rxCap, timeoutMs);
  return envNfcTransceive(tx, txLen, rx, rxCap, timeoutMs);
}

/** Wall clock, Unix seconds as an unsigned 32-bit value. */
// @ts-ignore: decorator
@inline export function clockUnixSeconds(): u32 {
  // @ts-ignore: defined by the taprunner target only
  if (isDefined(scriptedClockUnixSeconds)) return scriptedClockUnixSeconds();
  return envClockUnixSeconds();
}

/** Monotonic milliseconds since boot, wrapping at 2^32; timings only. */
// @ts-ignore: decorator
@inline export function clockMillis(): u32 {
  // @ts-ignore: defined by the taprunner target only
  if (isDefined(scriptedClockMillis)) return scriptedClockMillis();
  return envClockMillis();
}

/** Fills len bytes at ptr from the hardware RNG; 0 = done, negative = failure. */
// @ts-ignore: decorator
@inline export function randomFill(ptr: usize, len: i32): i32 {
  // @ts-ignore: defined by the taprunner target only
  if (isDefined(scriptedRandomFill)) return scriptedRandomFill(ptr, len);
  return envRandomFill(ptr, len);
}

/** Drives gate relay, LED, buzzer and display. */
// @ts-ignore: decorator
@inline export function signal(kind: i32, value: i32): void {
  // @ts-ignore: defined by the taprunner target only
  if (isDefined(scriptedSignal)) scriptedSignal(kind, value);
  else envSignal(kind, value);
}

/** UTF-8 text at ptr; level LOG_DEBUG … LOG_ERROR. */
// @ts-ignore: decorator
@inline export function log(level: i32, ptr: usize, len: i32): void {
  // @ts-ignore: defined by the taprunner target only
  if (isDefined(scriptedLog)) scriptedLog(level, ptr, len);
  else envLog(level, ptr, len);
}
