// The crypto rows of `make bench-device` alone, for one firmware file: verify,
// registered-key verify and sign, instructions (measured build) with i64 multiplies and
// dispatches (counting build). One QEMU run per build: the loop to use while shaping the
// field and point arithmetic (tools/xtensa/README.md), not a replacement for the bench.
// Exit codes: 0 done, 1 a measurement failed (wrong answer, harness error), 2 usage error.
import { readFileSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { firmwarePath } from "../../host/firmware/paths.ts";
import { cryptoJob } from "./crypto-jobs.ts";
import { encodeJob, instructions, runJob, type JobResult } from "./job.ts";
import { buildHarness, ToolchainError } from "./toolchain.ts";

const USAGE = `usage: node --import tsx tools/xtensa/crypto-quick.ts --wasm3-src DIR [--wasm FILE]
                 [--json]

Counts verify, registered-key verify and sign of FILE (default build/offtap.wasm) under
WASM3 on QEMU's Xtensa lx106 core, as make bench-device does, without the tap figures.

  --wasm3-src DIR  a checkout of the public wasm3 repository (default: $WASM3_SRC)
  --wasm FILE      the firmware to measure (default build/offtap.wasm)
  --json           print JSON instead of a table
  -h, --help       this help`;

interface QuickRow { operation: string; instructions: number; muls: number; dispatches: number }

function warm(r: JobResult, name: string, expect: number): JobResult["calls"][number] {
  const c = r.calls.find((x) => x.name === name && x.rep > 0);
  if (c === undefined) throw new Error(`the harness did not call ${name}`);
  if (c.ret !== expect) throw new Error(`${name} answered ${c.ret}, expected ${expect}`);
  return c;
}

function ioBufferOffset(wasm: Uint8Array<ArrayBuffer>): number {
  const module = new WebAssembly.Module(wasm);
  const env: Record<string, () => number> = {};
  for (const i of WebAssembly.Module.imports(module)) env[i.name] = (): number => 0;
  const inst = new WebAssembly.Instance(module, { env });
  return (inst.exports["ioBufferPtr"] as () => number)();
}

export function cryptoQuick(wasm3Src: string, wasmFile: string): QuickRow[] {
  const b = buildHarness(wasm3Src);
  const wasm = readFileSync(wasmFile);
  const layout = cryptoJob(ioBufferOffset(wasm));
  const job = encodeJob(wasm, layout.ops);
  const measured = runJob(b.measured, job);
  const counted = runJob(b.counting, job);
  return layout.figures.map((f) => {
    const m = warm(measured, f.call, f.expect);
    const c = warm(counted, f.call, f.expect);
    return {
      operation: f.label, instructions: instructions(measured, m.ccount),
      muls: c.muls, dispatches: c.ops,
    };
  });
}

function main(): number {
  let values;
  try {
    values = parseArgs({
      options: {
        "wasm3-src": { type: "string" }, wasm: { type: "string" },
        json: { type: "boolean" }, help: { type: "boolean", short: "h" },
      },
    }).values;
  } catch (err) {
    process.stderr.write(`crypto-quick: ${(err as Error).message}\n${USAGE}\n`);
    return 2;
  }
  if (values.help === true) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const src = values["wasm3-src"] ?? process.env["WASM3_SRC"] ?? "";
  if (src === "") {
    process.stderr.write("crypto-quick: needs a WASM3 checkout (--wasm3-src DIR)\n");
    return 2;
  }
  try {
    const rows = cryptoQuick(path.resolve(src), values.wasm ?? firmwarePath);
    if (values.json === true) {
      process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
      return 0;
    }
    for (const r of rows) {
      const n = (x: number): string => x.toLocaleString("en-US").padStart(12);
      process.stdout.write(`${r.operation.padEnd(22)} ${n(r.instructions)} instr` +
        ` ${n(r.muls)} muls ${n(r.dispatches)} dispatches\n`);
    }
    return 0;
  } catch (err) {
    process.stderr.write(`crypto-quick: ${(err as Error).message}\n`);
    return err instanceof ToolchainError ? 2 : 1;
  }
}

process.exitCode = main();
