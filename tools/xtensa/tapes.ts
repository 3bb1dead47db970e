// Tap scripts for the device-cost bench: the simulator (the oracle) records taps, and
// build/taprunner.wasm replays them under WASM3 on the emulated core (docs/TAPRUNNER.md).
// Each figure is a difference of two runs that share everything else: the first tap
// after boot pays WASM3's lazy compilation of the tap path, so both runs include it.
import { createHash } from "node:crypto";
import { SimWorld, DEFAULT_START_UNIX_S, DEFAULT_GEOMETRY } from "../../host/sim/world.ts";
import type { SimWallet } from "../../host/sim/wallet.ts";
import { TapeRecorder, type Tape } from "../../host/sim/tape.ts";
import type { FlashGeometry } from "../../host/sim/config.ts";
import { Reason } from "../../host/protocol/index.ts";
import { tapeToScript, type TapScript } from "../../host/vectors/tapscript.ts";

const SEED = "offtap bench: device taps";
/** A cap no bench run reaches, so one wallet can pay every tap. */
const ONE_WALLET_CAP = 1_000_000;
/** A small ledger partition: 4 sectors of 4 KiB (the scripted board's flash is sparse). */
export const SMALL_LEDGER: FlashGeometry = {
  ...DEFAULT_GEOMETRY, ledgerBytes: 16 * 1024, denyBytes: 8 * 1024,
};
/** Taps a full small partition can never need more than (a bound on the fill loop). */
const FILL_TAPS_MAX = 256;

export interface ScriptPair {
  /** Everything but the measured work. */
  base: TapScript;
  /** The base plus `units` of the measured work. */
  work: TapScript;
  units: number;
}

type Pick = (world: SimWorld, n: number) => SimWallet;
const ALL_ACCEPTED = [Reason.ACCEPTED, Reason.ACCEPTED];

interface RecordOptions {
  /** Taps before the measured ones (in both runs): the first pays WASM3's compilation. */
  warm: number;
  /** The board's idle time (`housekeeping`, boards/ABI.md `idle`) after every tap. */
  idle: boolean;
  /** Before the taps, install a deny list that vouches for these wallets' certificates
   *  and `VOUCH_FILL` others (docs/LEDGER.md §7, format 2). */
  vouchFor?: (world: SimWorld) => SimWallet[];
}

/** Vouched certificates in the bench's list besides the tapping wallets': half of what
 *  the default 16 KiB slot holds (the scripted board's flash keeps 24 KiB, two copies of
 *  the list among them), so the reader's binary search is one read short of a full one. */
const VOUCH_FILL = 500;

/** Records `warm + units` taps: the first from `first`, the rest from `rest`. */
function recordTaps(geometry: FlashGeometry, units: number, first: Pick, rest: Pick,
  want: readonly number[], opts: RecordOptions = { warm: 1, idle: false },
): { base: Tape; work: Tape } {
  const recorder = new TapeRecorder();
  const world = new SimWorld({ seed: SEED, geometry, recorder, captureLogs: false });
  const decisions: number[] = [];
  if (opts.vouchFor !== undefined) {
    const hashes = opts.vouchFor(world).map((w) => w.certHash);
    let fill = createHash("sha512").update(SEED).digest();
    for (let i = 0; i < VOUCH_FILL; i++) {
      fill = createHash("sha512").update(fill).digest();
      hashes.push(new Uint8Array(fill.subarray(0, 16)));
    }
    const r = world.installDenyList({ vouchedCertHashes: hashes });
    if (r !== 0) throw new Error(`bench deny list not installed: status ${r}`);
  }
  for (let n = 0; n < opts.warm + units; n++) {
    const r = world.tap(n === 0 ? first(world, n) : rest(world, n), 0);
    decisions.push(r.decision);
    if (opts.idle) world.housekeeping();
  }
  const bad = decisions.findIndex((d, i) => d !== want[i === 0 ? 0 : 1]);
  if (bad >= 0) throw new Error(`bench tap ${bad} decided ${decisions[bad]}, not ${want}`);
  const work: Tape = {
    id: "device-bench", comment: "device bench taps", rngSeed: 0, geometry,
    startUnixSeconds: DEFAULT_START_UNIX_S, steps: recorder.steps,
  };
  const tapIndices = work.steps.flatMap((s, i) => (s.op === "tap" ? [i] : []));
  const base: Tape = { ...work, steps: work.steps.slice(0, tapIndices[opts.warm]) };
  return { base, work };
}

function pair(t: { base: Tape; work: Tape }, units: number): ScriptPair {
  return { base: tapeToScript(t.base), work: tapeToScript(t.work), units };
}

/** The scripted board's own share of a tap row: the same script lines on a reader never
 *  initialised, so every tap declines NOT_CONFIGURED before any exchange, and what is
 *  left is the runner reading, parsing and queueing the lines (docs/TAPRUNNER.md) — work
 *  a board's native NFC driver does instead. Its output is not judged (the queued
 *  exchanges go unsent). */
export function scriptOnly(p: ScriptPair): ScriptPair {
  const strip = (s: TapScript): TapScript => ({
    text: s.text.split("\n").filter((l) => !/^(init|idle|expect)( |$)/.test(l)).join("\n"),
    expects: [],
  });
  return { base: strip(p.base), work: strip(p.work), units: p.units };
}

/** Every tap by a new wallet: the certificate is verified too (a gate's usual case). */
export function firstTimeTaps(units: number): ScriptPair {
  const fresh: Pick = (w) => w.createWallet();
  return pair(recordTaps(DEFAULT_GEOMETRY, units, fresh, fresh, ALL_ACCEPTED), units);
}

/** Every tap by a new wallet that sends wrong decoding hints (docs/PROTOCOL.md, protocol
 *  3): the reader checks each hint, finds it wrong and decodes on its own — the cost of a
 *  first-time tap without the hints' help, beside `firstTimeTaps` in the same run. */
export function firstTimeTapsWrongHints(units: number): ScriptPair {
  const fresh: Pick = (w) => {
    const wallet = w.createWallet();
    wallet.hintMode = "bad";
    return wallet;
  };
  return pair(recordTaps(DEFAULT_GEOMETRY, units, fresh, fresh, ALL_ACCEPTED), units);
}

/** Every tap by a new wallet whose certificate clearing vouched for in the installed
 *  deny list: new to this reader, known to clearing (check 3 skipped, no key tables). */
export function vouchedFirstTaps(units: number): ScriptPair {
  let ahead: SimWallet[] = [];
  const vouchFor = (w: SimWorld): SimWallet[] => {
    ahead = Array.from({ length: 1 + units }, () => w.createWallet());
    return ahead;
  };
  const next: Pick = (_w, n) => ahead[n]!;
  return pair(recordTaps(DEFAULT_GEOMETRY, units, next, next, ALL_ACCEPTED,
    { warm: 1, idle: false, vouchFor }), units);
}

function oneWallet(): Pick {
  let only: SimWallet | undefined;
  return (w) => (only ??= w.createWallet({ offlineCap: ONE_WALLET_CAP }));
}

/** Every tap by one wallet, whose certificate the reader has cached since the first, on a
 *  board that calls `idle` between taps: from the third tap on, the wallet's key has
 *  precomputed tables (two warm taps and their idle time are in both runs). */
export function cachedTaps(units: number): ScriptPair {
  const one = oneWallet();
  return pair(recordTaps(DEFAULT_GEOMETRY, units, one, one, ALL_ACCEPTED,
    { warm: 2, idle: true }), units);
}

/** The same without idle time: the certificate is cached, the wallet's key has no tables
 *  (a board that never calls `idle`, or a wallet whose tables were evicted). */
export function cachedTapsWithoutTables(units: number): ScriptPair {
  const one = oneWallet();
  return pair(recordTaps(DEFAULT_GEOMETRY, units, one, one, ALL_ACCEPTED), units);
}

/** One idle piece: building a returning wallet's key tables after its second tap. */
export function walletTablesBuild(): ScriptPair {
  const one = oneWallet();
  const t = recordTaps(DEFAULT_GEOMETRY, 1, one, one, ALL_ACCEPTED, { warm: 1, idle: false });
  const base = t.work;
  const work = { ...base, steps: [...base.steps, { op: "idle" as const, pieces: 1 }] };
  return pair({ base, work }, 1);
}

/** Declined taps: forged certificates, the costliest decline (a whole verify, then no). */
export function declinedTaps(units: number): ScriptPair {
  const fresh: Pick = (w) => w.createWallet();
  const forged: Pick = (w) => w.createWallet({ kind: "cert-bad-signature" });
  return pair(recordTaps(DEFAULT_GEOMETRY, units, fresh, forged,
    [Reason.ACCEPTED, Reason.CERT_SIGNATURE_INVALID]), units);
}

/** Re-inits (boot: provisioning, key tables, ledger recovery) of a reader whose small
 *  ledger is empty (`full` false) or was filled to LEDGER_FULL (`full` true). */
export function reinits(units: number, full: boolean): ScriptPair & { records: number } {
  const recorder = new TapeRecorder();
  const world = new SimWorld({ seed: SEED, geometry: SMALL_LEDGER, recorder, captureLogs: false });
  let records = 0;
  for (let n = 1; full && n <= FILL_TAPS_MAX; n++) {
    const d = world.tap(world.createWallet(), 0).decision;
    if (d === Reason.LEDGER_FULL) break;
    if (d === Reason.ACCEPTED) records++;
  }
  const tape: Tape = {
    id: "device-bench-boot", comment: "re-inits", rngSeed: 0, geometry: SMALL_LEDGER,
    startUnixSeconds: DEFAULT_START_UNIX_S, steps: recorder.steps,
  };
  const init = tape.steps.find((s) => s.op === "init");
  if (init === undefined || init.op !== "init") throw new Error("recorded tape has no init step");
  const again = { ...init, expect: 0 };
  const reinit = Array.from({ length: 1 + units }, () => again);
  const work = { ...tape, steps: [...tape.steps, ...reinit] };
  const base = { ...tape, steps: [...tape.steps, again] };
  return { base: tapeToScript(base), work: tapeToScript(work), units, records };
}
