// One output line at a time, assembled in a static buffer and written to stdout whole.
import { SELFTEST_OUTPUT_LINE_BYTES_MAX } from "../limits";
import { fd_write, STDOUT, EXIT_IO_ERROR, exitWith } from "./wasi";

// One byte more than the line limit, for the newline.
const outBuf: usize = memory.data(SELFTEST_OUTPUT_LINE_BYTES_MAX + 1, 16);
const iov: usize = memory.data(8, 4);
const written: usize = memory.data(4, 4);
let outLen: i32 = 0;

const HEX_DIGITS: usize = memory.data<u8>([
  0x30, 0x31, 0x32, 0x33, 0x34, 0x35, 0x36, 0x37, 0x38, 0x39, 0x61, 0x62, 0x63, 0x64, 0x65, 0x66,
]);

/** Appends one byte; bytes past the line limit are dropped (reasons are cut, not wrapped). */
export function outByte(c: u32): void {
  if (outLen >= SELFTEST_OUTPUT_LINE_BYTES_MAX) return;
  store<u8>(outBuf + <usize>outLen, <u8>c);
  outLen++;
}

/** Appends an ASCII string (static literals only; no allocation). */
export function outText(s: string | null): void {
  if (s === null) return;
  const n = s.length;
  for (let i = 0; i < n; i++) outByte(<u32>s.charCodeAt(i));
}

export function outHex(p: usize, len: i32): void {
  for (let i = 0; i < len; i++) {
    const b = <usize>load<u8>(p + <usize>i);
    outByte(load<u8>(HEX_DIGITS + (b >> 4)));
    outByte(load<u8>(HEX_DIGITS + (b & 15)));
  }
}

/** Ten digits at most for a u32, produced least significant first. */
const decimalDigits: usize = memory.data(10, 1);

/** Appends v in decimal. */
export function outDecimal(v: u32): void {
  let n = 0;
  do { // at most 10 passes: v shrinks tenfold each time
    store<u8>(decimalDigits + <usize>n, <u8>(0x30 + v % 10));
    v /= 10;
    n++;
  } while (v != 0);
  // Ten digits hold any u32. The check also keeps this function out of line: its
  // callers are many and the image is near its size budget.
  assert(n <= 10, "decimal digits");
  while (n > 0) {
    n--;
    outByte(load<u8>(decimalDigits + <usize>n));
  }
}

/** Writes the line assembled so far plus a newline, then starts a new one. */
export function outLine(): void {
  store<u8>(outBuf + <usize>outLen, 0x0a);
  let p = outBuf;
  let left = outLen + 1;
  outLen = 0;
  // Each pass writes at least one byte or exits, so this ends within `left` passes.
  while (left > 0) {
    store<u32>(iov, <u32>p, 0);
    store<u32>(iov, <u32>left, 4);
    const errno = fd_write(STDOUT, iov, 1, written);
    const n = <i32>load<u32>(written);
    if (errno != 0 || n <= 0 || n > left) exitWith(EXIT_IO_ERROR);
    p += <usize>n;
    left -= n;
  }
}

/** Writes `error <reason>` as a whole line. */
export function outError(reason: string): void {
  outText("error ");
  outText(reason);
  outLine();
}
