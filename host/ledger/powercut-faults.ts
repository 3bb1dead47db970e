// The fault kinds of the power-loss runner and what each run injects (docs/LEDGER.md,
// "Fault model"). Every choice comes from the run's seed, so a failing run replays.
import { Xorshift32, type CutStyle, type SimFlash } from "../sim/flash.ts";
import { SLOT_BYTES, HEADER_BYTES, HEADER_B_AT, MARKS_AT, VOID_AT } from "./format.ts";

export const FAULT_KINDS = ["clean", "partial", "weak", "rot", "wear"] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];
export type FaultSelection = FaultKind | "all";

/** Where rot strikes: every region recovery depends on, plus the records themselves. */
export const ROT_REGIONS = [
  "sector-header", "ack-mark", "commit", "record", "deny-image", "deny-trailer",
] as const;
export type RotRegion = (typeof ROT_REGIONS)[number];

/** Trailer of a deny-list slot (docs/LEDGER.md §7): the last 16 bytes. */
const DENY_TRAILER_BYTES = 16;
/** Retention loss (a programmed 0 reads 1) is the common direction; disturb the rare one. */
const ROT_CHARGE_LOSS_ODDS = 0.75;

export interface WornSector {
  partition: number;
  sector: number;
  /** 1 = programs fail, 2 = erases fail, 3 = both. */
  mode: 1 | 2 | 3;
  /** Worn before the run starts (else it wears out at the first cut). */
  fromStart: boolean;
  /** Failures come back as ERR_IO (else the operation returns 0 and only read-back tells). */
  reported: boolean;
}

export interface RunFaults {
  kind: FaultKind;
  cutStyle: CutStyle;
  rotRegion?: RotRegion;
  worn?: WornSector;
}

/** The faults of run `index` (0-based among the fault runs) of a campaign. */
export function planRunFaults(sel: FaultSelection, index: number, runSeed: number,
  sectors: number, hasDeny: boolean, only: readonly RotRegion[] = ROT_REGIONS): RunFaults {
  const rng = new Xorshift32(runSeed ^ 0x0fa17);
  const kind = sel === "all" ? FAULT_KINDS[index % FAULT_KINDS.length]! : sel;
  if (kind === "partial" || kind === "weak") return { kind, cutStyle: kind };
  if (kind === "clean") return { kind, cutStyle: "clean" };
  if (kind === "rot") {
    const regions = only.filter((r) => hasDeny || !r.startsWith("deny"));
    if (regions.length === 0) throw new RangeError("no rot region left to strike");
    // Cycle through the regions so a campaign of n runs covers each about n / 6 times.
    const turn = sel === "all" ? Math.floor(index / FAULT_KINDS.length) : index;
    return { kind, cutStyle: "clean", rotRegion: regions[turn % regions.length]! };
  }
  const mode = (1 + rng.below(3)) as 1 | 2 | 3;
  // Half the wear runs wear sector 0: the first sector every fresh ledger opens.
  const sector = rng.chance(0.5) ? 0 : rng.below(sectors);
  return {
    kind, cutStyle: "clean",
    worn: { partition: 0, sector, mode, fromStart: rng.chance(0.5), reported: rng.chance(0.5) },
  };
}

export interface RotHit {
  partition: number;
  offset: number;
  bit: number;
  region: RotRegion;
  /** The record whose slot was hit (region "record"): it may be unreadable from now on. */
  seq?: number;
}

interface Range { partition: number; start: number; end: number }

/** Byte ranges of a region (docs/LEDGER.md §2): both header copies; the mark area; a
 *  record slot's content, or its void/signal/commit words. Format-1 sectors fit too
 *  (their marks sit in the second header range, their commit marker in the words). */
function regionRanges(flash: SimFlash, region: RotRegion, sectorBytes: number): Range[] {
  const out: Range[] = [];
  if (region.startsWith("deny")) {
    if (!flash.partitions.has(1)) return out;
    const half = flash.partition(1).bytes.length / 2;
    for (const base of [0, half]) {
      if (region === "deny-image") out.push({ partition: 1, start: base, end: base + half - 16 });
      else out.push({ partition: 1, start: base + half - DENY_TRAILER_BYTES, end: base + half });
    }
    return out;
  }
  const size = flash.partition(0).bytes.length;
  for (let s = 0; s < size; s += sectorBytes) {
    if (region === "sector-header") {
      out.push({ partition: 0, start: s, end: s + HEADER_B_AT + HEADER_BYTES });
    }
    else if (region === "ack-mark") {
      out.push({ partition: 0, start: s + MARKS_AT, end: s + SLOT_BYTES });
    }
    else {
      for (let slot = s + SLOT_BYTES; slot < s + sectorBytes; slot += SLOT_BYTES) {
        const commit = region === "commit";
        const start = commit ? slot + VOID_AT : slot;
        out.push({ partition: 0, start, end: commit ? slot + SLOT_BYTES : slot + VOID_AT });
      }
    }
  }
  return out;
}

/** Flips one bit of a programmed byte of the region, for good; undefined when the region
 *  holds nothing programmed yet. */
export function rotRegion(flash: SimFlash, region: RotRegion, sectorBytes: number,
  rng: Xorshift32): RotHit | undefined {
  const candidates: Array<{ partition: number; offset: number }> = [];
  for (const r of regionRanges(flash, region, sectorBytes)) {
    const bytes = flash.partition(r.partition).bytes;
    for (let i = r.start; i < r.end; i++) {
      if (bytes[i] !== 0xff) candidates.push({ partition: r.partition, offset: i });
    }
  }
  if (candidates.length === 0) return undefined;
  const at = candidates[rng.below(candidates.length)]!;
  const value = flash.partition(at.partition).bytes[at.offset]!;
  const zeros = [0, 1, 2, 3, 4, 5, 6, 7].filter((b) => !(value & (1 << b)));
  const bit = rng.chance(ROT_CHARGE_LOSS_ODDS) && zeros.length > 0
    ? zeros[rng.below(zeros.length)]!
    : rng.below(8);
  const hit: RotHit = { ...at, bit, region };
  if (region === "record") {
    const slotStart = at.offset - (at.offset % SLOT_BYTES);
    const b = flash.partition(0).bytes;
    hit.seq = new DataView(b.buffer, b.byteOffset + slotStart, 4).getUint32(0, true);
  }
  flash.rot(at.partition, at.offset, bit);
  return hit;
}

/** A run's seed from the campaign seed and the run's index: splitmix32 of both. */
export function runSeedOf(seed: number, index: number): number {
  let z = (Math.imul(seed >>> 0, 0x9e3779b1) + Math.imul(index + 1, 0x85ebca77)) >>> 0;
  z = Math.imul(z ^ (z >>> 16), 0x7feb352d);
  z = Math.imul(z ^ (z >>> 15), 0x846ca68b);
  return (z ^ (z >>> 16)) >>> 0 || 1;
}
