// A simulated reader: the real firmware (build/offtap.wasm) instantiated on a SimBoard.
// The module is compiled once per process; each reader (and each reboot) is a fresh
// instance on the same board, so flash survives a reboot and RAM does not.
import { readFileSync } from "node:fs";
import { firmwarePath } from "../firmware/paths.ts";
import {
  SimBoard, FirmwareAbort, type SignalEvent, type ExchangeEvent, type LogEvent,
} from "./board.ts";
import { ABI_VERSION } from "./abi.ts";
import {
  decodeTapCommand, type Receipt, reasonName, isAcceptance, ProtocolError,
} from "../protocol/index.ts";

export interface ReaderExports {
  memory: WebAssembly.Memory;
  abiVersion(): number;
  ioBufferPtr(): number;
  ioBufferBytes(): number;
  init(config: number, len: number): number;
  tap(amount: number): number;
  /** Background work between taps (boards/ABI.md): 1 when it did some, 0 when none is left. */
  idle(): number;
  /** Wallet keys holding precomputed verify tables (a probe). */
  walletKeyTables(): number;
  ledgerNextSeq(): number;
  ledgerAckedSeq(): number;
  ledgerFindWallet(walletId: number, out: number): number;
  ledgerReadRecord(seq: number): number;
  ledgerAcknowledge(ptr: number, len: number): number;
  ledgerExport(fromSeq: number, maxRecords: number): number;
  ledgerReusableSectors(): number;
  ledgerDenyBegin(len: number): number;
  ledgerDenyWrite(offset: number, ptr: number, len: number): number;
  ledgerDenyCommit(): number;
  ledgerDenyVersion(): number;
  /** Bytes the runtime handed out above __heap_base (must never move after start-up). */
  heapTop(): number;
  lastTapElapsedMs(): number;
  lastReceiptPtr(): number;
  lastReceiptLen(): number;
  lastReceiptDelivered(): number;
}

const REQUIRED_EXPORTS = [
  "memory", "abiVersion", "ioBufferPtr", "ioBufferBytes", "init", "tap",
] as const;

/** More idle pieces than the firmware can ever hold (one per registered-key slot). */
const IDLE_PIECES_MAX = 16;

const moduleCache = new Map<string, WebAssembly.Module>();

/** Compiles the firmware once per path and process. */
export function readerModule(wasmPath: string = firmwarePath): WebAssembly.Module {
  let m = moduleCache.get(wasmPath);
  if (m === undefined) {
    let bytes: Buffer;
    try {
      bytes = readFileSync(wasmPath);
    } catch {
      throw new Error(`cannot read ${wasmPath}: build the firmware first (make build)`);
    }
    m = new WebAssembly.Module(Uint8Array.from(bytes));
    moduleCache.set(wasmPath, m);
  }
  return m;
}

/** Does this build export the reader (tap/init)? Tests skip with a clear message when not. */
export function firmwareHasReader(wasmPath: string = firmwarePath): boolean {
  try {
    const exported = WebAssembly.Module.exports(readerModule(wasmPath));
    const names = new Set(exported.map((e: { name: string }) => e.name));
    return REQUIRED_EXPORTS.every((n) => names.has(n));
  } catch {
    return false;
  }
}

export interface TapResult {
  decision: number;
  reason: string;
  accepted: boolean;
  exchanges: ExchangeEvent[];
  signals: SignalEvent[];
  logs: LogEvent[];
  /** The receipt the reader sent (decoded from its RECEIPT command), if it sent one. */
  receipt: Receipt | undefined;
  receiptBytes: Uint8Array | undefined;
  /** Simulated time of the tap (radio latency and timeouts), milliseconds. */
  simulatedMs: number;
  /** Host time spent inside the firmware's tap call, microseconds. */
  hostMicros: number;
}

/** What the flash-program interceptor decides: let the program run (`undefined`), fail it
 *  with a status without touching flash, or throw (e.g. a PowerCut before it starts). */
export type ProgramHook = (partition: number, offset: number, len: number) => number | undefined;

export class SimReader {
  exports!: ReaderExports;
  /** Fault injection between flash programs (survives reboots; clear it to stop). */
  beforeProgram: ProgramHook | undefined;
  private io = 0;
  private ioBytes = 0;

  constructor(
    readonly board: SimBoard,
    private readonly module: WebAssembly.Module = readerModule(),
  ) {
    this.boot();
  }

  /** A fresh instance on the same board: RAM is lost, flash is kept (a power cycle). */
  boot(): void {
    const imports = this.interceptPrograms(this.board.imports());
    const instance = new WebAssembly.Instance(this.module, imports);
    const e = instance.exports as unknown as ReaderExports;
    for (const name of REQUIRED_EXPORTS) {
      if (!(name in e)) throw new Error(`firmware does not export '${name}' (boards/ABI.md)`);
    }
    this.exports = e;
    this.board.attach(e.memory);
    const v = e.abiVersion();
    if (v !== ABI_VERSION) {
      throw new Error(`firmware speaks ABI ${v}; this board implements ABI ${ABI_VERSION}`);
    }
    this.io = e.ioBufferPtr();
    this.ioBytes = e.ioBufferBytes();
    this.board.clock.reboot();
  }

  /** Routes env.flashProgram through `beforeProgram`, so a test can fail or cut power
   *  at a chosen program (say, between a record's append and its signal mark). */
  private interceptPrograms(imports: WebAssembly.Imports): WebAssembly.Imports {
    const env = imports["env"] as Record<string, unknown>;
    type Program = (partition: number, offset: number, ptr: number, len: number) => number;
    const program = env["flashProgram"] as Program;
    env["flashProgram"] = (partition: number, offset: number, ptr: number, len: number): number => {
      const r = this.beforeProgram?.(partition, offset, len);
      return r !== undefined ? r : program(partition, offset, ptr, len);
    };
    return imports;
  }

  /** Copies bytes into the I/O buffer and returns their offset. */
  put(bytes: Uint8Array, offset = 0): number {
    if (offset + bytes.length > this.ioBytes) {
      throw new RangeError(`${bytes.length} bytes do not fit the ${this.ioBytes}-byte I/O buffer`);
    }
    new Uint8Array(this.exports.memory.buffer).set(bytes, this.io + offset);
    return this.io + offset;
  }

  get(offset: number, len: number): Uint8Array {
    const at = this.io + offset;
    return new Uint8Array(this.exports.memory.buffer).slice(at, at + len);
  }

  init(config: Uint8Array): number {
    return this.exports.init(this.put(config), config.length);
  }

  /** One tap: the wallet currently in the field (if any) meets the firmware. */
  tap(amount = 0): TapResult {
    const b = this.board;
    b.resetEvents();
    const startMs = b.clock.millisExact();
    const t0 = process.hrtime.bigint();
    let decision: number;
    try {
      decision = this.exports.tap(amount);
    } catch (err) {
      // boards/ABI.md: an abort is a firmware bug; the board logs it and resets the
      // firmware (a fresh instance, unprovisioned until the next init). The caller
      // still sees the bug: a simulator must fail loudly, never guess a decision.
      if (err instanceof FirmwareAbort) {
        b.logs.push({ level: 3, text: err.message, atMs: b.clock.millisExact() });
        this.boot();
      }
      throw err;
    }
    const hostMicros = Number(process.hrtime.bigint() - t0) / 1000;
    const simulatedMs = b.clock.millisExact() - startMs;
    const { receipt, receiptBytes } = receiptOf(b.exchanges);
    return {
      decision,
      reason: reasonName(decision),
      accepted: isAcceptance(decision),
      exchanges: b.exchanges,
      signals: b.signals,
      logs: b.logs,
      receipt,
      receiptBytes,
      simulatedMs,
      hostMicros,
    };
  }

  /** The board's time between taps: calls idle() until the firmware has nothing left to
   *  do (bounded: a firmware that never finishes is a bug). Returns the pieces done. */
  idle(): number {
    if (typeof this.exports.idle !== "function") return 0; // optional (boards/ABI.md)
    let pieces = 0;
    while (this.exports.idle() !== 0) {
      pieces++;
      if (pieces > IDLE_PIECES_MAX) {
        throw new Error(`idle still busy after ${IDLE_PIECES_MAX} calls`);
      }
    }
    return pieces;
  }

  /** Bytes of linear memory: fixed at 2 pages by the build, and must never grow. */
  memoryBytes(): number {
    return this.exports.memory.buffer.byteLength;
  }
}

interface SentReceipt { receipt: Receipt | undefined; receiptBytes: Uint8Array | undefined }

function receiptOf(exchanges: readonly ExchangeEvent[]): SentReceipt {
  for (const x of exchanges) {
    if (x.tx[1] !== 0x52) continue;
    try {
      const c = decodeTapCommand(x.tx);
      if (c.kind === "RECEIPT") return { receipt: c.receipt, receiptBytes: x.tx.slice(5, 51) };
    } catch (err) {
      if (!(err instanceof ProtocolError)) throw err;
    }
  }
  return { receipt: undefined, receiptBytes: undefined };
}
