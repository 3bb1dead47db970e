// Simulated NOR flash: the board's flash as the firmware sees it through the ABI
// (boards/ABI.md). It enforces the device rules — programs only clear bits and must
// not cross a program page, erases clear whole sectors — keeps wear counters, and
// injects faults deterministically from a seed: a power cut at the Nth program or
// erase (the cut operation torn as flash-faults.ts describes: clean, partial bits or
// weak cells), weak cells that read at random until reprogrammed or erased, persistent
// bit rot, worn sectors whose programs and erases fail, and transient flips on read.
import {
  tearProgram, tearErase, wornProgram, wornErase, pick, PROGRAM_PATTERNS, ERASE_PATTERNS,
  type CutStyle, type CellState,
} from "./flash-faults.ts";

export type { CutStyle } from "./flash-faults.ts";

export const ERR_BOUNDS = -1;
export const ERR_IO = -2;
export const ERR_PARTITION = -3;

export interface FlashGeometry {
  sizeBytes: number;
  sectorBytes: number;
  pageBytes: number;
}

export interface FaultPlan {
  /** Cut power during the Nth program or erase (1-based, counted across partitions). */
  cutAtOp?: number;
  /** How the cut operation is torn (default `clean`). */
  cutStyle?: CutStyle;
  /** Probability that a read returns one flipped bit (the stored bytes are unharmed). */
  readFlipRate?: number;
  /** A worn sector's failed program or erase returns ERR_IO (a chip whose status register
   *  reports P_FAIL/E_FAIL and a driver that checks it) instead of 0 (silent). */
  wearReported?: boolean;
}

/** What the last power cut did, for failure messages. */
export interface CutRecord {
  op: number;
  kind: "program" | "erase";
  partition: number;
  offset: number;
  len: number;
  style: CutStyle;
  pattern: string;
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
  /** Weak cells: a 1 bit reads 0 or 1 at random on every read (the stored bit is moot). */
  readonly weak: Uint8Array;
  /** Worn sectors: 1 = programs fail, 2 = erases fail, 3 = both. */
  readonly worn: Uint8Array;
  /** Bytes with at least one weak bit (reads skip the weak mask while it is 0). */
  weakBytes = 0;

  constructor(readonly geometry: FlashGeometry) {
    const { sizeBytes, sectorBytes, pageBytes } = geometry;
    const pow2 = (n: number): boolean => Number.isInteger(n) && n > 0 && (n & (n - 1)) === 0;
    if (!pow2(sectorBytes) || !pow2(pageBytes) || pageBytes > sectorBytes) {
      throw new RangeError(`bad flash geometry: sector ${sectorBytes}, page ${pageBytes}`);
    }
    if (!Number.isInteger(sizeBytes) || sizeBytes <= 0 || sizeBytes % sectorBytes !== 0) {
      throw new RangeError(
        `partition size ${sizeBytes} is not a positive multiple of the ${sectorBytes}-byte sector`);
    }
    this.bytes = new Uint8Array(sizeBytes).fill(0xff);
    this.eraseCounts = new Uint32Array(sizeBytes / sectorBytes);
    this.weak = new Uint8Array(sizeBytes);
    this.worn = new Uint8Array(sizeBytes / sectorBytes);
  }

  /** Writes a torn operation's outcome over [offset, offset + state.stored.length). */
  apply(offset: number, state: CellState): void {
    this.bytes.set(state.stored, offset);
    for (let i = 0; i < state.weak.length; i++) {
      const before = this.weak[offset + i]!;
      const after = state.weak[i]!;
      if ((before === 0) !== (after === 0)) this.weakBytes += after === 0 ? -1 : 1;
      this.weak[offset + i] = after;
    }
  }

  /** Clears the weak mask where a program drives cells to 0 (they are solid now). */
  solidify(offset: number, data: Uint8Array): void {
    if (this.weakBytes === 0) return;
    for (let i = 0; i < data.length; i++) {
      const w = this.weak[offset + i]!;
      if (w === 0) continue;
      const left = w & data[i]!;
      this.weak[offset + i] = left;
      if (left === 0) this.weakBytes--;
    }
  }

  clearWeak(offset: number, len: number): void {
    if (this.weakBytes === 0) return;
    for (let i = offset; i < offset + len; i++) {
      if (this.weak[i] !== 0) this.weakBytes--;
      this.weak[i] = 0;
    }
  }
}

export interface FlashStats {
  reads: number;
  programs: number;
  erases: number;
  bytesProgrammed: number;
  readFlips: number;
  /** Reads that touched at least one weak cell. */
  weakReads: number;
  /** Programs and erases that failed on a worn sector. */
  wornFailures: number;
  /** Bits flipped persistently by `rot`. */
  rottedBits: number;
}

export class SimFlash {
  readonly partitions = new Map<number, FlashPartition>();
  readonly stats: FlashStats = {
    reads: 0, programs: 0, erases: 0, bytesProgrammed: 0, readFlips: 0,
    weakReads: 0, wornFailures: 0, rottedBits: 0,
  };
  /** The last cut, if any (what it tore and how). */
  lastCut?: CutRecord;
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

  /** Wears a sector out: its programs (1), erases (2) or both (3) fail from now on. */
  wear(id: number, sector: number, mode: 1 | 2 | 3 = 3): void {
    const p = this.partition(id);
    if (!Number.isInteger(sector) || sector < 0 || sector >= p.worn.length) {
      throw new RangeError(`no sector ${sector} in partition ${id}`);
    }
    p.worn[sector] = mode;
  }

  /** Flips one stored bit for good (retention loss or disturb), as if while powered off. */
  rot(id: number, offset: number, bit: number): void {
    const p = this.partition(id);
    if (!rangeOk(offset, 1, p.bytes.length) || !(bit >= 0 && bit < 8)) {
      throw new RangeError(`no bit ${bit} at offset ${offset} of partition ${id}`);
    }
    p.bytes[offset]! ^= 1 << bit;
    this.stats.rottedBits++;
  }

  /** Weak cells in a partition (bits), for tests and reports. */
  weakBits(id: number): number {
    const p = this.partition(id);
    if (p.weakBytes === 0) return 0;
    let n = 0;
    for (const w of p.weak) for (let x = w; x; x &= x - 1) n++;
    return n;
  }

  read(id: number, offset: number, len: number): Uint8Array | number {
    if (this.dead) throw new PowerCut(this.ops, "program");
    const p = this.partitions.get(id);
    if (!p) return ERR_PARTITION;
    if (!rangeOk(offset, len, p.bytes.length)) return ERR_BOUNDS;
    this.stats.reads++;
    const out = p.bytes.slice(offset, offset + len);
    if (p.weakBytes > 0) this.readWeak(p, offset, out);
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
    const crossesPage = Math.floor(offset / page) !== Math.floor((offset + len - 1) / page);
    if (len > 0 && crossesPage) return ERR_BOUNDS;
    for (let i = 0; i < len; i++) {
      // A weak cell may hold either value: programming a 1 over it leaves it as it is.
      const old = p.bytes[offset + i]! | p.weak[offset + i]!;
      if ((data[i]! & ~old) & 0xff) {
        const what = `0x${old.toString(16)} ← 0x${data[i]!.toString(16)}`;
        throw new FlashRuleViolation(
          `program would set bits 0→1 at partition ${id} offset ${offset + i} (${what})`);
      }
    }
    this.ops++;
    this.stats.programs++;
    if (this.plan.cutAtOp === this.ops) {
      this.cutProgram(id, p, offset, data);
      this.dead = true;
      throw new PowerCut(this.ops, "program");
    }
    this.stats.bytesProgrammed += len;
    if (p.worn[Math.floor(offset / p.geometry.sectorBytes)]! & 1) {
      this.stats.wornFailures++;
      p.apply(offset, wornProgram(p.bytes.subarray(offset, offset + len), data, this.rng));
      return this.plan.wearReported ? ERR_IO : 0;
    }
    for (let i = 0; i < len; i++) p.bytes[offset + i]! &= data[i]!;
    p.solidify(offset, data);
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
      this.cutErase(id, p, offset, sector);
      this.dead = true;
      throw new PowerCut(this.ops, "erase");
    }
    if (p.worn[offset / sector]! & 2) {
      this.stats.wornFailures++;
      p.apply(offset, wornErase(p.bytes.subarray(offset, offset + sector), this.rng));
      return this.plan.wearReported ? ERR_IO : 0;
    }
    p.bytes.fill(0xff, offset, offset + sector);
    p.clearWeak(offset, sector);
    return 0;
  }

  /** Weak cells read 0 or 1 with even odds, afresh on every read. */
  private readWeak(p: FlashPartition, offset: number, out: Uint8Array): void {
    let touched = false;
    for (let i = 0; i < out.length; i++) {
      const w = p.weak[offset + i]!;
      if (w === 0) continue;
      touched = true;
      out[i] = (out[i]! & ~w) | (this.rng.nextU32() & w);
    }
    if (touched) this.stats.weakReads++;
  }

  private cutProgram(id: number, p: FlashPartition, offset: number, data: Uint8Array): void {
    const style = this.plan.cutStyle ?? "clean";
    let pattern = "prefix+noise";
    if (style === "clean") this.tornProgram(p, offset, data);
    else {
      const pat = pick(PROGRAM_PATTERNS, this.rng);
      pattern = pat;
      const old = p.bytes.slice(offset, offset + data.length);
      const torn = tearProgram(old, data, style, pat, this.rng);
      // Weak cells already there stay weak unless the cut drove them to a solid 0.
      for (let i = 0; i < data.length; i++) torn.weak[i]! |= p.weak[offset + i]! & data[i]!;
      p.apply(offset, torn);
    }
    const len = data.length;
    this.lastCut = { op: this.ops, kind: "program", partition: id, offset, len, style, pattern };
  }

  private cutErase(id: number, p: FlashPartition, offset: number, sector: number): void {
    const style = this.plan.cutStyle ?? "clean";
    let pattern = "none|prefix|noise";
    if (style === "clean") this.tornErase(p, offset, sector);
    else {
      const pat = pick(ERASE_PATTERNS, this.rng);
      pattern = pat;
      const old = p.bytes.slice(offset, offset + sector);
      p.apply(offset, tearErase(old, style, pat, p.geometry.pageBytes, this.rng));
    }
    const len = sector;
    this.lastCut = { op: this.ops, kind: "erase", partition: id, offset, len, style, pattern };
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
      const len = this.rng.below(sector + 1);
      p.bytes.fill(0xff, offset, offset + len);
      p.clearWeak(offset, len);
      return;
    }
    for (let i = 0; i < sector; i++) p.bytes[offset + i]! |= this.rng.nextU32() & 0xff;
  }
}

function rangeOk(offset: number, len: number, size: number): boolean {
  return Number.isInteger(offset) && Number.isInteger(len) && offset >= 0 && len >= 0
    && offset + len <= size;
}
