// The NOR fault model of the flash simulator (host/sim/flash-faults.ts, flash.ts):
// every torn outcome lies between "nothing happened" and "done", each pattern leaves
// what it says, weak cells read at random until rewritten, rot and wear persist, and
// the same seed gives the same flash.
import { test } from "node:test";
import assert from "node:assert/strict";
import { SimFlash, PowerCut, Xorshift32, ERR_IO } from "../../host/sim/flash.ts";
import {
  tearProgram, tearErase, PROGRAM_PATTERNS, ERASE_PATTERNS,
} from "../../host/sim/flash-faults.ts";
import { rotRegion, planRunFaults, ROT_REGIONS } from "../../host/ledger/powercut-faults.ts";
import { HEADER_BYTES, SLOT_BYTES, COMMIT_AT, MARKS_AT } from "../../host/ledger/format.ts";

const GEOMETRY = { sizeBytes: 4 * 4096, sectorBytes: 4096, pageBytes: 256 };

function popcount(bytes: Uint8Array): number {
  let n = 0;
  for (const b of bytes) for (let x = b; x; x &= x - 1) n++;
  return n;
}

function randomBytes(rng: Xorshift32, n: number): Uint8Array {
  return Uint8Array.from({ length: n }, () => rng.nextU32() & 0xff);
}

test("torn programs: every pattern stays between the old bytes and the finished program", () => {
  const rng = new Xorshift32(11);
  for (let trial = 0; trial < 200; trial++) {
    const old = randomBytes(rng, 1 + rng.below(40)).map((b) => b | 0xf0);
    const data = randomBytes(rng, old.length);
    const done = old.map((b, i) => b & data[i]!);
    const intended = popcount(old) - popcount(done);
    for (const pattern of PROGRAM_PATTERNS) {
      for (const style of ["partial", "weak"] as const) {
        const { stored, weak } = tearProgram(old, data, style, pattern, rng);
        stored.forEach((b, i) => {
          assert.equal(b & ~old[i]! & 0xff, 0, `${pattern}: a program never sets a bit`);
          assert.equal(~b & done[i]! & 0xff, 0, `${pattern}: clears only bits it was asked to`);
          const programmed = old[i]! & ~data[i]!;
          assert.equal(weak[i]! & ~programmed & 0xff, 0, `${pattern}: weak ones are programmed`);
        });
        const landed = popcount(old) - popcount(stored);
        if (pattern === "none") assert.equal(landed, 0);
        if (pattern === "all") assert.equal(landed, intended);
        if (pattern === "one") assert.equal(landed, Math.min(1, intended));
        if (pattern === "all-but-one") assert.equal(landed, Math.max(0, intended - 1));
        if (style === "weak" && intended > 0) assert.ok(popcount(weak) >= 1, "weak cut, weak cell");
        if (style === "partial") assert.equal(popcount(weak), 0);
      }
    }
  }
});

test("torn programs: a prefix pattern lands the intended bits in address order", () => {
  const rng = new Xorshift32(12);
  const old = new Uint8Array(16).fill(0xff);
  const data = new Uint8Array(16); // every bit intended
  const seen = new Set<number>();
  for (let trial = 0; trial < 60; trial++) {
    const { stored } = tearProgram(old, data, "partial", "prefix", rng);
    const k = 128 - popcount(stored);
    seen.add(k);
    for (let bit = 0; bit < 128; bit++) {
      const cleared = !(stored[bit >> 3]! & (1 << (bit & 7)));
      assert.equal(cleared, bit < k, `bit ${bit} of a ${k}-bit prefix`);
    }
  }
  assert.ok(seen.size > 10, "prefixes of many lengths");
});

test("torn erases: every pattern only sets bits, and each leaves its shape", () => {
  const rng = new Xorshift32(13);
  const old = randomBytes(rng, 4096);
  for (const pattern of ERASE_PATTERNS) {
    const { stored, weak } = tearErase(old, "partial", pattern, 256, rng);
    stored.forEach((b, i) => assert.equal(old[i]! & ~b & 0xff, 0, `${pattern}: clears no bit`));
    assert.equal(popcount(weak), 0);
    if (pattern === "none") assert.deepEqual(stored, old);
    if (pattern === "all") assert.ok(stored.every((b) => b === 0xff));
    if (pattern === "header-survives") {
      assert.deepEqual(stored.subarray(0, 256), old.subarray(0, 256), "the header page survives");
      assert.ok(stored.subarray(256).every((b) => b === 0xff), "the rest is erased");
    }
    if (pattern === "few-zeros") {
      const zeros = 4096 * 8 - popcount(stored);
      assert.ok(zeros >= 1 && zeros <= 8, `${zeros} zero bits left`);
    }
  }
  const w = tearErase(old, "weak", "random", 256, rng);
  assert.ok(popcount(w.weak) >= 1, "a weak erase leaves weak cells");
});

test("weak cells read differently across reads until programmed to 0 or erased", () => {
  const flash = new SimFlash(21);
  const p = flash.addPartition(0, GEOMETRY);
  p.apply(100, { stored: new Uint8Array([0xff]), weak: new Uint8Array([0x01]) });
  assert.equal(flash.weakBits(0), 1);
  const values = new Set<number>();
  for (let i = 0; i < 64; i++) values.add((flash.read(0, 100, 1) as Uint8Array)[0]!);
  assert.deepEqual([...values].sort(), [0xfe, 0xff], "the weak bit reads both ways");
  assert.ok(flash.stats.weakReads >= 64);
  // Programming a 1 over it is allowed (it may be either) and leaves it weak.
  assert.equal(flash.program(0, 100, new Uint8Array([0xfe | 0x01])), 0);
  assert.equal(flash.weakBits(0), 1);
  // Programming it to 0 makes it solid.
  assert.equal(flash.program(0, 100, new Uint8Array([0xfe])), 0);
  assert.equal(flash.weakBits(0), 0);
  for (let i = 0; i < 16; i++) assert.equal((flash.read(0, 100, 1) as Uint8Array)[0], 0xfe);
  p.apply(5000, { stored: new Uint8Array([0x00]), weak: new Uint8Array([0xff]) });
  assert.equal(flash.erase(0, 4096), 0);
  assert.equal(flash.weakBits(0), 0, "an erase clears weak cells");
  assert.equal((flash.read(0, 5000, 1) as Uint8Array)[0], 0xff);
});

test("a weak cut leaves weak cells in the operation's range; a partial cut none", () => {
  for (const style of ["weak", "partial"] as const) {
    let weakSeen = 0;
    for (let seed = 1; seed <= 20; seed++) {
      const flash = new SimFlash(seed);
      flash.addPartition(0, GEOMETRY);
      flash.setFaults({ cutAtOp: 1, cutStyle: style });
      assert.throws(() => flash.program(0, 512, new Uint8Array(64)), PowerCut);
      assert.equal(flash.lastCut?.style, style);
      assert.equal(flash.lastCut?.offset, 512);
      const p = flash.partition(0);
      p.weak.forEach((w, i) => assert.ok(w === 0 || (i >= 512 && i < 576), `weak cell at ${i}`));
      weakSeen += flash.weakBits(0);
    }
    if (style === "weak") assert.ok(weakSeen >= 20);
    else assert.equal(weakSeen, 0);
  }
});

test("rot flips one stored bit for good; wear makes programs and erases fail", () => {
  const flash = new SimFlash(31);
  flash.addPartition(0, GEOMETRY);
  assert.equal(flash.program(0, 0, new Uint8Array(8)), 0);
  flash.rot(0, 3, 5);
  assert.equal((flash.read(0, 3, 1) as Uint8Array)[0], 0x20);
  assert.equal((flash.read(0, 3, 1) as Uint8Array)[0], 0x20, "rot persists");
  assert.equal(flash.stats.rottedBits, 1);
  flash.wear(0, 1, 3);
  let silentMisses = 0;
  for (let k = 0; k < 8; k++) {
    assert.equal(flash.program(0, 4096 + 64 * k, new Uint8Array(64)), 0, "silent by default");
    const back = flash.read(0, 4096 + 64 * k, 64) as Uint8Array;
    if (back.some((b) => b !== 0)) silentMisses++;
  }
  assert.ok(silentMisses >= 6, "a worn sector's programs do not stick");
  assert.equal(flash.erase(0, 4096), 0);
  const sector = flash.read(0, 4096, 4096) as Uint8Array;
  assert.ok(sector.some((b) => b !== 0xff), "a worn sector's erase leaves zero bits");
  flash.setFaults({ wearReported: true });
  assert.equal(flash.erase(0, 4096), ERR_IO);
  assert.equal(flash.program(0, 8192, new Uint8Array(4)), 0, "other sectors are fine");
  assert.ok(flash.stats.wornFailures >= 10);
});

test("the same seed tears the same way: runs replay", () => {
  const image = (): Uint8Array => {
    const flash = new SimFlash(77);
    flash.addPartition(0, GEOMETRY);
    flash.program(0, 0, new Uint8Array(256).fill(0x0f));
    flash.setFaults({ cutAtOp: 3, cutStyle: "weak" });
    flash.program(0, 256, new Uint8Array(256).fill(0x30));
    assert.throws(() => flash.erase(0, 0), PowerCut);
    return Uint8Array.from([...flash.partition(0).bytes, ...flash.partition(0).weak]);
  };
  assert.deepEqual(image(), image());
});

test("rot targets the region it names, and only programmed bytes", () => {
  const flash = new SimFlash(41);
  const p = flash.addPartition(0, GEOMETRY);
  // A header, a mark, and a committed record slot in sector 1; a deny partition slot.
  p.bytes.fill(0x00, 4096, 4096 + HEADER_BYTES);
  p.bytes.fill(0x00, 4096 + MARKS_AT, 4096 + MARKS_AT + 16);
  p.bytes.fill(0x00, 4096 + SLOT_BYTES, 4096 + SLOT_BYTES + 100);
  new DataView(p.bytes.buffer).setUint32(4096 + SLOT_BYTES, 9, true);
  p.bytes.fill(0x00, 4096 + SLOT_BYTES + COMMIT_AT, 4096 + 2 * SLOT_BYTES);
  const d = flash.addPartition(1, { sizeBytes: 8192, sectorBytes: 4096, pageBytes: 256 });
  d.bytes.fill(0x00, 0, 200);
  d.bytes.fill(0x00, 4096 - 16, 4096);
  const rng = new Xorshift32(5);
  const within: Record<string, [number, number, number]> = {
    "sector-header": [0, 4096, 4096 + HEADER_BYTES],
    "ack-mark": [0, 4096 + MARKS_AT, 4096 + MARKS_AT + 16],
    commit: [0, 4096 + SLOT_BYTES + COMMIT_AT, 4096 + 2 * SLOT_BYTES],
    record: [0, 4096 + SLOT_BYTES, 4096 + SLOT_BYTES + 100],
    "deny-image": [1, 0, 200],
    "deny-trailer": [1, 4096 - 16, 4096],
  };
  for (const region of ROT_REGIONS) {
    for (let k = 0; k < 10; k++) {
      const hit = rotRegion(flash, region, 4096, rng);
      assert.ok(hit, region);
      const [part, lo, hi] = within[region]!;
      assert.equal(hit.partition, part, region);
      assert.ok(hit.offset >= lo && hit.offset < hi, `${region} hit ${hit.offset}`);
      if (region === "record") assert.equal(hit.seq, 9);
      flash.rot(hit.partition, hit.offset, hit.bit); // undo, to keep the image comparable
    }
  }
  const blank = new SimFlash(1);
  blank.addPartition(0, GEOMETRY);
  assert.equal(rotRegion(blank, "sector-header", 4096, rng), undefined, "nothing programmed");
});

test("a campaign's runs cover every fault kind and every rot region", () => {
  const kinds = new Set<string>();
  const regions = new Set<string>();
  for (let k = 0; k < 60; k++) {
    const f = planRunFaults("all", k, 1000 + k, 4, true);
    kinds.add(f.kind);
    if (f.rotRegion) regions.add(f.rotRegion);
    if (f.kind === "wear") assert.ok(f.worn && f.worn.sector < 4);
  }
  assert.equal(kinds.size, 5);
  assert.equal(regions.size, ROT_REGIONS.length);
  const noDeny = planRunFaults("rot", 4, 1, 4, false);
  assert.ok(!noDeny.rotRegion!.startsWith("deny"), "no deny regions without a deny partition");
});
