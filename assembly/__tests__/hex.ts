// Test support shared by the spec files: hex text into linear memory.

/** Writes the bytes of `hex` (two digits per byte) at dst. */
export function putHex(dst: usize, hex: string): void {
  for (let i = 0; i < hex.length / 2; i++) {
    store<u8>(dst + <usize>i, <u8>I32.parseInt(hex.substr(i * 2, 2), 16));
  }
}
