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
