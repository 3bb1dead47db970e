// taprunner.wasm: a WASI command that runs the real firmware (the reader and ledger of
// build/offtap.wasm, compiled from the same sources) against a scripted board: a tap
// script on stdin provisions the reader, queues the R-APDUs, random bytes and clock of
// recorded taps, runs them and checks every C-APDU, decision, receipt and signal.
// QA runs the same script under node:wasi, under WASM3 on a desktop and on the device.
// Script, output and exit codes: docs/TAPRUNNER.md.
import { TAPRUNNER_LINE_BYTES_MAX } from "./limits";
import { lineReaderInit, nextLine, lineLen, lineTooLong } from "./selftest/lines";
import { splitFields } from "./taprunner/fields";
import { runCommand, scriptError, printSummary, failures, mismatchTotal, EXIT_FAILED } from "./taprunner/script";
import { exitWith } from "./selftest/wasi";
// Brings the abort handler in; asconfig.json's `use` routes abort to it.
import "./selftest/abort";

/** How much stdin one fd_read asks for: small, the taprunner's memory is nearly full. */
const READ_CHUNK_BYTES: i32 = 512;
const readBuf: usize = memory.data(READ_CHUNK_BYTES, 16);
const lineBuf: usize = memory.data(TAPRUNNER_LINE_BYTES_MAX, 16);

/** WASI entry point: 0 when every expectation held and every tap followed its script. */
export function _start(): void {
  lineReaderInit(lineBuf, TAPRUNNER_LINE_BYTES_MAX, readBuf, READ_CHUNK_BYTES);
  while (nextLine()) {
    if (lineTooLong) scriptError("line too long");
    let s = 0;
    while (s < lineLen && (load<u8>(lineBuf + <usize>s) == 0x20 || load<u8>(lineBuf + <usize>s) == 0x09)) s++;
    if (s == lineLen || load<u8>(lineBuf + <usize>s) == 0x23) continue; // blank or comment
    if (!splitFields(lineBuf + <usize>s, lineLen - s)) scriptError("too many fields");
    runCommand();
  }
  printSummary();
  if (failures > 0 || mismatchTotal > 0) exitWith(EXIT_FAILED);
}
