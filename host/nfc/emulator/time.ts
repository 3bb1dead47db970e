// Waiting in the emulator: simulated durations become real ones through a time scale
// (1 = real time, 0 = as fast as possible), and every wait ends early on abort.

/** Waits `ms` real milliseconds; resolves false when `signal` aborted the wait. */
export function sleep(ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(false);
  if (ms <= 0) return Promise.resolve(true);
  return new Promise((resolve) => {
    const onAbort = (): void => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve(true);
    }, ms);
    signal.addEventListener("abort", onAbort, { once: true });
  });
}
