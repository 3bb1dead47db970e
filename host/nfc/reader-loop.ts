// The reader's loop on a PN532: wait for a card, run one tap of the firmware, release the
// card, and wait for an empty field before the next tap, so a phone held to the reader
// never starts a second tap. Each tap's time is split into firmware, PN532 link and RF.
import type { SimWorld } from "../sim/world.ts";
import type { TapResult } from "../sim/reader.ts";
import type { Pn532Front } from "../sim/pn532.ts";
import type { DriverError, Target } from "./pn532/driver.ts";
import { Pn532Driver } from "./pn532/driver.ts";

export interface TapSplit {
  totalMs: number;
  /** In the firmware (the tap minus the time spent in nfcTransceive). */
  firmwareMs: number;
  /** Bytes on the HSU line (10 bits per byte at the link's baud rate). */
  linkMs: number;
  /** The rest of nfcTransceive: the chip, the RF exchange and the card's own time. */
  rfMs: number;
}

export interface LoopTap {
  result: TapResult;
  split: TapSplit;
  target: Target;
}

/** Pause between polls of an empty field, ms (the chip's own retries run meanwhile). */
export const POLL_PAUSE_MS = 5;

/** Polls until a card is activated; undefined after `pollsMax` empty polls. */
export function waitForCard(
  driver: Pn532Driver,
  pollsMax: number,
): Target | DriverError | undefined {
  for (let i = 0; i < pollsMax; i++) {
    const p = driver.poll();
    if (!p.ok) {
      if (p.error.kind === "not-iso-dep") continue; // not a wallet: ignore it
      return p.error;
    }
    if (p.value !== undefined) return p.value;
    Pn532Driver.pause(POLL_PAUSE_MS);
  }
  return undefined;
}

/** Releases the card and polls until the field is empty; the number of polls that still
 *  found a card, or "held" when it was still there after `pollsMax` polls. */
export function waitForEmptyField(
  driver: Pn532Driver,
  pollsMax: number,
): number | "held" | DriverError {
  for (let i = 0; i < pollsMax; i++) {
    const r = driver.release();
    if (!r.ok) return r.error;
    const p = driver.poll();
    if (!p.ok && p.error.kind !== "not-iso-dep") return p.error;
    if (p.ok && p.value === undefined) {
      return i;
    }
    Pn532Driver.pause(POLL_PAUSE_MS);
  }
  return "held";
}

/** One tap of the firmware on the card `waitForCard` activated. */
export function tapActivated(
  front: Pn532Front,
  world: SimWorld,
  amount: number,
  target: Target,
): LoopTap {
  front.attach(world.board);
  front.beginTap(true);
  const t0 = performance.now();
  let result: TapResult;
  let totalMs: number;
  try {
    result = world.tap(undefined, amount);
  } finally {
    // The tap ends with the firmware's decision; releasing the card comes after it.
    totalMs = performance.now() - t0;
    front.endTap();
  }
  const t = front.timings;
  // The line time is nominal (bytes × 10 / baud); a link faster than its nominal rate (a
  // pseudo-terminal to an emulator at time scale 0) cannot have spent more than it took.
  const linkMs = Math.min(t.linkMs, t.transceiveMs);
  const split: TapSplit = {
    totalMs,
    firmwareMs: Math.max(0, totalMs - t.transceiveMs),
    linkMs,
    rfMs: t.transceiveMs - linkMs,
  };
  return { result, split, target };
}
