// The device-profile check: the built firmware and selftest fit the WASM3 profile, and
// hand-made modules that break one rule each are rejected for that rule.
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { spawn, spawnSync } from "node:child_process";
import { tmpdir } from "node:os";
import path from "node:path";
import binaryen from "binaryen";
import { repoRoot, firmwarePath, selftestPath } from "../../host/firmware/paths.ts";
import {
  checkModule,
  checkModuleWith,
  v8Validator,
  type ProfileReport,
} from "../../tools/profile/check.ts";
import { loadProfile, parseProfile, type BinaryKind } from "../../tools/profile/profile.ts";

const profile = loadProfile();

function ensureBuilt(): void {
  if (existsSync(firmwarePath) && existsSync(selftestPath)) return;
  const r = spawnSync("make", ["build"], { cwd: repoRoot, encoding: "utf8" });
  assert.equal(r.status, 0, `make build failed:\n${r.stdout}\n${r.stderr}`);
}

/** Features of the device profile, as binaryen flags: modules meant to break one rule are
 *  emitted with these, so the binary carries nothing else the device lacks. */
const PROFILE_FEATURES =
  binaryen.Features.SignExt |
  binaryen.Features.MutableGlobals |
  binaryen.Features.NontrappingFPToInt |
  binaryen.Features.Multivalue;

/** Compiles WebAssembly text to a binary emitted with the given features. */
function wat(text: string, features: binaryen.Features = PROFILE_FEATURES): Uint8Array {
  const m = binaryen.parseText(text);
  try {
    m.setFeatures(features);
    return m.emitBinary();
  } finally {
    m.dispose();
  }
}

/** The binaryen check; `offtap image build`'s V8 check (no binaryen) reaches the same verdict. */
function check(bytes: Uint8Array, kind: BinaryKind = "firmware"): ProfileReport {
  const r = checkModule(bytes, profile, kind);
  const v8 = checkModuleWith(bytes, profile, kind, v8Validator);
  assert.equal(v8.ok, r.ok, `the V8 check disagrees:\n${describe(r)}\n--- V8:\n${describe(v8)}`);
  return r;
}

function describe(r: ProfileReport): string {
  return r.findings.map((f) => `[${f.rule}] ${f.message}`).join("\n") || "(no findings)";
}

/** Asserts the module is rejected, with a finding of `rule` whose message matches `pattern`,
 *  and no findings outside `alsoAllowed` (so it fails for the reason under test). */
function assertRejected(
  r: ProfileReport,
  rule: string,
  pattern: RegExp,
  alsoAllowed: string[] = [],
): void {
  assert.equal(r.ok, false, `expected a rejection, got:\n${describe(r)}`);
  assert.ok(
    r.findings.some((f) => f.rule === rule && pattern.test(f.message)),
    `no [${rule}] finding matching ${pattern}:\n${describe(r)}`,
  );
  const unexpected = r.findings.filter((f) => f.rule !== rule && !alsoAllowed.includes(f.rule));
  assert.deepEqual(unexpected, [], `unexpected findings:\n${describe(r)}`);
}

const FIXED_MEMORY = '(memory (export "memory") 2 2)';

test("the built firmware fits the device profile", () => {
  ensureBuilt();
  const r = check(readFileSync(firmwarePath), "firmware");
  assert.equal(r.ok, true, describe(r));
  assert.ok(r.sizeBytes <= 49152);
  assert.deepEqual(r.memoryPages, { initial: 2, max: 2 });
});

test("the built selftest fits the device profile with WASI imports only", () => {
  ensureBuilt();
  const r = check(readFileSync(selftestPath), "selftest");
  assert.equal(r.ok, true, describe(r));
  assert.ok(
    r.imports.every((i) => i.startsWith("wasi_snapshot_preview1.")),
    r.imports.join(", "),
  );
});

test("a module using every allowed feature passes", () => {
  const r = check(
    wat(`(module
    (import "env" "log" (func $log (param i32)))
    ${FIXED_MEMORY}
    (global $g (export "counter") (mut i32) (i32.const 0))
    (func $pair (result i32 i32) (i32.const 1) (i32.const 2))
    (func (export "f") (param f64) (result i32)
      (global.set $g (i32.extend8_s (i32.const 255)))
      (call $log (i32.trunc_sat_f64_s (local.get 0)))
      (i32.add (call $pair))))`),
  );
  assert.equal(r.ok, true, describe(r));
  for (const f of ["sign-ext", "nontrapping-float-to-int", "multi-value", "mutable-globals"]) {
    assert.ok(
      r.featuresUsed.includes(f as never),
      `${f} not detected: ${r.featuresUsed.join(", ")}`,
    );
  }
});

test("memory.copy (bulk memory) is rejected", () => {
  const r = check(
    wat(
      `(module ${FIXED_MEMORY} (func (export "f") (memory.copy (i32.const 0) (i32.const 8) (i32.const 8))))`,
      binaryen.Features.All,
    ),
  );
  assertRejected(r, "feature", /bulk-memory.*memory\.copy/, ["validate"]);
  assert.ok(
    r.findings.some((f) => f.rule === "validate" && /memory\.copy/.test(f.message)),
    "binaryen should reject memory.copy too",
  );
});

test("memory.fill and passive data segments are rejected", () => {
  const r = check(
    wat(
      `(module ${FIXED_MEMORY} (data $d "abc")
    (func (export "f") (memory.fill (i32.const 0) (i32.const 1) (i32.const 8)) (memory.init $d (i32.const 0) (i32.const 0) (i32.const 3))))`,
      binaryen.Features.All,
    ),
  );
  assertRejected(r, "feature", /bulk-memory.*memory\.fill.*memory\.init.*passive data segment/, [
    "validate",
  ]);
});

test("a SIMD instruction is rejected", () => {
  const r = check(
    wat(
      `(module ${FIXED_MEMORY} (func (export "f") (result i32) (i32x4.extract_lane 0 (i32x4.splat (i32.const 3)))))`,
      binaryen.Features.All,
    ),
  );
  assertRejected(r, "feature", /uses simd.*0xFD/, ["validate"]);
});

test("ref.null (reference types) is rejected", () => {
  const r = check(
    wat(
      `(module ${FIXED_MEMORY} (func (export "f") (result i32) (ref.is_null (ref.null func))))`,
      binaryen.Features.All,
    ),
  );
  assertRejected(r, "feature", /reference-types.*ref\.null/, ["validate"]);
});

test("a second table is rejected", () => {
  const r = check(
    wat(
      `(module ${FIXED_MEMORY} (table $a 1 funcref) (table $b 1 funcref) (func $f) (elem (table $b) (i32.const 0) func $f))`,
      binaryen.Features.All,
    ),
  );
  assertRejected(r, "table", /2 tables/, ["feature", "validate"]);
});

test("memory of 3 pages is rejected", () => {
  const r = check(wat(`(module (memory 3 3))`));
  assertRejected(r, "memory", /initial size 3 pages exceeds/);
  assert.ok(
    r.findings.some((f) => /maximum 3 pages exceeds/.test(f.message)),
    describe(r),
  );
});

test("memory without a maximum is rejected", () => {
  assertRejected(check(wat(`(module (memory 1))`)), "memory", /no maximum/);
});

test("memory whose initial size differs from its maximum is rejected", () => {
  assertRejected(
    check(wat(`(module (memory 1 2))`)),
    "memory",
    /initial \(1\) and maximum \(2\) pages differ/,
  );
});

test("memory.grow is rejected even within the maximum", () => {
  const r = check(
    wat(`(module ${FIXED_MEMORY} (func (export "f") (result i32) (memory.grow (i32.const 0))))`),
  );
  assertRejected(r, "memory.grow", /memory\.grow appears 1×/);
});

test("imports outside the allowed module are rejected, per binary kind", () => {
  const wasi = wat(
    `(module (import "wasi_snapshot_preview1" "fd_write" (func (param i32 i32 i32 i32) (result i32))) ${FIXED_MEMORY})`,
  );
  assertRejected(
    check(wasi, "firmware"),
    "import",
    /module "wasi_snapshot_preview1" is not allowed for firmware/,
  );
  assert.equal(check(wasi, "selftest").ok, true);
  const env = wat(`(module (import "env" "abort" (func (param i32 i32 i32 i32))) ${FIXED_MEMORY})`);
  assertRejected(check(env, "selftest"), "import", /module "env" is not allowed for selftest/);
});

test("an imported mutable global is rejected", () => {
  const r = check(wat(`(module (import "env" "g" (global (mut i32))) ${FIXED_MEMORY})`));
  assertRejected(r, "global", /imported mutable globals are not allowed/, ["import"]);
});

test("an exported mutable global passes under this profile and is rejected by one that forbids it", () => {
  const bytes = wat(`(module ${FIXED_MEMORY} (global (export "g") (mut i32) (i32.const 0)))`);
  assert.equal(check(bytes).ok, true, describe(check(bytes)));
  const strict = { ...profile, globals: { importMutable: false, exportMutable: false } };
  assertRejected(
    checkModule(bytes, strict, "firmware"),
    "global",
    /export "g" is a mutable global/,
  );
});

test("a binary over the size limit is rejected", () => {
  const bytes = wat(`(module (memory 1 1) (data (i32.const 0) "${"a".repeat(50_000)}"))`);
  assert.ok(bytes.length > 49152);
  assertRejected(
    check(bytes),
    "size",
    new RegExp(`binary is ${bytes.length} bytes; the device limit is 49152 bytes`),
  );
});

test("the taprunner kind has its own size limit; firmware and selftest keep the device's", () => {
  const bytes = wat(`(module (memory 2 2) (data (i32.const 0) "${"a".repeat(50_000)}"))`);
  assert.ok(bytes.length > 49152 && bytes.length < 57344);
  assert.equal(check(bytes, "taprunner").ok, true);
  assertRejected(check(bytes, "selftest"), "size", /the device limit is 49152 bytes/);
  const big = wat(`(module (memory 2 2) (data (i32.const 0) "${"a".repeat(58_000)}"))`);
  assertRejected(check(big, "taprunner"), "size", /the taprunner limit is 57344 bytes/);
});

test("a truncated binary is reported as malformed, not passed", () => {
  const good = wat(`(module ${FIXED_MEMORY} (func (export "f") (result i32) (i32.const 1)))`);
  assertRejected(check(good.subarray(0, good.length - 3)), "malformed", /unexpected end/);
});

test("the profile file is validated field by field", () => {
  const json = JSON.parse(
    readFileSync(path.join(repoRoot, "boards", "wasm3-profile.json"), "utf8"),
  ) as { features: { allowed: string[] } };
  json.features.allowed.push("simd-ish");
  assert.throws(() => parseProfile(json), /unknown feature "simd-ish"/);
});

test("the CLI exits 1 with a FAIL report for a violating binary and 0 for a good one", async () => {
  const dir = mkdtempSync(path.join(tmpdir(), "offtap-profile-"));
  try {
    const bad = path.join(dir, "bad.wasm");
    const good = path.join(dir, "good.wasm");
    writeFileSync(bad, wat(`(module (memory 1))`));
    writeFileSync(good, wat(`(module ${FIXED_MEMORY})`));
    const cli = path.join(repoRoot, "tools", "check-profile.ts");
    // Both runs at once: each process pays for loading binaryen.
    const run = (file: string) =>
      new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
        const child = spawn(process.execPath, ["--import", "tsx", cli, file, "--json"], {
          cwd: repoRoot,
        });
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (d: Buffer) => {
          stdout += d.toString();
        });
        child.stderr.on("data", (d: Buffer) => {
          stderr += d.toString();
        });
        child.on("close", (status) => resolve({ status, stdout, stderr }));
      });
    const [rb, rg] = await Promise.all([run(bad), run(good)]);
    assert.equal(rb.status, 1, rb.stderr);
    const report = JSON.parse(rb.stdout) as ProfileReport;
    assert.equal(report.ok, false);
    assert.ok(report.findings.some((f) => f.rule === "memory"));
    assert.equal(rg.status, 0, rg.stdout + rg.stderr);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
