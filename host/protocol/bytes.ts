// Byte helpers for the wire format: big-endian integers (the smart-card convention),
// hex, equality. Every reader of untrusted bytes checks its bounds first and throws a
// ProtocolError that names the field, so a bad frame is never silently misread.

/** A structure on the wire is malformed; `field` names the first thing that was wrong. */
export class ProtocolError extends Error {
  constructor(readonly field: string, message: string) {
    super(`${field}: ${message}`);
    this.name = "ProtocolError";
  }
}

export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("hex");
}

/** Parses lowercase or uppercase hex (spaces allowed between bytes) with a clear error. */
export function fromHex(text: string, field = "hex"): Uint8Array {
  const clean = text.replace(/\s+/g, "");
  if (clean.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(clean)) {
    throw new ProtocolError(field, `not a hex byte string: '${text.length > 40 ? text.slice(0, 40) + "…" : text}'`);
  }
  return Uint8Array.from(Buffer.from(clean, "hex"));
}

export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}

export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  let total = 0;
  for (const p of parts) total += p.length;
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) { out.set(p, at); at += p.length; }
  return out;
}

export function readU16(b: Uint8Array, at: number): number {
  return (b[at]! << 8) | b[at + 1]!;
}

export function readU32(b: Uint8Array, at: number): number {
  return ((b[at]! << 24) >>> 0) + ((b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!);
}

export function writeU16(b: Uint8Array, at: number, v: number): void {
  b[at] = (v >>> 8) & 0xff;
  b[at + 1] = v & 0xff;
}

export function writeU32(b: Uint8Array, at: number, v: number): void {
  b[at] = (v >>> 24) & 0xff;
  b[at + 1] = (v >>> 16) & 0xff;
  b[at + 2] = (v >>> 8) & 0xff;
  b[at + 3] = v & 0xff;
}

/** Validates an unsigned integer field before it is encoded. */
export function checkUint(field: string, value: number, bits: 8 | 16 | 32): void {
  const max = bits === 32 ? 0xffffffff : (1 << bits) - 1;
  if (!Number.isInteger(value) || value < 0 || value > max) {
    throw new ProtocolError(field, `must be an integer in 0…${max}, got ${value}`);
  }
}

/** Validates a fixed-size byte field before it is encoded. */
export function checkBytes(field: string, value: Uint8Array, size: number): void {
  if (!(value instanceof Uint8Array)) throw new ProtocolError(field, "must be a Uint8Array");
  if (value.length !== size) throw new ProtocolError(field, `must be ${size} bytes, got ${value.length}`);
}

/** Validates the length of a whole structure before it is decoded. */
export function checkLength(what: string, bytes: Uint8Array, size: number): void {
  if (!(bytes instanceof Uint8Array)) throw new ProtocolError(what, "must be a Uint8Array");
  if (bytes.length !== size) throw new ProtocolError(what, `must be exactly ${size} bytes, got ${bytes.length}`);
}
