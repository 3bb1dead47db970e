// A seeded simulated reader on the real firmware: taps, exports and acknowledgements
// without faults. Used by `ledger export` and the benchmark.
import { SimFlash } from "../sim/flash.ts";
import { LedgerDevice } from "./device.ts";
import { encodeAckBody, statusName } from "./format.ts";
import { signEd25519 } from "./keys.ts";
import { SyntheticTaps, configFor, identityFromSeed, DEFAULT_GEOMETRY, type Geometry, type ReaderIdentity, type TapSource } from "./workload.ts";

export interface SimReader {
  flash: SimFlash;
  device: LedgerDevice;
  id: ReaderIdentity;
  geometry: Geometry;
}

export function newSimReader(seed: number, geometry: Geometry = DEFAULT_GEOMETRY, module?: WebAssembly.Module): SimReader {
  const flash = new SimFlash(seed);
  flash.addPartition(0, { sizeBytes: geometry.ledgerBytes, sectorBytes: geometry.sectorBytes, pageBytes: geometry.pageBytes });
  if (geometry.denyBytes > 0) flash.addPartition(1, { sizeBytes: geometry.denyBytes, sectorBytes: geometry.sectorBytes, pageBytes: geometry.pageBytes });
  const id = identityFromSeed(seed);
  const device = new LedgerDevice(flash, module);
  const st = device.boot(configFor(id, geometry));
  if (st !== 0) throw new Error(`firmware refused the configuration: ${statusName(st)}`);
  return { flash, device, id, geometry };
}

/** Appends taps [from, to) of source; returns how many the ledger accepted. */
export function runTaps(r: SimReader, source: TapSource, from: number, to: number): number {
  let accepted = 0;
  for (let i = from; i < to; i++) if (r.device.append(source.payment(i)) > 0) accepted++;
  return accepted;
}

/** Every unacknowledged record as signed batches, concatenated (a batch file). */
export function exportAll(r: SimReader): { file: Uint8Array; lastSeq: number; head: Uint8Array } {
  const parts: Uint8Array[] = [];
  let from = 0;
  let lastSeq = 0;
  for (;;) {
    const b = r.device.exportBatch(from, 0);
    if (typeof b === "number") throw new Error(`export failed: ${statusName(b)}`);
    if (b.length === 0) break;
    parts.push(b);
    lastSeq = new DataView(b.buffer, b.byteOffset).getUint32(28, true);
    from = lastSeq + 1;
  }
  const file = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) { file.set(p, at); at += p.length; }
  return { file, lastSeq, head: r.device.chainHead() };
}

/** Clearing's signed acknowledgement of everything up to lastSeq. */
export function makeAck(id: ReaderIdentity, lastSeq: number, head: Uint8Array): Uint8Array {
  const body = encodeAckBody(id.readerId, lastSeq, head);
  const ack = new Uint8Array(body.length + 64);
  ack.set(body, 0);
  ack.set(signEd25519(id.clearing.seed, body), body.length);
  return ack;
}

export { SyntheticTaps };
