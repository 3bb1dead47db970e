// Power-loss runner in the littlefs manner: a workload of taps and exports runs on the
// simulated flash through the real firmware; power is cut at one program/erase point
// per run (every point in exhaustive mode, K seeded points in random mode); after each
// cut the firmware reboots (a new instance on the same flash), recovers, the invariants
// are checked, and the workload carries on to its end.
import { SimFlash, PowerCut } from "../sim/flash.ts";
import { firmwareModule } from "../firmware/board.ts";
import { LedgerDevice } from "./device.ts";
import { decodeImage } from "./image.ts";
import { decodeBatch, verifyBatch } from "./batch.ts";
import { encodeAckBody, encodeRecordContent, equalBytes, hex, statusName, type Payment } from "./format.ts";
import { signEd25519 } from "./keys.ts";
import { SyntheticTaps, configFor, identityFromSeed, type Geometry, type ReaderIdentity, type TapSource } from "./workload.ts";
import { Xorshift32 } from "../sim/flash.ts";

export const ERR_LEDGER_FULL = -12;
export const ERR_VERIFY = -14;

export interface PowerCutOptions {
  taps: number;
  seed: number;
  /** Export and acknowledge everything after every N taps (0 = never). */
  exportEvery: number;
  geometry: Geometry;
  mode: { kind: "exhaustive" } | { kind: "random"; count: number } | { kind: "single"; cutAtOp: number };
  source?: TapSource;
  /** Probability of a transient one-bit flip per flash read, on every boot. */
  readFlipRate?: number;
  wasmPath?: string;
  onProgress?: (done: number, total: number) => void;
}

export interface Violation { cutAtOp: number; message: string }

export interface PowerCutReport {
  seed: number;
  taps: number;
  /** Program/erase operations of the uncut workload: the cut points available. */
  opsPerRun: number;
  cutPoints: number;
  reboots: number;
  /** Taps whose append returned success, summed over all runs. */
  acceptedTaps: number;
  /** Committed records whose append was cut before it returned (accepted-but-unsignalled). */
  unsignalledCommitted: number;
  declinedFull: number;
  /** Appends declined because read-back never verified (only with read faults). */
  declinedVerify: number;
  lost: number;
  duplicated: number;
  chainOk: boolean;
  violations: Violation[];
}

interface Model {
  /** seq → content of every record the reader holds or handed over (accepted or adopted). */
  records: Map<number, Uint8Array>;
  /** seq of records whose append returned success. */
  accepted: Set<number>;
  acked: number;
  /** Acknowledgement in flight when the power went (it may or may not be durable). */
  ackInFlight: number;
  /** Payment whose append was cut. */
  tapInFlight?: Payment;
  /** What clearing received: seq → content. */
  cleared: Map<number, Uint8Array>;
  lastHead?: Uint8Array;
}

class Run {
  readonly flash: SimFlash;
  dev!: LedgerDevice;
  readonly model: Model = { records: new Map(), accepted: new Set(), acked: 0, ackInFlight: 0, cleared: new Map() };
  readonly violations: string[] = [];
  reboots = 0;
  lost = 0;
  duplicated = 0;
  unsignalled = 0;
  declinedFull = 0;
  verifyDeclines = 0;
  chainOk = true;

  constructor(readonly o: PowerCutOptions, readonly id: ReaderIdentity, readonly config: Uint8Array,
    readonly source: TapSource, readonly module: WebAssembly.Module, cutAtOp: number | undefined) {
    this.flash = new SimFlash(o.seed ^ (cutAtOp ?? 0));
    this.flash.addPartition(0, { sizeBytes: o.geometry.ledgerBytes, sectorBytes: o.geometry.sectorBytes, pageBytes: o.geometry.pageBytes });
    if (o.geometry.denyBytes > 0) this.flash.addPartition(1, { sizeBytes: o.geometry.denyBytes, sectorBytes: o.geometry.sectorBytes, pageBytes: o.geometry.pageBytes });
    this.flash.setFaults({ cutAtOp, readFlipRate: o.readFlipRate }, o.seed * 7919 + (cutAtOp ?? 0));
    this.boot();
  }

  fail(message: string): void { this.violations.push(message); }

  private boot(): void {
    this.dev = new LedgerDevice(this.flash, this.module);
    const st = this.dev.boot(this.config);
    if (st !== 0) this.fail(`boot failed: ${statusName(st)}`);
  }

  /** Runs one step; a power cut reboots and checks the invariants. */
  step(action: () => void): void {
    try {
      action();
    } catch (e) {
      if (!(e instanceof PowerCut)) throw e;
      this.flash.setFaults({ readFlipRate: this.o.readFlipRate });
      this.reboots++;
      this.boot();
      this.afterReboot();
    }
  }

  tap(i: number): void {
    const p = this.source.payment(i);
    const prev = this.dev.chainHead();
    this.model.tapInFlight = p;
    const seq = this.dev.append(p);
    this.model.tapInFlight = undefined;
    if (seq === ERR_LEDGER_FULL) { this.declinedFull++; return; }
    if (seq === ERR_VERIFY && (this.o.readFlipRate ?? 0) > 0) {
      // Read-back never agreed (read faults): a decline; the record may still have committed.
      this.verifyDeclines++;
      this.model.tapInFlight = p;
      this.adoptInFlight();
      return;
    }
    if (seq < 0) { this.fail(`append ${i} failed: ${statusName(seq)}`); return; }
    if (this.model.records.has(seq)) this.fail(`append ${i} reused sequence ${seq}`);
    // The host codec's encoding of the record is the expectation; the firmware must have stored exactly it.
    const expect = encodeRecordContent(seq, p, prev);
    const got = this.dev.readRecord(seq);
    if (typeof got === "number" || !equalBytes(got.content, expect)) this.fail(`record ${seq} on flash differs from the host encoding`);
    this.model.records.set(seq, expect);
    this.model.accepted.add(seq);
  }

  /** Exports everything unacknowledged as batches, verifies them as clearing would, acknowledges. */
  settle(): void {
    let from = 0;
    let last = 0;
    let head: Uint8Array | undefined;
    for (let guard = 0; guard < 10_000; guard++) {
      const out = this.dev.exportBatch(from, 0);
      if (typeof out === "number") { this.fail(`export failed: ${statusName(out)}`); return; }
      if (out.length === 0) break;
      const b = decodeBatch(out);
      const check = verifyBatch(b, this.id.device.publicKey, head);
      if (!check.signatureOk || !check.chainOk || !check.sequenceOk) { this.chainOk = false; this.fail(`batch ${b.firstSeq}…${b.lastSeq}: ${check.problems.join("; ")}`); }
      if (b.firstSeq <= this.model.acked) this.fail(`acknowledged record ${b.firstSeq} reappeared in an export`);
      for (const r of b.records) this.receive(r.seq, r.content);
      head = b.headAfter;
      last = b.lastSeq;
      from = b.lastSeq + 1;
    }
    if (last === 0 || !head) return;
    const body = encodeAckBody(this.id.readerId, last, head);
    const ack = new Uint8Array([...body, ...signEd25519(this.id.clearing.seed, body)]);
    this.model.ackInFlight = last;
    const st = this.dev.acknowledge(ack);
    this.model.ackInFlight = 0;
    const flaky = st === ERR_VERIFY && (this.o.readFlipRate ?? 0) > 0;
    if (st !== 0 && st !== ERR_LEDGER_FULL && !flaky) this.fail(`acknowledge ${last} failed: ${statusName(st)}`);
    // After an unverifiable mark the firmware re-read flash: it knows whether the mark landed.
    if (st === 0 || (flaky && this.dev.ackedSeq === last)) this.model.acked = last;
  }

  private receive(seq: number, content: Uint8Array): void {
    const known = this.model.cleared.get(seq);
    if (known && !equalBytes(known, content)) this.fail(`sequence ${seq} exported twice with different content`);
    const expect = this.model.records.get(seq);
    if (!expect) this.fail(`exported record ${seq} was never accepted`);
    else if (!equalBytes(expect, content)) this.fail(`exported record ${seq} differs from what was accepted`);
    this.model.cleared.set(seq, content);
  }

  /** The invariants after a reboot (docs/LEDGER.md §3–4). */
  afterReboot(): void {
    const m = this.model;
    const acked = this.dev.ackedSeq;
    if (acked !== m.acked && acked !== m.ackInFlight) this.fail(`acknowledged sequence ${acked} after reboot, expected ${m.acked}${m.ackInFlight ? ` or ${m.ackInFlight}` : ""}`);
    if (acked === m.ackInFlight && acked > m.acked) m.acked = acked;
    m.ackInFlight = 0;
    this.checkLedger(acked);
    if (m.tapInFlight) this.adoptInFlight();
  }

  /** A record committed by a cut append is present once at nextSeq − 1: accepted-but-unsignalled. */
  adoptInFlight(): void {
    const p = this.model.tapInFlight!;
    this.model.tapInFlight = undefined;
    const last = this.dev.nextSeq - 1;
    if (last <= 0 || this.model.records.has(last)) return;
    const r = this.dev.readRecord(last);
    if (typeof r === "number") { this.fail(`record ${last} unreadable after reboot: ${statusName(r)}`); return; }
    if (!equalBytes(r.walletId, p.walletId) || r.counter !== p.counter || !equalBytes(r.body, p.body)) {
      this.fail(`record ${last} appeared after a cut but is not the payment in flight`);
      return;
    }
    this.model.records.set(last, r.content);
    this.unsignalled++;
  }

  checkLedger(acked: number): void {
    const m = this.model;
    const img = decodeImage(this.flash.partition(0).bytes, this.o.geometry.sectorBytes);
    if (img.nextSeq !== this.dev.nextSeq) this.fail(`firmware next sequence ${this.dev.nextSeq}, image says ${img.nextSeq}`);
    if (img.ackedSeq !== acked) this.fail(`firmware acknowledged ${acked}, image says ${img.ackedSeq}`);
    if (!img.chainOk || !img.gapFree) { this.chainOk = false; this.fail(`image: ${img.problems.join("; ")}`); }
    const onFlash = new Map(img.records.filter((r) => r.seq > acked).map((r) => [r.seq, r] as const));
    for (const seq of m.accepted) {
      if (seq <= acked) continue;
      const r = onFlash.get(seq);
      const fw = this.dev.readRecord(seq);
      if (!r || typeof fw === "number" || !equalBytes(fw.content, m.records.get(seq)!)) { this.lost++; this.fail(`accepted record ${seq} lost`); }
    }
    const seen = new Set<string>();
    for (const r of onFlash.values()) {
      const key = `${hex(r.walletId)}:${r.counter}`;
      if (seen.has(key)) { this.duplicated++; this.fail(`payment ${key} present twice`); }
      seen.add(key);
      if (!m.records.has(r.seq) && r.seq !== this.dev.nextSeq - 1) this.fail(`record ${r.seq} present but never accepted`);
    }
    if (img.records.length > 0 && !equalBytes(this.dev.chainHead(), img.records[img.records.length - 1]!.link)) {
      this.chainOk = false;
      this.fail("firmware chain head differs from the last record's link");
    }
  }

  /** End of run: everything accepted must reach clearing exactly once. */
  finish(): void {
    this.step(() => this.settle());
    this.checkLedger(this.dev.ackedSeq);
    for (const seq of this.model.accepted) {
      if (!this.model.cleared.has(seq)) { this.lost++; this.fail(`accepted record ${seq} never reached clearing`); }
    }
    const keys = new Set<string>();
    for (const c of this.model.cleared.values()) {
      const key = hex(c.subarray(4, 24));
      if (keys.has(key)) { this.duplicated++; this.fail(`payment ${key} cleared twice`); }
      keys.add(key);
    }
    // The reader keeps working: one more append (itself a cut point) after everything.
    this.step(() => this.tap(this.o.taps));
  }
}

function runOnce(o: PowerCutOptions, id: ReaderIdentity, config: Uint8Array, source: TapSource, module: WebAssembly.Module, cutAtOp?: number): Run {
  const run = new Run(o, id, config, source, module, cutAtOp);
  for (let i = 0; i < o.taps; i++) {
    run.step(() => run.tap(i));
    if (o.exportEvery > 0 && (i + 1) % o.exportEvery === 0) run.step(() => run.settle());
  }
  run.finish();
  return run;
}

export function runPowerCut(o: PowerCutOptions): PowerCutReport {
  if (!Number.isInteger(o.taps) || o.taps < 1) throw new RangeError("--taps must be a positive integer");
  const id = identityFromSeed(o.seed);
  const config = configFor(id, o.geometry);
  const source = o.source ?? new SyntheticTaps(o.seed);
  const module = firmwareModule(o.wasmPath);
  const clean = runOnce(o, id, config, source, module);
  const report: PowerCutReport = {
    seed: o.seed, taps: o.taps, opsPerRun: clean.flash.ops, cutPoints: 0, reboots: 0,
    acceptedTaps: 0, unsignalledCommitted: 0, declinedFull: 0, declinedVerify: 0, lost: 0, duplicated: 0, chainOk: true, violations: [],
  };
  const absorb = (run: Run, cut: number): void => {
    report.reboots += run.reboots;
    report.acceptedTaps += run.model.accepted.size;
    report.unsignalledCommitted += run.unsignalled;
    report.declinedFull += run.declinedFull;
    report.declinedVerify += run.verifyDeclines;
    report.lost += run.lost;
    report.duplicated += run.duplicated;
    report.chainOk &&= run.chainOk;
    for (const message of run.violations) report.violations.push({ cutAtOp: cut, message });
  };
  absorb(clean, 0);
  const cuts = cutPlan(o, clean.flash.ops);
  cuts.forEach((cut, k) => {
    absorb(runOnce(o, id, config, source, module, cut), cut);
    report.cutPoints++;
    o.onProgress?.(k + 1, cuts.length);
  });
  return report;
}

function cutPlan(o: PowerCutOptions, ops: number): number[] {
  if (o.mode.kind === "exhaustive") return Array.from({ length: ops }, (_, i) => i + 1);
  if (o.mode.kind === "single") return [o.mode.cutAtOp];
  const rng = new Xorshift32(o.seed ^ 0x5eed);
  return Array.from({ length: o.mode.count }, () => 1 + rng.below(ops));
}
