// The line speed a program configured on a serial device, read back from the kernel's
// termios with `stty -F PATH speed` (Node has no cfgetospeed). A pseudo-terminal stores the
// rate but ignores it, so a device emulator uses this to notice a peer talking at another
// rate than its own and garble what it sends, as a real UART would.
import { execFile } from "node:child_process";

/** The rate set on `path`, or undefined when stty cannot tell (no stty, no such device). */
export function readLineSpeed(path: string): Promise<number | undefined> {
  return new Promise((resolve) => {
    execFile("stty", ["-F", path, "speed"], { timeout: 2_000 }, (err, stdout) => {
      const rate = err === null ? Number.parseInt(stdout.trim(), 10) : Number.NaN;
      resolve(Number.isFinite(rate) && rate > 0 ? rate : undefined);
    });
  });
}

/** UART receivers tolerate a few percent of rate error; beyond this they read garbage. */
export const BAUD_TOLERANCE = 0.025;

export function ratesMatch(a: number, b: number): boolean {
  return Math.abs(a - b) <= BAUD_TOLERANCE * Math.max(a, b);
}
