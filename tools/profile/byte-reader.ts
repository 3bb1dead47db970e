// A bounds-checked cursor over WebAssembly binary bytes: LEB128 integers, fixed-size
// fields and names. Every read that would run past `end` throws MalformedWasm, so a
// truncated or hostile file ends the check with a clear message, never a wrong verdict.

export class MalformedWasm extends Error {}

/** Longest LEB128 encodings the spec allows: ceil(bits / 7) bytes. */
const LEB_BYTES_MAX_32 = 5;
const LEB_BYTES_MAX_33 = 5;
const LEB_BYTES_MAX_64 = 10;

export class ByteReader {
  readonly bytes: Uint8Array;
  pos: number;
  readonly end: number;

  constructor(bytes: Uint8Array, start = 0, end = bytes.length) {
    if (start < 0 || end > bytes.length || start > end) throw new RangeError(`bad reader window ${start}..${end}`);
    this.bytes = bytes;
    this.pos = start;
    this.end = end;
  }

  atEnd(): boolean {
    return this.pos >= this.end;
  }

  private need(count: number, what: string): void {
    if (this.pos + count > this.end) {
      throw new MalformedWasm(`unexpected end of ${what} at byte 0x${this.pos.toString(16)}`);
    }
  }

  u8(what = "byte"): number {
    this.need(1, what);
    return this.bytes[this.pos++]!;
  }

  skip(count: number, what: string): void {
    this.need(count, what);
    this.pos += count;
  }

  /** Unsigned LEB128 of at most 32 bits. */
  u32(what = "u32"): number {
    let result = 0;
    let shift = 0;
    for (let i = 0; i < LEB_BYTES_MAX_32; i++) {
      const b = this.u8(what);
      result += (b & 0x7f) * 2 ** shift;
      shift += 7;
      if ((b & 0x80) === 0) {
        if (result > 0xffffffff) throw new MalformedWasm(`${what} out of u32 range at byte 0x${(this.pos - 1).toString(16)}`);
        return result;
      }
    }
    throw new MalformedWasm(`${what}: LEB128 longer than ${LEB_BYTES_MAX_32} bytes at byte 0x${this.pos.toString(16)}`);
  }

  /** Signed LEB128 used for block types (33 bits); values fit a JS number exactly. */
  s33(what = "s33"): number {
    let result = 0;
    let shift = 0;
    for (let i = 0; i < LEB_BYTES_MAX_33; i++) {
      const b = this.u8(what);
      result += (b & 0x7f) * 2 ** shift;
      shift += 7;
      if ((b & 0x80) === 0) {
        if (b & 0x40) result -= 2 ** shift;
        return result;
      }
    }
    throw new MalformedWasm(`${what}: LEB128 longer than ${LEB_BYTES_MAX_33} bytes`);
  }

  /** Skips a signed LEB128 of up to 32 or 64 bits (constants whose value we do not need). */
  skipSigned(bits: 32 | 64, what: string): void {
    const max = bits === 32 ? LEB_BYTES_MAX_32 : LEB_BYTES_MAX_64;
    for (let i = 0; i < max; i++) {
      if ((this.u8(what) & 0x80) === 0) return;
    }
    throw new MalformedWasm(`${what}: LEB128 longer than ${max} bytes`);
  }

  /** Signed 32-bit LEB128 (i32.const values such as data segment offsets). */
  s32(what = "s32"): number {
    const v = this.s33(what);
    if (v < -(2 ** 31) || v >= 2 ** 32) throw new MalformedWasm(`${what} out of i32 range`);
    return v | 0;
  }

  name(what = "name"): string {
    const len = this.u32(`${what} length`);
    this.need(len, what);
    const s = new TextDecoder("utf-8", { fatal: false }).decode(this.bytes.subarray(this.pos, this.pos + len));
    this.pos += len;
    return s;
  }
}
