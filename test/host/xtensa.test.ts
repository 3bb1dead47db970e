// The device-cost benchmark's own parts (tools/xtensa/): the calibration module, the job
// format, and the integer helpers the lx106 build links instead of libgcc's (a wrong
// helper would make every figure wrong). The harness itself runs under QEMU only when a
// WASM3 checkout is given (WASM3_SRC=DIR); CI has none and says so.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { repoRoot } from "../../host/firmware/paths.ts";
import { FIB_24, FIB_N, fibModule } from "../../tools/xtensa/fib.ts";
import { encodeJob, runJob, instructions } from "../../tools/xtensa/job.ts";
import { buildHarness, checkToolchain, ToolchainError } from "../../tools/xtensa/toolchain.ts";
import { Rng } from "../../host/sim/rng.ts";

test("the calibration module computes fib(24) in the shape of WASM3's benchmark", () => {
  const instance = new WebAssembly.Instance(new WebAssembly.Module(fibModule()));
  const fib = instance.exports["fib"] as (n: number) => number;
  assert.equal(fib(FIB_N), FIB_24);
  assert.deepEqual([0, 1, 2, 3, 10].map(fib), [0, 1, 1, 2, 55]);
});

test("a job lays out module, writes, calls and WASI runs as tools/xtensa/README.md says", () => {
  const job = encodeJob(Uint8Array.of(9, 8), [
    { op: "write", offset: 0x10, bytes: Uint8Array.of(0xaa) },
    { op: "call", name: "f", args: [-1], reps: 3 },
    { op: "wasi", stdin: Uint8Array.of(0x41) },
  ]);
  assert.equal(job.toString("hex"), [
    "4f545831", "02000000", "0908", "03000000",
    "01", "10000000", "01000000", "aa",
    "02", "01", "66", "01", "ffffffff", "03000000",
    "03", "01000000", "41",
  ].join(""));
});

const U64 = (1n << 64n) - 1n;
const U32 = (1n << 32n) - 1n;

function signed(x: bigint, bits: number): bigint {
  return BigInt.asIntN(bits, x);
}

/** What each helper must answer, by BigInt arithmetic (C's truncating division). */
function expected(op: string, a: bigint, b: bigint): bigint {
  switch (op) {
    case "muldi3": return (a * b) & U64;
    case "umulsidi3": return (a & U32) * (b & U32);
    case "udivsi3": return (a & U32) / (b & U32);
    case "umodsi3": return (a & U32) % (b & U32);
    case "divsi3": return BigInt.asUintN(32, signed(a, 32) / signed(b, 32));
    case "modsi3": return BigInt.asUintN(32, signed(a, 32) % signed(b, 32));
    case "udivdi3": return a / b;
    case "umoddi3": return a % b;
    case "divdi3": return BigInt.asUintN(64, signed(a, 64) / signed(b, 64));
    case "moddi3": return BigInt.asUintN(64, signed(a, 64) % signed(b, 64));
    default: throw new Error(op);
  }
}

const HELPERS = [
  "muldi3", "umulsidi3", "udivsi3", "umodsi3", "divsi3", "modsi3",
  "udivdi3", "umoddi3", "divdi3", "moddi3",
];
const EDGES = [
  0n, 1n, 2n, 3n, 0x7fffffffn, 0x80000000n, U32, 1n << 32n, (1n << 63n) - 1n, 1n << 63n, U64,
];

test("the lx106 integer helpers agree with exact arithmetic on edges and random pairs", (t) => {
  const gcc = spawnSync("sh", ["-c", "command -v cc"], { encoding: "utf8" });
  if (gcc.status !== 0) {
    t.skip("no host C compiler (cc) to build the helpers for the host");
    return;
  }
  const dir = mkdtempSync(path.join(tmpdir(), "offtap-xt-"));
  try {
    const exe = path.join(dir, "helpers");
    const rename = [...HELPERS.map((h) => `-D__${h}=xt_${h}`)];
    const build = spawnSync("cc", [
      "-std=c11", "-O1", "-Wall", "-Wextra", "-Werror", ...rename,
      path.join(repoRoot, "tools", "xtensa", "libgcc-lx106.c"),
      path.join(repoRoot, "test", "host", "xtensa", "helpers-driver.c"), "-o", exe,
    ], { encoding: "utf8" });
    assert.equal(build.status, 0, build.stderr);
    const rng = Rng.from("xtensa helpers");
    const cases: [string, bigint, bigint][] = [];
    const word = (): bigint => BigInt(rng.nextU32());
    const rand64 = (): bigint => (word() << 32n) | word();
    for (const op of HELPERS) {
      const narrow = op.endsWith("si3") && !op.startsWith("umulsi");
      const divides = op.includes("div") || op.includes("mod");
      for (const a of EDGES) for (const b of EDGES) {
        const [x, y] = narrow ? [a & U32, b & U32] : [a, b];
        if (divides && y === 0n) continue;
        if (op === "divdi3" && signed(x, 64) === -(1n << 63n) && signed(y, 64) === -1n) continue;
        if (op === "divsi3" && signed(x, 32) === -(1n << 31n) && signed(y, 32) === -1n) continue;
        cases.push([op, x, y]);
      }
      for (let i = 0; i < 400; i++) {
        const x = narrow ? word() : rand64();
        let y = narrow ? word() : rng.below(2) === 0 ? word() : rand64();
        if (divides && y === 0n) y = 7n;
        cases.push([op, x, y]);
      }
    }
    const input = cases.map(([op, a, b]) => `${op} ${a.toString(16)} ${b.toString(16)}`).join("\n");
    const r = spawnSync(exe, [], { input: `${input}\n`, encoding: "utf8", maxBuffer: 16 << 20 });
    assert.equal(r.status, 0, r.stderr);
    const got = r.stdout.trim().split("\n");
    assert.equal(got.length, cases.length);
    cases.forEach(([op, a, b], i) => {
      assert.equal(BigInt(`0x${got[i]}`), expected(op, a, b), `${op}(${a}, ${b})`);
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("with a WASM3 checkout, the harness runs fib(24) on the emulated lx106 core", (t) => {
  const src = process.env["WASM3_SRC"] ?? "";
  if (src === "") {
    t.skip("WASM3_SRC is not set: the device harness needs a WASM3 checkout (make bench-device)");
    return;
  }
  try {
    checkToolchain(src);
  } catch (err) {
    if (err instanceof ToolchainError) {
      t.skip(`device harness not built: ${err.message}`);
      return;
    }
    throw err;
  }
  const elf = buildHarness(src).measured;
  assert.ok(existsSync(elf));
  const job = encodeJob(fibModule(), [{ op: "call", name: "fib", args: [FIB_N], reps: 2 }]);
  const r = runJob(elf, job);
  assert.equal(r.ccountPerInstruction, 0.04);
  assert.deepEqual(r.calls.map((c) => c.ret), [FIB_24, FIB_24]);
  const warm = instructions(r, r.calls[1]!.ccount);
  // Deterministic: the same build counts the same again.
  const again = runJob(elf, job);
  assert.equal(instructions(again, again.calls[1]!.ccount), warm);
  assert.ok(warm > 1e6, `fib(24) took ${warm} instructions`);
});

test("crypto-quick and verify-v8 answer --help with 0 and bad usage with 2", () => {
  const run = (script: string, args: string[]): number | null => spawnSync(
    process.execPath, ["--import", "tsx", path.join(repoRoot, script), ...args],
    { encoding: "utf8", env: { ...process.env, WASM3_SRC: "" } }).status;
  assert.equal(run("tools/xtensa/crypto-quick.ts", ["--help"]), 0);
  assert.equal(run("tools/xtensa/crypto-quick.ts", []), 2, "no WASM3 checkout named");
  assert.equal(run("tools/xtensa/crypto-quick.ts", ["--wasm3-src", "/nonexistent"]), 2);
  assert.equal(run("tools/bench/verify-v8.ts", ["--help"]), 0);
  assert.equal(run("tools/bench/verify-v8.ts", ["--rounds", "0"]), 2);
});
