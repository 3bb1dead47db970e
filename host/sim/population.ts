// Many taps over a population of wallets at one reader (`offtap sim`): mostly honest,
// a seeded share misbehaving, honest phones now and then pulled away mid-exchange (and
// re-tapping). The clearing side acknowledges the ledger as it fills and the operator
// pushes a fresh deny list daily, so a long run looks like weeks of a busy gate.
import { Reason, reasonName, toHex } from "../protocol/index.ts";
import type { TapResult } from "./reader.ts";
import { Rng } from "./rng.ts";
import { SimWorld, type CertKind, type WorldOptions } from "./world.ts";
import { MISBEHAVIOURS, type Misbehaviour, type SimWallet } from "./wallet.ts";

export interface SimOptions {
  taps: number;
  wallets: number;
  seed: number;
  /** Share of wallets that misbehave (default 0.1). */
  misbehavingShare?: number;
  /** Probability that an honest tap is torn before the receipt (default 0.01). */
  tornShare?: number;
  /** Probability of an NFC transmission error per exchange (default 0.001). */
  frameErrorRate?: number;
  mode?: "gate" | "kiosk";
  wasmPath?: string;
  /** Call the firmware's idle work between taps, as a board does (default true). */
  boardIdle?: boolean;
  onProgress?: (done: number) => void;
  /** A kept reader (`--state DIR`): its keys, flash and deny list. */
  world?: Pick<
    WorldOptions,
    | "identity"
    | "restoreFlash"
    | "denyState"
    | "installDenyList"
    | "startUnixSeconds"
    | "board"
    | "issuerKeyIds"
    | "clearingKeys"
  >;
  /** Mixed into the seed of the wallets and the taps, so each run of a kept reader sees a
   *  new day's riders (wallet counters only grow). */
  runLabel?: string;
  /** Simulated clearing acknowledges the ledger as it fills (default true). False for a
   *  kept reader: only the records' real clearing may free its flash. */
  acknowledge?: boolean;
  /** Called with the world once the taps are done (a state folder saves it). */
  afterRun?: (world: SimWorld) => void;
}

export interface SimSummary {
  taps: number;
  /** Acceptances: ACCEPTED plus ALREADY_ACCEPTED. */
  accepted: number;
  declined: Record<string, number>;
  byDecision: Record<string, number>;
  tapsPerSecond: number;
  seed: number;
  wallets: number;
  misbehavingWallets: number;
  elapsedSeconds: number;
  firmwareMicrosPerTap: number;
  simulatedMsPerTap: number;
  simulatedMsMax: number;
  ledgerRecords: number;
  acknowledgements: number;
  /** Honest wallets that went online and were certified again when they reached their cap. */
  recertifications: number;
  /** ACCEPTED taps that reused a wallet counter (a double spend for clearing to catch). */
  counterReusesAccepted: number;
  /** Every ACCEPTED tap charged an authorization for that tap's own fresh challenge (so
   *  never one already charged), re-taps charged nothing, and the ledger holds exactly
   *  one record per ACCEPTED tap. */
  chargedOnce: boolean;
  /** FNV-1a over the sequence of decisions: equal for equal runs (determinism checks). */
  decisionFingerprint: string;
}

const CERT_FAULTS: readonly CertKind[] = [
  "cert-expired",
  "cert-not-yet-valid",
  "issuer-revoked",
  "issuer-unknown",
  "cert-bad-signature",
  "cert-version",
  "wrong-currency",
  "denied",
];
/** Per-tap misbehaviours a dishonest wallet picks from (all but the torn receipt, which honest phones do too). */
const TAP_FAULTS: readonly Misbehaviour[] = MISBEHAVIOURS.filter(
  (m) => m !== "vanish-before-receipt",
);
const DAY_MS = 86_400_000;
const ACK_WHEN_REUSABLE_BELOW = 2; // sectors; acknowledge before the ledger can fill

interface Member {
  wallet: SimWallet;
  dishonest: boolean;
}

function buildPopulation(
  world: SimWorld,
  rng: Rng,
  n: number,
  share: number,
  fare: number,
): Member[] {
  const members: Member[] = [];
  for (let i = 0; i < n; i++) {
    const dishonest = rng.chance(share);
    const certFault = dishonest && rng.chance(0.3);
    const kind: CertKind = certFault ? rng.pick(CERT_FAULTS) : "honest";
    const wallet = world.createWallet({ kind, offlineCap: fare * rng.between(20, 400) });
    members.push({ wallet, dishonest });
  }
  return members;
}

/** Counts decisions and checks the never-charge-twice invariant as taps happen (O(wallets) memory). */
class Tally {
  readonly counts = new Map<number, number>();
  fwMicros = 0;
  simMs = 0;
  simMsMax = 0;
  fingerprint = 0x811c9dc5;
  /** An ACCEPTED tap whose authorization was not for the challenge of that very tap. */
  staleAccepted = 0;
  /** ACCEPTED payments reusing a counter already accepted for that wallet: a double spend
   *  the reader cannot see once the wallet left its index (clearing catches it). */
  counterReusesAccepted = 0;
  private readonly lastCounter = new Map<string, number>();

  record(r: TapResult, walletIdHex: string): void {
    this.counts.set(r.decision, (this.counts.get(r.decision) ?? 0) + 1);
    this.fingerprint = Math.imul(this.fingerprint ^ r.decision, 0x01000193) >>> 0;
    this.fwMicros += r.hostMicros;
    this.simMs += r.simulatedMs;
    if (r.simulatedMs > this.simMsMax) this.simMsMax = r.simulatedMs;
    if (r.decision !== Reason.ACCEPTED) return;
    const pay = r.exchanges[1];
    const fresh =
      pay?.rx !== undefined && toHex(pay.tx.subarray(5, 21)) === toHex(pay.rx.subarray(1, 17));
    if (!fresh) this.staleAccepted++;
    const counter = r.receipt?.counter ?? 0;
    if (counter <= (this.lastCounter.get(walletIdHex) ?? 0)) this.counterReusesAccepted++;
    this.lastCounter.set(walletIdHex, Math.max(counter, this.lastCounter.get(walletIdHex) ?? 0));
  }

  get(code: number): number {
    return this.counts.get(code) ?? 0;
  }
}

/** Chooses what the next tap's wallet does; returns the kiosk amount (0 in gate mode). */
function prepareTap(
  world: SimWorld,
  m: Member,
  rng: Rng,
  o: SimOptions,
  fare: number,
): { amount: number; recertified: boolean } {
  let recertified = false;
  // An honest wallet near its cap goes online now and then and is certified afresh.
  if (
    !m.dishonest &&
    m.wallet.spent + fare > m.wallet.offlineCap &&
    m.wallet.pending.length === 0 &&
    rng.chance(0.5)
  ) {
    world.recertify(m.wallet, fare * rng.between(20, 400));
    recertified = true;
  }
  if (m.dishonest && rng.chance(0.5)) m.wallet.once(rng.pick(TAP_FAULTS));
  else if (rng.chance(o.tornShare ?? 0.01)) m.wallet.once("vanish-before-receipt");
  return { amount: world.config.mode === "kiosk" ? rng.between(50, 2_000) : 0, recertified };
}

/** Clearing acknowledges before the ledger fills; the operator pushes a daily deny list. */
class Upkeep {
  acks = 0;
  private lastDenyMs: number;
  constructor(
    private readonly world: SimWorld,
    private readonly acknowledge: boolean,
  ) {
    this.lastDenyMs = world.board.clock.millisExact();
  }

  run(): void {
    const w = this.world;
    const low = w.reader.exports.ledgerReusableSectors() < ACK_WHEN_REUSABLE_BELOW;
    if (this.acknowledge && low) {
      const st = w.acknowledgeAll();
      if (st !== 0)
        throw new Error(`clearing acknowledgement refused: status ${st} (seed ${String(w.seed)})`);
      this.acks++;
    }
    // A reader provisioned for a real clearing takes deny lists from it only.
    if (w.ownsOutputs && w.board.clock.millisExact() - this.lastDenyMs > DAY_MS) {
      const st = w.installDenyList();
      if (st !== 0) throw new Error(`deny list refused: status ${st} (seed ${String(w.seed)})`);
      this.lastDenyMs = w.board.clock.millisExact();
    }
  }
}

export async function runSim(o: SimOptions): Promise<SimSummary> {
  if (!Number.isInteger(o.taps) || o.taps < 1)
    throw new RangeError("taps must be a positive integer");
  if (!Number.isInteger(o.wallets) || o.wallets < 1)
    throw new RangeError("wallets must be a positive integer");
  const seed = o.runLabel === undefined ? o.seed : `${o.seed}/${o.runLabel}`;
  const world = new SimWorld({
    seed,
    mode: o.mode ?? "gate",
    captureLogs: false,
    wasmPath: o.wasmPath,
    frameErrorRate: o.frameErrorRate ?? 0.001,
    ...o.world,
  });
  const firstSeq = world.reader.exports.ledgerNextSeq();
  const rng = Rng.from(seed, "population");
  const fare = world.config.mode === "gate" ? world.config.fare : 500;
  const members = buildPopulation(
    world,
    rng.derive("members"),
    o.wallets,
    o.misbehavingShare ?? 0.1,
    fare,
  );
  const tapRng = rng.derive("taps");
  const tally = new Tally();
  const upkeep = new Upkeep(world, o.acknowledge ?? true);
  let recertified = 0;
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < o.taps; i++) {
    const m = members[tapRng.below(members.length)]!;
    const prep = prepareTap(world, m, tapRng, o, fare);
    if (prep.recertified) recertified++;
    tally.record(world.tap(m.wallet, prep.amount), m.wallet.walletIdHex);
    world.idle(tapRng.between(300, 4_000));
    if (o.boardIdle ?? true) world.housekeeping(); // boards/ABI.md, `idle`
    upkeep.run();
    if (o.onProgress !== undefined && (i & 255) === 255) {
      o.onProgress(i + 1);
      await new Promise((resolve) => setImmediate(resolve)); // let a progress bar draw
    }
  }
  const elapsedSeconds = Number(process.hrtime.bigint() - t0) / 1e9;
  o.onProgress?.(o.taps);
  o.afterRun?.(world);
  const misbehaving = members.filter((m) => m.dishonest).length;
  return summarize(o, world, firstSeq, tally, {
    elapsedSeconds,
    acks: upkeep.acks,
    recertified,
    misbehaving,
  });
}

function summarize(
  o: SimOptions,
  world: SimWorld,
  firstSeq: number,
  t: Tally,
  x: { elapsedSeconds: number; acks: number; recertified: number; misbehaving: number },
): SimSummary {
  const byDecision: Record<string, number> = {};
  const declined: Record<string, number> = {};
  let accepted = 0;
  for (const [code, n] of [...t.counts].sort((a, b) => a[0] - b[0])) {
    byDecision[reasonName(code)] = n;
    if (code === Reason.ACCEPTED || code === Reason.ALREADY_ACCEPTED) accepted += n;
    else declined[reasonName(code)] = n;
  }
  // Records this run appended (a kept reader's ledger holds earlier runs' too).
  const ledgerRecords = world.reader.exports.ledgerNextSeq() - firstSeq;
  return {
    taps: o.taps,
    accepted,
    declined,
    byDecision,
    tapsPerSecond: o.taps / x.elapsedSeconds,
    seed: o.seed,
    wallets: o.wallets,
    misbehavingWallets: x.misbehaving,
    elapsedSeconds: x.elapsedSeconds,
    firmwareMicrosPerTap: t.fwMicros / o.taps,
    simulatedMsPerTap: t.simMs / o.taps,
    simulatedMsMax: t.simMsMax,
    ledgerRecords,
    acknowledgements: x.acks,
    recertifications: x.recertified,
    counterReusesAccepted: t.counterReusesAccepted,
    chargedOnce: t.staleAccepted === 0 && ledgerRecords === t.get(Reason.ACCEPTED),
    decisionFingerprint: t.fingerprint.toString(16).padStart(8, "0"),
  };
}
