// Seeded randomness for the simulator. One seed drives everything; each consumer draws
// from its own named stream (`derive`), so adding draws to one consumer does not shift
// the others and a failing run replays exactly from its printed seed.
import { createHash } from "node:crypto";

/** xoshiro128** (Blackman & Vigna): small state, fast, good enough for simulation. */
export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  private constructor(state: Uint32Array) {
    this.a = state[0]!; this.b = state[1]!; this.c = state[2]!; this.d = state[3]!;
    if ((this.a | this.b | this.c | this.d) === 0) this.d = 1; // the all-zero state is a fixed point
  }

  /** A generator for `seed` and stream `label`: SHA-256("offtap-sim\0" ‖ seed ‖ "\0" ‖ label). */
  static from(seed: number | string, label = ""): Rng {
    const h = createHash("sha256").update(`offtap-sim\0${seed}\0${label}`).digest();
    return new Rng(new Uint32Array(h.buffer.slice(h.byteOffset, h.byteOffset + 16)));
  }

  /** An independent stream derived from this one's next output and a label. */
  derive(label: string): Rng {
    return Rng.from(`${this.nextU32()}`, label);
  }

  nextU32(): number {
    const result = (Math.imul(rotl(Math.imul(this.b, 5), 7), 9)) >>> 0;
    const t = this.b << 9;
    this.c ^= this.a;
    this.d ^= this.b;
    this.b ^= this.c;
    this.a ^= this.d;
    this.c ^= t;
    this.d = rotl(this.d, 11);
    return result;
  }

  /** Uniform float in [0, 1). */
  next(): number {
    return this.nextU32() / 4294967296;
  }

  /** Uniform integer in [0, n), n ≤ 2^32. */
  below(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** Uniform integer in [lo, hi]. */
  between(lo: number, hi: number): number {
    return lo + this.below(hi - lo + 1);
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new RangeError("pick from an empty list");
    return items[this.below(items.length)]!;
  }

  fill(out: Uint8Array): Uint8Array {
    for (let i = 0; i < out.length; i += 4) {
      let v = this.nextU32();
      for (let j = i; j < Math.min(i + 4, out.length); j++) { out[j] = v & 0xff; v >>>= 8; }
    }
    return out;
  }

  bytes(n: number): Uint8Array {
    return this.fill(new Uint8Array(n));
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}
