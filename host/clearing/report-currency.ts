// The currency of an ingest report's amounts (`settledAmount`, double spends' `excess`):
// that of the readers whose batches it holds. Clearing books per reader currency; a
// report speaks of one currency unless one upload mixed readers of several.
import type { Clearing } from "./index.ts";
import type { IngestReport } from "./types.ts";

/** The ISO 4217 numeric code of the report's readers, or undefined when they differ (or
 *  none is registered): amounts then stay plain minor units. */
export async function reportCurrency(c: Clearing, r: IngestReport): Promise<number | undefined> {
  const codes = new Set<number>();
  for (const id of new Set(r.batches.map((b) => b.readerId))) {
    const reader = await c.reader(id);
    if (reader !== undefined) codes.add(reader.currency);
  }
  return codes.size === 1 ? [...codes][0] : undefined;
}
