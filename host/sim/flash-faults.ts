// What a NOR cell array holds after an interrupted or failing operation (docs/LEDGER.md,
// "Fault model"). Pure functions of the old bytes, the intended bytes and a seeded
// generator: the flash simulator (flash.ts) applies their result. A program can only
// clear bits and an erase can only set them, so every outcome lies between "nothing
// happened" and "the operation completed"; a cell caught half-way is *weak* (it reads
// 0 or 1 at random on every read until it is programmed or erased again).
import type { Xorshift32 } from "./flash.ts";

/** How a cut operation is torn. `clean` is the historical model (byte prefix, maybe some
 *  random cleared bits after it; erase: nothing, a prefix or random set bits). */
export type CutStyle = "clean" | "partial" | "weak";
export const CUT_STYLES: readonly CutStyle[] = ["clean", "partial", "weak"];

/** Which of a cut program's intended bit clears landed. */
export const PROGRAM_PATTERNS = ["none", "one", "prefix", "random", "all-but-one", "all"] as const;
export type ProgramPattern = (typeof PROGRAM_PATTERNS)[number];

/** What a cut erase left: nothing erased, a prefix, random density, all but a few zero
 *  bits, everything but the first page (the sector header survives), or all erased. */
export const ERASE_PATTERNS = [
  "none", "prefix", "random", "few-zeros", "header-survives", "all",
] as const;
export type ErasePattern = (typeof ERASE_PATTERNS)[number];

/** Zero bits a torn erase considers (the first 4,096 of the sector: plenty to choose from). */
const ZERO_BITS_SCANNED_MAX = 4096;

/** The bytes a torn operation leaves: `stored` (solid value) and `weak` (bits that read
 *  at random). Both are as long as the range the operation covered. */
export interface CellState {
  stored: Uint8Array;
  weak: Uint8Array;
}

/** Bit positions (byte·8 + bit) that the program would clear: 1 in old, 0 in data. */
function intendedBits(old: Uint8Array, data: Uint8Array): number[] {
  const bits: number[] = [];
  for (let i = 0; i < data.length; i++) {
    const clear = old[i]! & ~data[i]! & 0xff;
    if (clear === 0) continue;
    for (let b = 0; b < 8; b++) if (clear & (1 << b)) bits.push(i * 8 + b);
  }
  return bits;
}

/** Indices into `bits` of the ones that land, by pattern. */
function landing(pattern: ProgramPattern, n: number, rng: Xorshift32): Set<number> {
  const out = new Set<number>();
  if (n === 0 || pattern === "none") return out;
  if (pattern === "one") {
    out.add(rng.below(n));
    return out;
  }
  if (pattern === "prefix") {
    // Cells are programmed in address order: the first k intended bits land.
    const k = rng.below(n + 1);
    for (let i = 0; i < k; i++) out.add(i);
    return out;
  }
  if (pattern === "random") {
    const density = rng.below(1000) / 1000;
    for (let i = 0; i < n; i++) if (rng.chance(density)) out.add(i);
    return out;
  }
  for (let i = 0; i < n; i++) out.add(i);
  if (pattern === "all-but-one") out.delete(rng.below(n));
  return out;
}

/**
 * A program cut by power loss. `partial`: the landed bits follow the pattern, solid.
 * `weak`: the same, and at least one intended bit that did not land (or, when all
 * landed, one that did) is left weak — charge placed but not verified.
 */
export function tearProgram(old: Uint8Array, data: Uint8Array, style: "partial" | "weak",
  pattern: ProgramPattern, rng: Xorshift32): CellState {
  const stored = old.slice();
  const weak = new Uint8Array(old.length);
  const bits = intendedBits(old, data);
  const landed = landing(pattern, bits.length, rng);
  const missed: number[] = [];
  bits.forEach((bit, i) => {
    if (landed.has(i)) stored[bit >> 3]! &= ~(1 << (bit & 7)) & 0xff;
    else missed.push(bit);
  });
  if (style === "weak" && bits.length > 0) {
    const pool = missed.length > 0 ? missed : bits;
    // One to four marginal cells: a cut rarely leaves more than a few half-programmed.
    const count = 1 + rng.below(Math.min(4, pool.length));
    for (let k = 0; k < count; k++) {
      const bit = pool[rng.below(pool.length)]!;
      weak[bit >> 3]! |= 1 << (bit & 7);
    }
  }
  return { stored, weak };
}

/** An erase cut by power loss (or failing on a worn sector), by pattern. */
export function tearErase(old: Uint8Array, style: "partial" | "weak", pattern: ErasePattern,
  headerBytes: number, rng: Xorshift32): CellState {
  const n = old.length;
  const stored = old.slice();
  const weak = new Uint8Array(n);
  if (pattern === "prefix") stored.fill(0xff, 0, rng.below(n + 1));
  else if (pattern === "random") {
    const density = rng.below(1000) / 1000;
    for (let i = 0; i < n; i++) if (rng.chance(density)) stored[i] = 0xff;
  } else if (pattern === "few-zeros") {
    // Mostly erased: a few cells that held a 0 never made it back to 1.
    const zeros = zeroBits(old);
    stored.fill(0xff);
    const keep = Math.min(zeros.length, 1 + rng.below(8));
    for (let k = 0; k < keep; k++) {
      const bit = zeros[rng.below(zeros.length)]!;
      stored[bit >> 3]! &= ~(1 << (bit & 7)) & 0xff;
    }
  } else if (pattern === "header-survives") stored.fill(0xff, Math.min(headerBytes, n), n);
  else if (pattern === "all") stored.fill(0xff);
  if (style === "weak") markWeakZeros(stored, weak, rng);
  return { stored, weak };
}

/** Up to eight of the zero bits still stored become weak (an erase pulse half-done). */
function markWeakZeros(stored: Uint8Array, weak: Uint8Array, rng: Xorshift32): void {
  const zeros = zeroBits(stored);
  if (zeros.length === 0) {
    // Fully erased but marginal: a few erased cells read 0 now and then.
    const count = 1 + rng.below(8);
    for (let k = 0; k < count; k++) {
      const bit = rng.below(stored.length * 8);
      weak[bit >> 3]! |= 1 << (bit & 7);
    }
    return;
  }
  const count = 1 + rng.below(Math.min(8, zeros.length));
  for (let k = 0; k < count; k++) {
    const bit = zeros[rng.below(zeros.length)]!;
    weak[bit >> 3]! |= 1 << (bit & 7);
  }
}

/** Bit positions of the 0 bits (at most ZERO_BITS_SCANNED_MAX: a bound on the scan). */
function zeroBits(bytes: Uint8Array): number[] {
  const zeros: number[] = [];
  for (let i = 0; i < bytes.length && zeros.length < ZERO_BITS_SCANNED_MAX; i++) {
    if (bytes[i] === 0xff) continue;
    for (let b = 0; b < 8; b++) if (!(bytes[i]! & (1 << b))) zeros.push(i * 8 + b);
  }
  return zeros;
}

/** A worn cell array: a program lands only some of its bits (each with even odds). */
export function wornProgram(old: Uint8Array, data: Uint8Array, rng: Xorshift32): CellState {
  return tearProgram(old, data, "partial", "random", rng);
}

/** A worn sector's erase leaves a few bits programmed (it never finishes verifying). */
export function wornErase(old: Uint8Array, rng: Xorshift32): CellState {
  return tearErase(old, "partial", "few-zeros", 0, rng);
}

export function pick<T>(xs: readonly T[], rng: Xorshift32): T {
  return xs[rng.below(xs.length)]!;
}
