// Format 2's promises (docs/LEDGER.md §2), one at a time, through the real firmware: no
// single flipped bit in a header copy, an acknowledgement mark or the deny list's slots
// loses a record, reuses a number, or moves the acknowledgement or the deny list back;
// a worn sector is skipped. The power-cut campaigns (ledger-faults.test.ts) mix these.
import { test } from "node:test";
import assert from "node:assert/strict";
import { encodeDenyListBody } from "../../host/ledger/format.ts";
import { decodeImage } from "../../host/ledger/image.ts";
import { signEd25519 } from "../../host/ledger/keys.ts";
import { SyntheticTaps } from "../../host/ledger/workload.ts";
import { exportAll, makeAck } from "../../host/ledger/simulate.ts";
import { rig, type Rig } from "./ledger-support.ts";

const SECTOR = 4096;

/** 17 records over three sectors, acknowledged up to 9 with two marks. */
function used(): { r: Rig; contents: Map<number, string> } {
  const r = rig();
  const taps = new SyntheticTaps(21);
  const contents = new Map<number, string>();
  for (let i = 0; i < 17; i++) {
    const seq = r.dev.append(taps.payment(i));
    assert.equal(seq, i + 1);
  }
  for (const upTo of [5, 9]) {
    const rec = r.dev.readRecord(upTo);
    assert.ok(typeof rec !== "number");
    assert.equal(r.dev.acknowledge(makeAck(r.id, upTo, rec.link)), 0);
  }
  for (let seq = 10; seq <= 17; seq++) {
    const rec = r.dev.readRecord(seq);
    assert.ok(typeof rec !== "number");
    contents.set(seq, Buffer.from(rec.content).toString("hex"));
  }
  return { r, contents };
}

function assertIntact(r: Rig, contents: Map<number, string>, what: string): void {
  assert.equal(r.dev.nextSeq, 18, `${what}: next sequence`);
  assert.equal(r.dev.ackedSeq, 9, `${what}: acknowledged sequence`);
  for (const [seq, hex] of contents) {
    const rec = r.dev.readRecord(seq);
    assert.ok(typeof rec !== "number", `${what}: record ${seq} → ${String(rec)}`);
    assert.equal(Buffer.from(rec.content).toString("hex"), hex, `${what}: record ${seq}`);
  }
}

test("one flipped bit in any byte of either header copy of any sector loses nothing", () => {
  const { r, contents } = used();
  const clean = r.flash.partition(0).bytes.slice();
  const img = r.flash.partition(0).bytes;
  for (let s = 0; s < 3; s++) {
    for (const copy of [0, 64]) {
      for (let byte = 0; byte < 60; byte += 3) {
        img.set(clean);
        img[s * SECTOR + copy + byte]! ^= 1 << (byte % 8);
        r.reboot();
        assertIntact(r, contents, `sector ${s} copy ${copy ? "B" : "A"} byte ${byte}`);
        assert.equal(r.dev.append(new SyntheticTaps(5).payment(0)), 18, "no number reused");
      }
    }
  }
});

test("a torn opening (copy A written, B blank or torn) is completed by recovery", () => {
  const { r, contents } = used();
  const img = r.flash.partition(0).bytes;
  const rep = decodeImage(img, SECTOR);
  const byAge = rep.sectors.filter((s) => s.valid).sort((a, b) => b.generation! - a.generation!);
  const newest = byAge[0]!;
  const b = newest.index * SECTOR + 64;
  const want = img.slice(b, b + 60);
  img.fill(0xff, b, b + 60);
  img.set(want.subarray(0, 20), b); // copy B cut after 20 bytes
  r.reboot();
  assertIntact(r, contents, "torn copy B");
  assert.deepEqual([...img.subarray(b, b + 60)], [...want], "copy B completed from copy A");
});

test("one flipped bit in an acknowledgement mark never moves the acknowledgement back", () => {
  const { r, contents } = used();
  const clean = r.flash.partition(0).bytes.slice();
  const img = r.flash.partition(0).bytes;
  const newest = decodeImage(clean, SECTOR).sectors.find((s) => s.valid && s.marks.includes(9))!;
  const pair = newest.index * SECTOR + 128 + 32; // the second pair holds 9
  for (let byte = 0; byte < 32; byte++) {
    img.set(clean);
    img[pair + byte]! ^= 1 << (byte % 8);
    r.reboot();
    assertIntact(r, contents, `mark byte ${byte}`);
  }
});

test("a worn sector is remembered as bad and skipped; appends go on", () => {
  const r = rig({ ledgerBytes: 6 * SECTOR, sectorBytes: SECTOR, pageBytes: 256, denyBytes: 0 });
  r.flash.wear(0, 0, 3); // sector 0 (the first pick) fails every program and erase
  const taps = new SyntheticTaps(8);
  for (let i = 0; i < 20; i++) assert.equal(r.dev.append(taps.payment(i)), i + 1, `append ${i}`);
  assert.equal(r.dev.x.ledgerBadSectors(), 1);
  r.reboot();
  assert.equal(r.dev.nextSeq, 21);
  const sim = { flash: r.flash, device: r.dev, id: r.id, geometry: r.geometry };
  const { lastSeq, head } = exportAll(sim);
  assert.equal(lastSeq, 20);
  assert.equal(r.dev.acknowledge(makeAck(r.id, 20, head)), 0);
  for (let i = 20; i < 40; i++) assert.equal(r.dev.append(taps.payment(i)), i + 1, `append ${i}`);
});

test("deny list: one flipped bit in the installed list or its trailer never rolls it back", () => {
  const r = rig();
  const list = (v: number): Uint8Array => {
    const body = encodeDenyListBody({ version: v, issuedAt: 1_790_000_000 + v,
      walletIds: [new Uint8Array(16).fill(v)], revokedKeyIds: [] });
    return new Uint8Array([...body, ...signEd25519(r.id.operator.seed, body)]);
  };
  assert.equal(r.dev.installDenyList(list(1)), 0);
  assert.equal(r.dev.installDenyList(list(2)), 0);
  const deny = r.flash.partition(1).bytes;
  const half = deny.length / 2;
  assert.deepEqual([...deny.subarray(0, 100)], [...deny.subarray(half, half + 100)],
    "the installed list is held in both slots");
  const clean = deny.slice();
  for (const at of [0, 9, 30, 60, half + 12, half - 16, half - 4, deny.length - 8]) {
    deny.set(clean);
    deny[at]! ^= 0x04;
    r.reboot();
    assert.equal(r.dev.denyVersion, 2, `flip at ${at}`);
    assert.equal(r.dev.denyContains(new Uint8Array(16).fill(2)), 1);
    const head = [...clean.subarray(0, 60)];
    assert.deepEqual([...deny.subarray(0, 60)], head, `flip at ${at} repaired`);
  }
});
