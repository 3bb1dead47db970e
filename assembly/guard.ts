// The board boundary: every pointer a board passes to an export must lie, with its whole
// length, inside the I/O buffer (the one region the board writes inputs to and reads
// outputs from). Checked without forming ptr + len, so no i32/u32 overflow can pass.
import { IO_BUFFER_BYTES } from "./limits";
import { ioBuffer } from "./io";

/** True when [ptr, ptr + len) lies inside the I/O buffer and len ≥ 0. */
export function inIo(ptr: usize, len: i32): bool {
  if (len < 0 || len > IO_BUFFER_BYTES || ptr < ioBuffer) return false;
  return ptr - ioBuffer <= <usize>(IO_BUFFER_BYTES - len);
}
