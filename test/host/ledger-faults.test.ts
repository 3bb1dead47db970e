// Power-loss campaigns with the NOR fault model (docs/LEDGER.md, "Fault model"): torn
// bits, weak cells, rot in every metadata region, a worn sector 0, 1–3 cuts per run,
// acknowledgements and deny-list updates inside the workload. The fault-tolerant ledger
// (format 2) must show 0 lost, 0 duplicated, 0 stuck exports, 0 traps, and never move the
// acknowledgement or the deny list backwards. A failure names the run to replay.
//
// The format-1 firmware kept in test/vectors/ledger/offtap-v1.wasm is known to fail these
// faults (issue 9): it is run too, to prove the model finds those failures and that it
// raises no false alarm on the clean cuts format 1 does survive.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  runPowerCut, powerCutOk, FAULT_KINDS, type PowerCutReport, type PowerCutOptions,
} from "../../host/ledger/powercut.ts";
import { ledgerFormatOf } from "../../host/ledger/powercut-format.ts";
import { SyntheticTaps } from "../../host/ledger/workload.ts";
import { makeAck } from "../../host/ledger/simulate.ts";
import { scanCampaign } from "../../tools/bench/faults-scan.ts";
import { rig } from "./ledger-support.ts";

const V1_WASM = "test/vectors/ledger/offtap-v1.wasm";
/** Four 4 KiB ledger sectors (the log wraps) and the smallest deny partition. */
const SMALL = { ledgerBytes: 4 * 4096, sectorBytes: 4096, pageBytes: 256, denyBytes: 2 * 4096 };
const FORMAT = ledgerFormatOf();
const V2_SKIP = FORMAT === 1
  ? "build/offtap.wasm writes ledger format 1, which does not claim to survive these faults "
    + "(issue 9); the campaign runs once the build writes format 2"
  : false;

function campaign(o: Partial<PowerCutOptions> & Pick<PowerCutOptions, "mode">): PowerCutReport {
  return runPowerCut({ taps: 24, seed: 1, exportEvery: 4, denyEvery: 6, geometry: SMALL, ...o });
}

function assertSurvives(r: PowerCutReport): void {
  const v = r.violations[0];
  const where = v
    ? `seed ${r.seed}, run ${v.run} (${v.kind}, first cut at ${v.cutAtOp}): ${v.message}`
    : "";
  assert.equal(r.violations.length, 0, `${r.violations.length} violations; first: ${where}`);
  assert.equal(r.lost, 0, "lost");
  assert.equal(r.duplicated, 0, "duplicated");
  assert.equal(r.stuckExports, 0, "stuck exports");
  assert.equal(r.traps, 0, "traps");
  assert.equal(r.denyBackwards, 0, "deny list backwards");
  assert.equal(r.ackBackwards, 0, "acknowledgement backwards");
  assert.equal(r.seqReused, 0, "sequence numbers reused");
  assert.equal(r.signalRearmed, 0, "signalled records re-armed by a reboot");
  assert.equal(r.chainOk, true, "chain");
  assert.ok(r.denyInstalls > 0, "the workload installed deny lists");
  assert.ok(powerCutOk(r));
}

test("format 1 (kept firmware): clean cuts, 2 per run, with deny updates raise no alarm", () => {
  const r = campaign({
    wasmPath: V1_WASM, faults: "clean", cuts: 2, mode: { kind: "random", count: 30 },
  });
  assertSurvives(r);
  assert.ok(r.reboots > r.cutPoints, "second cuts happened");
});

test("format 1 (kept firmware): the fault model finds the failures issue 9 describes", () => {
  const rot = campaign({
    wasmPath: V1_WASM, faults: "rot", cuts: 2, mode: { kind: "random", count: 36 },
  });
  assert.ok(rot.lost > 0, "rot in headers/marks loses records");
  assert.ok(rot.seqReused > 0, "…and reuses signalled sequence numbers");
  assert.ok(rot.ackBackwards > 0, "…and moves the acknowledgement backwards");
  assert.ok(rot.denyBackwards > 0, "rot in the installed deny list falls back to the older one");
  const weak = campaign({
    wasmPath: V1_WASM, taps: 12, faults: "weak", mode: { kind: "exhaustive" },
  });
  assert.ok(weak.stuckExports > 0, "a weak commit marker strands the export");
  const wear = campaign({
    wasmPath: V1_WASM, faults: "wear", wearSector: 0, cuts: 2, mode: { kind: "random", count: 6 },
  });
  assert.equal(wear.byFault.wear?.failedRuns, 6, "a worn sector 0 is picked again and again");
  assert.ok(wear.violations.some((v) => /verify declines in a row/.test(v.message)));
});

test("exhaustive weak cells: every program/erase point of a small workload", {
  skip: V2_SKIP,
}, () => {
  const r = campaign({ faults: "weak", mode: { kind: "exhaustive" } });
  assertSurvives(r);
  assert.equal(r.cutPoints, r.opsPerRun);
  assert.ok(r.weakReads > 0, "weak cells were read");
});

test("exhaustive partial bits, 2 cuts per run", { skip: V2_SKIP }, () => {
  const r = campaign({ faults: "partial", cuts: 2, mode: { kind: "exhaustive" } });
  assertSurvives(r);
  assert.equal(r.cutPoints, r.opsPerRun);
  assert.ok(r.reboots > r.cutPoints);
  assert.ok(r.cutsDuringRecovery > 0, "second cuts fell inside recovery's write-backs");
});

/** The ledger partition's regions; the deny list's have their own test below. */
const LEDGER_REGIONS = ["sector-header", "ack-mark", "commit", "record"] as const;

test("seeded random: every fault kind, 3 cuts per run, 40 taps", { skip: V2_SKIP }, () => {
  const r = campaign({
    taps: 40, seed: 7, faults: "all", cuts: 3, denyEvery: 7, wearReported: false,
    rotRegions: LEDGER_REGIONS, mode: { kind: "random", count: 60 },
  });
  assertSurvives(r);
  for (const k of FAULT_KINDS) assert.equal(r.byFault[k]?.runs, 12, k);
  assert.ok(r.signalled > 0, "the reader marked records before opening the gate");
});

test("rot in every ledger metadata region (headers, marks, commit words, records)", {
  skip: V2_SKIP,
}, () => {
  const r = campaign({
    seed: 11, faults: "rot", cuts: 2, rotRegions: LEDGER_REGIONS,
    mode: { kind: "random", count: 40 },
  });
  assertSurvives(r);
  assert.ok(r.rottedBits >= 30, `${r.rottedBits} bits rotted`);
});

test("a worn sector 0 that fails silently, worn from the first boot, 2 cuts per run", {
  skip: V2_SKIP,
}, () => {
  const r = campaign({
    seed: 13, faults: "wear", wearSector: 0, wearReported: false, cuts: 2,
    mode: { kind: "random", count: 20 },
  });
  assertSurvives(r);
  assert.ok(r.wornFailures > 0, "the worn sector failed");
});

test("rot in the deny list's image and trailer never rolls the list back", {
  skip: V2_SKIP,
}, () => {
  const r = campaign({
    seed: 17, faults: "rot", cuts: 2, rotRegions: ["deny-image", "deny-trailer"],
    mode: { kind: "random", count: 20 },
  });
  assertSurvives(r);
});

test("a worn sector 0 whose failures the board reports (ERR_IO) is skipped", {
  skip: V2_SKIP,
}, () => {
  const r = campaign({
    seed: 19, faults: "wear", wearSector: 0, wearReported: true, cuts: 2,
    mode: { kind: "random", count: 10 },
  });
  assertSurvives(r);
});

/** `make bench-faults` options (4 sectors, the CLI's geometry): the runs below lost a
 *  record before the write position recovery finds was voided by the next append
 *  (docs/LEDGER.md §3, "the unproven slot"). Each replays a weak cut of a record
 *  program that landed no bit but left weak cells. */
const BENCH_GEOMETRY = { ledgerBytes: 4 * 4096, sectorBytes: 4096, pageBytes: 256,
  denyBytes: 2 * 4096 };
const WEAK_SLOT_RUNS = [
  { seed: 6, cuts: 3, run: 437 }, { seed: 20, cuts: 3, run: 447 },
  { seed: 11, cuts: 2, run: 477 }, { seed: 12, cuts: 3, run: 367 },
] as const;

test("a record program cut into weak cells: the bench runs that lost a record now survive", {
  skip: V2_SKIP,
}, () => {
  for (const { seed, cuts, run } of WEAK_SLOT_RUNS) {
    const r = runPowerCut({
      taps: 40, seed, exportEvery: 5, denyEvery: 7, geometry: BENCH_GEOMETRY, faults: "all",
      cuts, mode: { kind: "random", count: 500 }, onlyRun: run,
    });
    assert.equal(r.byFault.weak?.runs, 1, `seed ${seed} run ${run} is a weak run`);
    assertSurvives(r);
  }
  const r = runPowerCut({
    taps: 40, seed: 6, exportEvery: 5, denyEvery: 7, geometry: BENCH_GEOMETRY, faults: "weak",
    cuts: 3, mode: { kind: "random", count: 20 },
  });
  assertSurvives(r);
});

const SLOT = 512;
const VOID_AT = 488;

/** Raw views of a rig's ledger partition (sector 4096 B, slot 512 B). */
function slots(r: ReturnType<typeof rig>): {
  seqAt(sector: number, slot: number): number; voided(sector: number, slot: number): boolean;
} {
  const p = r.flash.partition(0);
  const view = new DataView(p.bytes.buffer, p.bytes.byteOffset, p.bytes.byteLength);
  return {
    seqAt: (sector, slot) => view.getUint32(sector * 4096 + slot * SLOT, true),
    voided: (sector, slot) => {
      const at = sector * 4096 + slot * SLOT + VOID_AT;
      return p.bytes.subarray(at, at + 8).every((b) => b === 0)
        && p.weak.subarray(at, at + 8).every((w) => w === 0);
    },
  };
}

test("weak cells a cut record program left in a blank-looking slot never hold a record", {
  skip: V2_SKIP,
}, () => {
  let blankAtBoot = 0;
  for (let seed = 1; seed <= 8; seed++) {
    const r = rig(undefined, seed);
    const taps = new SyntheticTaps(seed);
    const p = r.flash.partition(0);
    const { seqAt, voided } = slots(r);
    for (let i = 1; i <= 3; i++) assert.equal(r.dev.append(taps.payment(i)), i);
    // A record program into slot 4 cut before any bit landed, leaving two weak cells in
    // the sequence field (record 4 holds 1 in one of them): each read of the slot sees
    // it blank or torn, at random.
    p.weak[4 * SLOT] = 0x03;
    p.weakBytes++;
    r.reboot();
    const tornAtBoot = voided(0, 4); // recovery judged it torn and voided it (§2.3)
    assert.equal(r.dev.append(taps.payment(4)), 4);
    assert.ok(voided(0, 4), `seed ${seed}: slot 4 voided`);
    // Found blank, slot 4 was the unproven slot; found torn, slot 5 was.
    const at = tornAtBoot ? 6 : 5;
    if (tornAtBoot) assert.ok(voided(0, 5), `seed ${seed}: slot 5 voided`);
    else blankAtBoot++;
    assert.equal(seqAt(0, at), 4, `seed ${seed}: record 4 in slot ${at}`);
    for (let boot = 0; boot < 8; boot++) {
      r.reboot();
      const rec = r.dev.readRecord(4);
      assert.ok(typeof rec !== "number", `seed ${seed}, boot ${boot}: record 4 → ${String(rec)}`);
      assert.equal(r.dev.nextSeq, 5, `seed ${seed}, boot ${boot}: void slots take no number`);
    }
  }
  assert.ok(blankAtBoot > 0, "some boots saw the weak slot blank (the case the rule is for)");
});

test("the unproven slot: one per boot that appends, none for a sector this boot opened", {
  skip: V2_SKIP,
}, () => {
  const r = rig();
  const taps = new SyntheticTaps(3);
  const { seqAt, voided } = slots(r);
  for (let i = 1; i <= 3; i++) assert.equal(r.dev.append(taps.payment(i)), i);
  assert.equal(seqAt(0, 3), 3, "a sector opened by this boot is used from slot 1");
  const before = r.flash.partition(0).bytes.slice();
  r.reboot();
  assert.deepEqual(r.flash.partition(0).bytes, before, "recovery itself programs nothing");
  assert.equal(r.dev.append(taps.payment(4)), 4);
  assert.ok(voided(0, 4), "the first append after the boot voids slot 4");
  assert.equal(seqAt(0, 5), 4, "record 4 in slot 5");
  assert.equal(r.dev.append(taps.payment(5)), 5);
  assert.equal(seqAt(0, 6), 5, "later appends of the same boot use the next slots");
  r.reboot();
  assert.equal(r.dev.append(taps.payment(6)), 6);
  assert.ok(voided(0, 7), "the sector's last slot voided");
  // No slot left after the void: a new sector, which this boot opened, so it is trusted.
  assert.equal(seqAt(1, 1), 6, "record 6 in slot 1 of the sector this boot opened");
  for (let seq = 7; seq <= 12; seq++) assert.equal(r.dev.append(taps.payment(seq)), seq);
  assert.equal(seqAt(1, 7), 12, "this boot filled the sector without voiding a slot");
  // The newest sector is full: there is no slot to void.
  r.reboot();
  assert.equal(r.dev.append(taps.payment(13)), 13);
  assert.equal(seqAt(2, 1), 13, "record 13 in slot 1 of the next sector");
  r.reboot();
  assert.equal(r.dev.append(taps.payment(14)), 14);
  assert.ok(voided(2, 2), "slot 2 of that sector voided");
  assert.equal(seqAt(2, 3), 14, "record 14 in slot 3");
  r.reboot();
  assert.equal(r.dev.nextSeq, 15);
  for (let seq = 1; seq <= 14; seq++) {
    assert.ok(typeof r.dev.readRecord(seq) !== "number", `record ${seq} readable`);
  }
});

test("transient read errors never let a denied wallet through nor refuse a good list", {
  skip: V2_SKIP,
}, () => {
  // One flipped bit in a read (0.3 % of reads) while deny lists are installed and looked
  // up: a binary search sent the wrong way answered "not denied", and a list read wrong
  // while it was checked was refused. Lookups now confirm a "not found" and commits check
  // again (docs/LEDGER.md §7); a lookup may still end in an error status (the reader then
  // declines), never in a wrong answer.
  const r = runPowerCut({
    taps: 30, seed: 1, exportEvery: 4, denyEvery: 3, geometry: SMALL, faults: "all", cuts: 2,
    readFlipRate: 0.003, mode: { kind: "random", count: 300 },
  });
  assertSurvives(r);
  assert.ok(r.denyInstalls >= 300, `deny-list installs: ${r.denyInstalls}`);
});

/** One run of the read-flip campaign that found the faults below (`offtap ledger powercut
 *  --taps 40 --random 300 --faults all --cuts 6 --deny-every 3 --read-flips RATE --seed
 *  SEED --run RUN`), replayed alone. */
function replayFlipRun(seed: number, run: number, readFlipRate: number): PowerCutReport {
  return runPowerCut({
    taps: 40, seed, exportEvery: 5, readFlipRate, faults: "all", cuts: 6, denyEvery: 3,
    mode: { kind: "random", count: 300 }, onlyRun: run, geometry: SMALL,
  });
}

/** Run `run` of campaign `seed` of the varied scan (`node --import tsx
 *  tools/bench/faults-scan.ts --from SEED --to SEED`: 200 random runs), replayed alone. */
function replayScanRun(seed: number, run: number): PowerCutReport {
  return runPowerCut({ ...scanCampaign(seed, 200), onlyRun: run });
}

test("a cut in the write-back of the checks after a reboot is one more power cut", {
  skip: V2_SKIP,
}, () => {
  // Reading a weak signal mark programs it solid (docs/LEDGER.md §2.5); when the reads
  // that check the ledger after a reboot did that and the armed cut fell on it, the cut
  // escaped the campaign itself. These two runs (5 % read flips, 6 cuts) threw so; now
  // the cycle boots again and checks again.
  for (const [seed, run] of [[2, 248], [14, 164]] as const) {
    const r = replayFlipRun(seed, run, 0.05);
    assertSurvives(r);
    assert.equal(r.cutPoints, 1, `seed ${seed}: the one run replayed`);
    assert.ok(r.cutsDuringRecovery > 0, `seed ${seed}: the cut came after a boot`);
  }
});

test("a flipped bit in the read of a version floor never lets an older deny list back", {
  skip: V2_SKIP,
}, () => {
  // Rot left the newest list's copy unusable; recovery then reads the version floors,
  // and 2 % of reads flip a bit. The floor at the newest version read with a flip used
  // to count as no floor, and recovery installed the older copy (version 10 → 9). A
  // floor that reads neither valid nor blank is now read again (docs/LEDGER.md §7).
  const r = replayFlipRun(14, 263, 0.02);
  assertSurvives(r);
  assert.ok(r.denyInstalls > 0, "deny lists were installed");
});

test("an acknowledgement pair read wrong once is never voided at recovery", {
  skip: V2_SKIP,
}, () => {
  // Recovery voids a mark pair with no valid copy (a torn first copy). It judged from its
  // last read of the marks, so a valid pair read with a flipped bit in each copy that time
  // was voided, and the acknowledgement went back (40 → 35, weak cells and 2 % read
  // flips). A pair that read valid in any read of the boot is now left alone (§2.2).
  const r = replayFlipRun(25, 187, 0.02);
  assertSurvives(r);
});

test("a good deny list read wrong on every pass is not refused: the answer is ERR_VERIFY", {
  skip: V2_SKIP,
}, () => {
  // With 2 % of reads flipping a bit, all four passes of a commit's checks saw a flipped
  // read somewhere in an 8 KiB slot, each a different one, and the good list was refused
  // ERR_BAD_SIGNATURE as if the operator's signature were wrong. A refusal now stands only
  // when every pass refused alike (docs/LEDGER.md §7).
  const r = replayFlipRun(13, 25, 0.02);
  assertSurvives(r);
});

test("the campaign's last append gets a try for each cut the run has left", {
  skip: V2_SKIP,
}, () => {
  // The run's first cut fell in the workload's last writes and each of its five later cuts
  // (early ones: right after a reboot) on one of the checker's five tries of a last
  // append, which then reported a reader that "took no payment". The firmware was fine.
  // (Found as seed 28, run 286; the double-checked deny search of a later firmware reads
  // flash more often, which moves the cuts: seed 15, run 242 fails the same way with five
  // tries.)
  const r = replayFlipRun(15, 242, 0.02);
  assertSurvives(r);
  assert.ok(r.reboots >= 6, `reboots ${r.reboots}: every cut came`);
});

/** Three 4 KiB ledger sectors: the fewest with which one worn sector leaves two to turn. */
const THREE_SECTORS = { ...SMALL, ledgerBytes: 3 * 4096 };
const MARK_MAGIC = 0x4b41544f; // "OTAK"

/** Sector of partition 0 holding a valid-looking mark of `seq` (docs/LEDGER.md §2.2). */
function markSector(r: ReturnType<typeof rig>, seq: number): number {
  const p = r.flash.partition(0);
  const view = new DataView(p.bytes.buffer, p.bytes.byteOffset, p.bytes.byteLength);
  for (let s = 0; s < p.bytes.length / 4096; s++) {
    for (let m = 0; m < 24; m++) {
      const at = s * 4096 + 128 + 16 * m;
      if (view.getUint32(at, true) === MARK_MAGIC && view.getUint32(at + 4, true) === seq) {
        return s;
      }
    }
  }
  return -1;
}

test("a full ledger whose newest sector is worn takes its acknowledgement in an older sector", {
  skip: V2_SKIP,
}, () => {
  // Found by campaigns that settle only at the end (3 and 4 sectors, wear): every sector
  // but the newest held records only the coming acknowledgement would settle, and the
  // newest sector, worn, took no mark; the acknowledgement answered ERR_LEDGER_FULL and
  // the reader never took a payment again. The mark now goes into an older sector, which
  // is kept out of the pool until a newer header holds the value (§2.2).
  const r = rig(THREE_SECTORS, 5);
  const taps = new SyntheticTaps(5);
  let last = 0;
  for (let i = 1; ; i++) {
    const seq = r.dev.append(taps.payment(i));
    if (seq < 0) { assert.equal(seq, -12, "ERR_LEDGER_FULL once every sector is used"); break; }
    last = seq;
  }
  assert.equal(last, 21, "three sectors of seven records");
  const { seqAt } = slots(r);
  const newest = [0, 1, 2].find((s) => seqAt(s, 7) === last)!;
  r.flash.wear(0, newest, 1);
  const rec = r.dev.readRecord(last);
  assert.ok(typeof rec !== "number");
  assert.equal(r.dev.acknowledge(makeAck(r.id, last, rec.link)), 0, "acknowledged");
  assert.equal(r.dev.ackedSeq, last);
  const carrier = markSector(r, last);
  assert.ok(carrier >= 0 && carrier !== newest, `the mark is in older sector ${carrier}`);
  r.reboot();
  r.flash.wear(0, newest, 1);
  assert.equal(r.dev.ackedSeq, last, "the acknowledgement survives a reboot");
  assert.equal(r.dev.append(taps.payment(last + 1)), last + 1, "the reader takes payments");
  const opened = [0, 1, 2].find((s) => seqAt(s, 1) === last + 1);
  assert.ok(opened !== undefined && opened !== carrier && opened !== newest,
    `record ${last + 1} opened sector ${opened}, not the mark's sector ${carrier}`);
  assert.equal(markSector(r, last), carrier, "the mark stays until a newer header holds it");
  r.reboot();
  assert.equal(r.dev.ackedSeq, last);
  assert.equal(r.dev.nextSeq, last + 2);
});

test("campaigns that settle only at the end, one worn sector, 3 sectors: the reader goes on", {
  skip: V2_SKIP,
}, () => {
  // 30 taps on 21 record slots, one settlement after them: the reader stops at FULL and
  // must take payments again once clearing acknowledges. Seed 30 failed twice in 12 runs
  // (the reader took no payment after the workload) before marks in older sectors.
  const r = runPowerCut({
    taps: 30, seed: 30, exportEvery: 0, faults: "wear", cuts: 2, denyEvery: 4,
    mode: { kind: "random", count: 12 }, geometry: THREE_SECTORS,
  });
  assertSurvives(r);
  assert.ok(r.wornFailures > 0, "the worn sector failed");
  assert.ok(r.declinedFull > 0, "the ledger filled up");
});

test("a commit word written back stands over weak cells a cut void left in the same slot", {
  skip: V2_SKIP,
}, () => {
  // A cut during a record's commit left weak cells; one boot read the slot torn and began
  // to void it, and a cut during that void landed no bit but left weak cells in the void
  // word. The next boot read the slot committed and made its commit word solid. Later
  // reads that saw 2 zero bits in the weak void word judged the record void: the records
  // after it in the sector took the wrong positional number and were exported as gaps
  // (records 35 and 38 lost on a 2-sector ledger, 4 cuts). A word written back now
  // stands over the other word's weak cells (docs/LEDGER.md §2.3).
  const r = runPowerCut({
    taps: 40, seed: 43, exportEvery: 5, faults: "all", cuts: 4, denyEvery: 7,
    mode: { kind: "random", count: 200 }, onlyRun: 82,
    geometry: { ...SMALL, ledgerBytes: 2 * 4096 },
  });
  assertSurvives(r);
  assert.ok(r.cutsDuringRecovery > 0, "a cut fell in recovery's write-back");
});

test("an update after the only list copy rotted never erases the floor that keeps its version", {
  skip: V2_SKIP,
}, () => {
  // Rot destroyed the only copy of list 13 while an update was cut (its new slot's floor
  // torn): the version lived on in the other slot's floor 1 alone. The next update, with
  // no usable list, erased that slot — the one holding the floor — and a cut during its
  // floor program left no valid floor: the version went from 13 to 0 (3 % read flips,
  // 4 cuts). It now erases the slot without the floor, after writing the version
  // into the kept slot's floor 1 when that is blank (docs/LEDGER.md §7).
  const r = replayScanRun(296, 23);
  assertSurvives(r);
  assert.ok(r.rottedBits > 0, "rot struck");
});

test("an acknowledgement pair one boot took from a weak read is completed, not left weak", {
  skip: V2_SKIP,
}, () => {
  // A cut during an acknowledgement's first mark copy left weak cells. One boot read the
  // copy valid only in some of its reads, took the acknowledgement (30), and wrote
  // nothing back; a later boot never saw it valid and voided the pair: the
  // acknowledgement went back to 25 and record 26 was exported again (5 % read flips,
  // 9 cuts). A pair seen valid in any read of a boot now gets both copies completed with
  // the mark it read (docs/LEDGER.md §2.2).
  const r = replayScanRun(588, 72);
  assertSurvives(r);
});

test("a record that rots after clearing received it does not block the acknowledgement", {
  skip: V2_SKIP,
}, () => {
  // Rot struck an unsettled record's sequence field; a read with a transient flip of
  // that very bit read it right and it was exported readable, so clearing acknowledged
  // with its link. The reader, reading it unreadable again, demanded 32 zero bytes:
  // ERR_BAD_ACK for every acknowledgement, and a full ledger for ever (5 sectors, 5 %
  // read flips). The head past an unreadable record is not checked now (§5.2).
  const r = replayScanRun(563, 108);
  assertSurvives(r);
  assert.ok(r.rottedRecords > 0, "rot struck a record");
});

test("a read flip in a blank mark pair never voids the newest sector's free pairs", {
  skip: V2_SKIP,
}, () => {
  // A cut tore pair 0 of the newest sector's marks, so every read of them was unclean and
  // the last of the re-reads counted the pairs used; that read had a flipped bit in the
  // last, blank pair. Recovery took all 12 pairs as used and voided the 11 blank ones; the
  // next acknowledgement had to go to an older sector, and with the third sector worn the
  // ledger stayed full (3 sectors, 3 % read flips, 9 cuts). The pairs used are now the
  // fewest any read found, and a pair that reads blank is never voided (§2.2).
  const r = replayScanRun(677, 154);
  assertSurvives(r);
});

test("an append after recovery read the last record unreadable reads it again first", {
  skip: V2_SKIP,
}, () => {
  // Every one of recovery's four reads of record 4 had a flipped bit (3 % read flips), so
  // it took the record for rotted and the chain head for zeros; record 5 was chained from
  // zeros, and the export, which read record 4 right, showed "record 5 breaks the chain".
  // The next append now reads the last record again before it chains from zeros (§3).
  const r = replayScanRun(46, 147);
  assert.equal(r.violations.length, 0, r.violations.map((v) => v.message).join("; "));
  assert.equal(r.chainOk, true, "chain");
  assert.equal(r.lost, 0, "lost");
});

test("a write-back is not cancelled by one flipped read of its target", {
  skip: V2_SKIP,
}, () => {
  // A cut while sector 1's header copy A was programmed left one weak cell in it and
  // copy B blank. Recovery read A valid and went to complete B, but its check of B's
  // bytes read a flipped bit and it gave up; records 4…9 and two acknowledgements went
  // into sector 1, and at a later boot the weak cell read wrong: the sector was free, the
  // acknowledgement went back from 8 to 3 and sequence numbers were reused (0.5 % read
  // flips, 6 cuts). The check of a write-back's target is now read again (§2.7).
  const r = replayScanRun(198, 147);
  assertSurvives(r);
});

test("a sector whose read-backs all had a flipped bit gets one more try before it is bad", {
  skip: V2_SKIP,
}, () => {
  // With one sector of three worn, opening a good one failed its read-backs four times in
  // a row (5 % read flips) and it was marked bad for the boot: no sector was left to
  // open and the reader took no payment until a reboot. A silent failure now tries the
  // same sector once more before marking it bad (docs/LEDGER.md §4).
  for (const [seed, run] of [[769, 89], [841, 54]] as const) {
    const r = replayScanRun(seed, run);
    assertSurvives(r);
    assert.ok(r.wornFailures > 0, `seed ${seed}: the worn sector failed`);
  }
});

test("a deny-list lookup says 'not found' only when two searches end at the same bracket", {
  skip: V2_SKIP,
}, () => {
  // Right after list 2 was installed, one lookup of its own denied wallet answered 0: a
  // flipped read sent the search past the wallet's id, and both reads of that id in the
  // bracket check flipped the same bit (5 % read flips). "Not found" now needs two
  // searches that end at the same bracketed place (docs/LEDGER.md §7).
  const r = replayScanRun(1127, 3);
  assertSurvives(r);
});
