// Reads stdin one line at a time into a caller's static line buffer; shared by the WASI
// QA modules (selftest, taprunner), each of which sizes its own buffers. A line longer
// than the buffer is consumed to its end and flagged, never truncated silently; a CR
// before the LF (CRLF files) is dropped.
import { fd_read, STDIN, EXIT_IO_ERROR, exitWith } from "./wasi";

const iov: usize = memory.data(8, 4);
const nread: usize = memory.data(4, 4);
let readBuf: usize = 0;
let readCap: i32 = 0;
let lineBuf: usize = 0;
let lineCap: i32 = 0;
let readPos: i32 = 0;
let readEnd: i32 = 0;
let atEof: bool = false;

/** The current line's length (terminator excluded) and whether it overflowed. */
export let lineLen: i32 = 0;
export let lineTooLong: bool = false;
/** 1-based number of the current line, for error messages. */
export let lineNumber: u32 = 0;

/** Sets the buffers once at start-up: lines land in line[0..lineBytes), stdin is read
 *  in chunks of chunkBytes into chunk. */
export function lineReaderInit(line: usize, lineBytes: i32, chunk: usize, chunkBytes: i32): void {
  assert(lineBytes > 0 && chunkBytes > 0, "line reader buffers");
  lineBuf = line;
  lineCap = lineBytes;
  readBuf = chunk;
  readCap = chunkBytes;
}

/** Refills the chunk buffer; false at end of input. */
function refill(): bool {
  if (atEof) return false;
  store<u32>(iov, <u32>readBuf, 0);
  store<u32>(iov, <u32>readCap, 4);
  const errno = fd_read(STDIN, iov, 1, nread);
  if (errno != 0) exitWith(EXIT_IO_ERROR);
  const n = <i32>load<u32>(nread);
  if (n < 0 || n > readCap) exitWith(EXIT_IO_ERROR);
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
    if (readPos == readEnd && !refill()) break;
    const c = load<u8>(readBuf + <usize>readPos);
    readPos++;
    gotAny = true;
    if (c == 0x0a) break;
    if (lineLen < lineCap) {
      store<u8>(lineBuf + <usize>lineLen, c);
      lineLen++;
    } else {
      lineTooLong = true;
    }
  }
  if (gotAny) lineNumber++;
  if (!lineTooLong && lineLen > 0 && load<u8>(lineBuf + <usize>(lineLen - 1)) == 0x0d) lineLen--;
  return gotAny;
}
