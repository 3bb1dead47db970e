// Ledger benchmark figures (docs/LEDGER.md): appends per second in V8 through the real
// firmware, bytes programmed per tap (write amplification), erases per 1,000 taps,
// recovery time of a full partition, and an endurance estimate — for the built firmware
// and, beside it, the format-1 firmware kept in test/vectors/ledger/offtap-v1.wasm. The
// bench's main calls `benchLedgerFormats()`; `node --import tsx tools/bench/ledger.ts`
// prints the figures alone.
import path from "node:path";
import { fileURLToPath } from "node:url";
import { firmwareModule } from "../../host/firmware/board.ts";
import { LedgerDevice } from "../../host/ledger/device.ts";
import { newSimReader, exportAll, makeAck } from "../../host/ledger/simulate.ts";
import { SyntheticTaps, DEFAULT_GEOMETRY, configFor } from "../../host/ledger/workload.ts";
import { ledgerFormatOf } from "../../host/ledger/powercut-format.ts";
import { firmwarePath, repoRoot } from "../../host/firmware/paths.ts";
import { measureWasm3Recovery, taprunnerPath } from "./wasm3-tap.ts";

/** Today's firmware as it was before format 2, kept for this comparison. */
export const V1_FIRMWARE = path.join(repoRoot, "test", "vectors", "ledger", "offtap-v1.wasm");
/** The tap runner built from the same commit (docs/TAPRUNNER.md), for WASM3 recovery. */
export const V1_TAPRUNNER = path.join(repoRoot, "test", "vectors", "ledger", "taprunner-v1.wasm");
/** Re-inits per WASM3 recovery run: enough that the runtime's 10 ms CPU clock resolves it. */
const WASM3_RECOVERIES = 100;
const WASM3_RUNS = 7;
const WARMUP_TAPS = 300;

export interface LedgerBenchResult {
  /** The .wasm measured (relative to the repository) and the ledger format it writes. */
  firmware: string;
  ledgerFormat: number;
  taps: number;
  appendsPerSecond: number;
  bytesProgrammedPerTap: number;
  recordBytesPerTap: number;
  /** Programmed bytes over record bytes (headers, marks, commit markers). */
  writeAmplification: number;
  /** Flash area consumed per tap (erased sector bytes per tap): slots are fixed-size. */
  flashBytesConsumedPerTap: number;
  erasesPer1000Taps: number;
  recoveryMsFullPartition: number;
  recordsAtRecovery: number;
  /** Recovery of a full 16 KiB ledger under WASM3 (tap runner, CPU time), when measured. */
  wasm3Recovery: { ms: number; records: number; ledgerBytes: number } | null;
  sectors: number;
  eraseCyclesPerSector: number;
  tapsPerDay: number;
  enduranceYears: number;
}

export interface LedgerBenchOptions {
  taps?: number;
  /** Settle with clearing every N taps (a reader uploading several times a day). */
  settleEvery?: number;
  eraseCyclesPerSector?: number;
  tapsPerDay?: number;
  /** The firmware to measure (default build/offtap.wasm). */
  wasmPath?: string;
  /** A WASM3 runtime: also time recovery under the interpreter with this tap runner. */
  wasm3?: { runtime: string; taprunner: string } | null;
}

/** Both formats side by side: the kept format-1 firmware and the built one. */
export interface LedgerFormatsResult {
  v1: LedgerBenchResult;
  current: LedgerBenchResult;
}

export function benchLedgerFormats(o: LedgerBenchOptions & { wasm3Runtime?: string | null } = {},
): LedgerFormatsResult {
  const w3 = (taprunner: string): LedgerBenchOptions["wasm3"] =>
    o.wasm3Runtime ? { runtime: o.wasm3Runtime, taprunner } : null;
  return {
    v1: benchLedger({ ...o, wasmPath: V1_FIRMWARE, wasm3: w3(V1_TAPRUNNER) }),
    current: benchLedger({ ...o, wasm3: w3(taprunnerPath) }),
  };
}

export function benchLedger(o: LedgerBenchOptions = {}): LedgerBenchResult {
  const taps = o.taps ?? 20_000;
  const settleEvery = o.settleEvery ?? 200;
  const cycles = o.eraseCyclesPerSector ?? 100_000;
  const perDay = o.tapsPerDay ?? 5_000;
  const wasm = o.wasmPath ?? firmwarePath;
  const module = firmwareModule(wasm);
  const r = newSimReader(1, DEFAULT_GEOMETRY, module);
  const source = new SyntheticTaps(1);
  for (let i = 0; i < taps + 1; i++) source.payment(i); // generate outside the timed loop
  const signals = WebAssembly.Module.exports(module).some((e) => e.name === "ledgerSignalMark");
  warmUp(module, signals);
  let appendNs = 0n;
  let recordBytes = 0;
  for (let i = 0; i < taps; i++) {
    const p = source.payment(i);
    const t0 = process.hrtime.bigint();
    const seq = r.device.append(p);
    appendNs += process.hrtime.bigint() - t0;
    if (seq <= 0) throw new Error(`append ${i} failed with ${seq}`);
    // The reader's tap path marks the record before it opens the gate, where the format
    // has signal marks (docs/LEDGER.md §2.5): part of what a tap costs in flash.
    if (signals && r.device.signalMark(seq) !== 0) throw new Error(`signal mark ${seq} failed`);
    recordBytes += 76 + p.body.length + 4;
    if ((i + 1) % settleEvery === 0) {
      const { lastSeq, head } = exportAll(r);
      const st = r.device.acknowledge(makeAck(r.id, lastSeq, head));
      if (st !== 0) throw new Error(`acknowledge failed with ${st}`);
    }
  }
  const stats = r.flash.stats;
  const sectors = DEFAULT_GEOMETRY.ledgerBytes / DEFAULT_GEOMETRY.sectorBytes;
  const erasesPerTap = stats.erases / taps;
  const rec = recoveryOfFullPartition(module);
  return {
    firmware: path.relative(repoRoot, wasm),
    ledgerFormat: ledgerFormatOf(wasm),
    taps,
    appendsPerSecond: Math.round(taps / (Number(appendNs) / 1e9)),
    bytesProgrammedPerTap: round(stats.bytesProgrammed / taps),
    recordBytesPerTap: round(recordBytes / taps),
    writeAmplification: round(stats.bytesProgrammed / recordBytes, 3),
    flashBytesConsumedPerTap: round(erasesPerTap * DEFAULT_GEOMETRY.sectorBytes),
    erasesPer1000Taps: round(erasesPerTap * 1000),
    recoveryMsFullPartition: rec.ms,
    recordsAtRecovery: rec.records,
    wasm3Recovery: o.wasm3 ? wasm3Recovery(o.wasm3.runtime, o.wasm3.taprunner) : null,
    sectors,
    eraseCyclesPerSector: cycles,
    tapsPerDay: perDay,
    // Wear levelling spreads erases evenly, so the partition wears out after
    // sectors × cycles erases in all.
    enduranceYears: round((sectors * cycles) / erasesPerTap / perDay / 365, 1),
  };
}

const RECOVERY_WARMUPS = 3;
const RECOVERY_RUNS = 15;

/** Fills the default partition to capacity, then times ledgerRecover() on a fresh instance. */
function recoveryOfFullPartition(module: WebAssembly.Module): { ms: number; records: number } {
  const r = newSimReader(2, DEFAULT_GEOMETRY, module);
  const source = new SyntheticTaps(2);
  let i = 0;
  while (r.device.append(source.payment(i)) > 0) i++;
  const config = configFor(r.id, DEFAULT_GEOMETRY);
  const boot = (): number => {
    const t0 = process.hrtime.bigint();
    const dev = new LedgerDevice(r.flash, module);
    if (dev.boot(config) !== 0) throw new Error("recovery failed");
    return Number(process.hrtime.bigint() - t0) / 1e6;
  };
  // Warm-up boots first (the JIT compiles the firmware), then the median of the timed ones.
  for (let k = 0; k < RECOVERY_WARMUPS; k++) boot();
  const ms = Array.from({ length: RECOVERY_RUNS }, boot).sort((a, b) => a - b);
  return { ms: round(ms[Math.floor(ms.length / 2)]!, 2), records: i };
}

/** Appends on a throwaway reader first, so the JIT has compiled the firmware before the
 *  timed loop (else whichever format runs first looks slower). */
function warmUp(module: WebAssembly.Module, signals: boolean): void {
  const r = newSimReader(3, DEFAULT_GEOMETRY, module);
  const source = new SyntheticTaps(3);
  for (let i = 0; i < WARMUP_TAPS; i++) {
    const seq = r.device.append(source.payment(i));
    if (seq > 0 && signals) r.device.signalMark(seq);
  }
}

function wasm3Recovery(runtime: string, taprunner: string): LedgerBenchResult["wasm3Recovery"] {
  const r = measureWasm3Recovery(runtime, taprunner, WASM3_RUNS, WASM3_RECOVERIES);
  return { ms: round(r.msPerRecovery, 3), records: r.records, ledgerBytes: r.ledgerBytes };
}

function round(x: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  console.log(JSON.stringify(benchLedgerFormats(), null, 2));
}
