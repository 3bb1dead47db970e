// Generates ledger.json: byte-level vectors of docs/LEDGER.md written straight from the
// spec with node:crypto (SHA-512, Ed25519) and node:zlib (CRC-32) only — it shares no
// code with the firmware (assembly/ledger) or the host codec (host/ledger), so both are
// checked against it. Run: node --import tsx test/vectors/ledger/generate.ts
import { createHash, createPrivateKey, createPublicKey, sign } from "node:crypto";
import { crc32 } from "node:zlib";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const u16 = (n: number): Buffer => { const b = Buffer.alloc(2); b.writeUInt16LE(n); return b; };
const u32 = (n: number): Buffer => {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n >>> 0);
  return b;
};
const u64 = (n: bigint): Buffer => { const b = Buffer.alloc(8); b.writeBigUInt64LE(n); return b; };
const seedOf = (label: string): Buffer =>
  createHash("sha512").update(label).digest().subarray(0, 32);
const PKCS8_PREFIX = Buffer.from("302e020100300506032b657004220420", "hex");
const key = (seed: Buffer) =>
  createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, seed]), format: "der", type: "pkcs8" });
const pub = (seed: Buffer): Buffer => {
  const d = createPublicKey(key(seed)).export({ format: "der", type: "spki" });
  return d.subarray(d.length - 32);
};
const ed = (seed: Buffer, msg: Buffer): Buffer => sign(null, msg, key(seed));
const crc = (b: Buffer): Buffer => u32(crc32(b));

const readerId = Buffer.from("0f1e2d3c4b5a69788796a5b4c3d2e1f0", "hex");
const deviceSeed = seedOf("vector-device");
const operatorSeed = seedOf("vector-operator");
const clearingSeed = seedOf("vector-clearing");
const geometry = { ledgerBytes: 4 * 4096, sectorBytes: 4096, pageBytes: 256,
  denyBytes: 2 * 2 * 4096, denyMaxAgeSeconds: 86_400 };

const config = Buffer.concat([
  u32(0x3143544f), u16(1), u16(0), u32(geometry.ledgerBytes), u32(geometry.sectorBytes),
    u32(geometry.pageBytes),
  u32(geometry.denyBytes), u32(geometry.denyMaxAgeSeconds), u32(0), readerId, deviceSeed,
    pub(deviceSeed),
  pub(operatorSeed), pub(clearingSeed),
]);

const payments = [
  { walletId: "00112233445566778899aabbccddeeff", counter: 1, amount: 250n, time: 1_790_000_000,
    body: Buffer.alloc(0) },
  { walletId: "a0a1a2a3a4a5a6a7a8a9aaabacadaeaf", counter: 4_000_000_000,
    amount: 18_446_744_073_709_551_615n, time: 1_790_000_123,
    body: Buffer.from(Array.from({ length: 140 }, (_, i) => (i * 7) & 0xff)) },
  { walletId: "00112233445566778899aabbccddeeff", counter: 2, amount: 1n, time: 4_294_967_295,
    body: Buffer.alloc(320, 0xa5) },
];

let link = Buffer.alloc(32);
const headBefore = link;
const records = payments.map((p, i) => {
  const seq = i + 1;
  const fixed = Buffer.concat([u32(seq), Buffer.from(p.walletId, "hex"), u32(p.counter),
    u64(p.amount), u32(p.time), u16(p.body.length), u16(1)]);
  link = createHash("sha512").update(link).update(fixed).update(p.body).digest().subarray(0, 32);
  const content = Buffer.concat([fixed, link, p.body]);
  const slot = Buffer.alloc(512, 0xff);
  content.copy(slot, 0);
  crc(content).copy(slot, content.length);
  const slotV1 = Buffer.from(slot);
  Buffer.alloc(8).copy(slot, 504); // v2: 8-byte commit word at 504 (void 488, signal 496 erased)
  u32(0).copy(slotV1, 508); // v1: 4-byte commit marker at 508
  return {
    seq, walletId: p.walletId, counter: p.counter, amount: p.amount.toString(), time: p.time,
    bodyHex: p.body.toString("hex"), contentHex: content.toString("hex"),
    slotHex: slot.toString("hex"), slotV1Hex: slotV1.toString("hex"), linkHex: link.toString("hex"),
  };
});

// The first sector opened on blank flash: sector 0, erase count 1, generation 1, first sequence 1.
// Version 2 writes the same 64-byte header twice (copies A and B); version 1 wrote one.
const headerOf = (version: number): Buffer => {
  const noCrc = Buffer.concat([u32(0x534c544f), u16(version), u16(512), u32(1), u32(1), u32(0),
    u32(1), headBefore]);
  return Buffer.concat([noCrc, crc(noCrc), Buffer.alloc(4, 0xff)]);
};
const sectorHeader = Buffer.concat([headerOf(2), headerOf(2)]);
const sectorHeaderV1 = headerOf(1);

const batchSigned = Buffer.concat([
  u32(0x3142544f), u16(1), u16(records.length), readerId, u32(1), u32(records.length), headBefore,
    link,
  ...records.map((r) => Buffer.from(r.contentHex, "hex")),
]);
const batch = Buffer.concat([batchSigned, ed(deviceSeed, batchSigned)]);

const ackBody = Buffer.concat([u32(0x314b544f), u16(1), u16(0), readerId, u32(2),
  Buffer.from(records[1]!.linkHex, "hex")]);
const ack = Buffer.concat([ackBody, ed(clearingSeed, ackBody)]);
const markNoCrc = Buffer.concat([u32(0x4b41544f), u32(2), u32(0)]);
const ackMarkOne = Buffer.concat([markNoCrc, crc(markNoCrc)]);
const ackMark = Buffer.concat([ackMarkOne, ackMarkOne]); // v2: a pair of identical copies at 128

// A version-2 batch with a gap entry (docs/LEDGER.md §5.1): record 1, record 2 unreadable,
// record 3. The chain restarts at record 3, whose stored link is taken as given.
const gapEntry = Buffer.concat([u32(2), Buffer.alloc(32), u16(0), u16(2), u32(1),
  Buffer.alloc(28)]);
const gapSigned = Buffer.concat([
  u32(0x3242544f), u16(2), u16(3), readerId, u32(1), u32(3), headBefore, link,
  Buffer.from(records[0]!.contentHex, "hex"), gapEntry, Buffer.from(records[2]!.contentHex, "hex"),
]);
const gapBatch = Buffer.concat([gapSigned, ed(deviceSeed, gapSigned)]);

const denied = ["0000000000000000000000000000aa01", "00112233445566778899aabbccddeeff",
  "ffeeddccbbaa99887766554433221100"];
const revoked = ["0102030405060708", "f0f1f2f3f4f5f6f7"];
const denyBody = Buffer.concat([u32(0x4c44544f), u16(1), u16(0), u32(7), u32(1_790_000_000),
  u32(denied.length), u32(revoked.length),
  ...denied.map((h) => Buffer.from(h, "hex")), ...revoked.map((h) => Buffer.from(h, "hex"))]);
const denyList = Buffer.concat([denyBody, ed(operatorSeed, denyBody)]);

const out = {
  about: "offtap ledger format v2 vectors, with the v1 slot and header a v2 reader still reads "
    + "(docs/LEDGER.md), generated by generate.ts from the spec with node:crypto and node:zlib",
  crc32Check: { ascii: "123456789", crcHex: "cbf43926" },
  configHex: config.toString("hex"),
  geometry,
  seeds: { device: deviceSeed.toString("hex"), operator: operatorSeed.toString("hex"),
    clearing: clearingSeed.toString("hex") },
  publicKeys: { device: pub(deviceSeed).toString("hex"),
    operator: pub(operatorSeed).toString("hex"), clearing: pub(clearingSeed).toString("hex") },
  readerIdHex: readerId.toString("hex"),
  records,
  sectorHeaderHex: sectorHeader.toString("hex"),
  sectorHeaderV1Hex: sectorHeaderV1.toString("hex"),
  batchHex: batch.toString("hex"),
  ackHex: ack.toString("hex"),
  ackMarkHex: ackMark.toString("hex"),
  gapEntryHex: gapEntry.toString("hex"),
  gapBatchHex: gapBatch.toString("hex"),
  denyList: { version: 7, issuedAt: 1_790_000_000, denied, revoked,
    imageHex: denyList.toString("hex") },
};
const here = path.dirname(fileURLToPath(import.meta.url));
writeFileSync(path.join(here, "ledger.json"), JSON.stringify(out, null, 1) + "\n");
