// The simulated board's clock: wall-clock Unix seconds and monotonic milliseconds move
// together, only when the simulation advances them (NFC latency, idle time between taps).

export class SimClock {
  private unixMs: number;
  private bootMs: number;

  constructor(unixSeconds: number) {
    if (!Number.isInteger(unixSeconds) || unixSeconds < 0 || unixSeconds > 0xffffffff) {
      throw new RangeError(`clock start must be a u32 of Unix seconds, got ${unixSeconds}`);
    }
    this.unixMs = unixSeconds * 1000;
    this.bootMs = 0;
  }

  /** Unix seconds as the board reports them (u32). */
  unixSeconds(): number { return Math.floor(this.unixMs / 1000) >>> 0; }

  /** Milliseconds since boot, wrapping at 2^32 as the ABI says. */
  millis(): number { return this.bootMs >>> 0; }

  /** Milliseconds since boot without wrapping, for the simulator's own timings. */
  millisExact(): number { return this.bootMs; }

  advanceMs(ms: number): void {
    if (!(ms >= 0) || !Number.isFinite(ms)) throw new RangeError(`clock advance must be ≥ 0 ms, got ${ms}`);
    this.unixMs += ms;
    this.bootMs += ms;
  }

  /** Sets the wall clock (a drifting or re-set RTC); monotonic time is unaffected. */
  setUnixSeconds(s: number): void {
    if (!Number.isInteger(s) || s < 0 || s > 0xffffffff) throw new RangeError(`Unix seconds must be a u32, got ${s}`);
    this.unixMs = s * 1000;
  }

  /** A reboot restarts monotonic time; the RTC keeps running. */
  reboot(): void { this.bootMs = 0; }
}
