// Power-loss runner in the littlefs manner: a workload of taps, exports, acknowledgements
// and deny-list updates runs on the simulated flash through the real firmware; power is
// cut at one or more program/erase points per run (every first point in exhaustive mode,
// K seeded points in random mode), with the NOR faults of the run's kind (clean, partial
// bits, weak cells, rot, wear — powercut-faults.ts). After each cut the firmware reboots
// (a new instance on the same flash), recovers, the invariants are checked, and the
// workload carries on to its end. Every run has a seed; a failing run prints it.
import { SimFlash, PowerCut, Xorshift32, FlashRuleViolation, ERR_IO } from "../sim/flash.ts";
import { firmwareModule } from "../firmware/board.ts";
import { FirmwareAbort } from "../firmware/crypto.ts";
import { LedgerDevice } from "./device.ts";
import { decodeImage } from "./image.ts";
import { decodeBatch, verifyBatch } from "./batch.ts";
import {
  encodeAckBody, encodeRecordContent, equalBytes, hex, isGap, statusName, type Payment,
} from "./format.ts";
import { signEd25519 } from "./keys.ts";
import {
  SyntheticTaps, configFor, identityFromSeed, denyListImage, deniedWallet, vouchedCert,
  type Geometry, type ReaderIdentity, type TapSource,
} from "./workload.ts";
import {
  FAULT_KINDS, planRunFaults, rotRegion, runSeedOf,
  type FaultKind, type FaultSelection, type RunFaults, type RotRegion,
} from "./powercut-faults.ts";

export const ERR_LEDGER_FULL = -12;
export const ERR_VERIFY = -14;
/** Verify declines in a row after which the reader counts as stuck (a worn sector picked
 *  again and again): a wallet retries a declined tap, but not for ever. */
const VERIFY_DECLINES_IN_A_ROW_MAX = 4;
/** Reboots one cut may chain (cuts during recovery, traps at boot) before the run stops. */
const BOOTS_PER_POWER_CYCLE_MAX = 16;
/** Batches one settlement may export (the partition's records / 1 plus slack). */
const BATCHES_PER_SETTLE_MAX = 10_000;
/** Odds that a later cut falls in the first three operations after a reboot. */
const EARLY_CUT_ODDS = 0.5;

export type PowerCutMode =
  | { kind: "exhaustive" }
  | { kind: "random"; count: number }
  | { kind: "single"; cutAtOp: number; runSeed?: number };

export interface PowerCutOptions {
  taps: number;
  seed: number;
  /** Export and acknowledge everything after every N taps (0 = never). */
  exportEvery: number;
  geometry: Geometry;
  mode: PowerCutMode;
  /** Fault kind of every run, or "all" to rotate through them (default "clean"). */
  faults?: FaultSelection;
  /** Power cuts per run (default 1); later cuts come at seeded points after each reboot. */
  cuts?: number;
  /** Install a new deny list after every N taps (0 = never; needs geometry.denyBytes). */
  denyEvery?: number;
  /** Wear runs wear this ledger sector, worn from the start (default: seeded choice). */
  wearSector?: number;
  /** Wear failures reported as ERR_IO (true) or silent (false); default a seeded choice. */
  wearReported?: boolean;
  /** Rot strikes only these regions (default every one). */
  rotRegions?: readonly RotRegion[];
  /** Replay one run of the campaign: its 0-based index (printed with every violation). */
  onlyRun?: number;
  source?: TapSource;
  /** Probability of a transient one-bit flip per flash read, on every boot. */
  readFlipRate?: number;
  wasmPath?: string;
  onProgress?: (done: number, total: number) => void;
}

export interface Violation {
  /** 0-based index of the run in its campaign (replay with --run); -1 = the uncut run. */
  run: number;
  cutAtOp: number;
  runSeed: number;
  kind: FaultKind;
  message: string;
  /** The last power cut before the violation: operation, range, style and pattern. */
  lastCut: string;
}

/** What one fault kind did over a campaign. */
export interface FaultCounts {
  runs: number;
  reboots: number;
  lost: number;
  duplicated: number;
  stuckExports: number;
  traps: number;
  failedRuns: number;
}

export interface PowerCutReport {
  seed: number;
  taps: number;
  faults: FaultSelection;
  cutsPerRun: number;
  /** Program/erase operations of the uncut workload: the cut points available. */
  opsPerRun: number;
  cutPoints: number;
  reboots: number;
  /** Taps whose append returned success, summed over all runs. */
  acceptedTaps: number;
  /** Committed records whose append was cut before it returned (accepted-but-unsignalled). */
  unsignalledCommitted: number;
  declinedFull: number;
  /** Appends declined because a program did not verify (weak cells, worn sectors). */
  declinedVerify: number;
  lost: number;
  duplicated: number;
  /** Settlements whose export failed or stopped short of the unacknowledged records. */
  stuckExports: number;
  /** Firmware traps (unreachable, out-of-bounds, abort). */
  traps: number;
  /** Reboots after which the installed deny-list version was lower than before. */
  denyBackwards: number;
  /** Reboots after which the acknowledged sequence was lower than before. */
  ackBackwards: number;
  /** Sequence numbers handed out again after a signalled payment had them. */
  seqReused: number;
  /** Signalled records that read unmarked after a reboot (the gate could open again). */
  signalRearmed: number;
  /** Signal marks made (gate openings). */
  signalled: number;
  /** Cuts that fell inside recovery (its write-backs are cut points too, and so are the
   *  write-backs of the reads that check the ledger after a reboot). */
  cutsDuringRecovery: number;
  /** Records made unreadable by rot in their own slot (a gap for clearing, not a loss). */
  rottedRecords: number;
  /** Bits rotted, weak reads served, failed programs/erases on worn sectors. */
  rottedBits: number;
  weakReads: number;
  wornFailures: number;
  denyInstalls: number;
  /** Reboots or updates after which the version was kept but no copy was usable: the
   *  reader then denies everyone until the next list (safe, but a service outage). */
  denyListsLost: number;
  chainOk: boolean;
  byFault: Partial<Record<FaultKind, FaultCounts>>;
  violations: Violation[];
}

interface Model {
  /** seq → content of every record the reader holds or handed over (accepted or adopted). */
  records: Map<number, Uint8Array>;
  /** seq of records whose append returned success. */
  accepted: Set<number>;
  acked: number;
  /** Every acknowledgement clearing signed and sent: a torn or weak mark of an earlier one
   *  may read valid later, and moving forward to it is allowed. */
  acksSent: Set<number>;
  /** Every deny-list version sent to the reader (the same, for weak trailers). */
  denySent: Set<number>;
  /** Payment whose append was cut or did not verify. */
  tapInFlight?: Payment;
  /** What clearing received: seq → content. */
  cleared: Map<number, Uint8Array>;
  /** Deny-list version whose install returned 0 (or that a reboot showed installed). */
  denyInstalled: number;
  /** Records whose own slot rotted: unreadable is the right answer for them. */
  rotted: Set<number>;
  /** Records whose signal mark returned OK: the reader opened the gate for them. */
  signalled: Set<number>;
}

/** Inputs shared by every run of a campaign. */
interface Campaign {
  o: PowerCutOptions;
  id: ReaderIdentity;
  config: Uint8Array;
  source: TapSource;
  module: WebAssembly.Module;
  opsPerRun: number;
}

function isTrap(e: unknown): boolean {
  return e instanceof WebAssembly.RuntimeError || e instanceof FirmwareAbort;
}

class Run {
  readonly flash: SimFlash;
  dev!: LedgerDevice;
  readonly model: Model = {
    records: new Map(), accepted: new Set(), acked: 0, cleared: new Map(),
    denyInstalled: 0, rotted: new Set(), signalled: new Set(),
    acksSent: new Set(), denySent: new Set(),
  };
  readonly violations: Array<{ message: string; lastCut: string }> = [];
  readonly rng: Xorshift32;
  cutsLeft: number;
  /** The firmware could not be brought back (trap or failure at boot): the run stops. */
  dead = false;
  reboots = 0;
  lost = 0;
  duplicated = 0;
  stuck = 0;
  traps = 0;
  denyBackwards = 0;
  ackBackwards = 0;
  seqReused = 0;
  signalRearmed = 0;
  /** Cuts that fell inside a boot (recovery's reads and write-backs). */
  cutsDuringRecovery = 0;
  unsignalled = 0;
  declinedFull = 0;
  verifyDeclines = 0;
  verifyDeclinesInARow = 0;
  denyInstalls = 0;
  /** Checks that found the deny list's version kept but no usable copy (denies everyone). */
  denyListsLost = 0;
  /** A record slot the run's rot struck before the record was known (a cut append). */
  rottedInFlight = 0;
  /** Sequence numbers clearing received as gap entries. */
  readonly gapsReceived = new Set<number>();
  chainOk = true;

  constructor(readonly c: Campaign, readonly faults: RunFaults, readonly runSeed: number,
    cutAtOp: number | undefined) {
    const g = c.o.geometry;
    this.rng = new Xorshift32(runSeed);
    this.flash = new SimFlash(runSeed);
    const part = { sectorBytes: g.sectorBytes, pageBytes: g.pageBytes };
    this.flash.addPartition(0, { sizeBytes: g.ledgerBytes, ...part });
    if (g.denyBytes > 0) this.flash.addPartition(1, { sizeBytes: g.denyBytes, ...part });
    this.cutsLeft = cutAtOp === undefined ? 0 : Math.max(0, (c.o.cuts ?? 1) - 1);
    const worn = faults.worn;
    if (worn?.fromStart) this.flash.wear(worn.partition, worn.sector, worn.mode);
    this.arm(cutAtOp);
    if (!this.boot()) this.powerCycle();
  }

  get flaky(): boolean {
    const k = this.faults.kind;
    return k === "weak" || k === "wear" || (this.c.o.readFlipRate ?? 0) > 0;
  }

  /** Records a violation with the last cut before it (what the flash was doing). */
  fail(message: string): void {
    const c = this.flash.lastCut;
    const at = c
      ? `${c.kind} #${c.op} of ${c.len} B at partition ${c.partition} offset ${c.offset}, `
        + `${c.style}/${c.pattern}`
      : "no cut yet";
    this.violations.push({ message, lastCut: at });
  }

  private arm(cutAtOp: number | undefined): void {
    this.flash.setFaults({
      cutAtOp, cutStyle: this.faults.cutStyle, readFlipRate: this.c.o.readFlipRate,
      wearReported: this.faults.worn?.reported,
    });
  }

  /** The next cut: often among the first writes after the reboot (recovery's own writes
   *  included), else anywhere in the rest of a workload's length. */
  private nextCut(): number | undefined {
    if (this.cutsLeft === 0) return undefined;
    this.cutsLeft--;
    const early = this.rng.chance(EARLY_CUT_ODDS);
    const delta = early ? 1 + this.rng.below(3) : 1 + this.rng.below(Math.max(1, this.c.opsPerRun));
    return this.flash.ops + delta;
  }

  private boot(): boolean {
    try {
      this.dev = new LedgerDevice(this.flash, this.c.module);
      const st = this.dev.boot(this.c.config);
      if (st !== 0) {
        this.fail(`boot failed: ${statusName(st)}`);
        this.dead = true;
      }
      return true;
    } catch (e) {
      if (e instanceof PowerCut) {
        this.cutsDuringRecovery++;
        return false;
      }
      if (!isTrap(e)) throw e;
      this.traps++;
      this.fail(`firmware trapped at boot: ${(e as Error).message}`);
      this.dead = true;
      return true;
    }
  }

  /** Power comes back after a cut or a trap: faults between boots, then recovery, which
   *  may itself be cut (its writes are cut points too). */
  private powerCycle(): void {
    for (let k = 0; k < BOOTS_PER_POWER_CYCLE_MAX; k++) {
      this.betweenBoots(k === 0);
      this.arm(this.nextCut());
      this.reboots++;
      if (this.boot() && (this.dead || this.checkedAfterReboot())) return;
    }
    this.fail(`no boot completed after ${BOOTS_PER_POWER_CYCLE_MAX} cuts in a row`);
    this.dead = true;
  }

  /** afterReboot, whose reads may write back: reading a weak signal mark programs it solid
   *  (docs/LEDGER.md §2.5), and that program is a cut point like recovery's own. False
   *  when the power was cut there: the cycle boots again. */
  private checkedAfterReboot(): boolean {
    try {
      this.afterReboot();
      return true;
    } catch (e) {
      if (!(e instanceof PowerCut)) throw e;
      this.cutsDuringRecovery++;
      return false;
    }
  }

  /** What happens to the flash while the power is off: rot, a sector wearing out. */
  private betweenBoots(firstOfCycle: boolean): void {
    const f = this.faults;
    if (!firstOfCycle || this.reboots > 0) return;
    // Once per run: the promise is that no *single* flipped bit or worn sector loses data.
    if (f.worn && !f.worn.fromStart) this.flash.wear(f.worn.partition, f.worn.sector, f.worn.mode);
    if (f.rotRegion === undefined) return;
    const hit = rotRegion(this.flash, f.rotRegion, this.c.o.geometry.sectorBytes, this.rng);
    if (hit?.seq === undefined) return;
    if (this.model.records.has(hit.seq)) this.model.rotted.add(hit.seq);
    else this.rottedInFlight = hit.seq;
  }

  /** Runs one step; a power cut or a trap reboots and checks the invariants. */
  step(action: () => void): void {
    if (this.dead) return;
    try {
      action();
    } catch (e) {
      if (e instanceof FlashRuleViolation) {
        this.fail(`flash rule broken: ${e.message}`);
        this.dead = true;
        return;
      }
      if (isTrap(e)) {
        this.traps++;
        this.fail(`firmware trapped: ${(e as Error).message}`);
      } else if (!(e instanceof PowerCut)) throw e;
      this.powerCycle();
    }
  }

  tap(i: number): void {
    const p = this.c.source.payment(i);
    const prev = this.dev.chainHead();
    this.model.tapInFlight = p;
    const seq = this.dev.append(p);
    this.model.tapInFlight = undefined;
    if (seq === ERR_LEDGER_FULL) { this.declinedFull++; return; }
    if ((seq === ERR_VERIFY || seq === ERR_IO) && this.flaky) {
      // Read-back never agreed: a decline; the record may still have committed.
      this.verifyDeclines++;
      if (++this.verifyDeclinesInARow === VERIFY_DECLINES_IN_A_ROW_MAX + 1) {
        const n = this.verifyDeclinesInARow;
        this.fail(`append ${i}: ${n} verify declines in a row (stuck on a bad sector?)`);
      }
      this.model.tapInFlight = p;
      this.adoptInFlight();
      return;
    }
    if (seq < 0) { this.fail(`append ${i} failed: ${statusName(seq)}`); return; }
    this.verifyDeclinesInARow = 0;
    if (this.model.records.has(seq)) {
      this.seqReused++;
      this.fail(`append ${i} reused sequence ${seq}`);
    }
    // The host codec's encoding is the expectation; the firmware must have stored exactly it.
    // After a recovery that read the last record unreadable the chain head is zeros, and the
    // append reads that record again: it chains from its link when it reads right now
    // (docs/LEDGER.md §3), from zeros when it does not — either is right.
    let expect = encodeRecordContent(seq, p, prev);
    const got = this.dev.readRecord(seq);
    if (typeof got !== "number" && !equalBytes(got.content, expect) && seq > 1
      && prev.every((b) => b === 0)) {
      const before = this.dev.readRecord(seq - 1);
      if (typeof before !== "number") expect = encodeRecordContent(seq, p, before.link);
    }
    if (typeof got === "number" || !equalBytes(got.content, expect)) {
      this.fail(`record ${seq} on flash differs from the host encoding`);
    }
    this.model.records.set(seq, expect);
    this.model.accepted.add(seq);
    this.signal(seq);
  }

  /** The reader marks the record before it opens the gate (docs/LEDGER.md §2.5), when the
   *  firmware has signal marks; the mark must then survive every reboot. */
  private signal(seq: number): void {
    if (typeof this.dev.x.ledgerSignalMark !== "function") return;
    const st = this.dev.signalMark(seq);
    if (st === 0) this.model.signalled.add(seq);
    else if (!(this.flaky && (st === ERR_VERIFY || st === ERR_IO))) {
      this.fail(`signal mark of record ${seq} failed: ${statusName(st)}`);
    }
  }

  /** A record whose gate opened reads marked until clearing acknowledges it: a reboot never
   *  re-arms the gate. */
  private checkSignals(acked: number): void {
    if (typeof this.dev.x.ledgerSignalState !== "function") return;
    for (const seq of this.model.signalled) {
      if (seq <= acked || this.model.rotted.has(seq)) continue;
      const st = this.dev.signalState(seq);
      if (st === 1) continue;
      this.signalRearmed++;
      this.fail(`record ${seq} was signalled but reads ${st === 0 ? "unmarked" : statusName(st)}`);
    }
  }

  /** Installs deny-list version n (a maintenance update in the middle of the taps). */
  denyUpdate(version: number, now: number): void {
    const image = denyListImage(this.c.id, this.c.o.seed, version, now,
      this.dev.vouchesCertificates);
    this.model.denySent.add(version);
    const st = this.dev.installDenyList(image);
    if (st === 0) {
      this.model.denyInstalled = version;
      this.denyInstalls++;
    } else if (!(this.flaky && (st === ERR_VERIFY || st === ERR_IO))) {
      this.fail(`deny list ${version} refused: ${statusName(st)}`);
    }
    this.checkDeny();
  }

  /** Exports everything unacknowledged as batches, verifies them as clearing would,
   *  acknowledges. */
  settle(): void {
    let from = 0;
    let last = 0;
    let head: Uint8Array | undefined;
    for (let guard = 0; guard < BATCHES_PER_SETTLE_MAX; guard++) {
      const out = this.dev.exportBatch(from, 0);
      if (typeof out === "number") {
        this.stuck++;
        this.fail(`export from ${from || "the first unacknowledged"} failed: ${statusName(out)}`);
        break;
      }
      if (out.length === 0) break;
      const b = decodeBatch(out);
      const check = verifyBatch(b, this.c.id.device.publicKey, head);
      if (!check.signatureOk || !check.chainOk || !check.sequenceOk) {
        this.chainOk = false;
        this.fail(`batch ${b.firstSeq}…${b.lastSeq}: ${check.problems.join("; ")}`);
      }
      if (b.firstSeq <= this.model.acked) {
        this.fail(`acknowledged record ${b.firstSeq} reappeared in an export`);
      }
      for (const r of b.records) {
        if (isGap(r)) this.receiveGap(r.seq);
        else this.receive(r.seq, r.content);
      }
      head = b.headAfter;
      last = b.lastSeq;
      from = b.lastSeq + 1;
    }
    if (last === 0 || !head) return;
    this.acknowledge(last, head);
  }

  private acknowledge(last: number, head: Uint8Array): void {
    const body = encodeAckBody(this.c.id.readerId, last, head);
    const ack = new Uint8Array([...body, ...signEd25519(this.c.id.clearing.seed, body)]);
    this.model.acksSent.add(last);
    const st = this.dev.acknowledge(ack);
    const flaky = (st === ERR_VERIFY || st === ERR_IO) && this.flaky;
    if (st !== 0 && st !== ERR_LEDGER_FULL && !flaky) {
      this.fail(`acknowledge ${last} failed: ${statusName(st)}`);
    }
    // After an unverifiable mark the firmware re-read flash: it knows whether the mark landed.
    if (st === 0 || (flaky && this.dev.ackedSeq >= last)) this.model.acked = last;
  }

  /** A gap entry (docs/LEDGER.md §5.1): right only for a record whose own slot rotted. */
  private receiveGap(seq: number): void {
    this.gapsReceived.add(seq);
    if (this.model.rotted.has(seq)) return;
    if (this.model.records.has(seq)) {
      this.lost++;
      this.fail(`record ${seq} exported as a gap (unreadable) without rot in its slot`);
    }
  }

  private receive(seq: number, content: Uint8Array): void {
    const known = this.model.cleared.get(seq);
    if (known && !equalBytes(known, content)) {
      this.fail(`sequence ${seq} exported twice with different content`);
    }
    const expect = this.model.records.get(seq);
    if (!expect) this.fail(`exported record ${seq} was never accepted`);
    else if (!equalBytes(expect, content)) {
      this.fail(`exported record ${seq} differs from what was accepted`);
    }
    this.model.cleared.set(seq, content);
  }

  /** The invariants after a reboot (docs/LEDGER.md §3–4 and "Fault model"). */
  afterReboot(): void {
    const m = this.model;
    const acked = this.dev.ackedSeq;
    if (acked < m.acked) {
      this.ackBackwards++;
      this.fail(`acknowledged sequence went back to ${acked} from ${m.acked}`);
    } else if (acked > m.acked && !m.acksSent.has(acked)) {
      this.fail(`acknowledged sequence ${acked} after reboot was never sent (at ${m.acked})`);
    }
    if (acked > m.acked && m.acksSent.has(acked)) m.acked = acked;
    this.checkSequence();
    this.checkLedger(Math.max(acked, m.acked));
    this.checkSignals(Math.max(acked, m.acked));
    if (m.tapInFlight) this.adoptInFlight();
    if (this.flash.partitions.has(1)) this.checkDeny();
  }

  /** The next sequence is past every signalled payment: numbers are never handed out twice. */
  private checkSequence(): void {
    let maxAccepted = 0;
    for (const s of this.model.accepted) maxAccepted = Math.max(maxAccepted, s);
    if (this.dev.nextSeq <= maxAccepted) {
      this.seqReused++;
      this.fail(`next sequence ${this.dev.nextSeq} would reuse signalled sequence ${maxAccepted}`);
    }
  }

  /** The installed deny list is the last installed one (or the one in flight), never older,
   *  and it is that version's list. */
  checkDeny(): void {
    const m = this.model;
    const v = this.dev.denyVersion;
    if (v < m.denyInstalled) {
      this.denyBackwards++;
      this.fail(`deny list went back to version ${v} from ${m.denyInstalled}`);
    } else if (v > m.denyInstalled && !m.denySent.has(v)) {
      this.fail(`deny list version ${v} was never installed (installed ${m.denyInstalled})`);
    } else if (v > m.denyInstalled) m.denyInstalled = v;
    // Version kept but no usable copy (docs/LEDGER.md §7: the only copy lost during an
    // update): the list is stale and denies everyone; its own lookups mean nothing.
    if (v > 0 && this.dev.denyIsStale(0)) {
      this.denyListsLost++;
      return;
    }
    // With transient read errors a lookup may end in an error status, which the reader
    // turns into a decline (LEDGER_ERROR): the safe side. A wrong 0 or 1 never passes.
    const readErrors = (this.c.o.readFlipRate ?? 0) > 0;
    const denied = v > 0 ? this.dev.denyContains(deniedWallet(this.c.o.seed, v)) : 1;
    if (denied !== 1 && !(denied < 0 && readErrors)) {
      this.fail(`deny list version ${v} installed but its wallet is not denied (${denied})`);
    }
    const before = v > 1 ? this.dev.denyContains(deniedWallet(this.c.o.seed, v - 1)) : 0;
    if (before !== 0 && !(before < 0 && readErrors)) {
      this.fail(`deny list version ${v} still denies version ${v - 1}'s wallet (${before})`);
    }
    // Odd versions are format 2 and vouch for their marker certificate; even ones do not.
    // "Not vouched" is the safe answer (the reader then verifies the signature itself), so
    // with transient read errors it may stand in for a vouch; a vouch never may.
    if (!this.dev.vouchesCertificates) return;
    const vouched = v > 0 ? this.dev.denyCertVouched(vouchedCert(this.c.o.seed, v)) : 0;
    if (vouched !== v % 2 && (vouched === 1 || !readErrors)) {
      this.fail(`deny list version ${v} answers ${vouched} for its vouched certificate`);
    }
    if (v > 1 && this.dev.denyCertVouched(vouchedCert(this.c.o.seed, v - 1)) !== 0) {
      this.fail(`deny list version ${v} still vouches for version ${v - 1}'s certificate`);
    }
  }

  /** A record committed by a cut or unverified append is present once at nextSeq − 1:
   *  accepted-but-unsignalled. */
  adoptInFlight(): void {
    const p = this.model.tapInFlight!;
    this.model.tapInFlight = undefined;
    const last = this.dev.nextSeq - 1;
    if (last <= 0 || this.model.records.has(last)) return;
    const r = this.dev.readRecord(last);
    if (typeof r === "number") {
      // Committed but never signalled, then its own slot rotted: unreadable is right.
      if (last !== this.rottedInFlight) {
        this.fail(`record ${last} unreadable after reboot: ${statusName(r)}`);
      }
      return;
    }
    const same = equalBytes(r.walletId, p.walletId) && r.counter === p.counter
      && equalBytes(r.body, p.body);
    if (!same) {
      this.fail(`record ${last} appeared after a cut but is not the payment in flight`);
      return;
    }
    this.model.records.set(last, r.content);
    this.unsignalled++;
  }

  checkLedger(acked: number): void {
    const m = this.model;
    for (const seq of m.accepted) {
      if (seq <= acked || m.rotted.has(seq)) continue;
      const fw = this.dev.readRecord(seq);
      if (typeof fw === "number" || !equalBytes(fw.content, m.records.get(seq)!)) {
        this.lost++;
        const why = typeof fw === "number" ? ` (${statusName(fw)})` : "";
        this.fail(`accepted record ${seq} lost${why}`);
      }
    }
    // The independent image decoder knows torn writes, not weak cells, rot or wear.
    const k = this.faults.kind;
    if (k === "clean" || k === "partial") this.checkImage(acked);
  }

  private checkImage(acked: number): void {
    const m = this.model;
    const img = decodeImage(this.flash.partition(0).bytes, this.c.o.geometry.sectorBytes);
    const next = this.dev.nextSeq;
    const acked2 = this.dev.ackedSeq;
    if (img.nextSeq !== next) {
      this.fail(`firmware next sequence ${next}, image says ${img.nextSeq}`);
    }
    if (img.ackedSeq !== acked2) {
      this.fail(`firmware acknowledged ${acked2}, image says ${img.ackedSeq}`);
    }
    if (!img.chainOk || !img.gapFree) {
      this.chainOk = false;
      this.fail(`image: ${img.problems.join("; ")}`);
    }
    const seen = new Set<string>();
    for (const r of img.records) {
      if (r.seq <= acked) continue;
      const key = `${hex(r.walletId)}:${r.counter}`;
      if (seen.has(key)) { this.duplicated++; this.fail(`payment ${key} present twice`); }
      seen.add(key);
      if (!m.records.has(r.seq) && r.seq !== next - 1) {
        this.fail(`record ${r.seq} present but never accepted`);
      }
    }
    const lastRec = img.records[img.records.length - 1];
    if (lastRec && !equalBytes(this.dev.chainHead(), lastRec.link)) {
      this.chainOk = false;
      this.fail("firmware chain head differs from the last record's link");
    }
  }

  /** End of run: everything accepted must reach clearing exactly once, and the reader
   *  must still take payments. */
  finish(): void {
    // Clearing sends the settlement again when the power went during it.
    // One attempt per cut of the run, and one: the last one finds the power on.
    for (let k = 0; k <= (this.c.o.cuts ?? 1); k++) {
      const reboots = this.reboots;
      this.step(() => this.settle());
      if (this.reboots === reboots) break;
    }
    if (!this.dead) this.checkLedger(this.dev.ackedSeq);
    for (const seq of this.model.accepted) {
      if (this.model.cleared.has(seq) || this.model.rotted.has(seq)) continue;
      this.lost++;
      this.fail(`accepted record ${seq} never reached clearing`);
    }
    const keys = new Set<string>();
    for (const c of this.model.cleared.values()) {
      const key = hex(c.subarray(4, 24));
      if (keys.has(key)) { this.duplicated++; this.fail(`payment ${key} cleared twice`); }
      keys.add(key);
    }
    // One more append (itself a cut point): the reader still takes payments. A flaky
    // flash may make it decline a few times first, and each of the run's cuts left may
    // fall on one of these appends (early cuts follow a reboot): one try more for each.
    const before = this.model.accepted.size;
    const tries = VERIFY_DECLINES_IN_A_ROW_MAX + this.cutsLeft;
    for (let k = 0; k <= tries; k++) {
      if (this.model.accepted.size !== before || this.dead) return;
      const reboots = this.reboots;
      this.step(() => this.tap(this.c.o.taps + k));
      if (!this.flaky && this.reboots === reboots) break;
    }
    if (this.model.accepted.size === before && !this.dead && !this.wornOutByDesign()) {
      this.fail("the reader took no payment after the workload");
    }
  }

  /** A two-sector ledger with a worn sector: the other sector is the newest, which holds
   *  the state and is never erased, so the ledger stops at ERR_LEDGER_FULL by design
   *  (docs/LEDGER.md §4: the single-fault promise needs three sectors). */
  private wornOutByDesign(): boolean {
    const g = this.c.o.geometry;
    return g.ledgerBytes / g.sectorBytes < 3 && this.faults.worn?.partition === 0;
  }
}

function runOnce(c: Campaign, faults: RunFaults, runSeed: number, cutAtOp?: number): Run {
  const o = c.o;
  const run = new Run(c, faults, runSeed, cutAtOp);
  const denyEvery = o.geometry.denyBytes > 0 ? (o.denyEvery ?? 0) : 0;
  let denyVersion = 0;
  for (let i = 0; i < o.taps && !run.dead; i++) {
    run.step(() => run.tap(i));
    if (o.exportEvery > 0 && (i + 1) % o.exportEvery === 0) run.step(() => run.settle());
    if (denyEvery > 0 && (i + 1) % denyEvery === 0) {
      const v = ++denyVersion;
      run.step(() => run.denyUpdate(v, c.source.payment(i).time));
    }
  }
  run.finish();
  return run;
}

function emptyCounts(): FaultCounts {
  return { runs: 0, reboots: 0, lost: 0, duplicated: 0, stuckExports: 0, traps: 0, failedRuns: 0 };
}

function newReport(o: PowerCutOptions, opsPerRun: number): PowerCutReport {
  return {
    seed: o.seed, taps: o.taps, faults: o.faults ?? "clean", cutsPerRun: o.cuts ?? 1, opsPerRun,
    cutPoints: 0, reboots: 0, acceptedTaps: 0, unsignalledCommitted: 0, declinedFull: 0,
    declinedVerify: 0, lost: 0, duplicated: 0, stuckExports: 0, traps: 0, denyBackwards: 0,
    ackBackwards: 0, seqReused: 0, signalRearmed: 0, signalled: 0, cutsDuringRecovery: 0,
    rottedRecords: 0,
    rottedBits: 0, weakReads: 0,
    wornFailures: 0, denyInstalls: 0, denyListsLost: 0, chainOk: true, byFault: {},
    violations: [],
  };
}

function absorb(report: PowerCutReport, run: Run, index: number, cut: number): void {
  report.reboots += run.reboots;
  report.acceptedTaps += run.model.accepted.size;
  report.unsignalledCommitted += run.unsignalled;
  report.declinedFull += run.declinedFull;
  report.declinedVerify += run.verifyDeclines;
  report.lost += run.lost;
  report.duplicated += run.duplicated;
  report.stuckExports += run.stuck;
  report.traps += run.traps;
  report.denyBackwards += run.denyBackwards;
  report.ackBackwards += run.ackBackwards;
  report.seqReused += run.seqReused;
  report.signalRearmed += run.signalRearmed;
  report.signalled += run.model.signalled.size;
  report.cutsDuringRecovery += run.cutsDuringRecovery;
  report.rottedRecords += run.model.rotted.size;
  report.rottedBits += run.flash.stats.rottedBits;
  report.weakReads += run.flash.stats.weakReads;
  report.wornFailures += run.flash.stats.wornFailures;
  report.denyInstalls += run.denyInstalls;
  report.denyListsLost += run.denyListsLost;
  report.chainOk &&= run.chainOk;
  const kind = run.faults.kind;
  for (const { message, lastCut } of run.violations) {
    const v = { run: index, cutAtOp: cut, runSeed: run.runSeed, kind, message, lastCut };
    report.violations.push(v);
  }
  if (index < 0) return;
  const f = (report.byFault[kind] ??= emptyCounts());
  f.runs++;
  f.reboots += run.reboots;
  f.lost += run.lost;
  f.duplicated += run.duplicated;
  f.stuckExports += run.stuck;
  f.traps += run.traps;
  if (run.violations.length > 0) f.failedRuns++;
}

/** True when a campaign found nothing wrong. */
export function powerCutOk(r: PowerCutReport): boolean {
  return r.violations.length === 0 && r.lost === 0 && r.duplicated === 0 && r.chainOk
    && r.stuckExports === 0 && r.traps === 0 && r.signalRearmed === 0;
}

export function runPowerCut(o: PowerCutOptions): PowerCutReport {
  const positive = (n: number | undefined): boolean =>
    n === undefined || (Number.isInteger(n) && n >= 1);
  if (!positive(o.taps)) throw new RangeError("--taps must be a positive integer");
  if (!positive(o.cuts)) throw new RangeError("--cuts must be a positive integer");
  if (o.mode.kind === "random" && !(Number.isInteger(o.mode.count) && o.mode.count >= 1)) {
    throw new RangeError("--random takes a positive number of runs");
  }
  const id = identityFromSeed(o.seed);
  const source = o.source ?? new SyntheticTaps(o.seed);
  const c0: Campaign = {
    o, id, config: configFor(id, o.geometry), source, module: firmwareModule(o.wasmPath),
    opsPerRun: 0,
  };
  const sel = o.faults ?? "clean";
  const sectors = o.geometry.ledgerBytes / o.geometry.sectorBytes;
  const hasDeny = o.geometry.denyBytes > 0;
  // The uncut run: the workload's cut points, and a check that no fault still passes.
  const clean = runOnce(c0, { kind: "clean", cutStyle: "clean" }, o.seed);
  const c: Campaign = { ...c0, opsPerRun: clean.flash.ops };
  const report = newReport(o, clean.flash.ops);
  absorb(report, clean, -1, 0);
  const plan = cutPlan(o, clean.flash.ops);
  const only = o.onlyRun;
  if (only !== undefined && !(Number.isInteger(only) && only >= 0 && only < plan.length)) {
    throw new RangeError(`--run must be a run index below ${plan.length}`);
  }
  plan.forEach((p, k) => {
    if (only !== undefined && k !== only) return;
    const faults = planRunFaults(sel, k, p.runSeed, sectors, hasDeny, o.rotRegions);
    if (faults.worn && o.wearSector !== undefined) {
      faults.worn = { ...faults.worn, sector: o.wearSector, fromStart: true };
    }
    if (faults.worn && o.wearReported !== undefined) {
      faults.worn = { ...faults.worn, reported: o.wearReported };
    }
    absorb(report, runOnce(c, faults, p.runSeed, p.cut), k, p.cut);
    report.cutPoints++;
    o.onProgress?.(report.cutPoints, only === undefined ? plan.length : 1);
  });
  return report;
}

function cutPlan(o: PowerCutOptions, ops: number): Array<{ cut: number; runSeed: number }> {
  const m = o.mode;
  if (m.kind === "single") {
    return [{ cut: m.cutAtOp, runSeed: m.runSeed ?? runSeedOf(o.seed, m.cutAtOp) }];
  }
  if (m.kind === "exhaustive") {
    return Array.from({ length: ops }, (_, i) => ({ cut: i + 1, runSeed: runSeedOf(o.seed, i) }));
  }
  return Array.from({ length: m.count }, (_, i) => {
    const runSeed = runSeedOf(o.seed, i);
    return { cut: 1 + new Xorshift32(runSeed ^ 0x5eed).below(ops), runSeed };
  });
}

export { FAULT_KINDS };
