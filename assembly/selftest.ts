// selftest.wasm: a WASI command that runs the firmware's crypto core (the same modules
// as build/offtap.wasm) over a line-oriented vector file on stdin, answering one line
// per vector on stdout. QA runs the same file under node:wasi and under WASM3 on the
// device and compares the lines. Protocol, limits and exit codes: docs/SELFTEST.md.
import { nextLine, lineBuf, lineLen, lineTooLong } from "./selftest/lines";
import { handleLine } from "./selftest/commands";
// Brings the abort handler into the program; asconfig.json's `use` routes abort to it.
import "./selftest/abort";

/** WASI entry point. Returning is exit code 0: failed vectors are answers, not errors. */
export function _start(): void {
  while (nextLine()) handleLine(lineBuf, lineLen, lineTooLong);
}
