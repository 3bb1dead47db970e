// The emulated PN532's HSU (UART) link: bytes from the host become frames; each command
// frame is acknowledged (ACK) and answered once the chip is done; an ACK from the host
// aborts the running command; a NACK asks for the last answer again; a sleeping chip
// ignores everything until the wake-up byte 0x55. Every byte leaves at the pace of the
// baud rate (10 bits per byte: start, 8 data, stop), scaled like every emulated duration.
import { SerialPort } from "serialport";
import { ACK_FRAME, ERROR_FRAME, FrameParser, TFI_CHIP, TFI_HOST, encodeFrame } from "../pn532/frame.ts";
import { CMD } from "../pn532/commands.ts";
import type { Pn532Chip } from "./chip.ts";

export interface HsuOptions {
  baud: number;
  timeScale: number;
  log?: (line: string) => void;
}

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
  private port: SerialPort | undefined;
  private readonly queue: { bytes: Uint8Array; gen: number; thenSleep: boolean; dueAtMs: number }[] = [];
  /** Frames answered, for the emulator's report. */
  commands = 0;

  constructor(readonly path: string, private readonly chip: Pn532Chip, private readonly o: HsuOptions) {}

  async open(): Promise<void> {
    const port = new SerialPort({ path: this.path, baudRate: this.o.baud, autoOpen: false, lock: false });
    await new Promise<void>((resolve, reject) => port.open((e) => (e ? reject(e) : resolve())));
    port.on("data", (d: Buffer) => this.onBytes(new Uint8Array(d)));
    port.on("error", (e: Error) => this.o.log?.(`${this.path}: ${e.message}`));
    this.port = port;
  }

  async close(): Promise<void> {
    this.running?.abort();
    const p = this.port;
    this.port = undefined;
    if (p?.isOpen) await new Promise<void>((resolve) => p.close(() => resolve()));
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
    this.lineFreeAtMs = Math.max(this.lineFreeAtMs, Date.now()) + b.length * byteMs(this.o.baud) * this.o.timeScale;
    for (const ev of this.parser.push(b)) {
      if (ev.kind === "ack") this.abort("ACK from the host");
      else if (ev.kind === "nack") { if (this.lastAnswer !== undefined) this.send(this.lastAnswer, this.generation); }
      else if (ev.kind === "bad") this.o.log?.(`ignored a frame (${ev.reason})`);
      else if (ev.tfi !== TFI_HOST) this.o.log?.(`ignored a frame with TFI 0x${ev.tfi.toString(16)}`);
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
    void this.chip.handle(cmd, ctl.signal).then((a) => {
      if (a === "aborted" || gen !== this.generation) return;
      const frame = a === "syntax" ? ERROR_FRAME : encodeFrame(TFI_CHIP, a);
      this.commands++;
      this.finish(gen, frame, cmd[0] === CMD.PowerDown);
    }, (e: unknown) => {
      // A bug in the emulator: say so, answer with the error frame, keep the link alive.
      this.o.log?.(`emulator bug on command 0x${cmd[0]!.toString(16)}: ${(e as Error).stack ?? String(e)}`);
      if (gen === this.generation) this.finish(gen, ERROR_FRAME);
    });
  }

  private finish(gen: number, frame: Uint8Array, thenSleep = false): void {
    this.running = undefined;
    this.lastAnswer = frame;
    this.send(frame, gen, thenSleep);
  }

  /** Writes `bytes` when the line is free and they would have been clocked out; writes
   *  leave in the order they were queued. */
  private send(bytes: Uint8Array, gen: number, thenSleep = false): void {
    const now = Date.now();
    const lineMs = bytes.length * byteMs(this.o.baud) * this.o.timeScale;
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
      this.port?.write(Buffer.from(w.bytes));
      if (w.thenSleep) this.chip.sleepNow();
    }
  }
}
