// The engines `offtap vectors run --engine` runs vector files on:
//   v8     — build/offtap.wasm in this process (crypto through its exports, tapes through
//            the simulator's replaying board, host/sim/tape.ts);
//   wasi   — build/selftest.wasm (crypto) and build/taprunner.wasm (tapes) as WASI
//            commands, under node:wasi or an external runtime such as WASM3;
//   device — a board in test mode over a serial port (boards/TESTMODE.md).
// Every engine turns a file into one CaseResult per vector; none decides pass or fail on
// its own terms: crypto vectors are judged by the file's expectation, tapes by the
// recorded decision, receipt, signals and C-APDUs.
import { FirmwareCrypto } from "../firmware/crypto.ts";
import { firmwarePath, repoRoot } from "../firmware/paths.ts";
import path from "node:path";
import { replayTape, type Tape } from "../sim/tape.ts";
import { reasonName } from "../protocol/index.ts";
import type { EddsaVerifyFile } from "./wycheproof.ts";
import { judge, outcomeName, runCase } from "./run.ts";
import type { CaseResult } from "./results.ts";
import { judgeAnswer, verifyLine } from "./selftest-lines.ts";
import { judgeTapOutput, tapeToScript } from "./tapscript.ts";
import { runWasi } from "./wasi.ts";

export const ENGINES = ["v8", "wasi", "device"] as const;
export type EngineName = (typeof ENGINES)[number];

export const selftestWasm = path.join(repoRoot, "build", "selftest.wasm");
export const taprunnerWasm = path.join(repoRoot, "build", "taprunner.wasm");

export interface Engine {
  readonly name: EngineName;
  /** What ran the vectors, for reports: "node:wasi", "wasm3 …", "/dev/ttyUSB0 (board …)". */
  readonly description: string;
  runCrypto(file: EddsaVerifyFile): Promise<CaseResult[]>;
  runTape(tape: Tape): Promise<CaseResult>;
  close(): Promise<void>;
}

export function tapeName(t: Tape): string {
  return `tape ${t.id}${t.comment ? `: ${t.comment}` : ""}`;
}

function lastTapReason(t: Tape): string {
  const last = t.steps.filter((s) => s.op === "tap").at(-1);
  return last !== undefined && last.op === "tap" ? last.reason : "—";
}

/** A tape's result from a list of problems (empty = passed). */
export function tapeResult(t: Tape, problems: readonly string[], seconds: number, detail?: string): CaseResult {
  const r: CaseResult = { id: t.id, name: tapeName(t), passed: problems.length === 0, seconds };
  if (problems.length > 0) {
    r.message = problems[0]!;
    r.expected = lastTapReason(t);
    r.got = problems.join("; ");
    const lines = [...problems, ...(detail === undefined ? [] : ["runner output:", detail])];
    r.detail = lines.join("\n");
  }
  return r;
}

export class V8Engine implements Engine {
  readonly name = "v8" as const;
  readonly description = `V8 (${path.relative(process.cwd(), firmwarePath) || firmwarePath})`;
  private fw: FirmwareCrypto | undefined;

  async runCrypto(file: EddsaVerifyFile): Promise<CaseResult[]> {
    return file.cases.map((c) => {
      this.fw ??= new FirmwareCrypto();
      const fw = this.fw;
      const t0 = performance.now();
      const o = runCase(c, (pk, msg, sig) => fw.verify(pk, msg, sig));
      const seconds = (performance.now() - t0) / 1000;
      if (o.kind === "trap") this.fw = undefined; // a trap may leave the instance broken
      const passed = judge(c.result, o);
      const r: CaseResult = { id: String(c.tcId), tcId: c.tcId, name: `tcId ${c.tcId}${c.comment ? `: ${c.comment}` : ""}`, passed, seconds, comment: c.comment };
      if (!passed) { r.expected = c.result; r.got = outcomeName(o); r.message = `expected ${c.result}, got ${r.got}`; }
      return r;
    });
  }

  async runTape(tape: Tape): Promise<CaseResult> {
    const t0 = performance.now();
    let problems: string[];
    try {
      const report = replayTape(tape);
      problems = report.mismatches.map((m) => `step ${m.step}: ${m.what}`);
    } catch (e) {
      problems = [`firmware stopped: ${e instanceof Error ? e.message : String(e)}`];
    }
    return tapeResult(tape, problems, (performance.now() - t0) / 1000);
  }

  async close(): Promise<void> {}
}

export class WasiEngine implements Engine {
  readonly name = "wasi" as const;
  readonly description: string;

  constructor(private readonly runtime: string | null, private readonly selftest = selftestWasm, private readonly taprunner = taprunnerWasm) {
    this.description = runtime === null ? "node:wasi" : `external runtime: ${runtime}`;
  }

  async runCrypto(file: EddsaVerifyFile): Promise<CaseResult[]> {
    const lines = file.cases.map(verifyLine);
    const input = lines.filter((l): l is string => l !== null);
    const run = runWasi(this.selftest, `${input.join("\n")}\n`, this.runtime);
    if (run.exitCode !== 0 && run.lines.length < input.length) {
      throw new Error(`selftest exited with ${run.exitCode} after ${run.lines.length} of ${input.length} answers${run.stderr ? `: ${run.stderr.trim().slice(0, 300)}` : ""}`);
    }
    const share = run.ms / 1000 / Math.max(1, input.length);
    let k = 0;
    return file.cases.map((c, i) => (lines[i] === null ? judgeAnswer(c, null, 0) : judgeAnswer(c, run.lines[k++], share)));
  }

  async runTape(tape: Tape): Promise<CaseResult> {
    const script = tapeToScript(tape);
    const run = runWasi(this.taprunner, script.text, this.runtime);
    const v = judgeTapOutput(script, run.lines, run.exitCode);
    const detail = [...run.lines, ...(run.stderr.trim() ? [`stderr: ${run.stderr.trim().slice(0, 2000)}`] : []), `exit ${run.exitCode}`].join("\n");
    return tapeResult(tape, v.problems, run.ms / 1000, v.passed ? undefined : detail);
  }

  async close(): Promise<void> {}
}

export { reasonName };
