// `offtap tap/sim --board ID`: the simulator runs the board's profile (subprocess, exit codes, --json).
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { repoRoot } from "../../host/firmware/paths.ts";

const bin = path.join(repoRoot, "bin", "offtap.mjs");

function offtap(args: string[]): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [bin, ...args],
      { cwd: repoRoot, env: { ...process.env, NO_COLOR: "1" } },
      (error, stdout, stderr) => {
        resolve({
          code: error === null ? 0 : typeof error.code === "number" ? error.code : -1,
          out: stdout,
          err: stderr,
        });
      },
    );
  });
}

const gateFare = (
  JSON.parse(readFileSync(path.join(repoRoot, "boards", "esp32-gate-pn532.json"), "utf8")) as {
    defaults: { fare: number };
  }
).defaults.fare;

test("tap --board runs the board's mode and fare (a kiosk board makes a kiosk)", async () => {
  const r = await offtap([
    "tap",
    "--board",
    "esp32-gate-pn532",
    "--scenario",
    "accepted",
    "--json",
  ]);
  assert.equal(r.code, 0, r.err);
  const j = JSON.parse(r.out) as { ok: boolean; reason: string };
  assert.equal(j.ok, true);
  assert.equal(j.reason, "ACCEPTED");
  const human = await offtap(["tap", "--board", "esp32-gate-pn532"]);
  const fare = `${Math.floor(gateFare / 100)}\\.${String(gateFare % 100).padStart(2, "0")} EUR`;
  assert.match(human.out, new RegExp(`gate mode, fare ${fare}`));
  // Without --board the simulator is a gate; the kiosk board makes the same scenario a kiosk tap.
  const kiosk = await offtap(["tap", "--board", "esp32s3-kiosk-pn532"]);
  assert.equal(kiosk.code, 0, kiosk.err);
  // A kiosk has no fare: it charges the amount asked (issue 15).
  assert.match(kiosk.out, /kiosk mode, amount asked 5\.00 EUR/);
});

test("sim --board on a kiosk runs kiosk taps; unknown boards and contradictions exit 2", async () => {
  const r = await offtap(["sim", "--board", "esp32s3-kiosk-pn532", "--taps", "200", "--json"]);
  assert.equal(r.code, 0, r.err);
  const j = JSON.parse(r.out) as {
    taps: number;
    chargedOnce: boolean;
    byDecision: Record<string, number>;
  };
  assert.equal(j.taps, 200);
  assert.equal(j.chargedOnce, true);
  assert.ok((j.byDecision["ACCEPTED"] ?? 0) > 0);
  const unknown = await offtap(["tap", "--board", "no-such-board"]);
  assert.equal(unknown.code, 2);
  assert.match(unknown.err, /no board 'no-such-board'/);
  const contra = await offtap(["sim", "--board", "esp32-gate-pn532", "--kiosk", "--taps", "1"]);
  assert.equal(contra.code, 2);
  assert.match(contra.err, /--kiosk contradicts board esp32-gate-pn532/);
});
