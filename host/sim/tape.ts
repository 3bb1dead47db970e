// Recorded tap exchanges ("tapes"): everything a board fed the firmware during a
// scenario — provisioning block, deny-list images, clock, hardware-random bytes, every
// C-APDU it sent and the R-APDU (or NFC error) it got back — and the decisions. A tape
// replays against any build of the firmware: the replaying board answers the recorded
// R-APDUs and checks that each C-APDU the firmware sends is the recorded one.
import { fromHex, toHex, reasonName } from "../protocol/index.ts";
import { SimBoard } from "./board.ts";
import type { FlashGeometry } from "./config.ts";
import type { TransceiveResult } from "./field.ts";
import { SimReader, readerModule, type TapResult } from "./reader.ts";
import { installDenyImage } from "./world.ts";

export interface TapeExchange {
  command: string;
  /** R-APDU hex, or null when the transceive failed with `status`. */
  response: string | null;
  status: number;
  elapsedMs: number;
}

export type TapeStep =
  | { op: "init"; config: string; expect: number }
  | { op: "denyList"; image: string; expect: number }
  /** The board's idle time between taps; `pieces` is what the firmware did then. */
  | { op: "idle"; pieces: number }
  | {
      op: "tap";
      unixSeconds: number;
      amount: number;
      flashProgramFailures: number;
      randomFails: boolean;
      random: string[];
      exchanges: TapeExchange[];
      decision: number;
      reason: string;
      receipt: string | null;
      signals: [number, number][];
    };

export interface Tape {
  id: string;
  comment: string;
  /** The simulator seed the tape was recorded with (keys, wallets, challenges). */
  rngSeed: number;
  geometry: FlashGeometry;
  startUnixSeconds: number;
  steps: TapeStep[];
}

/** Collects steps while a SimWorld runs (see SimWorld's `recorder` option). */
export class TapeRecorder {
  readonly steps: TapeStep[] = [];
  private pending:
    { unixSeconds: number; amount: number; failures: number; randomFails: boolean } | undefined;

  init(config: Uint8Array, status: number): void {
    this.steps.push({ op: "init", config: toHex(config), expect: status });
  }

  denyList(image: Uint8Array, status: number): void {
    this.steps.push({ op: "denyList", image: toHex(image), expect: status });
  }

  idle(pieces: number): void {
    this.steps.push({ op: "idle", pieces });
  }

  beforeTap(board: SimBoard, amount: number): void {
    board.recordRandom = true;
    this.pending = {
      unixSeconds: board.clock.unixSeconds(),
      amount,
      failures: board.failPrograms,
      randomFails: board.failRandom,
    };
  }

  afterTap(r: TapResult, board: SimBoard): void {
    const p = this.pending;
    if (p === undefined) throw new Error("afterTap without beforeTap");
    this.pending = undefined;
    this.steps.push({
      op: "tap",
      unixSeconds: p.unixSeconds,
      amount: p.amount,
      flashProgramFailures: p.failures,
      randomFails: p.randomFails,
      random: board.randomFills.map(toHex),
      exchanges: r.exchanges.map((x) => ({
        command: toHex(x.tx),
        response: x.rx === undefined ? null : toHex(x.rx),
        status: x.status,
        elapsedMs: x.elapsedMs,
      })),
      decision: r.decision,
      reason: r.reason,
      receipt: r.receiptBytes === undefined ? null : toHex(r.receiptBytes),
      signals: r.signals.map((s) => [s.kind, s.value]),
    });
  }
}

export interface ReplayMismatch {
  step: number;
  what: string;
}

export interface ReplayReport {
  mismatches: ReplayMismatch[];
  decisions: number[];
}

/** A board whose radio and RNG play the tape's script for one tap. */
function scriptBoard(
  board: SimBoard,
  step: Extract<TapeStep, { op: "tap" }>,
  index: number,
  mismatches: ReplayMismatch[],
): void {
  const exchanges = [...step.exchanges];
  const fills = step.random.map((h) => fromHex(h));
  let n = 0;
  board.nfc = (tx: Uint8Array, _rxCap: number, _timeoutMs: number): TransceiveResult => {
    const x = exchanges.shift();
    n++;
    if (x === undefined) {
      mismatches.push({
        step: index,
        what: `exchange ${n}: firmware sent ${toHex(tx)} but the tape has no more exchanges`,
      });
      return { status: -4, rx: undefined };
    }
    if (toHex(tx) !== x.command)
      mismatches.push({
        step: index,
        what: `exchange ${n}: firmware sent ${toHex(tx)}, tape has ${x.command}`,
      });
    board.clock.advanceMs(x.elapsedMs);
    return x.response === null
      ? { status: x.status, rx: undefined }
      : { status: x.status, rx: fromHex(x.response) };
  };
  board.random = (out: Uint8Array): void => {
    const f = fills.shift();
    if (f === undefined || f.length !== out.length) {
      mismatches.push({ step: index, what: `randomFill of ${out.length} bytes not on the tape` });
      out.fill(0);
      return;
    }
    out.set(f);
  };
  board.failPrograms = step.flashProgramFailures;
  board.failRandom = step.randomFails;
  board.clock.setUnixSeconds(step.unixSeconds);
  // After the tap: every recorded exchange and random fill must have been used.
  board.afterTapCheck = (): void => {
    if (exchanges.length > 0)
      mismatches.push({
        step: index,
        what: `firmware stopped with ${exchanges.length} recorded exchange(s) unsent`,
      });
    if (fills.length > 0)
      mismatches.push({
        step: index,
        what: `firmware drew ${step.random.length - fills.length} of ${step.random.length} recorded random fills`,
      });
  };
}

/** Replays a tape against the firmware at wasmPath; returns every disagreement. */
export function replayTape(tape: Tape, wasmPath?: string): ReplayReport {
  const board = new SimBoard({
    seed: tape.rngSeed,
    geometry: tape.geometry,
    startUnixSeconds: tape.startUnixSeconds,
  });
  const reader = new SimReader(board, readerModule(wasmPath));
  const mismatches: ReplayMismatch[] = [];
  const decisions: number[] = [];
  tape.steps.forEach((step, i) => {
    if (step.op === "init") {
      const r = reader.init(fromHex(step.config));
      if (r !== step.expect)
        mismatches.push({ step: i, what: `init returned ${r}, tape expects ${step.expect}` });
    } else if (step.op === "denyList") {
      const r = installDenyImage(reader, fromHex(step.image), tape.geometry.pageBytes);
      if (r !== step.expect)
        mismatches.push({
          step: i,
          what: `deny list install returned ${r}, tape expects ${step.expect}`,
        });
    } else if (step.op === "idle") {
      const pieces = reader.idle();
      if (pieces !== step.pieces) {
        mismatches.push({ step: i, what: `idle did ${pieces} pieces, tape has ${step.pieces}` });
      }
    } else {
      scriptBoard(board, step, i, mismatches);
      const r = reader.tap(step.amount);
      board.afterTapCheck?.();
      board.afterTapCheck = undefined;
      decisions.push(r.decision);
      if (r.decision !== step.decision)
        mismatches.push({
          step: i,
          what: `decision ${reasonName(r.decision)}, tape expects ${step.reason}`,
        });
      const receipt = r.receiptBytes === undefined ? null : toHex(r.receiptBytes);
      if (receipt !== step.receipt)
        mismatches.push({ step: i, what: `receipt ${receipt}, tape expects ${step.receipt}` });
      const signals = JSON.stringify(r.signals.map((s) => [s.kind, s.value]));
      if (signals !== JSON.stringify(step.signals))
        mismatches.push({
          step: i,
          what: `signals ${signals}, tape expects ${JSON.stringify(step.signals)}`,
        });
    }
  });
  return { mismatches, decisions };
}
