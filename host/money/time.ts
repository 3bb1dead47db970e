// Times for people and files: ISO 8601 in UTC with a "Z", to the second
// ("2026-12-05T21:04:00Z"). Readers count Unix seconds, so seconds are the finest
// resolution any tap has; clearing's own timestamps are shown to the same second.

/** Largest Unix second a reader's clock (u32) can hold: 2106-02-07T06:28:15Z. */
export const UNIX_SECONDS_U32_MAX = 0xffff_ffff;

/** Unix seconds → "2026-12-05T21:04:00Z". */
export function isoFromUnixSeconds(seconds: number): string {
  if (!Number.isSafeInteger(seconds) || seconds < 0) {
    throw new TypeError(`Unix seconds must be a non-negative integer, got ${seconds}`);
  }
  return isoTime(new Date(seconds * 1000));
}

/** A Date, epoch milliseconds or an ISO string from the database → the second-resolution
 *  UTC form. A value that is not a time comes back as its text, never as "Invalid Date". */
export function isoTime(t: Date | number | string): string {
  const d = t instanceof Date ? t : new Date(t);
  if (Number.isNaN(d.getTime())) return String(t);
  return d.toISOString().replace(/\.\d{3}Z$/, "Z");
}
