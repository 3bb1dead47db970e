// Splits a vector line into fields and decodes them in place. Fields are separated by
// ONE space or tab each, so two separators in a row enclose an empty field (an empty
// message may be written that way, or as "-").
import { SELFTEST_MESSAGE_BYTES_MAX } from "../limits";
import { decodeHexInPlace } from "./hex";
import { outText, outDecimal, outLine } from "./out";

/** A command and at most three arguments: the longest command, verify, has three. */
const FIELDS_MAX: i32 = 4;
/** Digits in a key slot number; more than any slot count we would ever configure. */
const SLOT_DIGITS_MAX: i32 = 9;

const fieldStarts: usize = memory.data(FIELDS_MAX * 4, 4);
const fieldLens: usize = memory.data(FIELDS_MAX * 4, 4);
export let fieldCount: i32 = 0;

@inline export function isBlank(c: u32): bool { return c == 0x20 || c == 0x09; }

/** Offset of field i (i < fieldCount, checked by every caller through fieldCount). */
@inline export function fieldPtr(i: i32): usize { return <usize>load<u32>(fieldStarts + (<usize>i << 2)); }
@inline export function fieldLen(i: i32): i32 { return load<i32>(fieldLens + (<usize>i << 2)); }

/** Splits the line at every separator. False when it has more than FIELDS_MAX fields. */
export function splitFields(line: usize, len: i32): bool {
  fieldCount = 1;
  let start = 0;
  store<u32>(fieldStarts, <u32>line);
  for (let i = 0; i < len; i++) {
    if (!isBlank(load<u8>(line + <usize>i))) continue;
    store<i32>(fieldLens + (<usize>(fieldCount - 1) << 2), i - start);
    if (fieldCount == FIELDS_MAX) return false;
    start = i + 1;
    store<u32>(fieldStarts + (<usize>fieldCount << 2), <u32>(line + <usize>start));
    fieldCount++;
  }
  store<i32>(fieldLens + (<usize>(fieldCount - 1) << 2), len - start);
  return true;
}

/** Whether field i is exactly the ASCII word. */
export function fieldIs(i: i32, word: string): bool {
  const n = word.length;
  if (fieldLen(i) != n) return false;
  const p = fieldPtr(i);
  for (let k = 0; k < n; k++) {
    if (<u32>load<u8>(p + <usize>k) != <u32>word.charCodeAt(k)) return false;
  }
  return true;
}

/** Decodes field i, which must be exactly `bytes` bytes of hex. On failure writes the
 *  error line and returns false. */
export function fixedField(i: i32, bytes: i32, name: string): bool {
  const n = fieldLen(i);
  if (n != bytes * 2) {
    outText("error ");
    outText(name);
    outText(" must be ");
    outDecimal(<u32>bytes);
    outText(" bytes (");
    outDecimal(<u32>(bytes * 2));
    outText(" hex digits)");
    outLine();
    return false;
  }
  if (decodeHexInPlace(fieldPtr(i), n) < 0) {
    outText("error ");
    outText(name);
    outText(" is not hex");
    outLine();
    return false;
  }
  return true;
}

/** Decodes field i as a message: "-" or an empty field is the empty message. Returns
 *  its length in bytes, or -1 after writing the error line. */
export function messageField(i: i32): i32 {
  const n = fieldLen(i);
  if (n == 0 || (n == 1 && load<u8>(fieldPtr(i)) == 0x2d)) return 0;
  if (n > SELFTEST_MESSAGE_BYTES_MAX * 2) {
    outText("error message longer than ");
    outDecimal(<u32>SELFTEST_MESSAGE_BYTES_MAX);
    outText(" bytes");
    outLine();
    return -1;
  }
  const bytes = decodeHexInPlace(fieldPtr(i), n);
  if (bytes < 0) {
    outText("error message is not hex (even number of digits, or - for empty)");
    outLine();
    return -1;
  }
  return bytes;
}

/** Parses field i as a decimal slot number. Returns it, or -1 after writing the error line. */
export function slotField(i: i32): i32 {
  const n = fieldLen(i);
  const p = fieldPtr(i);
  let v = 0;
  let ok = n > 0 && n <= SLOT_DIGITS_MAX;
  for (let k = 0; ok && k < n; k++) {
    const c = <i32>load<u8>(p + <usize>k);
    ok = c >= 0x30 && c <= 0x39;
    v = v * 10 + (c - 0x30);
  }
  if (!ok) {
    outText("error slot must be a decimal number of at most ");
    outDecimal(<u32>SLOT_DIGITS_MAX);
    outText(" digits");
    outLine();
    return -1;
  }
  return v;
}
