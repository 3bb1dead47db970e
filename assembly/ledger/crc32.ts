// CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320, init and final XOR 0xFFFFFFFF):
// the same function as zlib's crc32, so the host can check every commit independently.

const POLY: u32 = 0xEDB88320;
/** 256 × u32 lookup table, filled on first use (start-up), never reallocated. */
const TABLE: usize = memory.data(1024, 4);
let tableReady = false;

function fillTable(): void {
  for (let i: u32 = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = (c & 1) ? POLY ^ (c >>> 1) : c >>> 1;
    store<u32>(TABLE + ((<usize>i) << 2), c);
  }
  tableReady = true;
}

/** Continues a CRC over len bytes: start with crc32Begin(), finish with crc32End(). */
export function crc32Update(state: u32, ptr: usize, len: i32): u32 {
  if (!tableReady) fillTable();
  let c = state;
  for (let i = 0; i < len; i++) {
    // Index is (c ^ byte) & 0xFF < 256: always inside the 1 KiB table.
    c = load<u32>(TABLE + (<usize>((c ^ <u32>load<u8>(ptr + <usize>i)) & 0xFF) << 2)) ^ (c >>> 8);
  }
  return c;
}
@inline export function crc32Begin(): u32 { return 0xFFFFFFFF; }
@inline export function crc32End(state: u32): u32 { return ~state; }

export function crc32(ptr: usize, len: i32): u32 {
  return crc32End(crc32Update(crc32Begin(), ptr, len));
}
