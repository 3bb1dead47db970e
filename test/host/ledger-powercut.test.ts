// The power-loss suite in the littlefs manner, exhaustive: power is cut at EVERY flash
// program and erase of the workload (one cut per run), the real firmware reboots on the
// same flash and the invariants are checked (host/ledger/powercut.ts). A failure names
// the seed and the cut point to replay with `offtap ledger powercut`.
import { test } from "node:test";
import assert from "node:assert/strict";
import { runPowerCut, type PowerCutReport } from "../../host/ledger/powercut.ts";

function assertClean(r: PowerCutReport): void {
  const first = r.violations[0];
  assert.equal(r.violations.length, 0, first ? `seed ${r.seed}, cut point ${first.cutAtOp}: ${first.message}` : "");
  assert.equal(r.lost, 0);
  assert.equal(r.duplicated, 0);
  assert.equal(r.chainOk, true);
  assert.equal(r.cutPoints, r.opsPerRun, "every program/erase point was cut");
  assert.equal(r.reboots, r.cutPoints, "every cut rebooted the firmware");
}

test("exhaustive: 60 taps with exports every 5 on a 4-sector ledger that wraps twice", () => {
  const r = runPowerCut({
    taps: 60, seed: 1, exportEvery: 5, mode: { kind: "exhaustive" },
    geometry: { ledgerBytes: 4 * 4096, sectorBytes: 4096, pageBytes: 256, denyBytes: 0 },
  });
  assertClean(r);
  assert.ok(r.cutPoints > 150, `only ${r.cutPoints} cut points`);
  assert.equal(r.declinedFull, 0);
});

test("exhaustive: filling the ledger without acknowledgements, then settling at the end", () => {
  const r = runPowerCut({
    taps: 34, seed: 2, exportEvery: 0, mode: { kind: "exhaustive" },
    geometry: { ledgerBytes: 4 * 4096, sectorBytes: 4096, pageBytes: 256, denyBytes: 0 },
  });
  assertClean(r);
  assert.ok(r.declinedFull > 0, "the workload reached the full ledger");
});

test("random: 150 taps, 40 seeded cut points, 128-byte pages, transient read flips on every boot", () => {
  const r = runPowerCut({
    taps: 150, seed: 3, exportEvery: 9, mode: { kind: "random", count: 40 }, readFlipRate: 0.02,
    geometry: { ledgerBytes: 6 * 4096, sectorBytes: 4096, pageBytes: 128, denyBytes: 0 },
  });
  assert.equal(r.violations.length, 0, r.violations[0]?.message);
  assert.equal(r.lost + r.duplicated, 0);
  assert.equal(r.cutPoints, 40);
});
