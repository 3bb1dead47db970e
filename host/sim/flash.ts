// Simulated NOR flash: the board's flash as the firmware sees it through the ABI
// (boards/ABI.md). It enforces the device rules — programs only clear bits and must
// not cross a program page, erases clear whole sectors — keeps wear counters, and
// injects faults deterministically from a seed: a power cut at the Nth program or
// erase (the cut operation partly applied), and bit flips on read.

export const ERR_BOUNDS = -1;
export const ERR_PARTITION = -3;

export interface FlashGeometry {
  sizeBytes: number;
  sectorBytes: number;
  pageBytes: number;
}

export interface FaultPlan {
  /** Cut power during the Nth program or erase (1-based, counted across partitions). */
  cutAtOp?: number;
  /** Probability that a read returns one flipped bit (the stored bytes are unharmed). */
  readFlipRate?: number;
}

/** Thrown by the flash when the power goes: the firmware instance is dead from then on. */
export class PowerCut extends Error {
  constructor(readonly op: number, readonly kind: "program" | "erase") {
    super(`power cut during ${kind} #${op}`);
  }
}

/** A firmware bug against the device rules (e.g. programming a 0 bit back to 1). */
export class FlashRuleViolation extends Error {}

/** xorshift32 with a splitmix-style seed scramble: small, fast and reproducible. */
export class Xorshift32 {
  private s: number;
  constructor(seed: number) {
    let z = (seed >>> 0) + 0x9e3779b9;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    this.s = (z ^ (z >>> 16)) >>> 0 || 1;
  }
  nextU32(): number {
    let x = this.s;
    x ^= x << 13; x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5; x >>>= 0;
    this.s = x;
    return x;
  }
  /** Uniform integer in [0, n). */
  below(n: number): number {
    return Math.floor((this.nextU32() / 0x1_0000_0000) * n);
  }
  chance(p: number): boolean {
    return this.nextU32() / 0x1_0000_0000 < p;
  }
}

export class FlashPartition {
  readonly bytes: Uint8Array;
  readonly eraseCounts: Uint32Array;

  constructor(readonly geometry: FlashGeometry) {
    const { sizeBytes, sectorBytes, pageBytes } = geometry;
    const pow2 = (n: number): boolean => Number.isInteger(n) && n > 0 && (n & (n - 1)) === 0;
    if (!pow2(sectorBytes) || !pow2(pageBytes) || pageBytes > sectorBytes) {
      throw new RangeError(`bad flash geometry: sector ${sectorBytes}, page ${pageBytes}`);
    }
    if (!Number.isInteger(sizeBytes) || sizeBytes <= 0 || sizeBytes % sectorBytes !== 0) {
      throw new RangeError(`partition size ${sizeBytes} is not a positive multiple of the ${sectorBytes}-byte sector`);
    }
    this.bytes = new Uint8Array(sizeBytes).fill(0xff);
    this.eraseCounts = new Uint32Array(sizeBytes / sectorBytes);
  }
}

export interface FlashStats {
  reads: number;
  programs: number;
  erases: number;
  bytesProgrammed: number;
  readFlips: number;
}

export class SimFlash {
  readonly partitions = new Map<number, FlashPartition>();
  readonly stats: FlashStats = { reads: 0, programs: 0, erases: 0, bytesProgrammed: 0, readFlips: 0 };
  /** Programs and erases so far: the cut points of a power-loss run. */
  ops = 0;
  private dead = false;
  private plan: FaultPlan = {};
  private rng: Xorshift32;

  constructor(seed = 1) {
    this.rng = new Xorshift32(seed);
  }

  addPartition(id: number, geometry: FlashGeometry): FlashPartition {
    const p = new FlashPartition(geometry);
    this.partitions.set(id, p);
    return p;
  }

  partition(id: number): FlashPartition {
    const p = this.partitions.get(id);
    if (!p) throw new RangeError(`no flash partition ${id}`);
    return p;
  }

  /** Arms faults; clearing the plan also brings the power back (a reboot). */
  setFaults(plan: FaultPlan, seed?: number): void {
    this.plan = { ...plan };
    this.dead = false;
    if (seed !== undefined) this.rng = new Xorshift32(seed);
  }

  powerOn(): void {
    this.dead = false;
  }

  get poweredOff(): boolean {
    return this.dead;
  }

  read(id: number, offset: number, len: number): Uint8Array | number {
    if (this.dead) throw new PowerCut(this.ops, "program");
    const p = this.partitions.get(id);
    if (!p) return ERR_PARTITION;
    if (!rangeOk(offset, len, p.bytes.length)) return ERR_BOUNDS;
    this.stats.reads++;
    const out = p.bytes.slice(offset, offset + len);
    const rate = this.plan.readFlipRate ?? 0;
    if (rate > 0 && len > 0 && this.rng.chance(rate)) {
      const bit = this.rng.below(len * 8);
      out[bit >> 3]! ^= 1 << (bit & 7);
      this.stats.readFlips++;
    }
    return out;
  }

  program(id: number, offset: number, data: Uint8Array): number {
    if (this.dead) throw new PowerCut(this.ops, "program");
    const p = this.partitions.get(id);
    if (!p) return ERR_PARTITION;
    const len = data.length;
    if (!rangeOk(offset, len, p.bytes.length)) return ERR_BOUNDS;
    const page = p.geometry.pageBytes;
    if (len > 0 && Math.floor(offset / page) !== Math.floor((offset + len - 1) / page)) return ERR_BOUNDS;
    for (let i = 0; i < len; i++) {
      const old = p.bytes[offset + i]!;
      if ((data[i]! & ~old) & 0xff) {
        throw new FlashRuleViolation(`program would set bits 0→1 at partition ${id} offset ${offset + i} (0x${old.toString(16)} ← 0x${data[i]!.toString(16)})`);
      }
    }
    this.ops++;
    this.stats.programs++;
    if (this.plan.cutAtOp === this.ops) {
      this.tornProgram(p, offset, data);
      this.dead = true;
      throw new PowerCut(this.ops, "program");
    }
    for (let i = 0; i < len; i++) p.bytes[offset + i]! &= data[i]!;
    this.stats.bytesProgrammed += len;
    return 0;
  }

  erase(id: number, offset: number): number {
    if (this.dead) throw new PowerCut(this.ops, "erase");
    const p = this.partitions.get(id);
    if (!p) return ERR_PARTITION;
    const sector = p.geometry.sectorBytes;
    if (offset < 0 || offset % sector !== 0 || offset >= p.bytes.length) return ERR_BOUNDS;
    this.ops++;
    this.stats.erases++;
    p.eraseCounts[offset / sector]!++;
    if (this.plan.cutAtOp === this.ops) {
      this.tornErase(p, offset, sector);
      this.dead = true;
      throw new PowerCut(this.ops, "erase");
    }
    p.bytes.fill(0xff, offset, offset + sector);
    return 0;
  }

  /** A cut program: a prefix lands, and the rest may have some of its bits cleared. */
  private tornProgram(p: FlashPartition, offset: number, data: Uint8Array): void {
    const prefix = this.rng.below(data.length + 1);
    for (let i = 0; i < prefix; i++) p.bytes[offset + i]! &= data[i]!;
    if (this.rng.chance(0.5)) return;
    for (let i = prefix; i < data.length; i++) {
      const clear = ~data[i]! & 0xff & this.rng.nextU32();
      p.bytes[offset + i]! &= ~clear & 0xff;
    }
  }

  /** A cut erase: nothing, a prefix of the sector, or random bits set across it. */
  private tornErase(p: FlashPartition, offset: number, sector: number): void {
    const mode = this.rng.below(3);
    if (mode === 0) return;
    if (mode === 1) {
      p.bytes.fill(0xff, offset, offset + this.rng.below(sector + 1));
      return;
    }
    for (let i = 0; i < sector; i++) p.bytes[offset + i]! |= this.rng.nextU32() & 0xff;
  }
}

function rangeOk(offset: number, len: number, size: number): boolean {
  return Number.isInteger(offset) && Number.isInteger(len) && offset >= 0 && len >= 0 && offset + len <= size;
}
