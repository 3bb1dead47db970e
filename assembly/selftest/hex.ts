// Hex decoding in place: byte i is written at p + i after reading the digits at p + 2i
// and p + 2i + 1, which are never behind it, so a field decodes over its own text.

/** Value of one hex digit (either case), or -1. */
@inline function nibble(c: u32): i32 {
  if (c >= 0x30 && c <= 0x39) return <i32>(c - 0x30);
  const l = c | 0x20; // ASCII letters: fold to lower case
  if (l >= 0x61 && l <= 0x66) return <i32>(l - 0x61 + 10);
  return -1;
}

/** Decodes hexLen digits at p into bytes at p. Returns the byte count, or -1 when the
 *  text is not an even number of hex digits. */
export function decodeHexInPlace(p: usize, hexLen: i32): i32 {
  if ((hexLen & 1) != 0) return -1;
  const n = hexLen >> 1;
  for (let i = 0; i < n; i++) {
    const hi = nibble(load<u8>(p + (<usize>i << 1)));
    const lo = nibble(load<u8>(p + (<usize>i << 1) + 1));
    if ((hi | lo) < 0) return -1;
    store<u8>(p + <usize>i, <u8>((hi << 4) | lo));
  }
  return n;
}
