// Ed25519 byte-level facts used by the reference model and the test generators:
// field and group constants, little-endian scalars and the canonical-encoding rule.
// Everything here works on bytes only; point arithmetic lives in reference.ts.

/** Field prime p = 2^255 - 19. */
export const FIELD_P = 2n ** 255n - 19n;
/** Prime order L of the base point's subgroup. */
export const GROUP_L = 2n ** 252n + 27742317777372353535851937790883648493n;

export const PUBLIC_KEY_BYTES = 32;
export const SIGNATURE_BYTES = 64;
export const POINT_BYTES = 32;

export function bytesToNumberLE(bytes: Uint8Array): bigint {
  let n = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) n = (n << 8n) | BigInt(bytes[i]!);
  return n;
}

/** Little-endian encoding of `n` in exactly `len` bytes; `n` must fit. */
export function numberToBytesLE(n: bigint, len: number): Uint8Array {
  if (n < 0n || n >= 1n << BigInt(8 * len)) throw new RangeError(`${n} does not fit in ${len} bytes`);
  const out = new Uint8Array(len);
  for (let i = 0; i < len; i++) {
    out[i] = Number(n & 0xffn);
    n >>= 8n;
  }
  return out;
}

/** The y coordinate written in a point encoding (the top bit cleared), not reduced mod p. */
export function encodedY(point: Uint8Array): bigint {
  const copy = point.slice(0, POINT_BYTES);
  copy[31] = copy[31]! & 0x7f;
  return bytesToNumberLE(copy);
}

/** The sign bit of x carried in the top bit of the last byte. */
export function encodedSignBit(point: Uint8Array): boolean {
  return (point[31]! & 0x80) !== 0;
}

/**
 * Canonical point encoding (policy rules 2 and 5): y < p, and not the encoding of a point
 * with x = 0 carrying a set sign bit. x = 0 exactly when y^2 = 1, i.e. y = 1 or y = p - 1,
 * so the rule is decidable on the bytes alone, before any square root.
 */
export function isCanonicalPointEncoding(point: Uint8Array): boolean {
  if (point.length !== POINT_BYTES) return false;
  const y = encodedY(point);
  if (y >= FIELD_P) return false;
  const xIsZero = y === 1n || y === FIELD_P - 1n;
  return !(xIsZero && encodedSignBit(point));
}

export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}

export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("hex");
}

/** Strict hex decoding: even length, hex digits only (empty string = empty bytes). */
export function fromHex(hex: string): Uint8Array {
  if (hex.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(hex)) throw new SyntaxError(`not a hex string: "${hex.length > 40 ? hex.slice(0, 40) + "…" : hex}"`);
  return new Uint8Array(Buffer.from(hex, "hex"));
}
