// `make bench-device WASM3_SRC=DIR`: what the firmware costs where it runs — instructions
// executed under WASM3 on an emulated Xtensa lx106 core (QEMU, -icount shift=0), counted
// with CCOUNT around each operation, and an ESP32 @240 MHz estimate calibrated on WASM3's
// fib(24). Instruction counts are deterministic: the same build gives the same numbers.
// Prints a table (or JSON with --json) and writes build/bench-device.json.
// Exit codes: 0 done, 1 a measurement failed (wrong answer, harness error), 2 usage error.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { firmwarePath, repoRoot } from "../../host/firmware/paths.ts";
import { judgeTapOutput, type TapScript } from "../../host/vectors/tapscript.ts";
import { cryptoJob, SHA_EXTRA_BLOCKS } from "./crypto-jobs.ts";
import { FIB_24, FIB_24_ESP32_MS, FIB_N, fibModule } from "./fib.ts";
import { encodeJob, instructions, runJob, type JobResult } from "./job.ts";
import {
  cachedTaps, cachedTapsWithoutTables, declinedTaps, firstTimeTaps, firstTimeTapsWrongHints,
  reinits, scriptOnly, vouchedFirstTaps, walletTablesBuild, type ScriptPair,
} from "./tapes.ts";
import { buildHarness, ToolchainError, type HarnessBuild } from "./toolchain.ts";

const USAGE = `usage: make bench-device WASM3_SRC=DIR
   or: node --import tsx tools/xtensa/bench-device.ts --wasm3-src DIR [--taps N] [--only P]
      [--json]

Runs build/offtap.wasm and build/taprunner.wasm under WASM3 (built from the checkout in
DIR, never fetched) on QEMU's Xtensa lx106 core and counts the instructions of: verify,
registered-key verify, sign, SHA-512 per block, first-time-wallet (certificate verified
or vouched for by clearing), cached-certificate and declined taps, init and ledger
recovery; with a counting build, the 64-bit multiplies.
Needs gcc-xtensa-lx106, picolibc-xtensa-lx106-elf and qemu-system-misc (Debian).

  --wasm3-src DIR  a checkout of the public wasm3 repository (default: $WASM3_SRC)
  --taps N         taps per tap figure (default 8; the figure is per tap)
  --only PREFIX    only the tap figures whose operation starts with PREFIX (e.g. "tap,
                   cached"): fib(24) calibration and those rows, no crypto, init, recovery
  --json           print the JSON report instead of the table
  -h, --help       this help`;

const TAPS_DEFAULT = 8;
const REINITS = 4;
const taprunnerPath = path.join(repoRoot, "build", "taprunner.wasm");

/** The brief's goals, in instructions (≈200 ms and ≈120 ms at fib(24)'s rate). */
export const GOALS = { firstTimeTap: 32.6e6, cachedTap: 19.6e6 } as const;

export interface DeviceRow {
  operation: string;
  instructions: number;
  esp32Ms: number;
  /** 64-bit multiply calls (__muldi3) in the counting build. */
  muls: number;
  /** Interpreter dispatches (WASM3's nextOp) in the counting build. */
  dispatches: number;
  note: string;
}

export interface DeviceReport {
  core: "xtensa lx106 (QEMU -M sim, -icount shift=0)";
  wasm3Src: string;
  ccountPerInstruction: number;
  fib24Instructions: number;
  rows: DeviceRow[];
  heapBytesMax: number;
}

interface Counts { ccount: number; muls: number; ops: number }

function warmCall(r: JobResult, name: string, expect?: number, nth = 0): Counts {
  const calls = r.calls.filter((c) => c.name === name);
  const warm = calls.filter((c) => c.rep > 0)[nth] ?? calls[calls.length - 1];
  if (warm === undefined) throw new Error(`the harness did not call ${name}`);
  if (expect !== undefined && warm.ret !== expect) {
    throw new Error(`${name} answered ${warm.ret}, expected ${expect}`);
  }
  return { ccount: warm.ccount, muls: warm.muls, ops: warm.ops };
}

/** Runs a script under the taprunner and checks every output line like a vector. */
function runScript(
  elf: string, wasm: Uint8Array, script: TapScript, judged = true,
): JobResult {
  const r = runJob(elf, encodeJob(wasm, [{ op: "wasi", stdin: Buffer.from(script.text) }]));
  const w = r.wasi[0];
  if (w === undefined) throw new Error("the taprunner did not run");
  if (!judged) return r;
  const verdict = judgeTapOutput(script, r.guestLines, w.exit);
  if (!verdict.passed) {
    const first = verdict.problems.slice(0, 3).join("; ");
    throw new Error(`taprunner on the device core disagreed: ${first}`);
  }
  return r;
}

interface PerUnit { instr: number; muls: number; ops: number; heap: number }

/** The scripted board's reading of a tap's script, measured apart (tapes.ts, scriptOnly). */
const SCRIPT_SHARE = "scripted board: one tap's script";

function perUnit(b: HarnessBuild, wasm: Uint8Array, p: ScriptPair, judged = true): PerUnit {
  const base = runScript(b.measured, wasm, p.base, judged);
  const work = runScript(b.measured, wasm, p.work, judged);
  const cBase = runScript(b.counting, wasm, p.base, judged);
  const cWork = runScript(b.counting, wasm, p.work, judged);
  const w = work.wasi[0]!;
  const bw = base.wasi[0]!;
  const instr = (instructions(work, w.ccount) - instructions(base, bw.ccount)) / p.units;
  const muls = (cWork.wasi[0]!.muls - cBase.wasi[0]!.muls) / p.units;
  const ops = (cWork.wasi[0]!.ops - cBase.wasi[0]!.ops) / p.units;
  return { instr, muls, ops, heap: Math.max(base.heapBytes, work.heapBytes) };
}

type AddRow = (operation: string, n: number, c: { muls: number; ops: number }) => void;

/** Direct export calls on build/offtap.wasm: verify, registered verify, sign, SHA-512
 *  per block. Returns the harness's heap high-water. */
function measureCrypto(b: HarnessBuild, firmware: Uint8Array<ArrayBuffer>, add: AddRow): number {
  const io = ioBufferOffset(firmware);
  const layout = cryptoJob(io);
  const job = encodeJob(firmware, layout.ops);
  const measured = runJob(b.measured, job);
  const counted = runJob(b.counting, job);
  for (const f of layout.figures) {
    const m = warmCall(measured, f.call, f.expect);
    add(f.label, instructions(measured, m.ccount), warmCall(counted, f.call, f.expect));
  }
  const shaShort = warmCall(measured, "sha512", undefined, 0);
  const shaLong = warmCall(measured, "sha512", undefined, 1);
  const cLong = warmCall(counted, "sha512", undefined, 1);
  const cShort = warmCall(counted, "sha512", undefined, 0);
  const perBlock = (x: number): number => x / SHA_EXTRA_BLOCKS;
  const shaInstr = instructions(measured, shaLong.ccount - shaShort.ccount);
  add("SHA-512 per 128-byte block", perBlock(shaInstr),
    { muls: perBlock(cLong.muls - cShort.muls), ops: perBlock(cLong.ops - cShort.ops) });
  return measured.heapBytes;
}

export function benchDevice(
  wasm3Src: string, taps: number, onStep: (s: string) => void, only?: string,
): DeviceReport {
  const b = buildHarness(wasm3Src);
  const firmware = readFileSync(firmwarePath);
  const taprunner = readFileSync(taprunnerPath);
  onStep("fib(24) calibration");
  const fibJob = encodeJob(fibModule(), [{ op: "call", name: "fib", args: [FIB_N], reps: 2 }]);
  const fib = runJob(b.measured, fibJob);
  const fib24 = instructions(fib, warmCall(fib, "fib", FIB_24).ccount);
  const ms = (n: number): number => (n / fib24) * FIB_24_ESP32_MS;
  const rows: DeviceRow[] = [];
  const add = (operation: string, n: number, c: { muls: number; ops: number }, note = ""): void => {
    rows.push({
      operation, instructions: Math.round(n), esp32Ms: ms(n), muls: Math.round(c.muls),
      dispatches: Math.round(c.ops), note,
    });
  };
  const fibCounted = warmCall(runJob(b.counting, fibJob), "fib", FIB_24);
  add(`fib(${FIB_N}) (calibration)`, fib24, fibCounted, `${FIB_24_ESP32_MS} ms published`);
  let heap = fib.heapBytes;

  if (only === undefined) {
    onStep("crypto");
    heap = Math.max(heap, measureCrypto(b, firmware, add));
  }
  const tapFigures: [string, () => ScriptPair, string][] = [
    ["tap, first-time wallet", () => firstTimeTaps(taps), "certificate + authorization verified"],
    ["tap, first-time wallet, wrong hints", () => firstTimeTapsWrongHints(taps),
      "every decoding hint wrong: the reader decodes on its own"],
    ["tap, first-time wallet, vouched", () => vouchedFirstTaps(taps),
      "certificate vouched for by clearing's deny list; authorization verified"],
    ["tap, cached certificate", () => cachedTaps(taps),
      "returning wallet: certificate cached, key tables built in idle"],
    ["tap, cached certificate, no key tables", () => cachedTapsWithoutTables(taps),
      "certificate cached, authorization on the plain verify"],
    ["tap, declined (forged certificate)", () => declinedTaps(taps), "one verify, then no"],
    ["idle: one wallet's key tables", () => walletTablesBuild(),
      "between taps, never on the tap path"],
  ];
  for (const [label, make, note] of tapFigures) {
    if (only !== undefined && !label.startsWith(only)) continue;
    onStep(label);
    const r = perUnit(b, taprunner, make());
    heap = Math.max(heap, r.heap);
    add(label, r.instr, r, note);
  }
  if (only === undefined || SCRIPT_SHARE.startsWith(only)) {
    onStep(SCRIPT_SHARE);
    const r = perUnit(b, taprunner, scriptOnly(firstTimeTaps(taps)), false);
    add(SCRIPT_SHARE, r.instr, r, "a first-time tap's script lines, counted in the tap rows");
  }
  if (only !== undefined) {
    return {
      core: "xtensa lx106 (QEMU -M sim, -icount shift=0)", wasm3Src, fib24Instructions: fib24,
      ccountPerInstruction: fib.ccountPerInstruction, rows, heapBytesMax: heap,
    };
  }
  onStep("init");
  const empty = reinits(REINITS, false);
  const e = perUnit(b, taprunner, empty);
  add("init (empty ledger)", e.instr, e, "provisioning, key tables, recovery");
  onStep("recovery");
  const full = reinits(REINITS, true);
  const f = perUnit(b, taprunner, full);
  add("ledger recovery (full 16 KiB ledger)", f.instr - e.instr,
    { muls: f.muls - e.muls, ops: f.ops - e.ops }, `${full.records} records; init excluded`);
  return {
    core: "xtensa lx106 (QEMU -M sim, -icount shift=0)", wasm3Src, fib24Instructions: fib24,
    ccountPerInstruction: fib.ccountPerInstruction, rows, heapBytesMax: Math.max(heap, f.heap),
  };
}

/** The firmware's I/O buffer offset, asked of the module itself in V8. */
function ioBufferOffset(wasm: Uint8Array<ArrayBuffer>): number {
  const module = new WebAssembly.Module(wasm);
  const env: Record<string, () => number> = {};
  for (const i of WebAssembly.Module.imports(module)) env[i.name] = (): number => 0;
  const inst = new WebAssembly.Instance(module, { env });
  return (inst.exports["ioBufferPtr"] as () => number)();
}

function formatMillions(n: number): string {
  return `${(n / 1e6).toFixed(2)} M`;
}

export function formatDeviceReport(r: DeviceReport): string {
  const head = ["operation", "instructions", "ESP32 est.", "i64 muls", "dispatches", "note"];
  const body = r.rows.map((x) => [
    x.operation, formatMillions(x.instructions), `${x.esp32Ms.toFixed(1)} ms`,
    x.muls.toLocaleString("en-US"), x.dispatches.toLocaleString("en-US"), x.note,
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((row) => row[i]!.length)));
  // Text columns (operation, note) align left, figures right.
  const cell = (c: string, i: number): string =>
    i === 0 || i === 5 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!);
  const line = (cells: string[]): string => cells.map(cell).join("  ").trimEnd();
  const tap = (op: string): number =>
    r.rows.find((x) => x.operation.startsWith(op))?.instructions ?? NaN;
  const goal = (label: string, n: number, g: number): string => {
    if (Number.isNaN(n)) return `  ${label}: not measured in this run (--only)`;
    const verdict = n <= g ? "met" : "not met";
    return `  ${label}: ${formatMillions(n)} of ≤ ${formatMillions(g)} — ${verdict}`;
  };
  const fib = formatMillions(r.fib24Instructions);
  const heap = r.heapBytesMax.toLocaleString("en-US");
  return [
    `Device cost: WASM3 on ${r.core}; CCOUNT ${r.ccountPerInstruction} per instruction`,
    `ESP32 @240 MHz estimate = instructions ÷ fib(24)'s ${fib} × ${FIB_24_ESP32_MS} ms` +
      " (±25 %, docs/PERFORMANCE.md)",
    "",
    line(head),
    line(widths.map((w) => "-".repeat(w))),
    ...body.map(line),
    "",
    "Goals:",
    goal("first-time-wallet tap", tap("tap, first-time wallet"), GOALS.firstTimeTap),
    goal("first-time-wallet tap, certificate vouched", tap("tap, first-time wallet, vouched"),
      GOALS.firstTimeTap),
    goal("cached-certificate tap", tap("tap, cached"), GOALS.cachedTap),
    `WASM3 heap high-water (harness, module + runtime + 2 pages): ${heap} B`,
  ].join("\n");
}

async function main(): Promise<number> {
  let values;
  try {
    values = parseArgs({
      options: {
        "wasm3-src": { type: "string" }, taps: { type: "string" }, only: { type: "string" },
        json: { type: "boolean" }, help: { type: "boolean", short: "h" },
      },
    }).values;
  } catch (err) {
    process.stderr.write(`bench-device: ${(err as Error).message}\n${USAGE}\n`);
    return 2;
  }
  if (values.help === true) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const src = values["wasm3-src"] ?? process.env["WASM3_SRC"] ?? "";
  if (src === "") {
    process.stderr.write(
      "bench-device: needs a WASM3 checkout (make bench-device WASM3_SRC=DIR)\n");
    return 2;
  }
  const taps = values.taps === undefined ? TAPS_DEFAULT : Number(values.taps);
  if (!Number.isInteger(taps) || taps < 1 || taps > 64) {
    process.stderr.write(`bench-device: --taps takes 1 … 64, got '${values.taps}'\n`);
    return 2;
  }
  const tty = process.stderr.isTTY === true;
  try {
    const report = benchDevice(path.resolve(src), taps, (s) => {
      if (tty) process.stderr.write(`\r\u001b[2Kmeasuring ${s}…`);
    }, values.only);
    if (tty) process.stderr.write("\r\u001b[2K");
    mkdirSync(path.join(repoRoot, "build"), { recursive: true });
    const json = `${JSON.stringify(report, null, 2)}\n`;
    writeFileSync(path.join(repoRoot, "build", "bench-device.json"), json);
    process.stdout.write(values.json === true ? json : `${formatDeviceReport(report)}\n`);
    return 0;
  } catch (err) {
    if (tty) process.stderr.write("\r\u001b[2K");
    const usage = err instanceof ToolchainError;
    process.stderr.write(`bench-device: ${(err as Error).message}\n`);
    return usage ? 2 : 1;
  }
}

process.exitCode = await main();
