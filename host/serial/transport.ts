// A small serial transport over the `serialport` package: open at a baud rate, write, read
// with a timeout, drive DTR/RTS, change baud, close. Failures that people actually meet
// (no such port, port held by another program, no permission, nothing answering) become a
// SerialError with a `kind` and a message that says what to do about it.
import { existsSync } from "node:fs";
import type { SerialPortStream } from "@serialport/stream";

export type SerialErrorKind =
  | "not-found" // the device path does not exist (unplugged, wrong name)
  | "busy" // another program holds the port (a monitor, another flasher)
  | "permission" // the user may not open it (on Linux: not in the dialout group)
  | "signals" // DTR/RTS cannot be driven (a pseudo-terminal, some adapters)
  | "timeout" // nothing (or not enough) arrived in time
  | "overflow" // unread input exceeded the buffer limit
  | "closed" // used after close, or the device went away
  | "io"; // anything else the OS reported

export class SerialError extends Error {
  constructor(
    readonly kind: SerialErrorKind,
    message: string,
  ) {
    super(message);
    this.name = "SerialError";
  }
}

export interface SerialOpenOptions {
  baudRate: number;
  /** Take an exclusive lock (default true): a second opener gets a "busy" error. */
  lock?: boolean;
}

export interface SerialSignals {
  dtr?: boolean;
  rts?: boolean;
}

/** Unread input kept at most; far above one SLIP frame or test-mode line, so hitting it means
 *  nobody is reading (a bug), not a slow reader. */
export const SERIAL_INPUT_BYTES_MAX = 1 << 20;

/** Baud rates accepted by `open` and `setBaudRate` (what USB-serial bridges on ESP32 boards
 *  run). */
export const BAUD_RATES = [
  9600, 19200, 38400, 57600, 74880, 115200, 230400, 460800, 921600, 1500000, 2000000,
] as const;

export class SerialTransport {
  private chunks: Buffer[] = [];
  private bufferedBytes = 0;
  private waiter: (() => void) | undefined;
  private failure: SerialError | undefined;
  private isOpen = true;
  /** The modem lines as last set. node-serialport's set() resets every line it is not
   *  given to its default (asserted), so every call sends both, from this record. Linux
   *  asserts both when a tty is opened, which is the starting point here too. */
  private lines: Required<SerialSignals> = { dtr: true, rts: true };

  private constructor(
    readonly path: string,
    private readonly port: SerialPortStream,
    private baud: number,
  ) {
    port.on("data", (data: Buffer) => this.onData(data));
    port.on("close", () => {
      this.isOpen = false;
      this.wake();
    });
    port.on("error", (err: Error) => {
      this.failure = classify(err, path);
      this.wake();
    });
  }

  /** Opens `path`; rejects with SerialError ("not-found", "busy", "permission", "io"). */
  static async open(path: string, options: SerialOpenOptions): Promise<SerialTransport> {
    checkBaud(options.baudRate);
    if (!existsSync(path)) throw new SerialError("not-found", notFoundMessage(path));
    // Loaded on first use: the native binding is only needed by commands that open a port.
    const { SerialPort: Port } = await import("serialport");
    const port = new Port({
      path,
      baudRate: options.baudRate,
      autoOpen: false,
      lock: options.lock ?? true,
    });
    await new Promise<void>((resolve, reject) => {
      port.open((err) => (err ? reject(classify(err, path)) : resolve()));
    });
    return new SerialTransport(path, port, options.baudRate);
  }

  /** Wraps a port that is already open (tests: serialport's SerialPortMock). */
  static fromOpenPort(path: string, port: SerialPortStream, baudRate: number): SerialTransport {
    return new SerialTransport(path, port, baudRate);
  }

  /** DTR and RTS as last set (true = asserted). */
  get signals(): Readonly<Required<SerialSignals>> {
    return { ...this.lines };
  }

  get baudRate(): number {
    return this.baud;
  }

  /** Writes all bytes and waits until the OS has taken them. */
  async write(bytes: Uint8Array): Promise<void> {
    this.ensureOpen();
    await new Promise<void>((resolve, reject) => {
      this.port.write(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), (err) => {
        if (err) reject(classify(err, this.path));
      });
      this.port.drain((err) => (err ? reject(classify(err, this.path)) : resolve()));
    });
  }

  /** Returns whatever has arrived, waiting up to `timeoutMs` for at least one byte;
   *  an empty array means nothing came in time. */
  async read(timeoutMs: number): Promise<Uint8Array> {
    if (this.bufferedBytes === 0) await this.waitForData(timeoutMs);
    return this.take(this.bufferedBytes);
  }

  /** Reads exactly `count` bytes or throws a "timeout" SerialError (the bytes stay buffered). */
  async readExact(count: number, timeoutMs: number): Promise<Uint8Array> {
    const deadline = Date.now() + timeoutMs;
    while (this.bufferedBytes < count) {
      const leftMs = deadline - Date.now();
      if (leftMs <= 0 || !(await this.waitForData(leftMs))) {
        throw new SerialError(
          "timeout",
          `${this.path}: expected ${count} bytes, got ${this.bufferedBytes} in ${timeoutMs} ms`,
        );
      }
    }
    return this.take(count);
  }

  /** Reads up to and including the first `delimiter` byte (e.g. 0x0a for lines), or throws
   *  "timeout". */
  async readUntil(delimiter: number, timeoutMs: number): Promise<Uint8Array> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const at = this.indexOf(delimiter);
      if (at >= 0) return this.take(at + 1);
      const leftMs = deadline - Date.now();
      if (leftMs <= 0 || !(await this.waitForData(leftMs))) {
        throw new SerialError(
          "timeout",
          `${this.path}: no 0x${delimiter.toString(16).padStart(2, "0")}-terminated input in ` +
          `${timeoutMs} ms`,
        );
      }
    }
  }

  /** Drops unread input (stale bytes from before a reset or a resync). */
  discardInput(): void {
    this.chunks = [];
    this.bufferedBytes = 0;
  }

  /** Drives DTR/RTS. A line not given keeps its last value (both lines are always sent,
   *  see `lines`). Throws a "signals" SerialError where the device cannot (pseudo-terminals). */
  async setSignals(signals: SerialSignals): Promise<void> {
    this.ensureOpen();
    const wanted = { dtr: signals.dtr ?? this.lines.dtr, rts: signals.rts ?? this.lines.rts };
    await new Promise<void>((resolve, reject) => {
      this.port.set(wanted, (err) => {
        if (err)
          reject(new SerialError("signals", `${this.path}: cannot set DTR/RTS (${err.message})`));
        else resolve();
      });
    });
    this.lines = wanted;
  }

  /** Changes the local baud rate (after the far side agreed to it). */
  async setBaudRate(baudRate: number): Promise<void> {
    checkBaud(baudRate);
    this.ensureOpen();
    await new Promise<void>((resolve, reject) => {
      this.port.update({ baudRate }, (err) => (err ? reject(classify(err, this.path)) : resolve()));
    });
    this.baud = baudRate;
  }

  async close(): Promise<void> {
    if (!this.isOpen || !this.port.isOpen) {
      this.isOpen = false;
      return;
    }
    this.isOpen = false;
    await new Promise<void>((resolve) => this.port.close(() => resolve()));
    this.wake();
  }

  private onData(data: Buffer): void {
    if (this.bufferedBytes + data.length > SERIAL_INPUT_BYTES_MAX) {
      this.failure = new SerialError(
        "overflow",
        `${this.path}: more than ${SERIAL_INPUT_BYTES_MAX} unread bytes`,
      );
      this.discardInput();
    } else {
      this.chunks.push(data);
      this.bufferedBytes += data.length;
    }
    this.wake();
  }

  private wake(): void {
    const w = this.waiter;
    this.waiter = undefined;
    w?.();
  }

  /** Resolves true when new data arrived, false on timeout; throws a pending failure.
   *  One reader at a time: reads are not meant to overlap. */
  private async waitForData(timeoutMs: number): Promise<boolean> {
    this.ensureOpen();
    if (this.waiter !== undefined)
      throw new Error(`${this.path}: two reads at once on one serial port`);
    const before = this.bufferedBytes;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(
        () => {
          this.waiter = undefined;
          resolve();
        },
        Math.max(0, timeoutMs),
      );
      this.waiter = () => {
        clearTimeout(timer);
        resolve();
      };
    });
    this.ensureOpen();
    return this.bufferedBytes > before;
  }

  private ensureOpen(): void {
    if (this.failure !== undefined) {
      const f = this.failure;
      this.failure = undefined;
      throw f;
    }
    if (!this.isOpen) throw new SerialError("closed", `${this.path}: port is closed`);
  }

  private indexOf(byte: number): number {
    let offset = 0;
    for (const chunk of this.chunks) {
      const at = chunk.indexOf(byte);
      if (at >= 0) return offset + at;
      offset += chunk.length;
    }
    return -1;
  }

  private take(count: number): Uint8Array {
    const all = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks);
    const out = new Uint8Array(all.subarray(0, count));
    const rest = all.subarray(count);
    this.chunks = rest.length > 0 ? [rest] : [];
    this.bufferedBytes = rest.length;
    return out;
  }
}

function checkBaud(baudRate: number): void {
  if (!(BAUD_RATES as readonly number[]).includes(baudRate)) {
    throw new SerialError(
      "io",
      `unsupported baud rate ${baudRate}; use one of ${BAUD_RATES.join(", ")}`,
    );
  }
}

function notFoundMessage(path: string): string {
  return (
    `serial port ${path} does not exist — is the board plugged in? ` +
    "List ports with `ls /dev/ttyUSB* /dev/ttyACM*` (Linux) or `ls /dev/cu.*` (macOS)."
  );
}

/** Maps the `serialport` package's error text (it carries no code) to a kind and a helpful
 *  message. */
export function classify(err: Error, path: string): SerialError {
  if (err instanceof SerialError) return err;
  const text = err.message;
  if (/No such file|ENOENT|cannot find the file/i.test(text))
    return new SerialError("not-found", notFoundMessage(path));
  if (
    /Cannot lock port|Resource busy|EBUSY|Resource temporarily unavailable|Access denied/i.test(
      text,
    )
  ) {
    return new SerialError(
      "busy",
      `serial port ${path} is busy — another program (a serial monitor, another flasher) has it ` +
      `open; close it and retry`,
    );
  }
  if (/Permission denied|EACCES/i.test(text)) {
    return new SerialError(
      "permission",
      `no permission to open ${path} — on Linux add yourself to the 'dialout' group (then log in ` +
      `again)`,
    );
  }
  return new SerialError("io", `serial port ${path}: ${text}`);
}
