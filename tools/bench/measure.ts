// Interleaved rounds: every round runs each subject once for about `roundMs`, in an order
// that rotates from round to round, so drift in CPU clock or load hits all subjects alike.
// Figures are medians over rounds. A subject's op throws if its result is wrong, so a
// broken implementation ends the benchmark instead of producing a fast number.
//
// Clock: "cpu" (default) counts this process's CPU time (user + system), so a round that
// loses the core to other work on a shared machine is not counted as slow; "wall" counts
// elapsed time. On a quiet machine the two agree.
import { performance } from "node:perf_hooks";

export type Clock = "cpu" | "wall";

export interface Subject {
  name: string;
  /** One operation on input i (any integer; the subject wraps it onto its fixtures). */
  op(i: number): void;
}

export interface Series {
  name: string;
  /** Operations per second, one per measured round. */
  samples: number[];
  median: number;
  min: number;
  max: number;
}

export interface MeasureOptions {
  rounds: number;
  roundMs: number;
  /** Unrecorded rounds first, so JIT tiers and caches settle. */
  warmupRounds: number;
  clock: Clock;
  onRound?: (round: number, total: number) => void;
}

export function median(values: readonly number[]): number {
  if (values.length === 0) throw new RangeError("median of nothing");
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** A batch (operations between clock reads) lasts at least this long, so reading the
 *  clock costs well under 1 % even for sub-microsecond operations. */
const BATCH_MS_MIN = 0.5;
const BATCH_OPS_MAX = 1 << 20;

function nowMs(clock: Clock): number {
  if (clock === "wall") return performance.now();
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/** Runs `subject` for at least `ms` milliseconds of `clock`; returns operations per second. */
function rate(subject: Subject, ms: number, start: number, clock: Clock): number {
  // Size the batch first (these operations are not counted).
  let batch = 1;
  let i = start;
  for (;;) {
    const t = performance.now();
    for (let k = 0; k < batch; k++) subject.op(i++);
    if (performance.now() - t >= BATCH_MS_MIN || batch >= BATCH_OPS_MAX) break;
    batch *= 2;
  }
  let ops = 0;
  const t0 = nowMs(clock);
  let elapsed = 0;
  while (elapsed < ms) {
    for (let k = 0; k < batch; k++) subject.op(i++);
    ops += batch;
    elapsed = nowMs(clock) - t0;
  }
  return (ops * 1000) / elapsed;
}

export function measureInterleaved(subjects: readonly Subject[], opts: MeasureOptions): Series[] {
  const samples = subjects.map(() => [] as number[]);
  const total = opts.warmupRounds + opts.rounds;
  for (let round = 0; round < total; round++) {
    opts.onRound?.(round + 1, total);
    for (let k = 0; k < subjects.length; k++) {
      const j = (k + round) % subjects.length;
      const r = rate(subjects[j]!, opts.roundMs, round * 1_000_003, opts.clock);
      if (round >= opts.warmupRounds) samples[j]!.push(r);
    }
  }
  return subjects.map((s, j) => {
    const v = samples[j]!;
    return { name: s.name, samples: v, median: median(v), min: Math.min(...v), max: Math.max(...v) };
  });
}
