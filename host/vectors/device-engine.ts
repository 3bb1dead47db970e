// The `device` engine: vector files run on a board in test mode over a serial port
// (boards/TESTMODE.md). Crypto vectors go line by line through `selftest`, tapes as tap
// scripts through `tap-begin`/`tap`/`tap-end`; the verdicts are the wasi engine's.
import { readFileSync } from "node:fs";
import { ABI_VERSION } from "../sim/abi.ts";
import { firmwarePath } from "../firmware/paths.ts";
import type { Tape } from "../sim/tape.ts";
import { TestModeClient, DeviceRequestError, DeviceTimeoutError, type Timeouts } from "../device/client.ts";
import { firmwareSha256 } from "../device/selftest-lines.ts";
import type { Identity } from "../device/protocol.ts";
import type { Engine } from "./engine.ts";
import { tapeResult } from "./engine.ts";
import type { CaseResult } from "./results.ts";
import { judgeAnswer, verifyLine } from "./selftest-lines.ts";
import { judgeTapOutput, tapeToScript } from "./tapscript.ts";
import type { EddsaVerifyFile } from "./wycheproof.ts";

export class DeviceEngine implements Engine {
  readonly name = "device" as const;
  description: string;
  /** Set when the board runs a firmware other than build/offtap.wasm (reported, not fatal). */
  firmwareNote: string | null = null;

  private constructor(private readonly client: TestModeClient, readonly identity: Identity, port: string) {
    this.description = `${port} (board ${identity.board}, ABI ${identity.abi}, firmware sha256 ${identity.firmwareSha256.slice(0, 16)}…)`;
    try {
      const local = firmwareSha256(readFileSync(firmwarePath));
      if (local !== identity.firmwareSha256) this.firmwareNote = `the board runs firmware ${identity.firmwareSha256.slice(0, 16)}…, not this build/offtap.wasm (${local.slice(0, 16)}…)`;
    } catch {
      this.firmwareNote = null;
    }
  }

  /** Opens the port and identifies the board; refuses a board of another ABI version. */
  static async open(port: string, baudRate?: number, timeouts?: Partial<Timeouts>): Promise<DeviceEngine> {
    const client = await TestModeClient.open(port, baudRate, timeouts);
    try {
      const id = await client.identify();
      if (id.abi !== ABI_VERSION) throw new Error(`the board on ${port} speaks ABI ${id.abi}; these vectors need ABI ${ABI_VERSION}`);
      return new DeviceEngine(client, id, port);
    } catch (e) {
      await client.close();
      throw e;
    }
  }

  async runCrypto(file: EddsaVerifyFile): Promise<CaseResult[]> {
    const out: CaseResult[] = [];
    for (const c of file.cases) {
      const line = verifyLine(c);
      if (line === null) { out.push(judgeAnswer(c, null, 0)); continue; }
      const t0 = performance.now();
      try {
        const answer = await this.client.selftest(line);
        out.push(judgeAnswer(c, answer, (performance.now() - t0) / 1000));
      } catch (e) {
        if (!(e instanceof DeviceTimeoutError || e instanceof DeviceRequestError)) throw e;
        const r = judgeAnswer(c, `error ${e.message}`, (performance.now() - t0) / 1000);
        out.push(r);
      }
    }
    return out;
  }

  async runTape(tape: Tape): Promise<CaseResult> {
    const script = tapeToScript(tape);
    const t0 = performance.now();
    try {
      const run = await this.client.runTapScript(script.text);
      const v = judgeTapOutput(script, run.lines, run.exitCode);
      return tapeResult(tape, v.problems, (performance.now() - t0) / 1000, v.passed ? undefined : [...run.lines, `exit ${run.exitCode}`].join("\n"));
    } catch (e) {
      if (!(e instanceof DeviceTimeoutError || e instanceof DeviceRequestError)) throw e;
      return tapeResult(tape, [e.message], (performance.now() - t0) / 1000);
    }
  }

  async close(): Promise<void> {
    await this.client.close();
  }
}
