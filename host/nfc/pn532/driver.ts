// The PN532 driver (host controller side, HSU link): wake-up, SAMConfiguration, firmware
// check, RF configuration, passive activation of ISO/IEC 14443-4 type A targets,
// InDataExchange with MI chaining both ways, presence check, release, field off, power
// down, and target mode (TgInitAsTarget, TgGetData, TgSetData). Synchronous: the board's
// nfcTransceive must answer before the firmware goes on (host/nfc/link.ts says how).
// Expected failures are values (DriverResult); docs/NFC.md §3 lists them.
import { ERR_FIELD_LOST, ERR_FRAME, ERR_OVERFLOW, ERR_TIMEOUT } from "../../sim/abi.ts";
import { LinkError, sleepSync, type ByteLink } from "../link.ts";
import {
  ACK_FRAME, FrameParser, NACK_FRAME, TFI_CHIP, TFI_ERROR, TFI_HOST, WAKEUP_PREAMBLE, encodeFrame,
  frameOverheadBytes,
} from "./frame.ts";
import {
  BRTY_106A, CMD, DIAG_PRESENCE, EXCHANGE_DATA_MAX, PARAM_AUTO_ATR_RES, PARAM_AUTO_RATS, RF_FIELD, RF_MAX_RETRIES,
  RF_MAX_RETRY_COM, SAK_ISO14443_4, TG_ACTIVATED_PICC_106, TG_MODE_PASSIVE_ONLY, TG_MODE_PICC_ONLY,
} from "./commands.ts";
import { STATUS_ERROR_MASK, STATUS_MI, ST_OK, ST_RELEASED, ST_TIMEOUT, statusInfo, type AbiNfcError } from "./status.ts";

export type DriverErrorKind =
  | "no-ack" // the chip did not acknowledge the frame (asleep, unplugged, wrong baud)
  | "timeout" // acknowledged, but no answer in time (the command was aborted)
  | "frame" // the answer was malformed: checksums, lengths, TFI, command code
  | "syntax" // the chip sent its error frame: it found our command malformed
  | "oversized" // the chip announced a frame longer than it can send
  | "status" // the chip reported an error status byte
  | "not-iso-dep" // the target in the field does not speak ISO/IEC 14443-4
  | "io"; // the serial device failed

export interface DriverError {
  kind: DriverErrorKind;
  /** For kind "status": the status byte's error code. */
  status?: number;
  /** The board's NFC error for it. */
  abi: AbiNfcError;
  message: string;
}

export type DriverResult<T> = { ok: true; value: T } | { ok: false; error: DriverError };

export interface Target {
  sensRes: Uint8Array;
  selRes: number;
  uid: Uint8Array;
  /** The ATS with its length byte, or empty when the target sent none. */
  ats: Uint8Array;
}

export interface DriverOptions {
  /** Passive activation retries per poll (MxRtyPassiveActivation; 0xFF = for ever). */
  pollRetries?: number;
  /** Waiting for the ACK of a frame, beyond the time its bytes take on the line. */
  ackTimeoutMs?: number;
  /** Margin over a command's own timeout for the chip's processing. */
  answerMarginMs?: number;
}

/** Counters of the link, for the reader's timing split (docs/NFC.md §4). */
export interface LinkStats {
  bytesOut: number;
  bytesIn: number;
  /** Milliseconds spent inside commands (link + chip + RF). */
  commandMs: number;
  commands: number;
}

/** A PN532 acknowledges within a millisecond; the margin covers a loaded desktop (and the
 *  emulator on it) without making a dead chip slow to report. */
const ACK_TIMEOUT_MS = 250;
/** SAMConfiguration attempts at start-up (each with the wake-up preamble). */
const WAKE_ATTEMPTS_MAX = 2;
const ANSWER_MARGIN_MS = 30;
/** Time for commands that do not touch the RF (configuration, diagnostics). */
const LOCAL_COMMAND_MS = 100;
/** NACKs sent to get a damaged answer again before giving up. */
const NACK_RETRIES_MAX = 2;
/** SAMConfiguration: normal mode, virtual-card timeout 1 s (0x14 × 50 ms), use IRQ. */
const SAM_NORMAL = Uint8Array.of(0x01, 0x14, 0x01);
/** PowerDown wake-up sources: HSU (bit 4) and RF field (bit 5). */
const WAKE_HSU_RF = 0x30;

function err(kind: DriverErrorKind, abi: AbiNfcError, message: string, status?: number): { ok: false; error: DriverError } {
  return { ok: false, error: { kind, abi, message, ...(status === undefined ? {} : { status }) } };
}

export class Pn532Driver {
  readonly stats: LinkStats = { bytesOut: 0, bytesIn: 0, commandMs: 0, commands: 0 };
  private readonly parser = new FrameParser();
  private asleep = true;
  private readonly o: Required<DriverOptions>;
  /** The activated target, until released. */
  target: Target | undefined;

  constructor(private readonly link: ByteLink, options: DriverOptions = {}) {
    this.o = {
      pollRetries: options.pollRetries ?? 1, ackTimeoutMs: options.ackTimeoutMs ?? ACK_TIMEOUT_MS,
      answerMarginMs: options.answerMarginMs ?? ANSWER_MARGIN_MS,
    };
  }

  /** Milliseconds `bytes` take on the HSU line (10 bits each). */
  lineMs(bytes: number): number { return (bytes * 10_000) / this.link.baud; }

  /** Wakes the chip, leaves low-VBAT mode, checks it is a PN532 and sets it up as a reader. */
  begin(): DriverResult<{ ic: number; version: string }> {
    let sam = this.command(CMD.SAMConfiguration, SAM_NORMAL, LOCAL_COMMAND_MS);
    for (let i = 1; i < WAKE_ATTEMPTS_MAX && !sam.ok && sam.error.kind === "no-ack"; i++) {
      sam = this.command(CMD.SAMConfiguration, SAM_NORMAL, LOCAL_COMMAND_MS);
    }
    if (!sam.ok) return sam;
    const fw = this.command(CMD.GetFirmwareVersion, new Uint8Array(0), LOCAL_COMMAND_MS);
    if (!fw.ok) return fw;
    const v = fw.value;
    if (v.length !== 4 || v[0] !== 0x32) {
      return err("frame", ERR_FRAME, `not a PN532: GetFirmwareVersion answered ${hex(v)} (expected IC 0x32)`);
    }
    const steps: [number, number[]][] = [
      [CMD.SetParameters, [PARAM_AUTO_ATR_RES | PARAM_AUTO_RATS]],
      [CMD.RFConfiguration, [RF_MAX_RETRIES, 0xff, 0x01, this.o.pollRetries]],
      [CMD.RFConfiguration, [RF_MAX_RETRY_COM, 0x00]],
      [CMD.RFConfiguration, [RF_FIELD, 0x01]],
    ];
    for (const [code, p] of steps) {
      const r = this.command(code, Uint8Array.from(p), LOCAL_COMMAND_MS);
      if (!r.ok) return r;
    }
    return { ok: true, value: { ic: v[0]!, version: `${v[1]}.${v[2]}` } };
  }

  /** One passive activation round for a type A target. ISO-DEP targets only: anything else
   *  is released and reported as "not-iso-dep". Undefined value: the field is empty. */
  poll(): DriverResult<Target | undefined> {
    this.target = undefined;
    // Retries × a few ms per attempt on the chip's side, plus the activation itself.
    const r = this.command(CMD.InListPassiveTarget, Uint8Array.of(0x01, BRTY_106A), 50 + 10 * this.o.pollRetries);
    if (!r.ok) return r;
    const d = r.value;
    if (d[0] === 0) return { ok: true, value: undefined };
    const t = parseTypeA(d.subarray(1));
    if (t === undefined) return err("frame", ERR_FRAME, `malformed target data ${hex(d)}`);
    if ((t.selRes & SAK_ISO14443_4) === 0 || t.ats.length === 0) {
      this.release();
      return err("not-iso-dep", ERR_FRAME, `the target (SAK ${t.selRes.toString(16)}) does not speak ISO/IEC 14443-4`);
    }
    this.target = t;
    return { ok: true, value: t };
  }

  /** Sends one C-APDU to the activated target and returns its R-APDU (at most `rxCap`
   *  bytes), waiting at most `timeoutMs` of RF time. */
  exchange(capdu: Uint8Array, rxCap: number, timeoutMs: number): DriverResult<Uint8Array> {
    for (let at = 0; capdu.length - at > EXCHANGE_DATA_MAX; at += EXCHANGE_DATA_MAX) {
      const part = capdu.subarray(at, at + EXCHANGE_DATA_MAX);
      const r = this.exchangeStep(Uint8Array.of(0x01 | STATUS_MI, ...part), timeoutMs);
      if (!r.ok) return r;
    }
    const last = capdu.subarray(Math.floor(Math.max(0, capdu.length - 1) / EXCHANGE_DATA_MAX) * EXCHANGE_DATA_MAX);
    let r = this.exchangeStep(Uint8Array.of(0x01, ...last), timeoutMs);
    const parts: Uint8Array[] = [];
    let total = 0;
    for (;;) {
      if (!r.ok) return r;
      const { more, data } = r.value;
      total += data.length;
      if (total > rxCap) {
        return err("status", ERR_OVERFLOW, `the answer is longer than ${rxCap} bytes`);
      }
      parts.push(data);
      if (!more) break;
      r = this.exchangeStep(Uint8Array.of(0x01), timeoutMs);
    }
    return { ok: true, value: concat(parts, total) };
  }

  private exchangeStep(p: Uint8Array, timeoutMs: number): DriverResult<{ more: boolean; data: Uint8Array }> {
    const r = this.command(CMD.InDataExchange, p, timeoutMs);
    if (!r.ok) return r;
    const st = r.value[0];
    if (st === undefined) return err("frame", ERR_FRAME, "InDataExchange answer without a status byte");
    const code = st & STATUS_ERROR_MASK;
    if (code === ST_OK) return { ok: true, value: { more: (st & STATUS_MI) !== 0, data: r.value.subarray(1) } };
    const info = statusInfo(st)!;
    if (code === ST_TIMEOUT && !this.present()) {
      this.target = undefined;
      return err("status", ERR_FIELD_LOST, "the card left the field (no answer, presence check failed)", code);
    }
    return err("status", info.abi, `${info.name}: ${info.reason}`, code);
  }

  /** Diagnose 0x06: is the activated ISO-DEP card still in the field? */
  present(): boolean {
    if (this.target === undefined) return false;
    const r = this.command(CMD.Diagnose, Uint8Array.of(DIAG_PRESENCE), LOCAL_COMMAND_MS);
    return r.ok && r.value[0] === ST_OK;
  }

  /** Ends the session with every target (the card sees a DESELECT). */
  release(): DriverResult<void> {
    this.target = undefined;
    const r = this.command(CMD.InRelease, Uint8Array.of(0x00), LOCAL_COMMAND_MS);
    return r.ok ? { ok: true, value: undefined } : r;
  }

  /** RF field on or off (off: every card in the field is reset). */
  field(on: boolean): DriverResult<void> {
    if (!on) this.target = undefined;
    const r = this.command(CMD.RFConfiguration, Uint8Array.of(RF_FIELD, on ? 0x01 : 0x00), LOCAL_COMMAND_MS);
    return r.ok ? { ok: true, value: undefined } : r;
  }

  /** PowerDown until the next command (which sends the HSU wake-up first) or an RF field. */
  powerDown(): DriverResult<void> {
    this.target = undefined;
    const r = this.command(CMD.PowerDown, Uint8Array.of(WAKE_HSU_RF), LOCAL_COMMAND_MS);
    if (!r.ok) return r;
    this.asleep = true;
    return { ok: true, value: undefined };
  }

  /** Target mode: waits up to `timeoutMs` for an initiator to activate us as an
   *  ISO/IEC 14443-4 PICC with UID 08 uid[0..2]. Undefined value: nobody came. */
  initAsTarget(uid3: Uint8Array, timeoutMs: number): DriverResult<boolean> {
    const p = new Uint8Array(37);
    p[0] = TG_MODE_PASSIVE_ONLY | TG_MODE_PICC_ONLY;
    p.set([0x04, 0x00, uid3[0] ?? 0, uid3[1] ?? 0, uid3[2] ?? 0, SAK_ISO14443_4], 1);
    // FeliCa, NFCID3t, general bytes and historical bytes stay empty.
    const sp = this.command(CMD.SetParameters, Uint8Array.of(0x20), LOCAL_COMMAND_MS);
    if (!sp.ok) return sp;
    const r = this.command(CMD.TgInitAsTarget, p, timeoutMs);
    if (!r.ok) return r.error.kind === "timeout" ? { ok: true, value: false } : r;
    if ((r.value[0]! & TG_ACTIVATED_PICC_106) === 0) return err("frame", ERR_FRAME, `activated as ${hex(r.value)}, not as a PICC`);
    return { ok: true, value: true };
  }

  /** Target mode: the initiator's next C-APDU; "released" when it let us go. */
  getData(timeoutMs: number): DriverResult<Uint8Array | "released"> {
    const r = this.command(CMD.TgGetData, new Uint8Array(0), timeoutMs);
    if (!r.ok) return r;
    const st = r.value[0] ?? 0xff;
    if ((st & STATUS_ERROR_MASK) === ST_RELEASED) return { ok: true, value: "released" };
    if ((st & STATUS_ERROR_MASK) !== ST_OK) {
      const info = statusInfo(st)!;
      return err("status", info.abi, `${info.name}: ${info.reason}`, st & STATUS_ERROR_MASK);
    }
    return { ok: true, value: r.value.subarray(1) };
  }

  /** Target mode: answers the initiator (long answers go in TgSetMetaData parts first). */
  setData(rapdu: Uint8Array): DriverResult<void> {
    let at = 0;
    for (; rapdu.length - at > EXCHANGE_DATA_MAX; at += EXCHANGE_DATA_MAX) {
      const r = this.statusCommand(CMD.TgSetMetaData, rapdu.subarray(at, at + EXCHANGE_DATA_MAX));
      if (!r.ok) return r;
    }
    return this.statusCommand(CMD.TgSetData, rapdu.subarray(at));
  }

  private statusCommand(code: number, p: Uint8Array): DriverResult<void> {
    const r = this.command(code, p, LOCAL_COMMAND_MS);
    if (!r.ok) return r;
    const st = (r.value[0] ?? 0xff) & STATUS_ERROR_MASK;
    if (st === ST_OK) return { ok: true, value: undefined };
    const info = statusInfo(st)!;
    return err("status", info.abi, `${info.name}: ${info.reason}`, st);
  }

  /** One command: frame out, ACK in, answer in (NACK for a damaged one), checks. Waits up
   *  to `timeoutMs` (plus line time and margin) for the answer, then aborts with an ACK. */
  command(code: number, params: Uint8Array, timeoutMs: number): DriverResult<Uint8Array> {
    const started = performance.now();
    this.stats.commands++;
    try {
      return this.commandInner(code, params, timeoutMs);
    } catch (e) {
      if (e instanceof LinkError) return err("io", ERR_FRAME, e.message);
      throw e;
    } finally {
      this.stats.commandMs += performance.now() - started;
    }
  }

  private commandInner(code: number, params: Uint8Array, timeoutMs: number): DriverResult<Uint8Array> {
    const frame = encodeFrame(TFI_HOST, Uint8Array.of(code, ...params));
    this.link.discard();
    this.parser.reset();
    this.pending = [];
    if (this.asleep) {
      this.send(WAKEUP_PREAMBLE);
      this.asleep = false;
    }
    this.send(frame);
    const ack = this.next(this.lineMs(frame.length + ACK_FRAME.length) + this.o.ackTimeoutMs);
    if (ack === undefined || ack.kind !== "ack") {
      const why = ack === undefined ? "no ACK" : `${ack.kind} instead of an ACK`;
      this.asleep = true; // the next command wakes the chip first
      return err("no-ack", ERR_TIMEOUT, `PN532 command 0x${code.toString(16)}: ${why} (is the chip powered, awake, at this baud rate?)`);
    }
    for (let nacks = 0; ; nacks++) {
      const ev = this.next(timeoutMs + this.lineMs(EXCHANGE_DATA_MAX + 10) + this.o.answerMarginMs);
      if (ev === undefined) {
        this.send(ACK_FRAME); // abort the running command
        return err("timeout", ERR_TIMEOUT, `PN532 command 0x${code.toString(16)}: no answer in ${timeoutMs} ms`);
      }
      if (ev.kind === "frame") return this.checkAnswer(code, ev.tfi, ev.data);
      if (ev.kind === "bad" && ev.reason === "too-long") {
        return err("oversized", ERR_OVERFLOW, `PN532 sent a frame longer than it can (${ev.reason})`);
      }
      if (ev.kind !== "bad" || nacks >= NACK_RETRIES_MAX) {
        return err("frame", ERR_FRAME, `PN532 command 0x${code.toString(16)}: ${ev.kind === "bad" ? ev.reason : ev.kind} in the answer`);
      }
      this.send(NACK_FRAME); // ask for the answer again
    }
  }

  private checkAnswer(code: number, tfi: number, data: Uint8Array): DriverResult<Uint8Array> {
    if (tfi === TFI_ERROR && data.length === 0) {
      return err("syntax", ERR_FRAME, `PN532 rejected command 0x${code.toString(16)} (error frame)`);
    }
    if (tfi !== TFI_CHIP) return err("frame", ERR_FRAME, `answer with TFI 0x${tfi.toString(16)} (expected 0xd5)`);
    if (data[0] !== code + 1) {
      return err("frame", ERR_FRAME, `answer 0x${(data[0] ?? 0).toString(16)} to command 0x${code.toString(16)}`);
    }
    return { ok: true, value: data.subarray(1) };
  }

  private pending: ReturnType<FrameParser["push"]> = [];

  /** The next frame event within `timeoutMs`, or undefined. */
  private next(timeoutMs: number): ReturnType<FrameParser["push"]>[number] | undefined {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const ev = this.pending.shift();
      if (ev !== undefined) return ev;
      const left = deadline - performance.now();
      if (left <= 0) return undefined;
      const bytes = this.link.read(left);
      this.stats.bytesIn += bytes.length;
      if (bytes.length > 0) this.pending = this.parser.push(bytes);
    }
  }

  private send(bytes: Uint8Array): void {
    this.stats.bytesOut += bytes.length;
    this.link.write(bytes);
  }

  /** Waits `ms` (between polls of the reader loop). */
  static pause(ms: number): void { sleepSync(ms); }
}

/** Parses InListPassiveTarget / InAutoPoll target data of a type A target (after Tg). */
export function parseTypeA(d: Uint8Array): Target | undefined {
  // Tg, SENS_RES (2), SEL_RES, NFCIDLength, NFCID1, [ATS]
  if (d.length < 5) return undefined;
  const uidLen = d[4]!;
  if (uidLen !== 4 && uidLen !== 7 && uidLen !== 10) return undefined;
  if (d.length < 5 + uidLen) return undefined;
  const rest = d.subarray(5 + uidLen);
  if (rest.length > 0 && rest[0] !== rest.length) return undefined;
  return { sensRes: d.slice(1, 3), selRes: d[3]!, uid: d.slice(5, 5 + uidLen), ats: rest.slice() };
}

function concat(parts: Uint8Array[], total: number): Uint8Array {
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) { out.set(p, at); at += p.length; }
  return out;
}

export function hex(b: Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, "0")).join(" ");
}
