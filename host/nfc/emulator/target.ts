// Target mode of the emulated PN532 (UM0701-02 §7.3.14–7.3.19): TgInitAsTarget puts the chip
// in the shared field as an ISO/IEC 14443-4 PICC; an initiator's InDataExchange reaches the
// target's host through TgGetData, and its TgSetData (after TgSetMetaData parts) is the
// answer. Only the PICC personality is emulated: a DEP-only or FeliCa-only TgInitAsTarget
// waits, as the real chip does when no matching initiator comes.
import { CMD, TG_ACTIVATED_PICC_106, TG_MODE_DEP_ONLY } from "../pn532/commands.ts";
import { ST_CONTEXT, ST_DEP_FORMAT, ST_OK, ST_RELEASED } from "../pn532/status.ts";
import type { CardAnswer, EmuCard } from "./card.ts";
import type { EmuField, FieldTarget } from "./field.ts";
import type { ChipAnswer } from "./chip.ts";

/** How long an initiator waits for the target's host to answer (TgSetData), real ms. The
 *  PN532 in PICC mode sends waiting-time extensions meanwhile, so the reader sees no FWT
 *  timeout while the target's host works. */
export const TARGET_ANSWER_MS_MAX = 2_000;
/** Fixed part of TgInitAsTarget: mode, MIFARE (6), FeliCa (18) and NFCID3t (10) parameters. */
const INIT_FIXED_BYTES = 35;
/** Largest answer the target's host may assemble with TgSetMetaData + TgSetData. */
const TARGET_ANSWER_BYTES_MAX = 512;

type Phase = "idle" | "waiting" | "active" | "released";

class TargetCard implements EmuCard {
  label = "PN532 in target mode";
  sensRes = Uint8Array.of(0x00, 0x04);
  selRes = 0x20;
  ats: Uint8Array = Uint8Array.of(0x05, 0x75, 0x80, 0x81, 0x02);
  uidBytes = Uint8Array.of(0x08, 0, 0, 0);

  constructor(private readonly owner: TargetMode) {}

  uid(): Uint8Array { return this.uidBytes; }
  activate(): void { this.owner.onActivate(); }
  release(): void { this.owner.onRelease(); }
  exchange(capdu: Uint8Array, signal: AbortSignal): Promise<CardAnswer> { return this.owner.fromInitiator(capdu, signal); }
}

export class TargetMode {
  piccAuto = false;
  private phase: Phase = "idle";
  private readonly card = new TargetCard(this);
  private inbox: Uint8Array | undefined;
  private inboxWaiter: (() => void) | undefined;
  private answerWaiter: ((a: CardAnswer) => void) | undefined;
  private meta: Uint8Array[] = [];
  private activatedWaiter: (() => void) | undefined;
  private readonly entry: FieldTarget;

  constructor(private readonly field: EmuField, private readonly timeScale: number) {
    this.entry = { card: this.card, onActivated: () => this.activatedWaiter?.() };
  }

  async handle(cmd: Uint8Array, signal: AbortSignal): Promise<ChipAnswer> {
    const p = cmd.subarray(1);
    switch (cmd[0]) {
      case CMD.TgInitAsTarget: return this.initAsTarget(p, signal);
      case CMD.TgGetData: return this.getData(signal);
      case CMD.TgSetMetaData: return this.setData(CMD.TgSetMetaData, p, true);
      case CMD.TgSetData: return this.setData(CMD.TgSetData, p, false);
      case CMD.TgGetTargetStatus: {
        const state = this.phase === "active" ? 0x01 : this.phase === "released" ? 0x02 : 0x00;
        return reply(CMD.TgGetTargetStatus, [state, 0x00]);
      }
      default: return reply(cmd[0]!, [ST_CONTEXT]); // DEP-only and raw-frame target commands
    }
  }

  private async initAsTarget(p: Uint8Array, signal: AbortSignal): Promise<ChipAnswer> {
    if (p.length < INIT_FIXED_BYTES + 2) return "syntax";
    const gtLen = p[INIT_FIXED_BYTES]!;
    const tkAt = INIT_FIXED_BYTES + 1 + gtLen;
    const tkLen = p[tkAt];
    if (gtLen > 47 || tkLen === undefined || tkLen > 48 || p.length !== tkAt + 1 + tkLen) return "syntax";
    const mode = p[0]!;
    this.release(false);
    this.card.sensRes = Uint8Array.of(p[2]!, p[1]!);
    this.card.uidBytes = Uint8Array.of(0x08, p[3]!, p[4]!, p[5]!);
    this.card.selRes = p[6]!;
    const tk = p.subarray(tkAt + 1, tkAt + 1 + tkLen);
    this.card.ats = Uint8Array.of(5 + tk.length, 0x75, 0x80, 0x81, 0x02, ...tk);
    this.phase = "waiting";
    if ((mode & TG_MODE_DEP_ONLY) !== 0) {
      while (!signal.aborted) await this.field.changed(signal); // no DEP initiator ever comes
      this.phase = "idle";
      return "aborted";
    }
    const activated = new Promise<boolean>((resolve) => {
      this.activatedWaiter = () => resolve(true);
      signal.addEventListener("abort", () => resolve(false), { once: true });
    });
    this.field.addTarget(this.entry);
    if (!(await activated)) {
      this.field.removeTarget(this.entry);
      this.phase = "idle";
      return "aborted";
    }
    // The chip answered RATS itself (PICC mode); the initiator's RATS is what it reports.
    return reply(CMD.TgInitAsTarget, [TG_ACTIVATED_PICC_106, 0xe0, 0x80]);
  }

  onActivate(): void {
    this.phase = "active";
    this.inbox = undefined;
    this.meta = [];
  }

  onRelease(): void { this.release(true); }

  private release(byInitiator: boolean): void {
    if (this.phase === "active" || this.phase === "waiting") this.phase = byInitiator ? "released" : "idle";
    this.field.removeTarget(this.entry);
    this.inbox = undefined;
    this.inboxWaiter?.();
    this.answerWaiter?.({ kind: "silent" });
    this.answerWaiter = undefined;
  }

  /** An initiator's C-APDU: delivered to TgGetData, answered by TgSetData. */
  fromInitiator(capdu: Uint8Array, signal: AbortSignal): Promise<CardAnswer> {
    if (this.phase !== "active") return Promise.resolve({ kind: "silent" });
    this.inbox = capdu;
    this.inboxWaiter?.();
    return new Promise((resolve) => {
      const finish = (a: CardAnswer): void => {
        clearTimeout(timer);
        signal.removeEventListener("abort", onAbort);
        this.answerWaiter = undefined;
        resolve(a);
      };
      const onAbort = (): void => finish({ kind: "silent" });
      const timer = setTimeout(onAbort, TARGET_ANSWER_MS_MAX);
      this.answerWaiter = finish;
      signal.addEventListener("abort", onAbort, { once: true });
    });
  }

  private async getData(signal: AbortSignal): Promise<ChipAnswer> {
    while (this.phase === "active" && this.inbox === undefined && !signal.aborted) {
      await new Promise<void>((resolve) => {
        this.inboxWaiter = resolve;
        signal.addEventListener("abort", () => resolve(), { once: true });
      });
      this.inboxWaiter = undefined;
    }
    if (signal.aborted) return "aborted";
    if (this.phase !== "active") return reply(CMD.TgGetData, [this.phase === "released" ? ST_RELEASED : ST_CONTEXT]);
    const c = this.inbox!;
    this.inbox = undefined;
    return reply(CMD.TgGetData, [ST_OK, ...c]);
  }

  private setData(code: number, data: Uint8Array, more: boolean): ChipAnswer {
    if (this.phase !== "active") return reply(code, [this.phase === "released" ? ST_RELEASED : ST_CONTEXT]);
    this.meta.push(Uint8Array.from(data));
    const total = this.meta.reduce((n, m) => n + m.length, 0);
    if (total > TARGET_ANSWER_BYTES_MAX) {
      this.meta = [];
      return reply(code, [ST_DEP_FORMAT]);
    }
    if (more) return reply(code, [ST_OK]);
    const bytes = new Uint8Array(total);
    let at = 0;
    for (const m of this.meta) { bytes.set(m, at); at += m.length; }
    this.meta = [];
    this.answerWaiter?.({ kind: "answer", bytes, latencyMs: 0 });
    return reply(code, [ST_OK]);
  }

  /** Time scale of the emulator (kept for symmetry with the initiator's waits). */
  get scale(): number { return this.timeScale; }
}

function reply(code: number, data: ArrayLike<number>): Uint8Array {
  const out = new Uint8Array(1 + data.length);
  out[0] = code + 1;
  out.set(data, 1);
  return out;
}
