// PN532 host-link frames (UM0701-02 §6.2.1): normal and extended information frames,
// ACK, NACK and the chip's application-level error frame, with their checksums. The same
// module serves both ends (the driver and the emulator): `encodeFrame` builds one frame,
// `FrameParser` takes bytes as they come off a serial link and yields whole frames.
// docs/NFC.md §2 is the specification of every byte here.

/** Frame identifier of a frame from the host controller to the PN532. */
export const TFI_HOST = 0xd4;
/** Frame identifier of a frame from the PN532 to the host controller. */
export const TFI_CHIP = 0xd5;
/** The single data byte of the PN532's "syntax error" application frame. */
export const TFI_ERROR = 0x7f;

export const ACK_FRAME: Uint8Array = Uint8Array.of(0x00, 0x00, 0xff, 0x00, 0xff, 0x00);
export const NACK_FRAME: Uint8Array = Uint8Array.of(0x00, 0x00, 0xff, 0xff, 0x00, 0x00);
/** What the chip sends when a host frame is well formed but its content is not (UM §6.2.1.5). */
export const ERROR_FRAME: Uint8Array = Uint8Array.of(0x00, 0x00, 0xff, 0x01, 0xff, 0x7f, 0x81, 0x00);
/** HSU wake-up: 0x55 then a stretch of zeros, so the chip leaves power-down before a frame. */
export const WAKEUP_PREAMBLE: Uint8Array = Uint8Array.of(0x55, 0x55, ...new Array<number>(14).fill(0));

/** Largest LEN of a normal frame (TFI + PD0..PDn). */
export const NORMAL_LEN_MAX = 255;
/** Largest LEN of an extended frame the PN532 handles: its buffer holds 265 bytes of TFI+data. */
export const EXTENDED_LEN_MAX = 265;
/** Bytes a frame parser keeps while waiting for the rest of a frame (two extended frames). */
export const PARSER_BUFFER_BYTES_MAX = 2 * (EXTENDED_LEN_MAX + 10);

/** Bytes of framing around `payload` (TFI + data): preamble, start code, length, checksums. */
export function frameOverheadBytes(payloadBytes: number): number {
  return payloadBytes + 1 > NORMAL_LEN_MAX ? 10 : 7;
}

/** Builds one information frame: TFI followed by `data`. Throws on a length no frame carries
 *  (a bug in the caller: commands are sized against the limits above). */
export function encodeFrame(tfi: number, data: Uint8Array): Uint8Array {
  const len = data.length + 1;
  if (len > EXTENDED_LEN_MAX) throw new RangeError(`PN532 frame payload of ${len} bytes > ${EXTENDED_LEN_MAX}`);
  const extended = len > NORMAL_LEN_MAX;
  const head = extended
    ? [0x00, 0x00, 0xff, 0xff, 0xff, len >> 8, len & 0xff, (0x100 - ((len >> 8) + (len & 0xff))) & 0xff]
    : [0x00, 0x00, 0xff, len, (0x100 - len) & 0xff];
  const out = new Uint8Array(head.length + len + 2);
  out.set(head, 0);
  out[head.length] = tfi;
  out.set(data, head.length + 1);
  let sum = tfi;
  for (const b of data) sum += b;
  out[head.length + len] = (0x100 - (sum & 0xff)) & 0xff;
  out[head.length + len + 1] = 0x00; // postamble
  return out;
}

export type FrameEvent =
  | { kind: "ack" }
  | { kind: "nack" }
  /** An information frame with good checksums: its TFI and data (without the TFI). */
  | { kind: "frame"; tfi: number; data: Uint8Array; extended: boolean }
  /** Start code seen, then something no frame may hold: why, for diagnostics. */
  | { kind: "bad"; reason: "length-checksum" | "data-checksum" | "too-long" | "empty" };

/** Incremental parser. Bytes between frames (wake-up preamble, postambles, line noise) are
 *  skipped; a frame starts at the start code 00 FF. */
export class FrameParser {
  private buf = new Uint8Array(PARSER_BUFFER_BYTES_MAX);
  private used = 0;

  /** Adds bytes and returns every complete frame now in the buffer, in order. */
  push(bytes: Uint8Array): FrameEvent[] {
    const out: FrameEvent[] = [];
    let at = 0;
    while (at < bytes.length) {
      const n = Math.min(bytes.length - at, this.buf.length - this.used);
      this.buf.set(bytes.subarray(at, at + n), this.used);
      this.used += n;
      at += n;
      this.drain(out);
      // A full buffer with no frame inside is noise: keep only its last byte (a start code
      // may straddle the cut).
      if (this.used === this.buf.length) this.consume(this.used - 1);
    }
    return out;
  }

  /** Drops anything buffered (after an abort, a timeout or a resynchronisation). */
  reset(): void { this.used = 0; }

  /** Bytes waiting for the rest of a frame. */
  get pendingBytes(): number { return this.used; }

  private drain(out: FrameEvent[]): void {
    for (;;) {
      const start = this.findStart();
      if (start < 0) {
        // Keep a trailing 0x00: it may be the first half of a start code.
        this.consume(this.used > 0 && this.buf[this.used - 1] === 0 ? this.used - 1 : this.used);
        return;
      }
      this.consume(start);
      const r = this.parseAtStart();
      if (r === undefined) return; // incomplete
      out.push(r.event);
      this.consume(r.bytes);
    }
  }

  private findStart(): number {
    for (let i = 0; i + 1 < this.used; i++) if (this.buf[i] === 0x00 && this.buf[i + 1] === 0xff) return i;
    return -1;
  }

  /** Parses the frame whose start code is at buf[0]; undefined while incomplete. */
  private parseAtStart(): { event: FrameEvent; bytes: number } | undefined {
    const b = this.buf;
    if (this.used < 4) return undefined;
    const l0 = b[2]!;
    const l1 = b[3]!;
    if (l0 === 0x00 && l1 === 0xff) return { event: { kind: "ack" }, bytes: 4 };
    if (l0 === 0xff && l1 === 0x00) return { event: { kind: "nack" }, bytes: 4 };
    let len: number;
    let headBytes: number;
    if (l0 === 0xff && l1 === 0xff) {
      if (this.used < 7) return undefined;
      len = (b[4]! << 8) | b[5]!;
      headBytes = 7;
      if (((b[4]! + b[5]! + b[6]!) & 0xff) !== 0) return { event: { kind: "bad", reason: "length-checksum" }, bytes: 2 };
    } else {
      len = l0;
      headBytes = 4;
      if (((l0 + l1) & 0xff) !== 0) return { event: { kind: "bad", reason: "length-checksum" }, bytes: 2 };
    }
    if (len === 0) return { event: { kind: "bad", reason: "empty" }, bytes: headBytes };
    if (len > EXTENDED_LEN_MAX) return { event: { kind: "bad", reason: "too-long" }, bytes: headBytes };
    if (this.used < headBytes + len + 1) return undefined;
    let sum = 0;
    for (let i = 0; i <= len; i++) sum += b[headBytes + i]!;
    if ((sum & 0xff) !== 0) return { event: { kind: "bad", reason: "data-checksum" }, bytes: headBytes + len + 1 };
    const tfi = b[headBytes]!;
    const data = b.slice(headBytes + 1, headBytes + len);
    return { event: { kind: "frame", tfi, data, extended: headBytes === 7 }, bytes: headBytes + len + 1 };
  }

  private consume(n: number): void {
    if (n <= 0) return;
    this.buf.copyWithin(0, n, this.used);
    this.used -= n;
  }
}
