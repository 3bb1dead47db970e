// Reads stdin one line at a time into a static line buffer. A line longer than
// SELFTEST_LINE_BYTES_MAX is consumed to its end and flagged, never truncated silently.
import { SELFTEST_LINE_BYTES_MAX } from "../limits";
import { fd_read, STDIN, EXIT_IO_ERROR, exitWith } from "./wasi";

/** How much stdin one fd_read asks for. */
const READ_CHUNK_BYTES: i32 = 4096;

const readBuf: usize = memory.data(READ_CHUNK_BYTES, 16);
const iov: usize = memory.data(8, 4);
const nread: usize = memory.data(4, 4);
let readPos: i32 = 0;
let readEnd: i32 = 0;
let atEof: bool = false;

/** The current line: its bytes (terminator excluded), length, and whether it overflowed. */
export const lineBuf: usize = memory.data(SELFTEST_LINE_BYTES_MAX, 16);
export let lineLen: i32 = 0;
export let lineTooLong: bool = false;

/** Refills readBuf; false at end of input. */
function refill(): bool {
  if (atEof) return false;
  store<u32>(iov, <u32>readBuf, 0);
  store<u32>(iov, <u32>READ_CHUNK_BYTES, 4);
  const errno = fd_read(STDIN, iov, 1, nread);
  if (errno != 0) exitWith(EXIT_IO_ERROR);
  const n = <i32>load<u32>(nread);
  if (n < 0 || n > READ_CHUNK_BYTES) exitWith(EXIT_IO_ERROR);
  readPos = 0;
  readEnd = n;
  if (n == 0) atEof = true;
  return n > 0;
}

/** Reads the next line. Returns false at end of input when no bytes are left; a last
 *  line without a newline is still a line. */
export function nextLine(): bool {
  lineLen = 0;
  lineTooLong = false;
  let gotAny = false;
  // Each pass consumes one input byte (or ends), so this is bounded by the input.
  while (true) {
    if (readPos == readEnd && !refill()) return gotAny;
    const c = load<u8>(readBuf + <usize>readPos);
    readPos++;
    gotAny = true;
    if (c == 0x0a) return true;
    if (lineLen < SELFTEST_LINE_BYTES_MAX) {
      store<u8>(lineBuf + <usize>lineLen, c);
      lineLen++;
    } else {
      lineTooLong = true;
    }
  }
  return false;
}
