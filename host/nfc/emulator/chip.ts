// The emulated PN532's command set (UM0701-02 §7): what the chip answers to each command
// frame, in initiator mode (reader) and in target mode (card). The HSU link around it
// (host/nfc/emulator/hsu.ts) handles frames, ACKs, aborts and byte timing; this module gets
// a command's data (its code first) and returns the answer's data (code + 1 first), or
// "syntax" when the real chip would send its error frame.
import {
  CMD, DIAG_COMMUNICATION, DIAG_ECHO_BACK, DIAG_PRESENCE, EXCHANGE_DATA_MAX, FIRMWARE_VERSION, PARAM_AUTO_RATS,
  RETRIES_FOREVER, RF_FIELD, RF_MAX_RETRIES, RF_MAX_RETRY_COM, RF_TIMINGS, BRTY_106A, SAK_ISO14443_4, fwtMs,
} from "../pn532/commands.ts";
import { ST_CONTEXT, ST_OK, ST_TIMEOUT, STATUS_MI } from "../pn532/status.ts";
import type { CardAnswer, EmuCard } from "./card.ts";
import type { EmuField } from "./field.ts";
import { TargetMode } from "./target.ts";
import { sleep } from "./time.ts";

export type ChipAnswer = Uint8Array | "syntax" | "aborted";

export interface ChipOptions {
  /** Real milliseconds per simulated millisecond (1 real time, 0 as fast as possible). */
  timeScale: number;
  /** Notes each RF event (activation, exchange) for the emulator's log. */
  log?: (line: string) => void;
}

/** One passive activation attempt without a card (REQA unanswered), simulated ms. */
export const POLL_ATTEMPT_MS = 2;
/** REQA, anticollision, SELECT, RATS and ATS of one card at 106 kbps, simulated ms. */
export const ACTIVATION_MS = 3;
/** One byte on the air at 106 kbps: 8 data bits + parity, 9.44 µs each. */
export const AIR_BYTE_MS = (9 * 128) / 13.56e3;
/** ISO-DEP framing around an APDU in one I-block: PCB and CRC_A. */
const BLOCK_OVERHEAD_BYTES = 3;
/** Registers the emulator keeps (the CIU and SFR areas a host reads and writes). */
const REGISTERS_MAX = 0x10000;
/** Bytes an InDataExchange may chain with MI before the chip refuses (its 265-byte buffer
 *  holds one short APDU; more is a host error). */
const CHAINED_COMMAND_BYTES_MAX = 512;

const POWER_LOW_VBAT = 0;
const POWER_NORMAL = 1;
const POWER_DOWN = 2;

export class Pn532Chip {
  /** Needs the HSU wake-up (0x55) before it takes a frame. */
  asleep = true;
  private power = POWER_LOW_VBAT;
  private params = PARAM_AUTO_RATS;
  private fieldOn = true;
  private retriesPassive: number = RETRIES_FOREVER;
  private retriesCom = 0;
  private readonly registers = new Uint8Array(REGISTERS_MAX);
  private activated: EmuCard | undefined;
  private pendingAnswer: Uint8Array | undefined;
  private chainedCommand: Uint8Array | undefined;
  readonly target: TargetMode;

  constructor(private readonly field: EmuField, private readonly o: ChipOptions) {
    this.target = new TargetMode(field, o.timeScale);
  }

  get powerMode(): "low-vbat" | "normal" | "power-down" {
    return this.power === POWER_NORMAL ? "normal" : this.power === POWER_DOWN ? "power-down" : "low-vbat";
  }

  /** The host was silent too long or aborted: target-mode waits stop, sessions stay. */
  async handle(cmd: Uint8Array, signal: AbortSignal): Promise<ChipAnswer> {
    const code = cmd[0];
    const p = cmd.subarray(1);
    switch (code) {
      case CMD.Diagnose: return this.diagnose(p);
      case CMD.GetFirmwareVersion: return answer(code, FIRMWARE_VERSION);
      case CMD.GetGeneralStatus: return this.generalStatus();
      case CMD.ReadRegister: return this.readRegister(p);
      case CMD.WriteRegister: return this.writeRegister(p);
      case CMD.ReadGPIO: return answer(code, [0xff, 0xff, 0x00]);
      case CMD.WriteGPIO: return p.length === 2 ? answer(code, []) : "syntax";
      case CMD.SetSerialBaudRate: return p.length === 1 && p[0]! <= 8 ? answer(code, []) : "syntax";
      case CMD.SetParameters: return this.setParameters(p);
      case CMD.SAMConfiguration: return this.samConfiguration(p);
      case CMD.PowerDown: return this.powerDown(p);
      case CMD.RFConfiguration: return this.rfConfiguration(p);
      case CMD.InListPassiveTarget: return this.inListPassiveTarget(p, signal);
      case CMD.InAutoPoll: return this.inAutoPoll(p, signal);
      case CMD.InDataExchange: return this.inDataExchange(p, signal);
      case CMD.InCommunicateThru: return this.silentRf(code, signal);
      case CMD.InRelease:
      case CMD.InDeselect: return this.inRelease(code, p);
      case CMD.InSelect: return answer(code, [this.activated === undefined ? ST_CONTEXT : ST_OK]);
      case CMD.InATR:
      case CMD.InPSL: return answer(code, [ST_CONTEXT]);
      case CMD.InJumpForDEP:
      case CMD.InJumpForPSL: return this.silentRf(code, signal);
      case CMD.TgInitAsTarget:
      case CMD.TgGetData:
      case CMD.TgSetData:
      case CMD.TgSetMetaData:
      case CMD.TgGetTargetStatus:
      case CMD.TgGetInitiatorCommand:
      case CMD.TgResponseToInitiator:
      case CMD.TgSetGeneralBytes: return this.target.handle(cmd, signal);
      default: return "syntax";
    }
  }

  private scaled(simMs: number): number { return simMs * this.o.timeScale; }

  private diagnose(p: Uint8Array): ChipAnswer {
    const test = p[0];
    if (test === undefined) return "syntax";
    if (test === DIAG_COMMUNICATION) return answer(CMD.Diagnose, p);
    if (test === DIAG_ECHO_BACK) return answer(CMD.Diagnose, []);
    if (test === DIAG_PRESENCE) {
      if (this.activated === undefined) return answer(CMD.Diagnose, [ST_CONTEXT]);
      const here = this.field.checkPresence();
      if (!here) this.activated = undefined;
      return answer(CMD.Diagnose, [here ? ST_OK : ST_TIMEOUT]);
    }
    return answer(CMD.Diagnose, [ST_OK]); // ROM, RAM, polling and antenna self-tests pass
  }

  private generalStatus(): ChipAnswer {
    const c = this.activated;
    const tg = c === undefined ? [] : [0x01, 0x00, 0x00, 0x00];
    return answer(CMD.GetGeneralStatus, [ST_OK, this.fieldOn ? 1 : 0, c === undefined ? 0 : 1, ...tg, 0x00]);
  }

  private readRegister(p: Uint8Array): ChipAnswer {
    if (p.length === 0 || p.length % 2 !== 0) return "syntax";
    const out: number[] = [];
    for (let i = 0; i < p.length; i += 2) out.push(this.registers[(p[i]! << 8) | p[i + 1]!]!);
    return answer(CMD.ReadRegister, out);
  }

  private writeRegister(p: Uint8Array): ChipAnswer {
    if (p.length === 0 || p.length % 3 !== 0) return "syntax";
    for (let i = 0; i < p.length; i += 3) this.registers[(p[i]! << 8) | p[i + 1]!] = p[i + 2]!;
    return answer(CMD.WriteRegister, []);
  }

  private setParameters(p: Uint8Array): ChipAnswer {
    if (p.length !== 1) return "syntax";
    this.params = p[0]!;
    this.target.piccAuto = (this.params & 0x20) !== 0;
    return answer(CMD.SetParameters, []);
  }

  private samConfiguration(p: Uint8Array): ChipAnswer {
    const mode = p[0];
    if (mode === undefined || mode < 1 || mode > 4 || p.length > 3) return "syntax";
    this.power = POWER_NORMAL;
    return answer(CMD.SAMConfiguration, []);
  }

  private powerDown(p: Uint8Array): ChipAnswer {
    if (p.length < 1 || p.length > 2) return "syntax";
    this.power = POWER_DOWN;
    this.dropTarget();
    return answer(CMD.PowerDown, [ST_OK]);
  }

  /** Called by the link once the PowerDown answer is on the wire. */
  sleepNow(): void {
    if (this.power === POWER_DOWN) this.asleep = true;
  }

  private rfConfiguration(p: Uint8Array): ChipAnswer {
    const item = p[0];
    const d = p.subarray(1);
    if (item === RF_FIELD && d.length === 1) {
      this.fieldOn = (d[0]! & 0x01) !== 0;
      if (!this.fieldOn) this.dropTarget();
    } else if (item === RF_MAX_RETRIES && d.length === 3) {
      this.retriesPassive = d[2]!;
    } else if (item === RF_MAX_RETRY_COM && d.length === 1) {
      this.retriesCom = d[0]!;
    } else if (item === RF_TIMINGS && d.length === 3) {
      // ATR_RES and non-DEP timeouts: ISO-DEP exchanges use the card's FWT instead.
    } else if (item === undefined || ![0x0a, 0x0b, 0x0c, 0x0d].includes(item)) {
      return "syntax";
    }
    return answer(CMD.RFConfiguration, []);
  }

  private dropTarget(): void {
    if (this.activated !== undefined) this.field.release();
    this.activated = undefined;
    this.pendingAnswer = undefined;
    this.chainedCommand = undefined;
  }

  /** Polls for one type A target with the configured retries; the card activated, if any. */
  private async activate(signal: AbortSignal): Promise<EmuCard | "aborted" | undefined> {
    this.dropTarget();
    if (!this.fieldOn) return undefined;
    const forever = this.retriesPassive === RETRIES_FOREVER;
    for (let attempt = 0; forever || attempt <= this.retriesPassive; attempt++) {
      const card = this.field.poll();
      if (card !== undefined) {
        if (!(await sleep(this.scaled(ACTIVATION_MS), signal))) return "aborted";
        this.activated = card;
        this.o.log?.(`activated ${card.label}`);
        return card;
      }
      if (!(await sleep(this.scaled(POLL_ATTEMPT_MS), signal))) return "aborted";
      if (forever && !this.field.mayArrive()) await this.field.changed(signal);
      if (signal.aborted) return "aborted";
    }
    return undefined;
  }

  /** Target data of an activated type A card: Tg, SENS_RES, SEL_RES, NFCID1, ATS. */
  private targetData(card: EmuCard): number[] {
    const uid = card.uid();
    const withAts = (card.selRes & SAK_ISO14443_4) !== 0 && (this.params & PARAM_AUTO_RATS) !== 0;
    return [0x01, ...card.sensRes, card.selRes, uid.length, ...uid, ...(withAts ? card.ats : [])];
  }

  private async inListPassiveTarget(p: Uint8Array, signal: AbortSignal): Promise<ChipAnswer> {
    const maxTg = p[0];
    const brTy = p[1];
    if (maxTg === undefined || brTy === undefined || maxTg < 1 || maxTg > 2 || brTy > 0x04) return "syntax";
    if (brTy !== BRTY_106A) return this.noTarget(CMD.InListPassiveTarget, signal);
    const card = await this.activate(signal);
    if (card === "aborted") return card;
    if (card === undefined) return answer(CMD.InListPassiveTarget, [0x00]);
    return answer(CMD.InListPassiveTarget, [0x01, ...this.targetData(card)]);
  }

  /** Other modulations: nobody answers them; the chip gives up after its retries. */
  private async noTarget(code: number, signal: AbortSignal): Promise<ChipAnswer> {
    this.dropTarget();
    const attempts = this.retriesPassive === RETRIES_FOREVER ? Infinity : this.retriesPassive + 1;
    if (attempts === Infinity) {
      while (!signal.aborted) await this.field.changed(signal); // nothing of that kind arrives
      return "aborted";
    }
    if (!(await sleep(this.scaled(attempts * POLL_ATTEMPT_MS), signal))) return "aborted";
    return answer(code, [0x00]);
  }

  private async inAutoPoll(p: Uint8Array, signal: AbortSignal): Promise<ChipAnswer> {
    const pollNr = p[0];
    const period = p[1];
    const types = p.subarray(2);
    if (pollNr === undefined || period === undefined || period < 1 || period > 0x0f || types.length < 1
      || types.length > 15) return "syntax";
    const typeA = [...types].find((t) => t === 0x00 || t === 0x10 || t === 0x20);
    for (let round = 0; pollNr === 0xff || round < pollNr; round++) {
      if (typeA !== undefined) {
        this.dropTarget();
        const card = this.field.poll();
        if (card !== undefined) {
          if (!(await sleep(this.scaled(ACTIVATION_MS), signal))) return "aborted";
          this.activated = card;
          const data = this.targetData(card);
          return answer(CMD.InAutoPoll, [0x01, typeA, data.length, ...data]);
        }
      }
      // Each round tries every type, then waits `period` × 150 ms.
      if (!(await sleep(this.scaled(types.length * POLL_ATTEMPT_MS + period * 150), signal))) return "aborted";
    }
    return answer(CMD.InAutoPoll, [0x00]);
  }

  private async inDataExchange(p: Uint8Array, signal: AbortSignal): Promise<ChipAnswer> {
    const tg = p[0];
    if (tg === undefined) return "syntax";
    const card = this.activated;
    if ((tg & 0x3f) !== 0x01 || card === undefined) return answer(CMD.InDataExchange, [ST_CONTEXT]);
    const data = p.subarray(1);
    if (data.length === 0 && this.pendingAnswer !== undefined) return this.nextChunk();
    this.pendingAnswer = undefined;
    const chained = this.chainedCommand === undefined ? data : concat(this.chainedCommand, data);
    if (chained.length > CHAINED_COMMAND_BYTES_MAX) {
      this.chainedCommand = undefined;
      return answer(CMD.InDataExchange, [0x0e]);
    }
    if ((tg & STATUS_MI) !== 0) {
      // The host sends the rest in the next InDataExchange: the chip sends a chained
      // I-block now and acknowledges.
      this.chainedCommand = chained;
      return answer(CMD.InDataExchange, [ST_OK]);
    }
    this.chainedCommand = undefined;
    this.field.noteExchange();
    const r = await card.exchange(chained, signal);
    return this.exchangeAnswer(card, chained, r, signal);
  }

  private async exchangeAnswer(card: EmuCard, capdu: Uint8Array, r: CardAnswer, signal: AbortSignal): Promise<ChipAnswer> {
    const fwt = fwtMs(atsFwi(card.ats));
    const txMs = (capdu.length + BLOCK_OVERHEAD_BYTES) * AIR_BYTE_MS;
    // Every retry of MxRtyCOM waits another FWT before the chip reports the timeout.
    const timeoutMs = txMs + fwt * (this.retriesCom + 1);
    if (r.kind === "vanish") {
      this.field.vanish();
      this.o.log?.(`${card.label} left the field`);
      if (!(await sleep(this.scaled(Math.max(timeoutMs, r.afterMs)), signal))) return "aborted";
      return answer(CMD.InDataExchange, [ST_TIMEOUT]);
    }
    if (r.kind === "silent" || r.latencyMs > fwt) {
      if (!(await sleep(this.scaled(timeoutMs), signal))) return "aborted";
      return answer(CMD.InDataExchange, [ST_TIMEOUT]);
    }
    const rxMs = (r.bytes.length + BLOCK_OVERHEAD_BYTES) * AIR_BYTE_MS;
    if (!(await sleep(this.scaled(txMs + r.latencyMs + rxMs), signal))) return "aborted";
    this.pendingAnswer = r.bytes;
    return this.nextChunk();
  }

  /** The next part of a long answer: the MI bit says more follows. */
  private nextChunk(): ChipAnswer {
    const rest = this.pendingAnswer ?? new Uint8Array(0);
    const part = rest.subarray(0, EXCHANGE_DATA_MAX);
    const more = rest.length > EXCHANGE_DATA_MAX;
    this.pendingAnswer = more ? rest.subarray(EXCHANGE_DATA_MAX) : undefined;
    return answer(CMD.InDataExchange, [more ? STATUS_MI : ST_OK, ...part]);
  }

  private async silentRf(code: number, signal: AbortSignal): Promise<ChipAnswer> {
    if (!(await sleep(this.scaled(fwtMs(4)), signal))) return "aborted";
    return answer(code, [ST_TIMEOUT]);
  }

  private inRelease(code: number, p: Uint8Array): ChipAnswer {
    if (p.length !== 1) return "syntax";
    const tg = p[0]!;
    if (tg !== 0 && (tg !== 1 || this.activated === undefined)) return answer(code, [ST_CONTEXT]);
    this.dropTarget();
    return answer(code, [ST_OK]);
  }
}

/** FWI from an ATS (TL first): TB's high nibble when TB is present, else the default 4. */
export function atsFwi(ats: Uint8Array): number {
  const t0 = ats[1];
  if (t0 === undefined || (t0 & 0x20) === 0) return 4;
  const tbAt = 2 + ((t0 & 0x10) !== 0 ? 1 : 0);
  const tb = ats[tbAt];
  return tb === undefined ? 4 : Math.min(14, tb >> 4);
}

function answer(code: number, data: ArrayLike<number>): Uint8Array {
  const out = new Uint8Array(1 + data.length);
  out[0] = code + 1;
  out.set(data, 1);
  return out;
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

export { answer as chipAnswer };
