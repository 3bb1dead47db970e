// A reader board in test mode, emulated: the real build/offtap.wasm in V8 behind one end
// of a serial line (a pseudo-terminal from host/serial/pty.ts in the tests), answering the
// test-mode protocol of boards/TESTMODE.md exactly as a board does: `selftest` lines go to
// the firmware's crypto exports, `tap` lines drive the firmware on a board whose radio,
// RNG and clock follow the script. QA's device engine is tested end to end against it.
import { readFileSync } from "node:fs";
import { FirmwareCrypto, loadCryptoExports } from "../firmware/crypto.ts";
import { firmwarePath } from "../firmware/paths.ts";
import { ABI_VERSION } from "../sim/abi.ts";
import { SerialTransport } from "../serial/transport.ts";
import {
  DEFAULT_BAUD, TESTMODE_LINE_BYTES_MAX, TESTMODE_PROTOCOL_VERSION, openLine, parseRequest,
  sealLine, type ErrorCode,
} from "./protocol.ts";
import { answerSelftestLine, firmwareSha256 } from "./selftest-lines.ts";
import { ScriptError, TapSession } from "./tap-session.ts";

export interface EmulatorOptions {
  /** The serial device the emulated board sits on (the pty pair's device end). */
  path: string;
  baudRate?: number;
  wasmPath?: string;
  /** Board profile id reported by identify. */
  boardId?: string;
  /** Test hooks: drop the answer to every request whose command matches (a hung board). */
  silentCommands?: readonly string[];
  /** Test hook: ABI version to report instead of the firmware's own. */
  reportAbi?: number;
}

export class DeviceEmulator {
  private session: TapSession | undefined;
  private crypto: FirmwareCrypto;
  private readonly sha256: string;
  private stopped = false;
  private loop: Promise<void> | undefined;
  /** Requests answered, for tests. */
  requests = 0;

  private constructor(private readonly port: SerialTransport, private readonly o: EmulatorOptions) {
    const wasm = o.wasmPath ?? firmwarePath;
    this.sha256 = firmwareSha256(readFileSync(wasm));
    this.crypto = new FirmwareCrypto(loadCryptoExports(wasm));
  }

  static async start(o: EmulatorOptions): Promise<DeviceEmulator> {
    const baudRate = o.baudRate ?? DEFAULT_BAUD;
    const port = await SerialTransport.open(o.path, { baudRate, lock: false });
    const emu = new DeviceEmulator(port, o);
    await emu.send(`0 ready offtap-testmode ${TESTMODE_PROTOCOL_VERSION}`);
    emu.loop = emu.serve();
    return emu;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.port.close();
    await this.loop?.catch(() => undefined);
  }

  private async send(line: string): Promise<void> {
    await this.port.write(Buffer.from(`${line}\n`, "utf8"));
  }

  private async serve(): Promise<void> {
    let pending = "";
    while (!this.stopped) {
      let chunk: Uint8Array;
      try {
        chunk = await this.port.read(200);
      } catch {
        return; // port closed
      }
      pending += Buffer.from(chunk).toString("latin1");
      let nl: number;
      while ((nl = pending.indexOf("\n")) >= 0) {
        const line = pending.slice(0, nl).replace(/\r$/, "");
        pending = pending.slice(nl + 1);
        await this.handle(line);
      }
      if (pending.length > TESTMODE_LINE_BYTES_MAX) {
        pending = "";
        await this.send(`0 err line-too-long request longer than ${TESTMODE_LINE_BYTES_MAX} bytes`);
      }
    }
  }

  private async handle(raw: string): Promise<void> {
    if (raw.trim() === "") return;
    const opened = openLine(raw);
    if (opened === null) return this.send(`0 err checksum line damaged (resend it)`);
    const req = parseRequest(opened.body);
    if (req === null) return this.send(`0 err bad-request not "<seq> <command> …"`);
    // Answers are sealed when the request was (boards/CONSOLE.md), plain otherwise.
    const out = (l: string): Promise<void> => this.send(opened.sealed ? sealLine(l) : l);
    this.requests++;
    if (this.o.silentCommands?.includes(req.command)) return;
    const lines: string[] = [];
    let result: { ok: string } | { err: ErrorCode; text: string };
    try {
      result = this.dispatch(req.command, req.rest, lines);
    } catch (e) {
      // A firmware abort or a broken device rule: a bug, never a vector outcome.
      this.session = undefined;
      this.crypto = new FirmwareCrypto(loadCryptoExports(this.o.wasmPath ?? firmwarePath));
      const text = e instanceof Error ? e.message.replace(/\s+/g, " ") : String(e);
      result = { err: "internal", text };
    }
    for (const l of lines) await out(`${req.seq} > ${l}`);
    const terminal = "ok" in result
      ? `${req.seq} ok${result.ok ? ` ${result.ok}` : ""}`
      : `${req.seq} err ${result.err}${result.text ? ` ${result.text}` : ""}`;
    await out(terminal);
  }

  private dispatch(
    command: string, rest: string, lines: string[],
  ): { ok: string } | { err: ErrorCode; text: string } {
    switch (command) {
      case "identify":
        return { ok: `board=${this.o.boardId ?? "emulator"} ` +
          `abi=${this.o.reportAbi ?? ABI_VERSION} firmware=${this.sha256} ` +
          `protocol=${TESTMODE_PROTOCOL_VERSION} line-max=${TESTMODE_LINE_BYTES_MAX}` };
      case "selftest":
        return { ok: answerSelftestLine(this.crypto, rest) };
      case "tap-begin":
        this.session = new TapSession(this.o.wasmPath);
        return { ok: "" };
      case "tap": {
        const s = this.session;
        if (s === undefined) return { err: "no-session", text: "send tap-begin first" };
        try {
          lines.push(...s.line(rest));
        } catch (e) {
          if (!(e instanceof ScriptError)) throw e;
          this.session = undefined;
          return { err: "script", text: e.message };
        }
        return { ok: "" };
      }
      case "tap-end": {
        const s = this.session;
        if (s === undefined) return { err: "no-session", text: "no tap session is open" };
        this.session = undefined;
        const end = s.end();
        lines.push(...end.lines);
        return { ok: String(end.exitCode) };
      }
      case "reset":
        this.session = undefined;
        return { ok: "" };
      default:
        return { err: "unknown-command", text: command };
    }
  }
}
