// `offtap ledger …` as a user runs it: JSON shapes, exit codes, files.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { command } from "../../host/cli/commands/ledger.ts";
import { UsageError } from "../../host/cli/command.ts";

async function run(argv: string[]): Promise<{ code: number; out: string }> {
  const lines: string[] = [];
  const log = console.log;
  console.log = (...a: unknown[]) => { lines.push(a.map(String).join(" ")); };
  try {
    const code = await command.run(argv);
    return { code, out: lines.join("\n") };
  } finally {
    console.log = log;
  }
}

test("ledger powercut --json prints the figures and exits 0 when every invariant holds", async () => {
  const { code, out } = await run(["powercut", "--taps", "8", "--exhaustive", "--json"]);
  assert.equal(code, 0);
  const j = JSON.parse(out) as Record<string, unknown>;
  for (const k of ["cutPoints", "reboots", "acceptedTaps", "lost", "duplicated", "chainOk"]) assert.ok(k in j, k);
  assert.equal(j["lost"], 0);
  assert.equal(j["duplicated"], 0);
  assert.equal(j["chainOk"], true);
  assert.ok((j["cutPoints"] as number) > 0);
});

test("ledger export → verify → inspect round trip; a tampered batch file exits 1", async () => {
  const dir = mkdtempSync(path.join(tmpdir(), "offtap-ledger-"));
  const batch = path.join(dir, "batch.bin");
  const image = path.join(dir, "ledger.img");
  const ex = await run(["export", "--out", batch, "--taps", "12", "--seed", "4", "--image", image, "--json"]);
  assert.equal(ex.code, 0);
  assert.equal((JSON.parse(ex.out) as { lastSeq: number }).lastSeq, 12);
  const ok = await run(["verify", batch, "--json"]);
  assert.equal(ok.code, 0);
  assert.equal((JSON.parse(ok.out) as { records: number }).records, 12);
  const ins = await run(["inspect", image, "--json"]);
  assert.equal(ins.code, 0);
  const j = JSON.parse(ins.out) as { records: number; chainOk: boolean };
  assert.equal(j.records, 12);
  assert.equal(j.chainOk, true);
  const bytes = readFileSync(batch);
  bytes[200]! ^= 0x40;
  writeFileSync(batch, bytes);
  const bad = await run(["verify", batch, "--json"]);
  assert.equal(bad.code, 1);
  assert.equal((JSON.parse(bad.out) as { ok: boolean }).ok, false);
});

test("usage errors are UsageError (exit 2 via the dispatcher); --help exits 0", async () => {
  await assert.rejects(command.run(["powercut", "--taps", "3"]), UsageError);
  await assert.rejects(command.run(["powercut", "--taps", "3", "--exhaustive", "--random", "2"]), UsageError);
  await assert.rejects(command.run(["frobnicate"]), UsageError);
  await assert.rejects(command.run(["inspect", "/nonexistent/image"]), UsageError);
  for (const sub of ["powercut", "inspect", "export", "verify"]) assert.equal((await run([sub, "--help"])).code, 0);
});
