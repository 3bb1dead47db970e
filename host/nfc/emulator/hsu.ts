// The emulated PN532's HSU (UART) link: bytes from the host become frames; each command
// frame is acknowledged (ACK) and answered once the chip is done; an ACK from the host
// aborts the running command; a NACK asks for the last answer again; a sleeping chip
// ignores everything until the wake-up byte 0x55. Every byte leaves at the pace of the
// baud rate (10 bits per byte: start, 8 data, stop), scaled like every emulated duration.
import { closeSync, constants, openSync, realpathSync, writeSync } from "node:fs";
import { execFileSync } from "node:child_process";
import { ReadStream } from "node:tty";
import {
  ACK_FRAME,
  ERROR_FRAME,
  FrameParser,
  TFI_CHIP,
  TFI_HOST,
  encodeFrame,
} from "../pn532/frame.ts";
import { CMD } from "../pn532/commands.ts";
import type { Pn532Chip } from "./chip.ts";

export interface HsuOptions {
  baud: number;
  timeScale: number;
  log?: (line: string) => void;
  /** Fault injection: every Nth answer frame leaves with a damaged data checksum (as line
   *  noise would); the resend a NACK asks for is intact. */
  damageEvery?: number;
}

/** Attempts at a write the device refuses for now (EAGAIN) before the bytes are dropped,
 *  as a UART drops what its full FIFO cannot take. */
const WRITE_TRIES_MAX = 1_000;
/** SetSerialBaudRate's rates by parameter (UM0701-02 §7.2.8). */
const HSU_RATES = [9600, 19200, 38400, 57600, 115200, 230400, 460800, 921600, 1288000];
/** The HSU wake-up byte. */
const WAKEUP_BYTE = 0x55;

/** Milliseconds one byte takes on an HSU line at `baud`. */
export function byteMs(baud: number): number {
  return 10_000 / baud;
}

export class HsuLink {
  private readonly parser = new FrameParser();
  private running: AbortController | undefined;
  private generation = 0;
  private lastAnswer: Uint8Array | undefined;
  private lineFreeAtMs = 0;
  private fd = -1;
  private stream: ReadStream | undefined;
  private readonly queue: {
    bytes: Uint8Array;
    gen: number;
    thenSleep: boolean;
    dueAtMs: number;
  }[] = [];
  /** Frames answered, for the emulator's report. */
  commands = 0;
  private answers = 0;
  /** The line's rate now (SetSerialBaudRate changes it). */
  private baud: number;

  constructor(
    readonly path: string,
    private readonly chip: Pn532Chip,
    private readonly o: HsuOptions,
  ) {
    this.baud = o.baud;
  }

  /** Opens the device through a tty stream of this thread's own event loop (the emulator
   *  may run in a worker while the driver blocks the main thread). */
  async open(): Promise<void> {
    const real = realpathSync(this.path);
    if (!real.startsWith("/dev/pts/")) {
      execFileSync(
        "stty",
        ["-F", real, String(this.baud), "raw", "-echo", "-ixon", "-crtscts", "clocal"],
        {
          stdio: ["ignore", "ignore", "pipe"],
        },
      );
    }
    const fd = openSync(this.path, constants.O_RDWR | constants.O_NOCTTY);
    const stream = new ReadStream(fd);
    stream.on("data", (d: Buffer) => this.onBytes(new Uint8Array(d)));
    stream.on("error", (e: Error) => this.o.log?.(`${this.path}: ${e.message}`));
    this.fd = fd;
    this.stream = stream;
  }

  async close(): Promise<void> {
    this.running?.abort();
    const st = this.stream;
    this.stream = undefined;
    if (st !== undefined) {
      // Destroying the stream closes the descriptor it owns.
      await new Promise<void>((resolve) => {
        st.once("close", () => resolve());
        st.destroy();
      });
    } else if (this.fd >= 0) {
      closeSync(this.fd);
    }
    this.fd = -1;
  }

  private writeOut(bytes: Uint8Array): void {
    if (this.fd < 0) return;
    let at = 0;
    for (let tries = 0; at < bytes.length && tries < WRITE_TRIES_MAX; tries++) {
      try {
        at += writeSync(this.fd, bytes, at);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== "EAGAIN") {
          this.o.log?.(`${this.path}: ${(e as Error).message}`);
          return;
        }
      }
    }
  }

  onBytes(bytes: Uint8Array): void {
    let b = bytes;
    if (this.chip.asleep) {
      const at = b.indexOf(WAKEUP_BYTE);
      if (at < 0) return;
      this.chip.asleep = false;
      this.parser.reset();
      b = b.subarray(at + 1);
    }
    // The host's bytes took their time on the line before the chip had them all.
    this.lineFreeAtMs =
      Math.max(this.lineFreeAtMs, Date.now()) + b.length * byteMs(this.baud) * this.o.timeScale;
    for (const ev of this.parser.push(b)) {
      if (ev.kind === "ack") this.abort("ACK from the host");
      else if (ev.kind === "nack") {
        if (this.lastAnswer !== undefined) this.send(this.lastAnswer, this.generation);
      } else if (ev.kind === "bad") this.o.log?.(`ignored a frame (${ev.reason})`);
      else if (ev.tfi !== TFI_HOST)
        this.o.log?.(`ignored a frame with TFI 0x${ev.tfi.toString(16)}`);
      else this.start(ev.data);
    }
  }

  private abort(why: string): void {
    if (this.running === undefined) return;
    this.o.log?.(`command aborted (${why})`);
    this.running.abort();
    this.running = undefined;
    this.generation++;
  }

  private start(cmd: Uint8Array): void {
    this.abort("a new command");
    const gen = ++this.generation;
    const ctl = new AbortController();
    this.running = ctl;
    this.send(ACK_FRAME, gen);
    if (cmd.length === 0) {
      this.finish(gen, ERROR_FRAME);
      return;
    }
    void this.chip.handle(cmd, ctl.signal).then(
      (a) => {
        if (a === "aborted" || gen !== this.generation) return;
        const frame = a === "syntax" ? ERROR_FRAME : encodeFrame(TFI_CHIP, a);
        this.commands++;
        this.finish(gen, frame, cmd[0] === CMD.PowerDown);
        // SetSerialBaudRate: the chip answers at the old rate, then switches.
        const rate = HSU_RATES[cmd[1] ?? -1];
        if (cmd[0] === CMD.SetSerialBaudRate && a !== "syntax" && rate !== undefined) {
          this.baud = rate;
        }
      },
      (e: unknown) => {
        // A bug in the emulator: say so, answer with the error frame, keep the link alive.
        this.o.log?.(
          `emulator bug on command 0x${cmd[0]!.toString(16)}: ${(e as Error).stack ?? String(e)}`,
        );
        if (gen === this.generation) this.finish(gen, ERROR_FRAME);
      },
    );
  }

  private finish(gen: number, frame: Uint8Array, thenSleep = false): void {
    this.running = undefined;
    this.lastAnswer = frame;
    this.answers++;
    const every = this.o.damageEvery;
    if (every !== undefined && every > 0 && this.answers % every === 0) {
      const damaged = Uint8Array.from(frame);
      damaged[damaged.length - 2] = damaged[damaged.length - 2]! ^ 0xff;
      this.o.log?.("sent a damaged answer (fault injection)");
      this.send(damaged, gen, thenSleep);
      return;
    }
    this.send(frame, gen, thenSleep);
  }

  /** Writes `bytes` when the line is free and they would have been clocked out; writes
   *  leave in the order they were queued. */
  private send(bytes: Uint8Array, gen: number, thenSleep = false): void {
    const now = Date.now();
    const lineMs = bytes.length * byteMs(this.baud) * this.o.timeScale;
    this.lineFreeAtMs = Math.max(this.lineFreeAtMs, now) + lineMs;
    this.queue.push({ bytes, gen, thenSleep, dueAtMs: this.lineFreeAtMs });
    if (this.queue.length === 1) this.drain();
  }

  private drain(): void {
    for (;;) {
      const w = this.queue[0];
      if (w === undefined) return;
      const delay = w.dueAtMs - Date.now();
      if (delay >= 1) {
        setTimeout(() => this.drain(), delay);
        return;
      }
      this.queue.shift();
      if (w.gen !== this.generation && w.bytes !== ACK_FRAME) continue; // aborted meanwhile
      this.writeOut(w.bytes);
      if (w.thenSleep) this.chip.sleepNow();
    }
  }
}
