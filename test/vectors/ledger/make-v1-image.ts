// Writes v1-ledger.bin, v1-deny.bin and v1-image.json: the flash of a reader that ran
// the first firmware (ledger format version 1) — 30 payments, clearing acknowledged up
// to 14, the log wrapped into an erased sector, a deny list installed — for the
// migration test (test/host/ledger-migration.test.ts). It must be run with a build of
// the version-1 firmware, e.g. commit d9de6f7:
//   git archive d9de6f7 | tar -x -C /tmp/v1 && (cd /tmp/v1 && ln -s $PWD/node_modules . &&
//     npx asc assembly/index.ts --target release)
//   node --import tsx test/vectors/ledger/make-v1-image.ts /tmp/v1/build/offtap.wasm
// The output is deterministic (seeded payments, deterministic Ed25519).
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { SimFlash } from "../../../host/sim/flash.ts";
import { LedgerDevice } from "../../../host/ledger/device.ts";
import { encodeDenyListBody, hex } from "../../../host/ledger/format.ts";
import { signEd25519 } from "../../../host/ledger/keys.ts";
import { SyntheticTaps, configFor, identityFromSeed } from "../../../host/ledger/workload.ts";
import { exportAll, makeAck } from "../../../host/ledger/simulate.ts";

export const V1_SEED = 7;
export const V1_GEOMETRY = {
  ledgerBytes: 4 * 4096, sectorBytes: 4096, pageBytes: 256, denyBytes: 4 * 4096,
};
export const V1_TAPS_SEED = 71;
export const V1_DENIED = ["00000000000000000000000000000007", "7777777777777777777777777777777f"];

function main(wasmPath: string): void {
  const module = new WebAssembly.Module(readFileSync(wasmPath));
  const g = V1_GEOMETRY;
  const flash = new SimFlash(V1_SEED);
  const shape = { sectorBytes: g.sectorBytes, pageBytes: g.pageBytes };
  flash.addPartition(0, { sizeBytes: g.ledgerBytes, ...shape });
  flash.addPartition(1, { sizeBytes: g.denyBytes, ...shape });
  const id = identityFromSeed(V1_SEED);
  const config = configFor(id, g, 86_400);
  const device = new LedgerDevice(flash, module);
  if (device.boot(config) !== 0) throw new Error("the v1 firmware refused the configuration");
  const taps = new SyntheticTaps(V1_TAPS_SEED);
  const sim = { flash, device, id, geometry: g };
  for (let i = 0; i < 20; i++) {
    if (device.append(taps.payment(i)) !== i + 1) throw new Error(`append ${i}`);
  }
  const settled = exportAll(sim);
  const head14 = device.readRecord(14);
  if (typeof head14 === "number") throw new Error("record 14");
  if (device.acknowledge(makeAck(id, 14, head14.link)) !== 0) throw new Error("ack 14");
  for (let i = 20; i < 30; i++) {
    if (device.append(taps.payment(i)) !== i + 1) throw new Error(`append ${i}`);
  }
  const body = encodeDenyListBody({
    version: 3, issuedAt: 1_790_000_000, walletIds: V1_DENIED.map((h) => Buffer.from(h, "hex")),
    revokedKeyIds: [],
  });
  const list = new Uint8Array([...body, ...signEd25519(id.operator.seed, body)]);
  if (device.installDenyList(list) !== 0) throw new Error("deny list");
  const records: { seq: number; contentHex: string }[] = [];
  for (let seq = 15; seq <= 30; seq++) {
    const r = device.readRecord(seq);
    if (typeof r === "number") throw new Error(`record ${seq}`);
    records.push({ seq, contentHex: hex(r.content) });
  }
  const here = path.dirname(fileURLToPath(import.meta.url));
  writeFileSync(path.join(here, "v1-ledger.bin"), flash.partition(0).bytes);
  writeFileSync(path.join(here, "v1-deny.bin"), flash.partition(1).bytes);
  const out = {
    about: "flash of a reader running the ledger format v1 firmware (commit d9de6f7), "
      + "made by make-v1-image.ts",
    seed: V1_SEED, geometry: g, configHex: hex(config), tapsSeed: V1_TAPS_SEED,
    ackedSeq: device.ackedSeq, nextSeq: device.nextSeq, chainHeadHex: hex(device.chainHead()),
    firstBatchFileBytes: settled.file.length, denyVersion: device.denyVersion, denied: V1_DENIED,
    unacknowledged: records,
  };
  writeFileSync(path.join(here, "v1-image.json"), JSON.stringify(out, null, 1) + "\n");
}

const wasm = process.argv[2];
if (wasm === undefined) {
  process.stderr.write(
    "usage: node --import tsx test/vectors/ledger/make-v1-image.ts V1_OFFTAP_WASM\n");
  process.exit(2);
}
main(wasm);
