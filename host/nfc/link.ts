// A synchronous serial link for the PN532 driver. The board's nfcTransceive is a WebAssembly
// import and must return its answer before the firmware continues, so the driver waits
// for the chip without giving the event loop back: the device is opened non-blocking and
// polled, sleeping between polls on Atomics.wait (no busy loop). A real serial port is put
// in raw mode at the wanted baud rate with stty first; a pseudo-terminal is used as it is.
import { closeSync, constants, openSync, readSync, writeSync, existsSync, realpathSync } from "node:fs";
import { execFileSync } from "node:child_process";

export interface ByteLink {
  readonly baud: number;
  write(bytes: Uint8Array): void;
  /** What has arrived, waiting up to `timeoutMs` for at least one byte; empty on timeout. */
  read(timeoutMs: number): Uint8Array;
  /** Drops unread input. */
  discard(): void;
  close(): void;
}

export class LinkError extends Error {}

/** Sleep between polls of an idle line: a tenth of a millisecond, about one byte at 115200. */
const POLL_SLEEP_MS = 0.1;
/** Largest read in one go. */
const READ_CHUNK_BYTES = 1024;
/** How long a write may find the output buffer full before the link is declared dead. */
const WRITE_STALL_MS_MAX = 1_000;

const sleeper = new Int32Array(new SharedArrayBuffer(4));

export function sleepSync(ms: number): void {
  Atomics.wait(sleeper, 0, 0, ms);
}

export class SerialFileLink implements ByteLink {
  private fd: number;
  private readonly buf = new Uint8Array(READ_CHUNK_BYTES);

  private constructor(readonly path: string, readonly baud: number, fd: number) {
    this.fd = fd;
  }

  /** Opens `path`; a device that is not a pseudo-terminal gets `stty raw` at `baud`. */
  static open(path: string, baud: number): SerialFileLink {
    if (!existsSync(path)) throw new LinkError(`no serial device at ${path} (check the path and the cable)`);
    const real = realpathSync(path);
    if (!real.startsWith("/dev/pts/")) {
      try {
        execFileSync("stty", ["-F", real, String(baud), "raw", "-echo", "-ixon", "-ixoff", "-crtscts", "clocal"], {
          stdio: ["ignore", "ignore", "pipe"],
        });
      } catch (e) {
        throw new LinkError(`cannot set ${path} to ${baud} baud raw (${(e as Error).message.split("\n")[0]})`);
      }
    }
    let fd: number;
    try {
      fd = openSync(path, constants.O_RDWR | constants.O_NOCTTY | constants.O_NONBLOCK);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      const hint = code === "EACCES" ? "add yourself to the dialout group" : "check who holds the port";
      throw new LinkError(`cannot open ${path}: ${code ?? (e as Error).message} (${hint})`);
    }
    return new SerialFileLink(path, baud, fd);
  }

  write(bytes: Uint8Array): void {
    let at = 0;
    const deadline = Date.now() + WRITE_STALL_MS_MAX;
    while (at < bytes.length) {
      try {
        at += writeSync(this.fd, bytes, at, bytes.length - at);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== "EAGAIN") throw new LinkError(`${this.path}: ${(e as Error).message}`);
        if (Date.now() > deadline) throw new LinkError(`${this.path}: output stalled for ${WRITE_STALL_MS_MAX} ms`);
        sleepSync(POLL_SLEEP_MS);
      }
    }
  }

  read(timeoutMs: number): Uint8Array {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const n = this.tryRead();
      if (n > 0) return this.buf.slice(0, n);
      if (performance.now() >= deadline) return new Uint8Array(0);
      sleepSync(POLL_SLEEP_MS);
    }
  }

  discard(): void {
    while (this.tryRead() > 0) { /* drop */ }
  }

  close(): void {
    if (this.fd < 0) return;
    closeSync(this.fd);
    this.fd = -1;
  }

  private tryRead(): number {
    try {
      return readSync(this.fd, this.buf, 0, this.buf.length, null);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === "EAGAIN" || code === "EWOULDBLOCK") return 0;
      throw new LinkError(`${this.path}: ${(e as Error).message}`);
    }
  }
}
