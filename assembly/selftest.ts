// selftest.wasm: a WASI command that runs the firmware's crypto core (the same modules
// as build/offtap.wasm) over a line-oriented vector file on stdin, answering one line
// per vector on stdout. QA runs the same file under node:wasi and under WASM3 on the
// device and compares the lines. Protocol, limits and exit codes: docs/SELFTEST.md.
import { SELFTEST_LINE_BYTES_MAX } from "./limits";
import { lineReaderInit, nextLine, lineLen, lineTooLong } from "./selftest/lines";
import { handleLine } from "./selftest/commands";
// Brings the abort handler into the program; asconfig.json's `use` routes abort to it.
import "./selftest/abort";

/** How much stdin one fd_read asks for: a verify line is ~330 bytes, so one read serves
 *  about a dozen vectors. */
const READ_CHUNK_BYTES: i32 = 4096;
const readBuf: usize = memory.data(READ_CHUNK_BYTES, 16);
const lineBuf: usize = memory.data(SELFTEST_LINE_BYTES_MAX, 16);

/** WASI entry point. Returning is exit code 0: failed vectors are answers, not errors. */
export function _start(): void {
  lineReaderInit(lineBuf, SELFTEST_LINE_BYTES_MAX, readBuf, READ_CHUNK_BYTES);
  while (nextLine()) handleLine(lineBuf, lineLen, lineTooLong);
}
