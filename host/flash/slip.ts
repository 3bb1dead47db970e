// SLIP framing (RFC 1055) as the ESP ROM bootloader uses it: every packet starts and ends
// with 0xC0; inside, 0xC0 is sent as 0xDB 0xDC and 0xDB 0xDD stands for 0xDB. Bytes seen
// between packets (the ROM's boot banner, line noise) are dropped, as esptool does.

export const SLIP_END = 0xc0;
export const SLIP_ESC = 0xdb;
export const SLIP_ESC_END = 0xdc;
export const SLIP_ESC_ESC = 0xdd;

/** Largest decoded packet accepted: an 8-byte header plus the u16 size field's maximum.
 *  Anything longer cannot be a bootloader packet, so it is dropped as noise. */
export const SLIP_PACKET_BYTES_MAX = 8 + 0xffff;

/** Encodes one packet, including the leading and trailing 0xC0. */
export function slipEncode(packet: Uint8Array): Uint8Array {
  let escapes = 0;
  for (const b of packet) if (b === SLIP_END || b === SLIP_ESC) escapes++;
  const out = new Uint8Array(packet.length + escapes + 2);
  let o = 0;
  out[o++] = SLIP_END;
  for (const b of packet) {
    if (b === SLIP_END) {
      out[o++] = SLIP_ESC;
      out[o++] = SLIP_ESC_END;
    } else if (b === SLIP_ESC) {
      out[o++] = SLIP_ESC;
      out[o++] = SLIP_ESC_ESC;
    } else out[o++] = b;
  }
  out[o++] = SLIP_END;
  return out;
}

/** Incremental decoder: feed it whatever the port delivered, collect whole packets. */
export class SlipDecoder {
  private buffer = new Uint8Array(256);
  private length = 0;
  private inPacket = false;
  private escaped = false;
  private broken = false;
  /** Packets dropped for a bad escape or for exceeding SLIP_PACKET_BYTES_MAX. */
  droppedPackets = 0;
  /** Bytes that arrived outside any packet (boot messages, noise). */
  strayBytes = 0;

  /** Consumes `bytes` and returns the packets they completed, in order. */
  push(bytes: Uint8Array): Uint8Array[] {
    const packets: Uint8Array[] = [];
    for (const b of bytes) {
      const packet = this.step(b);
      if (packet !== undefined) packets.push(packet);
    }
    return packets;
  }

  reset(): void {
    this.length = 0;
    this.inPacket = false;
    this.escaped = false;
    this.broken = false;
  }

  private step(b: number): Uint8Array | undefined {
    if (!this.inPacket) {
      if (b === SLIP_END) this.inPacket = true;
      else this.strayBytes++;
      return undefined;
    }
    if (b === SLIP_END) {
      // A 0xC0 right after another one is a start marker (or a resync), not an empty packet.
      if (this.length === 0 && !this.broken) return undefined;
      const done = this.broken || this.escaped ? undefined : this.buffer.slice(0, this.length);
      if (done === undefined) this.droppedPackets++;
      this.reset();
      return done;
    }
    if (this.broken) return undefined;
    if (this.escaped) {
      this.escaped = false;
      if (b === SLIP_ESC_END) this.append(SLIP_END);
      else if (b === SLIP_ESC_ESC) this.append(SLIP_ESC);
      else this.broken = true;
      return undefined;
    }
    if (b === SLIP_ESC) this.escaped = true;
    else this.append(b);
    return undefined;
  }

  private append(b: number): void {
    if (this.length === SLIP_PACKET_BYTES_MAX) {
      this.broken = true;
      return;
    }
    if (this.length === this.buffer.length) {
      const bigger = new Uint8Array(Math.min(this.buffer.length * 2, SLIP_PACKET_BYTES_MAX));
      bigger.set(this.buffer);
      this.buffer = bigger;
    }
    this.buffer[this.length++] = b;
  }
}

/** Anything that delivers bytes with a timeout (host/serial/transport.ts's SerialTransport). */
export interface ByteSource {
  /** Resolves with the bytes that arrived, or an empty array after `timeoutMs`. */
  read(timeoutMs: number): Promise<Uint8Array>;
  discardInput(): void;
}

/** Reads whole SLIP packets from a byte source, keeping any extra packets for the next call. */
export class SlipReader {
  private readonly decoder = new SlipDecoder();
  private readonly queue: Uint8Array[] = [];

  constructor(private readonly source: ByteSource) {}

  /** The next packet, or undefined when none completed within `timeoutMs`. */
  async next(timeoutMs: number): Promise<Uint8Array | undefined> {
    const deadline = Date.now() + timeoutMs;
    while (this.queue.length === 0) {
      const leftMs = deadline - Date.now();
      if (leftMs <= 0) return undefined;
      const bytes = await this.source.read(leftMs);
      this.queue.push(...this.decoder.push(bytes));
    }
    return this.queue.shift();
  }

  /** Forgets queued packets, a half-received packet and unread input. */
  clear(): void {
    this.queue.length = 0;
    this.decoder.reset();
    this.source.discardInput();
  }

  get droppedPackets(): number {
    return this.decoder.droppedPackets;
  }
}
