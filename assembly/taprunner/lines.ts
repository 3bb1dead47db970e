// Reads the script from stdin one line at a time into a static buffer (the selftest's
// reader, sized for tap scripts). A line longer than TAPRUNNER_LINE_BYTES_MAX is
// consumed to its end and flagged, never truncated silently.
import { TAPRUNNER_LINE_BYTES_MAX } from "../limits";
import { fd_read, STDIN, EXIT_IO_ERROR, exitWith } from "../selftest/wasi";

/** How much stdin one fd_read asks for. */
const READ_CHUNK_BYTES: i32 = 512;

const readBuf: usize = memory.data(READ_CHUNK_BYTES, 16);
const iov: usize = memory.data(8, 4);
const nread: usize = memory.data(4, 4);
let readPos: i32 = 0;
let readEnd: i32 = 0;
let atEof: bool = false;

export const lineBuf: usize = memory.data(TAPRUNNER_LINE_BYTES_MAX, 16);
export let lineLen: i32 = 0;
export let lineTooLong: bool = false;
/** 1-based number of the current line, for error messages. */
export let lineNumber: u32 = 0;

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

/** Reads the next line (a CR before the LF is dropped). False at end of input. */
export function nextLine(): bool {
  lineLen = 0;
  lineTooLong = false;
  let gotAny = false;
  // Each pass consumes one input byte (or ends), so this is bounded by the input.
  while (true) {
    if (readPos == readEnd && !refill()) break;
    const c = load<u8>(readBuf + <usize>readPos);
    readPos++;
    gotAny = true;
    if (c == 0x0a) break;
    if (lineLen < TAPRUNNER_LINE_BYTES_MAX) {
      store<u8>(lineBuf + <usize>lineLen, c);
      lineLen++;
    } else {
      lineTooLong = true;
    }
  }
  if (gotAny) lineNumber++;
  if (lineLen > 0 && load<u8>(lineBuf + <usize>(lineLen - 1)) == 0x0d) lineLen--;
  return gotAny;
}
