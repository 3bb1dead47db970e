// The simulated reader board: exactly the imports of boards/ABI.md (module `env`), wired
// to simulated flash (host/sim/flash.ts), an NFC field, a controllable clock and seeded
// randomness. Every pointer from the firmware is bounds-checked before it is touched.
import { SimFlash, PowerCut } from "./flash.ts";
import { NfcField, type TransceiveResult } from "./field.ts";
import { SimClock } from "./clock.ts";
import { Rng } from "./rng.ts";
import {
  ERR_BOUNDS, ERR_IO, PARTITION_CONFIG, PARTITION_DENY, PARTITION_LEDGER,
} from "./abi.ts";
import type { FlashGeometry } from "./config.ts";

export interface SignalEvent { kind: number; value: number; atMs: number }
export interface LogEvent { level: number; text: string; atMs: number }
export interface ExchangeEvent {
  tx: Uint8Array;
  /** The R-APDU bytes delivered, or undefined when the transceive failed. */
  rx: Uint8Array | undefined;
  /** nfcTransceive's result: the R-APDU length or a negative NFC error. */
  status: number;
  timeoutMs: number;
  rxCap: number;
  /** Simulated radio time of this exchange. */
  elapsedMs: number;
}

/** A firmware bug (env.abort): the board logs it and resets the firmware. */
export class FirmwareAbort extends Error {}

export interface BoardOptions {
  seed: number | string;
  geometry: FlashGeometry;
  /** Wall-clock start, Unix seconds. */
  startUnixSeconds: number;
  flashSeed?: number;
  /** Probability of an NFC transmission error per exchange. */
  frameErrorRate?: number;
  /** Keep logs (costs time in long simulations). */
  captureLogs?: boolean;
}

const LOG_KEEP_MAX = 256; // log lines kept per tap; a runaway logger cannot exhaust memory
const EXCHANGES_MAX = 16; // transceives recorded per tap (the protocol needs 3)

export class SimBoard {
  readonly flash: SimFlash;
  readonly clock: SimClock;
  readonly field: NfcField;
  readonly rng: Rng;
  readonly geometry: FlashGeometry;
  signals: SignalEvent[] = [];
  logs: LogEvent[] = [];
  exchanges: ExchangeEvent[] = [];
  captureLogs: boolean;
  /** Fault injection: the next N flash programs report ERR_IO without writing. */
  failPrograms = 0;
  /** Fault injection: randomFill reports failure. */
  failRandom = false;
  /** The radio: by default the simulated field; a vector replay substitutes a script. */
  nfc: (tx: Uint8Array, rxCap: number, timeoutMs: number) => TransceiveResult;
  /** The hardware RNG: by default the seeded stream; a vector replay substitutes recorded bytes. */
  random: (out: Uint8Array) => void;
  /** Copies of every randomFill output of the current tap, when recording. */
  randomFills: Uint8Array[] = [];
  recordRandom = false;
  /** Set by a tape replay: checks run after each tap. */
  afterTapCheck: (() => void) | undefined;
  private memory: WebAssembly.Memory | undefined;
  private view: Uint8Array = new Uint8Array(0);
  private readonly decoder = new TextDecoder();

  constructor(o: BoardOptions) {
    this.geometry = o.geometry;
    this.flash = new SimFlash(o.flashSeed ?? 1);
    this.flash.addPartition(PARTITION_LEDGER, { sizeBytes: o.geometry.ledgerBytes, sectorBytes: o.geometry.sectorBytes, pageBytes: o.geometry.pageBytes });
    if (o.geometry.denyBytes > 0) {
      this.flash.addPartition(PARTITION_DENY, { sizeBytes: o.geometry.denyBytes, sectorBytes: o.geometry.sectorBytes, pageBytes: o.geometry.pageBytes });
    }
    this.flash.addPartition(PARTITION_CONFIG, { sizeBytes: o.geometry.configBytes, sectorBytes: o.geometry.sectorBytes, pageBytes: o.geometry.pageBytes });
    this.clock = new SimClock(o.startUnixSeconds);
    const root = Rng.from(o.seed, "board");
    this.rng = root.derive("randomFill");
    this.field = new NfcField(this.clock, { frameErrorRate: o.frameErrorRate ?? 0 }, root.derive("nfc-faults"));
    this.captureLogs = o.captureLogs ?? true;
    this.nfc = (tx, rxCap, timeoutMs) => this.field.transceive(tx, rxCap, timeoutMs);
    this.random = (out) => { this.rng.fill(out); };
  }

  /** Connects the board to a (new) firmware instance's memory. */
  attach(memory: WebAssembly.Memory): void {
    this.memory = memory;
    this.view = new Uint8Array(memory.buffer);
  }

  /** Clears the per-tap event records. */
  resetEvents(): void {
    this.signals = [];
    this.logs = [];
    this.exchanges = [];
    this.randomFills = [];
  }

  private mem(): Uint8Array {
    const m = this.memory;
    if (m === undefined) throw new Error("board not attached to a firmware memory");
    if (this.view.buffer !== m.buffer) this.view = new Uint8Array(m.buffer);
    return this.view;
  }

  /** ABI rule: ptr ≥ 0 and ptr + len ≤ memory.byteLength (i32 arguments arrive signed). */
  private inBounds(ptr: number, len: number): boolean {
    return ptr >= 0 && len >= 0 && ptr + len <= this.mem().length;
  }

  private readAsString(ptr: number): string {
    if (ptr <= 4 || ptr > this.mem().length) return "";
    const m = this.mem();
    const lenBytes = new DataView(m.buffer).getUint32(ptr - 4, true);
    if (!this.inBounds(ptr, lenBytes)) return "<string out of bounds>";
    let s = "";
    for (let i = 0; i + 1 < lenBytes; i += 2) s += String.fromCharCode(m[ptr + i]! | (m[ptr + i + 1]! << 8));
    return s;
  }

  imports(): WebAssembly.Imports {
    return {
      env: {
        abort: (msg: number, file: number, line: number, col: number): never => {
          throw new FirmwareAbort(`firmware abort: ${this.readAsString(msg)} at ${this.readAsString(file)}:${line}:${col}`);
        },
        flashRead: (partition: number, offset: number, ptr: number, len: number): number => {
          if (!this.inBounds(ptr, len)) return ERR_BOUNDS;
          const r = this.flash.read(partition, offset, len);
          if (typeof r === "number") return r;
          this.mem().set(r, ptr);
          return 0;
        },
        flashProgram: (partition: number, offset: number, ptr: number, len: number): number => {
          if (!this.inBounds(ptr, len)) return ERR_BOUNDS;
          if (this.failPrograms > 0) { this.failPrograms--; return ERR_IO; }
          return this.flash.program(partition, offset, this.mem().subarray(ptr, ptr + len));
        },
        flashErase: (partition: number, offset: number): number => this.flash.erase(partition, offset),
        nfcTransceive: (tx: number, txLen: number, rx: number, rxCap: number, timeoutMs: number): number =>
          this.nfcTransceive(tx, txLen, rx, rxCap, timeoutMs),
        clockUnixSeconds: (): number => this.clock.unixSeconds() | 0,
        clockMillis: (): number => this.clock.millis() | 0,
        randomFill: (ptr: number, len: number): number => {
          if (!this.inBounds(ptr, len)) return ERR_BOUNDS;
          if (this.failRandom) return ERR_IO;
          const out = this.mem().subarray(ptr, ptr + len);
          this.random(out);
          if (this.recordRandom) this.randomFills.push(out.slice());
          return 0;
        },
        signal: (kind: number, value: number): void => {
          this.signals.push({ kind, value, atMs: this.clock.millisExact() });
        },
        log: (level: number, ptr: number, len: number): void => {
          if (!this.captureLogs || this.logs.length >= LOG_KEEP_MAX) return;
          const text = this.inBounds(ptr, len) ? this.decoder.decode(this.mem().subarray(ptr, ptr + len)) : "<log text out of bounds>";
          this.logs.push({ level, text, atMs: this.clock.millisExact() });
        },
      },
    };
  }

  private nfcTransceive(tx: number, txLen: number, rx: number, rxCap: number, timeoutMs: number): number {
    if (!this.inBounds(tx, txLen) || !this.inBounds(rx, rxCap) || timeoutMs < 0) return ERR_BOUNDS;
    const startMs = this.clock.millisExact();
    const txBytes = this.mem().slice(tx, tx + txLen);
    const r = this.nfc(txBytes, rxCap, timeoutMs);
    if (r.rx !== undefined) this.mem().set(r.rx, rx);
    if (this.exchanges.length < EXCHANGES_MAX) {
      this.exchanges.push({ tx: txBytes, rx: r.rx, status: r.status, timeoutMs, rxCap, elapsedMs: this.clock.millisExact() - startMs });
    }
    return r.status;
  }
}

export { PowerCut };
