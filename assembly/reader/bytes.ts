// Byte helpers for wire (big-endian) and config (little-endian) fields. Plain loops:
// the device profile has no bulk-memory instructions, and every length here is a small
// protocol constant.

@inline export function loadBe16(p: usize): u32 {
  return (<u32>load<u8>(p) << 8) | <u32>load<u8>(p + 1);
}

@inline export function loadBe32(p: usize): u32 {
  return bswap<u32>(load<u32>(p));
}

@inline export function storeBe16(p: usize, v: u32): void {
  store<u8>(p, <u8>(v >>> 8));
  store<u8>(p + 1, <u8>v);
}

@inline export function storeBe32(p: usize, v: u32): void {
  store<u32>(p, bswap<u32>(v));
}

/** Little-endian loads: wasm is little-endian, so these are plain (unaligned) loads. */
@inline export function loadLe16(p: usize): u32 { return <u32>load<u16>(p); }
@inline export function loadLe32(p: usize): u32 { return load<u32>(p); }

export function bytesEqual(a: usize, b: usize, len: i32): bool {
  let diff: u32 = 0;
  for (let i = 0; i < len; i++) diff |= <u32>(load<u8>(a + <usize>i) ^ load<u8>(b + <usize>i));
  return diff == 0;
}

export function bytesCopy(dst: usize, src: usize, len: i32): void {
  for (let i = 0; i < len; i++) store<u8>(dst + <usize>i, load<u8>(src + <usize>i));
}

export function bytesFill(dst: usize, value: u8, len: i32): void {
  for (let i = 0; i < len; i++) store<u8>(dst + <usize>i, value);
}

export function bytesAllZero(p: usize, len: i32): bool {
  let acc: u32 = 0;
  for (let i = 0; i < len; i++) acc |= <u32>load<u8>(p + <usize>i);
  return acc == 0;
}
