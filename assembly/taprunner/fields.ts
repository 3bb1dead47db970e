// Splits a script line into fields separated by one space or tab, and decodes them.
// Decoders return -1 (or false) on bad input; the caller names the field in its error.
import { decodeHexInPlace } from "../selftest/hex";

/** A command and at most four arguments (`partition` has four). */
const FIELDS_MAX: i32 = 5;
/** Digits of a decimal field: enough for any u32 or i32. */
const DECIMAL_DIGITS_MAX: i32 = 10;

const starts: usize = memory.data(FIELDS_MAX * 4, 4);
const lens: usize = memory.data(FIELDS_MAX * 4, 4);
export let fieldCount: i32 = 0;

@inline function isBlank(c: u32): bool { return c == 0x20 || c == 0x09; }
@inline export function fieldPtr(i: i32): usize { return <usize>load<u32>(starts + (<usize>i << 2)); }
@inline export function fieldLen(i: i32): i32 { return load<i32>(lens + (<usize>i << 2)); }

/** Splits at every separator; false when the line has more than FIELDS_MAX fields. */
export function splitFields(line: usize, len: i32): bool {
  fieldCount = 1;
  let start = 0;
  store<u32>(starts, <u32>line);
  for (let i = 0; i < len; i++) {
    if (!isBlank(load<u8>(line + <usize>i))) continue;
    store<i32>(lens + (<usize>(fieldCount - 1) << 2), i - start);
    if (fieldCount == FIELDS_MAX) return false;
    start = i + 1;
    store<u32>(starts + (<usize>fieldCount << 2), <u32>(line + <usize>start));
    fieldCount++;
  }
  store<i32>(lens + (<usize>(fieldCount - 1) << 2), len - start);
  return true;
}

export function fieldIs(i: i32, word: string): bool {
  const n = word.length;
  if (fieldLen(i) != n) return false;
  const p = fieldPtr(i);
  for (let k = 0; k < n; k++) if (<u32>load<u8>(p + <usize>k) != <u32>word.charCodeAt(k)) return false;
  return true;
}

/** Whether field i is "-" (no bytes). */
export function fieldIsDash(i: i32): bool { return fieldLen(i) == 1 && load<u8>(fieldPtr(i)) == 0x2d; }

/** Decodes field i as hex in place; returns the byte count or -1. */
export function hexField(i: i32): i32 {
  return decodeHexInPlace(fieldPtr(i), fieldLen(i));
}

/** Parses field i as a decimal integer with an optional leading '-'; false when it is not
 *  one or does not fit an i64 of DECIMAL_DIGITS_MAX digits. The value is in `decimalValue`. */
export let decimalValue: i64 = 0;
export function decimalField(i: i32): bool {
  const p = fieldPtr(i);
  const n = fieldLen(i);
  const negative = n > 0 && load<u8>(p) == 0x2d;
  const first = negative ? 1 : 0;
  if (n - first < 1 || n - first > DECIMAL_DIGITS_MAX) return false;
  let v: i64 = 0;
  for (let k = first; k < n; k++) {
    const c = <i32>load<u8>(p + <usize>k);
    if (c < 0x30 || c > 0x39) return false;
    v = v * 10 + <i64>(c - 0x30);
  }
  decimalValue = negative ? -v : v;
  return true;
}

/** Copies n bytes (no bulk memory on the device profile). */
export function copy(dst: usize, src: usize, n: i32): void {
  for (let i = 0; i < n; i++) store<u8>(dst + <usize>i, load<u8>(src + <usize>i));
}
