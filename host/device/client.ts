// The host side of the device test-mode protocol (boards/TESTMODE.md): opens the serial
// port, identifies the board, and runs selftest lines and tap scripts on it. Each request
// carries a sequence number; lines with another number (answers to a request that timed
// out, boot chatter) are skipped, so one lost answer costs one vector, not the run.
import { SerialTransport, SerialError } from "../serial/transport.ts";
import {
  DEFAULT_BAUD, SEQ_MAX, TESTMODE_LINE_BYTES_MAX, TIMEOUT_MS, openLine, parseIdentity,
  parseResponse, sealLine, type Identity,
} from "./protocol.ts";

/** The board answered `err …` (the request was understood and refused). */
export class DeviceRequestError extends Error {
  constructor(readonly code: string, message: string) {
    super(message);
    this.name = "DeviceRequestError";
  }
}

/** The board did not answer in time (or the port failed). */
export class DeviceTimeoutError extends Error {
  override name = "DeviceTimeoutError";
}

export interface DeviceAnswer {
  /** Lines the request printed (`<seq> > …`), in order. */
  lines: string[];
  /** The terminal `ok` line's text. */
  ok: string;
}

export type Timeouts = { [K in keyof typeof TIMEOUT_MS]: number };

export class TestModeClient {
  private seq = 0;
  private pending = "";

  private constructor(
    private readonly port: SerialTransport,
    private readonly timeouts: Timeouts,
  ) {}

  /** Opens the port; `timeouts` overrides the protocol's defaults (tests use short ones). */
  static async open(
    path: string, baudRate = DEFAULT_BAUD, timeouts: Partial<Timeouts> = {},
  ): Promise<TestModeClient> {
    const port = await SerialTransport.open(path, { baudRate });
    return new TestModeClient(port, { ...TIMEOUT_MS, ...timeouts });
  }

  async close(): Promise<void> {
    await this.port.close();
  }

  private nextSeq(): number {
    this.seq = this.seq >= SEQ_MAX ? 1 : this.seq + 1;
    return this.seq;
  }

  private async readLine(deadline: number): Promise<string> {
    for (;;) {
      const nl = this.pending.indexOf("\n");
      if (nl >= 0) {
        const line = this.pending.slice(0, nl).replace(/\r$/, "");
        this.pending = this.pending.slice(nl + 1);
        return line;
      }
      const left = deadline - Date.now();
      if (left <= 0) throw new DeviceTimeoutError("no answer in time");
      let chunk: Uint8Array;
      try {
        chunk = await this.port.read(left);
      } catch (e) {
        const timedOut = e instanceof SerialError && e.kind === "timeout";
        throw timedOut ? new DeviceTimeoutError(e.message) : e;
      }
      this.pending += Buffer.from(chunk).toString("latin1");
      const runaway = this.pending.length > 4 * TESTMODE_LINE_BYTES_MAX;
      if (runaway && this.pending.indexOf("\n") < 0) this.pending = "";
    }
  }

  /** Sends one request and collects its output lines up to the terminal ok/err line. */
  async request(command: string, rest: string | null, timeoutMs: number): Promise<DeviceAnswer> {
    const seq = this.nextSeq();
    const line = `${seq} ${command}${rest === null ? "" : ` ${rest}`}`;
    if (line.length > TESTMODE_LINE_BYTES_MAX) {
      const why = `request of ${line.length} bytes exceeds ${TESTMODE_LINE_BYTES_MAX}`;
      throw new DeviceRequestError("line-too-long", why);
    }
    // Sealed with a CRC-32 (boards/CONSOLE.md): a protocol-1 board reads the seal as part of
    // the line and the emulator strips it; the board runtime refuses unsealed requests.
    await this.port.write(Buffer.from(`${sealLine(line)}\n`, "latin1"));
    const deadline = Date.now() + timeoutMs;
    const lines: string[] = [];
    for (;;) {
      let got: string;
      try {
        got = await this.readLine(deadline);
      } catch (e) {
        if (e instanceof DeviceTimeoutError) {
          const why = `${this.port.path}: no answer to '${command}' within ${timeoutMs} ms`;
          throw new DeviceTimeoutError(why);
        }
        throw e;
      }
      const opened = openLine(got);
      if (opened === null) continue; // a damaged line: as if lost (the request times out)
      const r = parseResponse(opened.body);
      if (r === null || r.seq !== seq) continue; // stale answers, logs, boot messages
      if (r.kind === "out") lines.push(r.text);
      else if (r.kind === "ok") return { lines, ok: r.text };
      else {
        const why = `board refused '${command}': ${r.code}${r.text ? ` ${r.text}` : ""}`;
        throw new DeviceRequestError(r.code, why);
      }
    }
  }

  async identify(): Promise<Identity> {
    const a = await this.request("identify", null, this.timeouts.identify);
    return parseIdentity(a.ok);
  }

  /** One selftest line (docs/SELFTEST.md) → its answer line. */
  async selftest(line: string): Promise<string> {
    return (await this.request("selftest", line, this.timeouts.selftest)).ok;
  }

  /** Runs a whole tap script; returns every output line and the exit code, as taprunner
   *  would print them. A script error ends the session and is returned as an `error` line. */
  async runTapScript(script: string): Promise<{ lines: string[]; exitCode: number }> {
    await this.request("tap-begin", null, this.timeouts.session);
    const out: string[] = [];
    let n = 0;
    for (const raw of script.split("\n")) {
      n++;
      const line = raw.replace(/\r$/, "");
      if (line.trim() === "" || line.trimStart().startsWith("#")) continue;
      try {
        out.push(...(await this.request("tap", line, this.timeouts.tapLine)).lines);
      } catch (e) {
        if (e instanceof DeviceRequestError && e.code === "script") {
          return { lines: [...out, `error line ${n}: ${e.message}`], exitCode: 65 };
        }
        if (e instanceof DeviceTimeoutError) {
          await this.request("reset", null, this.timeouts.session).catch(() => undefined);
        }
        throw e;
      }
    }
    const end = await this.request("tap-end", null, this.timeouts.session);
    const exitCode = Number(end.ok);
    return { lines: [...out, ...end.lines], exitCode: Number.isInteger(exitCode) ? exitCode : 70 };
  }
}
