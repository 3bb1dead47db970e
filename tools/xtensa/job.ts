// A job for the device-cost harness (format in tools/xtensa/README.md), and running one
// under QEMU: `-M sim -cpu lx106 -semihosting -icount shift=0`, the job on stdin.
import { spawnSync } from "node:child_process";
import { QEMU } from "./toolchain.ts";

const OP_WRITE = 1;
const OP_CALL = 2;
const OP_WASI = 3;
/** A job that runs longer than this under QEMU has hung. */
const RUN_TIMEOUT_MS = 600_000;

export type JobOp =
  | { op: "write"; offset: number; bytes: Uint8Array }
  | { op: "call"; name: string; args: number[]; reps: number }
  | { op: "wasi"; stdin: Uint8Array };

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n >>> 0);
  return b;
}

export function encodeJob(wasm: Uint8Array, ops: readonly JobOp[]): Buffer {
  const parts: Buffer[] = [
    Buffer.from("OTX1"), u32(wasm.length), Buffer.from(wasm), u32(ops.length),
  ];
  for (const o of ops) {
    if (o.op === "write") {
      parts.push(Buffer.from([OP_WRITE]), u32(o.offset), u32(o.bytes.length), Buffer.from(o.bytes));
    } else if (o.op === "call") {
      const name = Buffer.from(o.name, "ascii");
      parts.push(Buffer.from([OP_CALL, name.length]), name, Buffer.from([o.args.length]));
      parts.push(...o.args.map(u32), u32(o.reps));
    } else {
      parts.push(Buffer.from([OP_WASI]), u32(o.stdin.length), Buffer.from(o.stdin));
    }
  }
  return Buffer.concat(parts);
}

export interface CallResult {
  name: string; rep: number; ret: number; ccount: number; muls: number; ops: number;
}
export interface WasiResult { exit: number; ccount: number; muls: number; ops: number }

export interface JobResult {
  /** CCOUNT ticks per instruction, from the harness's calibration loop. */
  ccountPerInstruction: number;
  loadCcount: number;
  calls: CallResult[];
  wasi: WasiResult[];
  heapBytes: number;
  /** What the guest wrote (WASI stdout/stderr), lines. */
  guestLines: string[];
}

const CALL = /^call (\S+) rep=(\d+) ret=(-?\d+) ccount=(\d+) muls=(\d+) ops=(\d+)$/;
const WASI = /^wasi exit=(-?\d+) ccount=(\d+) muls=(\d+) ops=(\d+)$/;
const CALIBRATION = /^calibration instructions=(\d+) ccount=(\d+)$/;

export function runJob(elf: string, job: Buffer): JobResult {
  const r = spawnSync(QEMU, [
    "-M", "sim", "-cpu", "lx106", "-nographic", "-monitor", "none", "-semihosting",
    "-icount", "shift=0", "-kernel", elf,
  ], { input: job, maxBuffer: 64 << 20, timeout: RUN_TIMEOUT_MS });
  if (r.error) throw new Error(`${QEMU} could not run: ${r.error.message}`);
  const err = r.stderr.toString("utf8").split("\n").filter((l) => l !== "");
  if (r.status !== 0) throw new Error(`harness exited ${r.status}: ${err.slice(-3).join(" | ")}`);
  const out: JobResult = {
    ccountPerInstruction: 0, loadCcount: 0, calls: [], wasi: [], heapBytes: 0,
    guestLines: r.stdout.toString("utf8").split("\n").filter((l) => l !== ""),
  };
  for (const line of err) {
    let m: RegExpExecArray | null;
    if ((m = CALL.exec(line)) !== null) {
      out.calls.push({
        name: m[1]!, rep: +m[2]!, ret: +m[3]!, ccount: +m[4]!, muls: +m[5]!, ops: +m[6]!,
      });
    } else if ((m = WASI.exec(line)) !== null) {
      out.wasi.push({ exit: +m[1]!, ccount: +m[2]!, muls: +m[3]!, ops: +m[4]! });
    } else if ((m = CALIBRATION.exec(line)) !== null) {
      out.ccountPerInstruction = +m[2]! / +m[1]!;
    } else if (line.startsWith("load ccount=")) {
      out.loadCcount = +line.slice("load ccount=".length);
    } else if (line.startsWith("done heap=")) {
      out.heapBytes = +line.slice("done heap=".length);
    }
  }
  if (out.ccountPerInstruction <= 0) throw new Error("the harness printed no calibration line");
  return out;
}

/** CCOUNT ticks → instructions, with the calibration of the same run. */
export function instructions(r: JobResult, ccount: number): number {
  return Math.round(ccount / r.ccountPerInstruction);
}
