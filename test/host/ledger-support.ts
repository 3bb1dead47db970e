// Shared set-up for the ledger tests: a simulated board with the real firmware.
import { SimFlash } from "../../host/sim/flash.ts";
import { LedgerDevice } from "../../host/ledger/device.ts";
import { configFor, identityFromSeed, type Geometry, type ReaderIdentity } from "../../host/ledger/workload.ts";

export const SMALL: Geometry = { ledgerBytes: 4 * 4096, sectorBytes: 4096, pageBytes: 256, denyBytes: 4 * 4096 };

export interface Rig {
  flash: SimFlash;
  dev: LedgerDevice;
  id: ReaderIdentity;
  config: Uint8Array;
  geometry: Geometry;
  reboot(): LedgerDevice;
}

export function newFlash(g: Geometry, seed = 1): SimFlash {
  const flash = new SimFlash(seed);
  flash.addPartition(0, { sizeBytes: g.ledgerBytes, sectorBytes: g.sectorBytes, pageBytes: g.pageBytes });
  if (g.denyBytes > 0) flash.addPartition(1, { sizeBytes: g.denyBytes, sectorBytes: g.sectorBytes, pageBytes: g.pageBytes });
  return flash;
}

export function rig(g: Geometry = SMALL, seed = 1, config?: Uint8Array): Rig {
  const flash = newFlash(g, seed);
  const id = identityFromSeed(seed);
  const cfg = config ?? configFor(id, g, 86_400);
  const r: Rig = {
    flash, id, config: cfg, geometry: g, dev: undefined as unknown as LedgerDevice,
    reboot(): LedgerDevice {
      flash.setFaults({});
      r.dev = new LedgerDevice(flash);
      const st = r.dev.boot(cfg);
      if (st !== 0) throw new Error(`boot failed with status ${st}`);
      return r.dev;
    },
  };
  r.reboot();
  return r;
}
