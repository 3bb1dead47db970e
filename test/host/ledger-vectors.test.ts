// The committed byte vectors (test/vectors/ledger/ledger.json, generated from the spec
// with node:crypto and node:zlib only) against both the firmware and the host codec.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { repoRoot } from "../../host/firmware/paths.ts";
import {
  crc32Of, chainLink, decodeRecordContent, encodeRecordContent, encodeRecordSlot, encodeConfig,
  encodeAckBody, encodeDenyListBody, encodeRecordSlotV1, encodeGapEntry, hex,
} from "../../host/ledger/format.ts";
import { decodeBatch, verifyBatch } from "../../host/ledger/batch.ts";
import { decodeImage } from "../../host/ledger/image.ts";
import { keyPairFromSeed } from "../../host/ledger/keys.ts";
import { rig } from "./ledger-support.ts";

interface VRecord {
  seq: number; walletId: string; counter: number; amount: string; time: number; bodyHex: string;
  contentHex: string; slotHex: string; slotV1Hex: string; linkHex: string;
}
interface Vectors {
  crc32Check: { ascii: string; crcHex: string };
  configHex: string;
  geometry: {
    ledgerBytes: number; sectorBytes: number; pageBytes: number; denyBytes: number;
    denyMaxAgeSeconds: number;
  };
  seeds: { device: string; operator: string; clearing: string };
  publicKeys: { device: string; operator: string; clearing: string };
  readerIdHex: string;
  records: VRecord[];
  sectorHeaderHex: string;
  sectorHeaderV1Hex: string;
  batchHex: string;
  gapEntryHex: string;
  gapBatchHex: string;
  ackHex: string;
  ackMarkHex: string;
  denyList: {
    version: number; issuedAt: number; denied: string[]; revoked: string[]; imageHex: string;
  };
}

const vectorsPath = path.join(repoRoot, "test/vectors/ledger/ledger.json");
const V: Vectors = JSON.parse(readFileSync(vectorsPath, "utf8"));
const bytes = (h: string): Uint8Array => new Uint8Array(Buffer.from(h, "hex"));
const payment = (r: VRecord) => ({
  walletId: bytes(r.walletId), counter: r.counter, amount: BigInt(r.amount), time: r.time,
  body: bytes(r.bodyHex),
});

test("host codec: CRC-32 check value, config, records, slots and links match the vectors", () => {
  const check = crc32Of(new TextEncoder().encode(V.crc32Check.ascii));
  assert.equal(check.toString(16), V.crc32Check.crcHex);
  const seed = (h: string) => keyPairFromSeed(bytes(h));
  const cfg = encodeConfig({
    ...V.geometry, readerId: bytes(V.readerIdHex), deviceSecretKey: seed(V.seeds.device).secretKey,
    operatorPublicKey: seed(V.seeds.operator).publicKey,
    clearingPublicKey: seed(V.seeds.clearing).publicKey,
  });
  assert.equal(hex(cfg), V.configHex);
  let prev: Uint8Array = new Uint8Array(32);
  for (const r of V.records) {
    const content = encodeRecordContent(r.seq, payment(r), prev);
    assert.equal(hex(content), r.contentHex, `record ${r.seq} content`);
    assert.equal(hex(encodeRecordSlot(content)), r.slotHex, `record ${r.seq} slot`);
    assert.equal(hex(encodeRecordSlotV1(content)), r.slotV1Hex, `record ${r.seq} v1 slot`);
    assert.equal(hex(chainLink(prev, content)), r.linkHex, `record ${r.seq} link`);
    const d = decodeRecordContent(bytes(r.contentHex));
    assert.equal(d.seq, r.seq);
    assert.equal(d.counter, r.counter);
    assert.equal(d.amount.toString(), r.amount);
    assert.equal(d.time, r.time);
    assert.equal(hex(d.walletId), r.walletId);
    prev = bytes(r.linkHex);
  }
});

test("host codec: batch, acknowledgement and deny list vectors decode and verify", () => {
  const b = decodeBatch(bytes(V.batchHex));
  const check = verifyBatch(b, bytes(V.publicKeys.device));
  assert.deepEqual(check.problems, []);
  assert.ok(check.signatureOk && check.chainOk && check.sequenceOk);
  assert.deepEqual(b.records.map((r) => hex(r.content)), V.records.map((r) => r.contentHex));
  // Version 2 with a gap entry: decodes, signature verifies, the chain restarts after it.
  assert.equal(hex(encodeGapEntry(2)), V.gapEntryHex);
  const g = decodeBatch(bytes(V.gapBatchHex));
  assert.equal(g.version, 2);
  assert.deepEqual(g.gaps, [2]);
  assert.deepEqual(verifyBatch(g, bytes(V.publicKeys.device)).problems, []);
  const ackBody = encodeAckBody(bytes(V.readerIdHex), 2, bytes(V.records[1]!.linkHex));
  assert.equal(hex(ackBody), V.ackHex.slice(0, 120));
  const d = V.denyList;
  const body = encodeDenyListBody({
    version: d.version, issuedAt: d.issuedAt, walletIds: [...d.denied].reverse().map(bytes),
    revokedKeyIds: d.revoked.map(bytes),
  });
  assert.equal(hex(body), d.imageHex.slice(0, -128));
});

test("firmware: appending the vector payments writes exactly the vector header and slots", () => {
  const r = rig(V.geometry, 1, bytes(V.configHex));
  for (const rec of V.records) assert.equal(r.dev.append(payment(rec)), rec.seq);
  const img = r.flash.partition(0).bytes;
  assert.equal(hex(img.subarray(0, 128)), V.sectorHeaderHex);
  V.records.forEach((rec, i) => {
    assert.equal(hex(img.subarray(512 * (i + 1), 512 * (i + 2))), rec.slotHex, `slot ${i + 1}`);
  });
  assert.equal(hex(r.dev.chainHead()), V.records[V.records.length - 1]!.linkHex);
  for (const rec of V.records) {
    const got = r.dev.readRecord(rec.seq);
    assert.ok(typeof got !== "number");
    assert.equal(hex(got.content), rec.contentHex);
  }
  // Export: Ed25519 is deterministic, so the firmware's batch equals the vector byte for byte.
  const batch = r.dev.exportBatch(0, 0);
  assert.ok(batch instanceof Uint8Array);
  assert.equal(hex(batch), V.batchHex);
  // The vector acknowledgement is accepted and leaves the vector mark in the header slot.
  assert.equal(r.dev.acknowledge(bytes(V.ackHex)), 0);
  assert.equal(r.dev.ackedSeq, 2);
  assert.equal(hex(img.subarray(128, 160)), V.ackMarkHex);
  assert.equal(decodeImage(img, V.geometry.sectorBytes).ackedSeq, 2);
});

test("firmware: a version-1 sector from the v1 vectors is read, exported and acknowledged", () => {
  const r = rig(V.geometry, 1, bytes(V.configHex));
  const img = r.flash.partition(0).bytes;
  img.set(bytes(V.sectorHeaderV1Hex), 0);
  V.records.forEach((rec, i) => img.set(bytes(rec.slotV1Hex), 512 * (i + 1)));
  r.reboot();
  assert.equal(r.dev.nextSeq, V.records.length + 1);
  const batch = r.dev.exportBatch(0, 0);
  assert.ok(batch instanceof Uint8Array);
  assert.equal(hex(batch), V.batchHex, "v1 records export exactly as the first firmware did");
  assert.equal(r.dev.acknowledge(bytes(V.ackHex)), 0);
  assert.equal(hex(img.subarray(64, 80)), "ff".repeat(16), "no v1 mark is written");
  r.reboot();
  assert.equal(r.dev.ackedSeq, 2, "the acknowledgement went into a new version-2 sector");
});

test("firmware: the vector deny list installs and answers lookups", () => {
  const r = rig(V.geometry, 1, bytes(V.configHex));
  assert.equal(r.dev.installDenyList(bytes(V.denyList.imageHex)), 0);
  assert.equal(r.dev.denyVersion, V.denyList.version);
  for (const w of V.denyList.denied) assert.equal(r.dev.denyContains(bytes(w)), 1, w);
  for (const k of V.denyList.revoked) assert.equal(r.dev.denyKeyRevoked(bytes(k)), 1, k);
  assert.equal(r.dev.denyContains(bytes("00112233445566778899aabbccddeefe")), 0);
  assert.equal(r.dev.denyKeyRevoked(bytes("0102030405060709")), 0);
});
