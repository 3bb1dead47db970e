// The reset sequences esptool drives through DTR and RTS (esptool's reset.py), as data: a
// list of steps, each setting ONE line (the other keeps its value) or waiting. On the usual
// ESP32 board the lines reach the chip through a two-transistor auto-reset circuit:
//
//   DTR RTS | EN  GPIO0        (true = line asserted)
//    0   0  | 1    1           both released: the chip runs
//    1   1  | 1    1           both asserted: no change either (why one line at a time matters)
//    0   1  | 0    1           RTS alone: EN low, the chip is held in reset
//    1   0  | 1    0           DTR alone: GPIO0 low; if EN rises now, the ROM loader starts
//
// docs/FLASHING.md gives the sequences with their delays and the order they are tried in.
import type { SerialSignals } from "../serial/transport.ts";

export type ResetStep =
  | { line: "dtr" | "rts"; asserted: boolean }
  | { dtr: boolean; rts: boolean } // both lines in one call (esptool's _setDTRandRTS)
  | { waitMs: number };

export interface ResetStrategy {
  name: "classic" | "unix-tight" | "usb-jtag-serial" | "hard-reset" | "hard-reset-usb";
  steps: readonly ResetStep[];
}

/** esptool's DEFAULT_RESET_DELAY: how long GPIO0 stays low after EN rises. */
export const RESET_DELAY_MS = 50;
/** esptool's second try with a longer delay, for boards with a big EN capacitor. */
export const RESET_DELAY_EXTRA_MS = RESET_DELAY_MS + 500;
/** EN held low in the download-mode resets. */
export const RESET_HOLD_MS = 100;
/** HardReset on USB: time for the USB-JTAG-serial peripheral to come back between steps. */
export const USB_RESET_SETTLE_MS = 200;

const D = (asserted: boolean): ResetStep => ({ line: "dtr", asserted });
const R = (asserted: boolean): ResetStep => ({ line: "rts", asserted });
const W = (waitMs: number): ResetStep => ({ waitMs });
const B = (dtr: boolean, rts: boolean): ResetStep => ({ dtr, rts });

/** ClassicReset: GPIO0 high, EN low; wait; GPIO0 low, EN high; wait; GPIO0 released. */
export function classicReset(delayMs: number = RESET_DELAY_MS): ResetStrategy {
  return {
    name: "classic",
    steps: [D(false), R(true), W(RESET_HOLD_MS), D(true), R(false), W(delayMs), D(false)],
  };
}

/** UnixTightReset: both lines change in one call (one TIOCMSET), so the chip never sees
 *  the intermediate state a line-at-a-time change passes through. */
export function unixTightReset(delayMs: number = RESET_DELAY_MS): ResetStrategy {
  return {
    name: "unix-tight",
    steps: [
      B(false, false), // idle
      B(true, true), // both asserted: EN and GPIO0 stay high
      B(false, true), // RTS alone: EN low, chip in reset
      W(RESET_HOLD_MS),
      B(true, false), // DTR alone: GPIO0 low as EN rises
      W(delayMs),
      B(false, false), // released
      D(false), // esptool: "needed in some environments to ensure IO0=HIGH"
    ],
  };
}

/** USBJTAGSerialReset (ESP32-S3 on its own USB port): the USB-JTAG-serial peripheral
 *  turns the line states into a chip reset with GPIO0 forced low. */
export function usbJtagSerialReset(): ResetStrategy {
  return {
    name: "usb-jtag-serial",
    steps: [
      R(false),
      D(false),
      W(100), // idle
      D(true),
      R(false),
      W(100), // GPIO0 low
      R(true),
      D(false),
      R(true),
      W(100), // reset, passing through (1,1) rather than (0,0)
      D(false),
      R(false), // chip out of reset
    ],
  };
}

/** HardReset: EN pulsed with GPIO0 released, so the chip boots the application. */
export function hardReset(usb = false): ResetStrategy {
  if (usb) {
    return {
      name: "hard-reset-usb",
      steps: [D(false), R(true), W(USB_RESET_SETTLE_MS), R(false), W(USB_RESET_SETTLE_MS)],
    };
  }
  return { name: "hard-reset", steps: [D(false), R(true), W(RESET_HOLD_MS), R(false)] };
}

/** What esptool tries, in turn, one strategy per connection attempt (cycling). */
export function connectSequence(usbJtagSerial: boolean, platform: string): ResetStrategy[] {
  if (usbJtagSerial) return [usbJtagSerialReset()];
  const classic = [classicReset(RESET_DELAY_MS), classicReset(RESET_DELAY_EXTRA_MS)];
  if (platform === "win32") return classic;
  return [unixTightReset(RESET_DELAY_MS), unixTightReset(RESET_DELAY_EXTRA_MS), ...classic];
}

/** Something whose lines can be set (SerialTransport). */
export interface SignalPort {
  setSignals(signals: SerialSignals): Promise<void>;
}

/** Runs the steps. `scale` shrinks the waits (tests); 1 on hardware. */
export async function runReset(
  port: SignalPort,
  strategy: ResetStrategy,
  scale = 1,
): Promise<void> {
  for (const step of strategy.steps) {
    if ("waitMs" in step) await sleep(step.waitMs * scale);
    else if ("line" in step) await port.setSignals({ [step.line]: step.asserted });
    else await port.setSignals({ dtr: step.dtr, rts: step.rts });
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
