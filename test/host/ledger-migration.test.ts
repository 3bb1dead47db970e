// Migration (docs/LEDGER.md §2.6): the flash of a reader that ran the version-1 firmware
// (test/vectors/ledger/v1-*.bin, made by make-v1-image.ts with the v1 build) boots the
// version-2 firmware, which exports the v1 records unchanged, keeps the acknowledgement,
// the chain and the deny list, and moves on in version 2.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { repoRoot } from "../../host/firmware/paths.ts";
import { decodeBatch, splitBatches, verifyBatchFile } from "../../host/ledger/batch.ts";
import { decodeImage } from "../../host/ledger/image.ts";
import { hex } from "../../host/ledger/format.ts";
import { SyntheticTaps } from "../../host/ledger/workload.ts";
import { exportAll, makeAck } from "../../host/ledger/simulate.ts";
import { rig, type Rig } from "./ledger-support.ts";

const dir = path.join(repoRoot, "test/vectors/ledger");
interface V1Image {
  seed: number; configHex: string; ackedSeq: number; nextSeq: number; chainHeadHex: string;
  denyVersion: number; denied: string[]; unacknowledged: { seq: number; contentHex: string }[];
  geometry: { ledgerBytes: number; sectorBytes: number; pageBytes: number; denyBytes: number };
}
const V: V1Image = JSON.parse(readFileSync(path.join(dir, "v1-image.json"), "utf8"));
const bytes = (h: string): Uint8Array => new Uint8Array(Buffer.from(h, "hex"));

function v1Reader(): Rig {
  const r = rig(V.geometry, V.seed, bytes(V.configHex));
  r.flash.partition(0).bytes.set(readFileSync(path.join(dir, "v1-ledger.bin")));
  r.flash.partition(1).bytes.set(readFileSync(path.join(dir, "v1-deny.bin")));
  r.reboot();
  return r;
}

test("migration: a v1 ledger boots on v2: records, acknowledgement, chain, deny list", () => {
  const r = v1Reader();
  const before = readFileSync(path.join(dir, "v1-ledger.bin"));
  assert.ok(Buffer.compare(Buffer.from(r.flash.partition(0).bytes), before) === 0,
    "recovery of a clean v1 ledger writes nothing");
  assert.equal(r.dev.nextSeq, V.nextSeq);
  assert.equal(r.dev.ackedSeq, V.ackedSeq);
  assert.equal(hex(r.dev.chainHead()), V.chainHeadHex);
  assert.equal(r.dev.denyVersion, V.denyVersion);
  for (const w of V.denied) assert.equal(r.dev.denyContains(bytes(w)), 1);
  for (const rec of V.unacknowledged) {
    const got = r.dev.readRecord(rec.seq);
    assert.ok(typeof got !== "number", `record ${rec.seq}: ${String(got)}`);
    assert.equal(hex(got.content), rec.contentHex, `record ${rec.seq} unchanged`);
  }
  const sim = { flash: r.flash, device: r.dev, id: r.id, geometry: r.geometry };
  const { file, lastSeq } = exportAll(sim);
  assert.equal(lastSeq, V.nextSeq - 1);
  const check = verifyBatchFile(file, r.id.device.publicKey);
  assert.deepEqual(check.problems, []);
  const exported = splitBatches(file).flatMap((b) => b.records.map((x) => hex(x.content)));
  const want = V.unacknowledged.map((x) => x.contentHex);
  assert.deepEqual(exported, want, "v1 records export unchanged");
  assert.ok(splitBatches(file).every((b) => b.version === 1), "no gap: version-1 batches");
});

test("migration: new records go to v2 sectors, the chain goes on, v1 sectors are reclaimed", () => {
  const r = v1Reader();
  const taps = new SyntheticTaps(99);
  // The newest sector is version 1: the first append opens a version-2 sector.
  assert.equal(r.dev.append(taps.payment(0)), V.nextSeq);
  let img = decodeImage(r.flash.partition(0).bytes, V.geometry.sectorBytes);
  assert.deepEqual(img.problems, []);
  assert.ok(img.chainOk);
  const v2 = img.sectors.filter((s) => s.valid && s.version === 2);
  assert.equal(v2.length, 1);
  assert.equal(v2[0]!.firstSeq, V.nextSeq);
  // Settle everything; then fill the ledger twice over: every v1 sector is reused as v2.
  const settleAll = (): void => {
    const sim = { flash: r.flash, device: r.dev, id: r.id, geometry: r.geometry };
    const { file, lastSeq, head } = exportAll(sim);
    assert.deepEqual(verifyBatchFile(file, r.id.device.publicKey).problems, []);
    if (lastSeq > 0) assert.equal(r.dev.acknowledge(makeAck(r.id, lastSeq, head)), 0);
  };
  settleAll();
  for (let i = 1; i < 40; i++) {
    assert.ok(r.dev.append(taps.payment(i)) > 0, `append ${i}`);
    if (i % 5 === 0) settleAll();
  }
  r.reboot();
  img = decodeImage(r.flash.partition(0).bytes, V.geometry.sectorBytes);
  assert.ok(img.sectors.every((s) => !s.valid || s.version === 2), "every sector is version 2 now");
  assert.ok(img.chainOk);
  const b = r.dev.exportBatch(0, 0);
  assert.ok(b instanceof Uint8Array);
  assert.equal(decodeBatch(b).firstSeq, r.dev.ackedSeq + 1);
});
