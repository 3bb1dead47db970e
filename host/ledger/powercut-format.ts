// Which ledger format a firmware build writes: from its `ledgerFormatVersion` export when
// it has one, else from the sector header it programs on a blank partition (docs/LEDGER.md
// §2.1: magic "OTLS", u16 format version at offset 4). The fault campaigns use it to know
// whether the build claims the fault-tolerant format (2 and later).
import { SimFlash } from "../sim/flash.ts";
import { firmwareModule } from "../firmware/board.ts";
import { LedgerDevice } from "./device.ts";
import { MAGIC } from "./format.ts";
import { SyntheticTaps, configFor, identityFromSeed, type Geometry } from "./workload.ts";

const PROBE_GEOMETRY: Geometry = {
  ledgerBytes: 2 * 4096, sectorBytes: 4096, pageBytes: 256, denyBytes: 0,
};

/** The format version, or 0 when the build wrote no header this probe understands. */
export function ledgerFormatOf(wasmPath?: string): number {
  const module = firmwareModule(wasmPath);
  const exports = WebAssembly.Module.exports(module);
  const hasExport = exports.some((e) => e.name === "ledgerFormatVersion");
  const flash = new SimFlash(1);
  flash.addPartition(0, { ...PROBE_GEOMETRY, sizeBytes: PROBE_GEOMETRY.ledgerBytes });
  const dev = new LedgerDevice(flash, module);
  if (hasExport) {
    const f = (dev.x as unknown as { ledgerFormatVersion(): number }).ledgerFormatVersion();
    return f >>> 0;
  }
  const id = identityFromSeed(1);
  if (dev.boot(configFor(id, PROBE_GEOMETRY)) !== 0) return 0;
  if (dev.append(new SyntheticTaps(1).payment(0)) <= 0) return 0;
  const bytes = flash.partition(0).bytes;
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let s = 0; s < bytes.length; s += PROBE_GEOMETRY.sectorBytes) {
    if (v.getUint32(s, true) === MAGIC.sector) return v.getUint16(s + 4, true);
  }
  return 0;
}
