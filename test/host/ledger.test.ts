// The ledger through the real firmware (build/offtap.wasm) on the simulated flash:
// round trips, torn writes, bit rot, capacity, acknowledgements, wear, batches and the
// deny list. Expectations come from the host codec (written from docs/LEDGER.md), from
// node:crypto / node:zlib, or from plain bookkeeping in the test.
import { test } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { PowerCut } from "../../host/sim/flash.ts";
import {
  encodeRecordContent, encodeRecordSlot, encodeDenyListBody, equalBytes, hex, COMMIT_AT, VOID_AT,
  type Payment,
} from "../../host/ledger/format.ts";
import { decodeBatch, verifyBatch, verifyBatchFile } from "../../host/ledger/batch.ts";
import { decodeImage } from "../../host/ledger/image.ts";
import { signEd25519, keyPairFromSeed } from "../../host/ledger/keys.ts";
import { SyntheticTaps, configFor, identityFromSeed } from "../../host/ledger/workload.ts";
import { exportAll, makeAck } from "../../host/ledger/simulate.ts";
import { rig, SMALL, type Rig } from "./ledger-support.ts";

const ERR_NOT_CONFIGURED = -10;
const ERR_BAD_CONFIG = -11;
const ERR_LEDGER_FULL = -12;
const ERR_BAD_ARGUMENT = -13;
const ERR_NOT_FOUND = -15;
const ERR_CORRUPT = -16;
const ERR_BAD_SIGNATURE = -17;
const ERR_BAD_ACK = -18;
const ERR_STALE_VERSION = -19;
const ERR_BAD_FORMAT = -20;
const RECORDS_PER_SECTOR = 7; // 4 KiB sector = 8 slots of 512 B, slot 0 is the header

/** Appends taps [from, to) and returns the host codec's expected content per sequence. */
function appendAll(r: Rig, taps: SyntheticTaps, from: number, to: number,
  expected = new Map<number, Uint8Array>()): Map<number, Uint8Array> {
  for (let i = from; i < to; i++) {
    const prev = r.dev.chainHead();
    const p = taps.payment(i);
    const seq = r.dev.append(p);
    assert.ok(seq > 0, `append ${i} returned ${seq}`);
    expected.set(seq, encodeRecordContent(seq, p, prev));
  }
  return expected;
}

function settle(r: Rig): number {
  const sim = { flash: r.flash, device: r.dev, id: r.id, geometry: r.geometry };
  const { file, lastSeq, head } = exportAll(sim);
  if (lastSeq === 0) return 0;
  assert.deepEqual(verifyBatchFile(file, r.id.device.publicKey).problems, []);
  assert.equal(r.dev.acknowledge(makeAck(r.id, lastSeq, head)), 0);
  return lastSeq;
}

test("round trip: records survive a reboot byte for byte; wallet index, chain head rebuilt", () => {
  const r = rig();
  const taps = new SyntheticTaps(11);
  const expected = appendAll(r, taps, 0, 20);
  const headBefore = r.dev.chainHead();
  r.reboot();
  assert.equal(r.dev.nextSeq, 21);
  assert.equal(hex(r.dev.chainHead()), hex(headBefore));
  for (const [seq, content] of expected) {
    const got = r.dev.readRecord(seq);
    assert.ok(typeof got !== "number", `record ${seq}: status ${String(got)}`);
    assert.equal(hex(got.content), hex(content));
  }
  assert.equal(r.dev.readRecord(21), ERR_NOT_FOUND);
  const last = new Map<string, { counter: number; seq: number }>();
  for (let i = 0; i < 20; i++) {
    last.set(hex(taps.payment(i).walletId), { counter: taps.payment(i).counter, seq: i + 1 });
  }
  for (const [w, want] of last) assert.deepEqual(r.dev.findWallet(Buffer.from(w, "hex")), want);
  assert.equal(r.dev.findWallet(new Uint8Array(16).fill(0x42)), undefined);
  assert.equal(r.dev.append(taps.payment(20)), 21);
});

test("bad configuration and calls before configuration are refused with status codes", () => {
  const r = rig();
  const bad = Uint8Array.from(r.config);
  new DataView(bad.buffer).setUint32(8, 3 * 4096 + 1, true); // not whole sectors
  assert.equal(r.dev.x.ledgerConfigure(r.dev.x.ioBufferPtr(), 10), ERR_BAD_ARGUMENT);
  assert.equal(r.dev.boot(bad), ERR_BAD_CONFIG);
  assert.equal(r.dev.append(new SyntheticTaps(1).payment(0)), ERR_NOT_CONFIGURED);
  const big = new SyntheticTaps(1).payment(0);
  r.reboot();
  assert.equal(r.dev.append({ ...big, body: new Uint8Array(321) }), ERR_BAD_ARGUMENT);
});

test("a torn record write at every byte is never returned and the ledger carries on", () => {
  const base = rig();
  const taps = new SyntheticTaps(5);
  appendAll(base, taps, 0, 1);
  const snapshot = base.flash.partition(0).bytes.slice();
  const p = taps.payment(1);
  const content = encodeRecordContent(2, p, base.dev.chainHead());
  const slot = encodeRecordSlot(content);
  const slotAt = 2 * 512; // record 1 sits in slot 1 of sector 0
  for (let k = 0; k <= content.length + 4; k++) {
    const r = rig(SMALL, 1);
    const img = r.flash.partition(0).bytes;
    img.set(snapshot);
    img.set(slot.subarray(0, k), slotAt); // content cut after k bytes, no commit word
    r.reboot();
    assert.equal(r.dev.nextSeq, 2, `prefix ${k}`);
    assert.equal(r.dev.readRecord(2), ERR_NOT_FOUND);
    if (k > 0 && !slot.subarray(0, k).every((x) => x === 0xff)) {
      assert.deepEqual([...img.subarray(slotAt + VOID_AT, slotAt + VOID_AT + 8)], Array(8).fill(0),
        `prefix ${k}: recovery voids the torn slot`);
    }
    assert.equal(r.dev.append(p), 2);
    r.reboot();
    const got = r.dev.readRecord(2);
    const same = typeof got !== "number" && equalBytes(got.content, content);
    assert.ok(same, `re-append after prefix ${k}`);
  }
});

test("a torn commit word is judged once (set with 2+ zero bits, else void), written back", () => {
  const base = rig();
  const taps = new SyntheticTaps(5);
  appendAll(base, taps, 0, 1);
  const p = taps.payment(1);
  const content = encodeRecordContent(2, p, base.dev.chainHead());
  const slot = encodeRecordSlot(content);
  const slotAt = 2 * 512;
  const snapshot = base.flash.partition(0).bytes.slice();
  for (let zeros = 0; zeros <= 64; zeros += zeros < 4 ? 1 : 15) {
    const r = rig(SMALL, 1);
    const img = r.flash.partition(0).bytes;
    img.set(snapshot);
    img.set(slot.subarray(0, COMMIT_AT), slotAt);
    for (let b = 0; b < zeros; b++) {
      img[slotAt + COMMIT_AT + (b * 5 % 64 >> 3)]! &= ~(1 << (b * 5 % 8));
    }
    r.reboot();
    const word = (at: number): number[] => [...img.subarray(slotAt + at, slotAt + at + 8)];
    if (zeros >= 2) {
      assert.equal(r.dev.nextSeq, 3, `${zeros} zero bits: committed`);
      assert.deepEqual(word(COMMIT_AT), Array(8).fill(0), `${zeros}: commit made solid`);
      assert.deepEqual(word(VOID_AT), Array(8).fill(0xff));
    } else {
      assert.equal(r.dev.nextSeq, 2, `${zeros} zero bits: torn`);
      assert.deepEqual(word(VOID_AT), Array(8).fill(0), `${zeros}: slot voided`);
    }
    for (let boot = 0; boot < 2; boot++) {
      r.reboot();
      const want = zeros >= 2 ? 3 : 2;
      assert.equal(r.dev.nextSeq, want, `${zeros}: the same judgement after a reboot`);
    }
  }
});

test("a sector whose header is lost (both copies): its records travel as gap entries", () => {
  // More faults than the ledger survives (both header copies rot): the sector's records
  // are lost, but export and acknowledgement go on past them (§5.1), so the reader is not
  // stranded with everything after them.
  const r = rig();
  const taps = new SyntheticTaps(20);
  appendAll(r, taps, 0, 2 * RECORDS_PER_SECTOR + 2);
  const img = r.flash.partition(0).bytes;
  const view = new DataView(img.buffer, img.byteOffset, img.byteLength);
  const first = RECORDS_PER_SECTOR + 1;
  let sector = -1;
  for (let s = 0; s * 4096 < img.length; s++) {
    const opens = view.getUint32(s * 4096 + 12, true) === first;
    if (view.getUint32(s * 4096, true) === 0x534c544f && opens) sector = s;
  }
  assert.ok(sector >= 0, `a sector opens at sequence ${first}`);
  img[sector * 4096 + 12]! ^= 0x02; // copy A's first sequence: its CRC fails
  img[sector * 4096 + 64 + 12]! ^= 0x02; // copy B's
  r.reboot();
  const last = 2 * RECORDS_PER_SECTOR + 2;
  assert.equal(r.dev.nextSeq, last + 1);
  for (let seq = first; seq < first + RECORDS_PER_SECTOR; seq++) {
    assert.equal(r.dev.readRecord(seq), ERR_NOT_FOUND, `record ${seq}`);
  }
  const batches: ReturnType<typeof decodeBatch>[] = [];
  for (let from = 0; ;) {
    const b = r.dev.exportBatch(from, 0);
    assert.ok(b instanceof Uint8Array, `export from ${from}: status ${String(b)}`);
    if (b.length === 0) break;
    const d = decodeBatch(b);
    assert.deepEqual(verifyBatch(d, r.id.device.publicKey).problems, []);
    batches.push(d);
    from = d.lastSeq + 1;
  }
  const entries = batches.flatMap((b) => b.records);
  assert.deepEqual(entries.map((x) => x.seq), Array.from({ length: last }, (_, i) => i + 1));
  assert.deepEqual(batches.flatMap((b) => b.gaps),
    Array.from({ length: RECORDS_PER_SECTOR }, (_, i) => first + i));
  // Clearing acknowledges past the lost records, with the last record's link.
  const tail = r.dev.readRecord(last);
  assert.ok(typeof tail !== "number");
  assert.equal(r.dev.acknowledge(makeAck(r.id, last, tail.link)), 0);
  assert.equal(r.dev.ackedSeq, last);
  // And an acknowledgement that ends on a lost record is taken too.
  const r2 = rig();
  appendAll(r2, new SyntheticTaps(20), 0, last);
  const img2 = r2.flash.partition(0).bytes;
  img2[sector * 4096 + 12]! ^= 0x02;
  img2[sector * 4096 + 64 + 12]! ^= 0x02;
  r2.reboot();
  assert.equal(r2.dev.acknowledge(makeAck(r2.id, first + 2, new Uint8Array(32))), 0);
  assert.equal(r2.dev.ackedSeq, first + 2);
});

test("bit rot in a committed record is a gap: never returned, exported as a signed gap", () => {
  const base = rig();
  const taps = new SyntheticTaps(6);
  appendAll(base, taps, 0, 3);
  const snapshot = base.flash.partition(0).bytes.slice();
  const len = encodeRecordContent(2, taps.payment(1), new Uint8Array(32)).length + 4;
  for (let byte = 0; byte < len; byte += byte < 80 ? 1 : 37) {
    const r = rig(SMALL, 1);
    const img = r.flash.partition(0).bytes;
    img.set(snapshot);
    img[2 * 512 + byte]! ^= 1 << (byte % 8);
    r.reboot();
    assert.equal(r.dev.readRecord(2), ERR_CORRUPT, `flip in byte ${byte}`);
    assert.ok(typeof r.dev.readRecord(1) !== "number");
    assert.ok(typeof r.dev.readRecord(3) !== "number");
    assert.equal(r.dev.nextSeq, 4);
    const b = r.dev.exportBatch(0, 0);
    assert.ok(b instanceof Uint8Array, `flip in byte ${byte}: export goes on`);
    const batch = decodeBatch(b);
    assert.equal(batch.version, 2);
    assert.deepEqual(batch.gaps, [2]);
    assert.deepEqual(batch.records.map((x) => x.seq), [1, 2, 3]);
    assert.deepEqual(verifyBatch(batch, r.id.device.publicKey).problems, []);
  }
  // Clearing acknowledges past the unreadable record. Its link is lost on the reader, so
  // there is nothing to check the head against (§5.2): clearing sends 32 zero bytes for a
  // gap it received, and the link itself when it received the record before it rotted —
  // which the reader refused for ever before, never freeing its ledger again.
  const rec2 = base.dev.readRecord(2);
  assert.ok(typeof rec2 !== "number");
  for (const head of [new Uint8Array(32), rec2.link]) {
    const r = rig(SMALL, 1);
    r.flash.partition(0).bytes.set(snapshot);
    r.flash.partition(0).bytes[2 * 512 + 9]! ^= 4;
    r.reboot();
    assert.equal(r.dev.readRecord(2), ERR_CORRUPT);
    assert.equal(r.dev.acknowledge(makeAck(r.id, 2, head)), 0);
    assert.equal(r.dev.ackedSeq, 2);
    const rest = r.dev.exportBatch(0, 0);
    assert.ok(rest instanceof Uint8Array);
    assert.deepEqual(decodeBatch(rest).records.map((x) => x.seq), [3]);
    assert.deepEqual(verifyBatch(decodeBatch(rest), r.id.device.publicKey).problems, []);
    // A readable record's head is still checked.
    const rec3 = r.dev.readRecord(3);
    assert.ok(typeof rec3 !== "number");
    assert.equal(r.dev.acknowledge(makeAck(r.id, 3, rec2.link)), ERR_BAD_ACK);
    assert.equal(r.dev.acknowledge(makeAck(r.id, 3, rec3.link)), 0);
  }
});

test("transient bit flips on read are re-read, not mistaken for torn data", () => {
  const r = rig(SMALL, 3);
  const taps = new SyntheticTaps(7);
  const expected = appendAll(r, taps, 0, 20);
  for (let boot = 0; boot < 10; boot++) {
    r.reboot();
    r.flash.setFaults({ readFlipRate: 0.05 }, 100 + boot);
    // recovery ran without faults above; now run it again with them
    assert.equal(r.dev.boot(r.config), 0);
    assert.equal(r.dev.nextSeq, 21, `boot ${boot}`);
    for (const [seq, content] of expected) {
      const got = r.dev.readRecord(seq);
      const same = typeof got !== "number" && equalBytes(got.content, content);
      assert.ok(same, `record ${seq} at boot ${boot}`);
    }
  }
  assert.ok(r.flash.stats.readFlips > 0, "the fault plan flipped bits");
});

test("a full ledger declines with ERR_LEDGER_FULL, never overwrites; an ack frees sectors", () => {
  const r = rig();
  const taps = new SyntheticTaps(8);
  const capacity = 4 * RECORDS_PER_SECTOR;
  appendAll(r, taps, 0, capacity);
  const before = r.flash.partition(0).bytes.slice();
  assert.equal(r.dev.append(taps.payment(capacity)), ERR_LEDGER_FULL);
  assert.ok(equalBytes(before, r.flash.partition(0).bytes), "a declined append changed flash");
  r.reboot();
  assert.equal(r.dev.append(taps.payment(capacity)), ERR_LEDGER_FULL);
  // Acknowledge 1…10: sector 0 (1…7) is settled, sector 1 (8…14) is not.
  const first = r.dev.exportBatch(0, 10);
  assert.ok(first instanceof Uint8Array);
  const b = decodeBatch(first);
  assert.equal(r.dev.acknowledge(makeAck(r.id, b.lastSeq, b.headAfter)), 0);
  assert.equal(r.dev.x.ledgerReusableSectors(), 1);
  for (let i = 0; i < RECORDS_PER_SECTOR; i++) {
    assert.equal(r.dev.append(taps.payment(capacity + i)), capacity + 1 + i);
  }
  assert.equal(r.dev.append(taps.payment(capacity + RECORDS_PER_SECTOR)), ERR_LEDGER_FULL);
  for (let seq = 11; seq <= capacity + RECORDS_PER_SECTOR; seq++) {
    assert.ok(typeof r.dev.readRecord(seq) !== "number", `record ${seq}`);
  }
});

test("acks: bad signature, other reader, wrong head or sequence refused; no reappearing", () => {
  const r = rig();
  const taps = new SyntheticTaps(9);
  appendAll(r, taps, 0, 12);
  const b = r.dev.exportBatch(0, 5);
  assert.ok(b instanceof Uint8Array);
  const batch = decodeBatch(b);
  const good = makeAck(r.id, batch.lastSeq, batch.headAfter);
  const badSig = Uint8Array.from(good); badSig[100]! ^= 1;
  assert.equal(r.dev.acknowledge(badSig), ERR_BAD_SIGNATURE);
  const other = identityFromSeed(99);
  const otherReader = { ...r.id, readerId: other.readerId };
  const misdirected = makeAck(otherReader, batch.lastSeq, batch.headAfter);
  assert.equal(r.dev.acknowledge(misdirected), ERR_BAD_ACK);
  const otherKey = { ...r.id, clearing: other.clearing };
  const forged = makeAck(otherKey, batch.lastSeq, batch.headAfter);
  assert.equal(r.dev.acknowledge(forged), ERR_BAD_SIGNATURE);
  assert.equal(r.dev.acknowledge(makeAck(r.id, batch.lastSeq, new Uint8Array(32))), ERR_BAD_ACK);
  assert.equal(r.dev.acknowledge(makeAck(r.id, 13, r.dev.chainHead())), ERR_BAD_ACK);
  assert.equal(r.dev.acknowledge(good.subarray(0, 123)), ERR_BAD_FORMAT);
  assert.equal(r.dev.ackedSeq, 0);
  assert.equal(r.dev.acknowledge(good), 0);
  assert.equal(r.dev.ackedSeq, 5);
  const flashAfter = r.flash.partition(0).bytes.slice();
  assert.equal(r.dev.acknowledge(good), 0, "a repeated acknowledgement is accepted");
  assert.ok(equalBytes(flashAfter, r.flash.partition(0).bytes), "and writes nothing");
  for (const dev of [r.dev, r.reboot()]) {
    assert.equal(dev.ackedSeq, 5);
    const next = dev.exportBatch(0, 0);
    assert.ok(next instanceof Uint8Array);
    const nb = decodeBatch(next);
    assert.equal(nb.firstSeq, 6);
    assert.deepEqual(verifyBatch(nb, r.id.device.publicKey, batch.headAfter).problems, []);
    assert.equal(dev.exportBatch(3, 0), ERR_BAD_ARGUMENT);
  }
});

test("batches: signature and chain verify on the host; any tampering is caught", () => {
  const r = rig();
  appendAll(r, new SyntheticTaps(10), 0, 25);
  const { file } = exportAll({ flash: r.flash, device: r.dev, id: r.id, geometry: r.geometry });
  const ok = verifyBatchFile(file, r.id.device.publicKey);
  assert.deepEqual(ok.problems, []);
  assert.equal(ok.records, 25);
  assert.equal(ok.lastSeq, 25);
  for (const at of [10, 96 + 5, 96 + 50, file.length - 70]) {
    const t = Uint8Array.from(file); t[at]! ^= 0x01;
    let failed: boolean;
    try {
      const c = verifyBatchFile(t, r.id.device.publicKey);
      failed = !(c.signatureOk && c.chainOk && c.sequenceOk);
    } catch {
      failed = true;
    }
    assert.ok(failed, `tampered byte ${at} went unnoticed`);
  }
  const stranger = keyPairFromSeed(new Uint8Array(32)).publicKey;
  assert.equal(verifyBatchFile(file, stranger).signatureOk, false);
});

test("wear spreads over all sectors and erase counts are kept in the headers", () => {
  const g = { ledgerBytes: 8 * 4096, sectorBytes: 4096, pageBytes: 256, denyBytes: 0 };
  const r = rig(g, 4);
  const taps = new SyntheticTaps(12);
  for (let i = 0; i < 1200; i += 20) {
    appendAll(r, taps, i, i + 20);
    settle(r);
  }
  const counts = [...r.flash.partition(0).eraseCounts];
  assert.ok(Math.min(...counts) > 0, `every sector used: ${counts.join(",")}`);
  assert.ok(Math.max(...counts) - Math.min(...counts) <= 1, `erase counts ${counts.join(",")}`);
  const img = decodeImage(r.flash.partition(0).bytes, 4096);
  for (const s of img.sectors) {
    if (s.valid) assert.equal(s.eraseCount, counts[s.index], `sector ${s.index} header`);
  }
  assert.ok(img.chainOk && img.gapFree);
});

// ---- deny list ------------------------------------------------------------------

function signedList(r: Rig, version: number, issuedAt: number, ids: Uint8Array[],
  keys: Uint8Array[], seed = r.id.operator.seed): Uint8Array {
  const body = encodeDenyListBody({ version, issuedAt, walletIds: ids, revokedKeyIds: keys });
  return new Uint8Array([...body, ...signEd25519(seed, body)]);
}

test("deny list: install, on-flash binary search, version and signature rules, staleness", () => {
  const r = rig();
  const T = 1_790_000_000;
  assert.equal(r.dev.denyVersion, 0);
  assert.equal(r.dev.denyIsStale(T), true, "no list is stale");
  const ids = Array.from({ length: 500 }, () => new Uint8Array(randomBytes(16)));
  const keys = Array.from({ length: 3 }, () => new Uint8Array(randomBytes(8)));
  assert.equal(r.dev.installDenyList(signedList(r, 1, T, ids, keys)), 0);
  const members = new Set(ids.map(hex));
  for (const id of ids) assert.equal(r.dev.denyContains(id), 1);
  for (let i = 0; i < 200; i++) {
    const probe = new Uint8Array(randomBytes(16));
    assert.equal(r.dev.denyContains(probe), members.has(hex(probe)) ? 1 : 0);
  }
  for (const k of keys) assert.equal(r.dev.denyKeyRevoked(k), 1);
  assert.equal(r.dev.denyKeyRevoked(new Uint8Array(8)), 0);
  assert.equal(r.dev.installDenyList(signedList(r, 1, T + 5, [], [])), ERR_STALE_VERSION);
  assert.equal(r.dev.installDenyList(signedList(r, 0, T + 5, [], [])), ERR_STALE_VERSION);
  const wrongKey = keyPairFromSeed(new Uint8Array(32).fill(3)).seed;
  assert.equal(r.dev.installDenyList(signedList(r, 2, T + 5, [], [], wrongKey)), ERR_BAD_SIGNATURE);
  const unsorted = encodeDenyListBody({
    version: 2, issuedAt: T, walletIds: [], revokedKeyIds: [],
  });
  const twoIds = new Uint8Array(unsorted.length + 32);
  twoIds.set(unsorted);
  new DataView(twoIds.buffer).setUint32(16, 2, true);
  twoIds.set(new Uint8Array(16).fill(9), 24);
  twoIds.set(new Uint8Array(16).fill(1), 40);
  const badOrder = new Uint8Array([...twoIds, ...signEd25519(r.id.operator.seed, twoIds)]);
  assert.equal(r.dev.installDenyList(badOrder), ERR_BAD_FORMAT);
  assert.equal(r.dev.denyVersion, 1, "refused updates leave the installed list");
  assert.equal(r.dev.denyContains(ids[0]!), 1);
  assert.equal(r.dev.denyIsStale(T + 86_400), false);
  assert.equal(r.dev.denyIsStale(T + 86_401), true);
  assert.equal(r.dev.installDenyList(signedList(r, 2, T + 10, ids.slice(0, 10), [])), 0);
  r.reboot();
  assert.equal(r.dev.denyVersion, 2);
  assert.equal(r.dev.denyContains(ids[5]!), 1);
  assert.equal(r.dev.denyContains(ids[50]!), 0);
  assert.equal(r.dev.denyKeyRevoked(keys[0]!), 0);
});

test("deny list format 2: vouched certificates beside ids and keys; refusals; back to 1", () => {
  const r = rig();
  const T = 1_790_000_000;
  const ids = Array.from({ length: 100 }, () => new Uint8Array(randomBytes(16)));
  const keys = Array.from({ length: 2 }, () => new Uint8Array(randomBytes(8)));
  const certs = Array.from({ length: 300 }, () => new Uint8Array(randomBytes(16)));
  const sign = (body: Uint8Array): Uint8Array =>
    new Uint8Array([...body, ...signEd25519(r.id.operator.seed, body)]);
  const v2 = (version: number, c: Uint8Array[]): Uint8Array => encodeDenyListBody({
    version, issuedAt: T, walletIds: ids, revokedKeyIds: keys, certHashes: c,
  });
  const body = v2(1, certs);
  assert.equal(body[4], 2, "format 2 when any certificate is vouched for");
  assert.equal(body.length, 28 + 16 * 100 + 8 * 2 + 16 * 300);
  // Refused: an unknown format, a count that does not fill the image, certs out of order.
  const format3 = Uint8Array.from(body);
  format3[4] = 3;
  assert.equal(r.dev.installDenyList(sign(format3)), ERR_BAD_FORMAT);
  const shortCount = Uint8Array.from(body);
  new DataView(shortCount.buffer).setUint32(24, 299, true);
  assert.equal(r.dev.installDenyList(sign(shortCount)), ERR_BAD_FORMAT);
  const swapped = Uint8Array.from(body);
  const at = 28 + 16 * 100 + 8 * 2;
  swapped.set(body.subarray(at + 16, at + 32), at);
  swapped.set(body.subarray(at, at + 16), at + 16);
  assert.equal(r.dev.installDenyList(sign(swapped)), ERR_BAD_FORMAT);
  assert.equal(r.dev.denyVersion, 0, "nothing installed by the refusals");
  assert.equal(r.dev.installDenyList(sign(body)), 0);
  const vouched = new Set(certs.map(hex));
  const check = (): void => {
    for (const c of certs) assert.equal(r.dev.denyCertVouched(c), 1);
    for (let i = 0; i < 200; i++) {
      const probe = new Uint8Array(randomBytes(16));
      assert.equal(r.dev.denyCertVouched(probe), vouched.has(hex(probe)) ? 1 : 0);
    }
    for (const id of ids) assert.equal(r.dev.denyContains(id), 1, "ids after a 28-byte header");
    for (const k of keys) assert.equal(r.dev.denyKeyRevoked(k), 1);
    assert.equal(r.dev.denyCertVouched(ids[0]!), 0, "a wallet id is not a vouched hash");
    assert.equal(r.dev.denyContains(certs[0]!), 0, "a vouched hash is not a denied wallet");
  };
  check();
  r.reboot();
  assert.equal(r.dev.denyVersion, 1);
  check();
  // A format-1 list replaces it: nothing is vouched for, ids are read after 24 bytes again.
  assert.equal(r.dev.installDenyList(signedList(r, 2, T, ids.slice(0, 3), [])), 0);
  r.reboot();
  for (const c of certs.slice(0, 20)) assert.equal(r.dev.denyCertVouched(c), 0);
  assert.equal(r.dev.denyContains(ids[2]!), 1);
  assert.equal(r.dev.denyContains(ids[3]!), 0);
});

test("deny list: a power cut at any point of an update leaves the old or the new list", () => {
  const T = 1_790_000_000;
  const oldIds = [new Uint8Array(16).fill(1), new Uint8Array(16).fill(2)];
  const newIds = [new Uint8Array(16).fill(3)];
  const probe = rig();
  probe.dev.installDenyList(signedList(probe, 1, T, oldIds, []));
  const opsBefore = probe.flash.ops;
  assert.equal(probe.dev.installDenyList(signedList(probe, 2, T, newIds, [])), 0);
  const updateOps = probe.flash.ops - opsBefore;
  let sawOld = 0;
  let sawNew = 0;
  for (let cut = 1; cut <= updateOps; cut++) {
    const r = rig();
    assert.equal(r.dev.installDenyList(signedList(r, 1, T, oldIds, [])), 0);
    r.flash.setFaults({ cutAtOp: r.flash.ops + cut }, cut);
    assert.throws(() => r.dev.installDenyList(signedList(r, 2, T, newIds, [])), PowerCut);
    r.reboot();
    const v = r.dev.denyVersion;
    assert.ok(v === 1 || v === 2, `cut ${cut}: version ${v}`);
    if (v === 1) sawOld++;
    else sawNew++;
    const [have, gone] = v === 1 ? [oldIds[1]!, newIds[0]!] : [newIds[0]!, oldIds[1]!];
    assert.equal(r.dev.denyContains(have), 1);
    assert.equal(r.dev.denyContains(gone), 0);
    const again = r.dev.installDenyList(signedList(r, 2, T, newIds, []));
    assert.equal(again, v === 2 ? ERR_STALE_VERSION : 0);
    assert.equal(r.dev.denyVersion, 2);
  }
  assert.ok(sawOld > 0, "cuts before the commit keep the old list");
  assert.equal(configFor(probe.id, SMALL).length, 176);
  assert.ok(sawNew >= 0);
});

test("ack marks: when the newest sector's 12 pairs are used, a new sector carries the ack", () => {
  const g = { ledgerBytes: 8 * 4096, sectorBytes: 4096, pageBytes: 256, denyBytes: 0 };
  const r = rig(g, 5);
  const taps = new SyntheticTaps(13);
  const expected = appendAll(r, taps, 0, 8 * RECORDS_PER_SECTOR);
  const linkOf = (seq: number): Uint8Array => expected.get(seq)!.subarray(40, 72);
  for (let seq = 1; seq <= 13; seq++) {
    assert.equal(r.dev.acknowledge(makeAck(r.id, seq, linkOf(seq))), 0, `ack ${seq}`);
  }
  const img = decodeImage(r.flash.partition(0).bytes, 4096);
  const byAge = img.sectors.filter((s) => s.valid).sort((a, b) => b.generation! - a.generation!);
  const newest = byAge[0]!;
  assert.equal(newest.ackedSeq, 13, "the new sector's header holds the acknowledgement");
  assert.equal(newest.firstSeq, 57);
  assert.equal(newest.index, 0, "the erased sector was settled by the durable ack (12)");
  r.reboot();
  assert.equal(r.dev.ackedSeq, 13);
  assert.equal(r.dev.append(taps.payment(100)), 57);
  const b = r.dev.exportBatch(0, 0);
  assert.ok(b instanceof Uint8Array);
  assert.equal(decodeBatch(b).firstSeq, 14);
});

test("torn slots are skipped; a sector with no usable slot is followed by one (same first)", () => {
  const r = rig();
  const taps = new SyntheticTaps(14);
  const expected = appendAll(r, taps, 0, 2); // sector 0: slots 1, 2
  const img = r.flash.partition(0).bytes;
  // Torn writes from earlier boots:
  for (let slot = 3; slot < 8; slot++) img[slot * 512 + 100] = 0x7f;
  r.reboot();
  assert.equal(r.dev.nextSeq, 3);
  appendAll(r, taps, 2, 4, expected); // must land in a new sector: sector 0 has no blank slot
  const rep = decodeImage(img, 4096);
  const valid = rep.sectors.filter((s) => s.valid).sort((a, b) => a.generation! - b.generation!);
  assert.equal(valid.length, 2);
  assert.equal(valid[1]!.firstSeq, 3);
  assert.equal(valid[0]!.voidSlots, 5, "recovery voided the torn slots");
  for (let k = 0; k < 2; k++) {
    r.reboot();
    assert.equal(r.dev.nextSeq, 5);
    for (const [seq, content] of expected) {
      const got = r.dev.readRecord(seq);
      assert.ok(typeof got !== "number" && equalBytes(got.content, content), `record ${seq}`);
    }
  }
  // Now every slot of the newest sector after its records is torn too, and it has none
  // of its own beyond them: the next sector starts at the same first sequence 5.
  const newest = valid[1]!.index;
  for (let slot = 3; slot < 8; slot++) img[newest * 4096 + slot * 512 + 7] = 0x00;
  r.reboot();
  appendAll(r, taps, 4, 5, expected);
  r.reboot();
  assert.equal(r.dev.nextSeq, 6);
  const again = r.dev.readRecord(5);
  assert.ok(typeof again !== "number" && equalBytes(again.content, expected.get(5)!));
  assert.ok(decodeImage(img, 4096).chainOk);
});

test("a newest sector with only torn slots is superseded by a later one (same first)", () => {
  const r = rig();
  const taps = new SyntheticTaps(15);
  const expected = appendAll(r, taps, 0, RECORDS_PER_SECTOR); // sector 0 full
  // The next append opens a sector (erase, header) and is cut while writing its record.
  r.flash.setFaults({ cutAtOp: r.flash.ops + 3 }, 15);
  assert.throws(() => r.dev.append(taps.payment(RECORDS_PER_SECTOR)), PowerCut);
  const img = r.flash.partition(0).bytes;
  const opened = decodeImage(img, 4096).sectors.find((s) => s.valid && s.firstSeq === 8)!;
  assert.ok(opened, "the cut append had opened a sector");
  // No usable slot left:
  for (let slot = 1; slot < 8; slot++) img[opened.index * 4096 + slot * 512 + 3]! &= 0xfe;
  r.reboot();
  assert.equal(r.dev.nextSeq, 8);
  appendAll(r, taps, RECORDS_PER_SECTOR, RECORDS_PER_SECTOR + 2, expected);
  const rep = decodeImage(img, 4096);
  assert.equal(rep.sectors.filter((s) => s.valid && s.firstSeq === 8).length, 2);
  r.reboot();
  assert.equal(r.dev.nextSeq, 10);
  for (const [seq, content] of expected) {
    const got = r.dev.readRecord(seq);
    assert.ok(typeof got !== "number" && equalBytes(got.content, content), `record ${seq}`);
  }
  const b = r.dev.exportBatch(0, 0);
  assert.ok(b instanceof Uint8Array);
  assert.deepEqual(verifyBatch(decodeBatch(b), r.id.device.publicKey).problems, []);
});
