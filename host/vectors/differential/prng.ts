// Deterministic pseudo-random numbers for generated test cases: xoshiro128** seeded through
// splitmix32. Case i of a run depends only on (seed, i), so any single case replays alone
// and the run splits across workers without changing a byte.

function splitmix32(state: number): [number, number] {
  state = (state + 0x9e3779b9) | 0;
  let z = state;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return [state, (z ^ (z >>> 16)) >>> 0];
}

export class Prng {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;

  /** The run seed this generator was derived from. */
  readonly runSeed: number;

  /** A generator for case `index` of the run seeded with `seed` (both unsigned 32-bit). */
  constructor(seed: number, index: number) {
    this.runSeed = seed;
    let st = (seed ^ Math.imul(index + 1, 0x27d4eb2f)) | 0;
    const out: number[] = [];
    for (let i = 0; i < 4; i++) {
      const [next, z] = splitmix32(st);
      st = next;
      out.push(z);
    }
    [this.s0, this.s1, this.s2, this.s3] = out as [number, number, number, number];
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1;
  }

  /** Next unsigned 32-bit value. */
  u32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5), 7), 9) >>> 0;
    const t = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /** Uniform integer in [0, n), n ≤ 2^32 (rejection sampling, no modulo bias). */
  below(n: number): number {
    if (!(n >= 1 && n <= 0x1_0000_0000)) throw new RangeError(`below(${n})`);
    const limit = 0x1_0000_0000 - (0x1_0000_0000 % n);
    for (;;) {
      const x = this.u32();
      if (x < limit) return x % n;
    }
  }

  bytes(len: number): Uint8Array {
    const out = new Uint8Array(len);
    for (let i = 0; i < len; i += 4) {
      const x = this.u32();
      for (let j = 0; j < 4 && i + j < len; j++) out[i + j] = (x >>> (8 * j)) & 0xff;
    }
    return out;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new RangeError("pick from an empty list");
    return items[this.below(items.length)]!;
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) | 0;
}

/** Parses a seed given as decimal or 0x-hex; null when absent. */
export function parseSeed(text: string | undefined): number | null {
  if (text === undefined || text.trim() === "") return null;
  const n = Number(text.trim());
  if (!Number.isInteger(n) || n < 0 || n > 0xffff_ffff) throw new RangeError(`seed must be an unsigned 32-bit integer, got "${text}"`);
  return n;
}
