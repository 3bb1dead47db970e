// Ledger benchmark figures (docs/LEDGER.md): appends per second in V8 through the real
// firmware, bytes programmed per tap (write amplification), erases per 1,000 taps,
// recovery time of a full partition, and an endurance estimate. The bench's main calls
// `benchLedger()`; `node --import tsx tools/bench/ledger.ts` prints the figures alone.
import { fileURLToPath } from "node:url";
import { firmwareModule } from "../../host/firmware/board.ts";
import { LedgerDevice } from "../../host/ledger/device.ts";
import { newSimReader, exportAll, makeAck } from "../../host/ledger/simulate.ts";
import { SyntheticTaps, DEFAULT_GEOMETRY, configFor } from "../../host/ledger/workload.ts";

export interface LedgerBenchResult {
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
}

export function benchLedger(o: LedgerBenchOptions = {}): LedgerBenchResult {
  const taps = o.taps ?? 20_000;
  const settleEvery = o.settleEvery ?? 200;
  const cycles = o.eraseCyclesPerSector ?? 100_000;
  const perDay = o.tapsPerDay ?? 5_000;
  const module = firmwareModule();
  const r = newSimReader(1, DEFAULT_GEOMETRY, module);
  const source = new SyntheticTaps(1);
  for (let i = 0; i < taps + 1; i++) source.payment(i); // generate outside the timed loop
  let appendNs = 0n;
  let recordBytes = 0;
  for (let i = 0; i < taps; i++) {
    const p = source.payment(i);
    const t0 = process.hrtime.bigint();
    const seq = r.device.append(p);
    appendNs += process.hrtime.bigint() - t0;
    if (seq <= 0) throw new Error(`append ${i} failed with ${seq}`);
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
    taps,
    appendsPerSecond: Math.round(taps / (Number(appendNs) / 1e9)),
    bytesProgrammedPerTap: round(stats.bytesProgrammed / taps),
    recordBytesPerTap: round(recordBytes / taps),
    writeAmplification: round(stats.bytesProgrammed / recordBytes, 3),
    flashBytesConsumedPerTap: round(erasesPerTap * DEFAULT_GEOMETRY.sectorBytes),
    erasesPer1000Taps: round(erasesPerTap * 1000),
    recoveryMsFullPartition: rec.ms,
    recordsAtRecovery: rec.records,
    sectors,
    eraseCyclesPerSector: cycles,
    tapsPerDay: perDay,
    // Wear levelling spreads erases evenly, so the partition wears out after
    // sectors × cycles erases in all.
    enduranceYears: round((sectors * cycles) / erasesPerTap / perDay / 365, 1),
  };
}

/** Fills the default partition to capacity, then times ledgerRecover() on a fresh instance. */
function recoveryOfFullPartition(module: WebAssembly.Module): { ms: number; records: number } {
  const r = newSimReader(2, DEFAULT_GEOMETRY, module);
  const source = new SyntheticTaps(2);
  let i = 0;
  while (r.device.append(source.payment(i)) > 0) i++;
  const config = configFor(r.id, DEFAULT_GEOMETRY);
  const runs = 5;
  const t0 = process.hrtime.bigint();
  for (let k = 0; k < runs; k++) {
    const dev = new LedgerDevice(r.flash, module);
    if (dev.boot(config) !== 0) throw new Error("recovery failed");
  }
  return { ms: round(Number(process.hrtime.bigint() - t0) / 1e6 / runs, 2), records: i };
}

function round(x: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  console.log(JSON.stringify(benchLedger(), null, 2));
}
