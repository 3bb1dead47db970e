// Named single-tap scenarios: each builds a world, performs whatever taps lead up to the
// situation, and then the tap of interest. `offtap tap --scenario NAME` shows that last
// tap; the tests run every scenario and check its decision against docs/PROTOCOL.md.
import { Reason, type ReasonName } from "../protocol/index.ts";
import type { TapResult } from "./reader.ts";
import { SimWallet, type Misbehaviour } from "./wallet.ts";
import { Ed25519Key } from "../issuer/ed25519.ts";
import { SimWorld, type CertKind, type WorldOptions } from "./world.ts";
import { PowerCut } from "./board.ts";
import type { TapeRecorder } from "./tape.ts";

export interface ScenarioRun {
  world: SimWorld;
  wallet: SimWallet | undefined;
  /** Taps before the one of interest, in order. */
  before: TapResult[];
  result: TapResult;
}

/** A scenario up to the tap of interest: the taps before it are done, the wallet's
 *  misbehaviour (if any) is armed, and `amount` is what the reader is to charge. */
export interface ScenarioSetup {
  world: SimWorld;
  wallet: SimWallet | undefined;
  before: TapResult[];
  amount: number;
}

export interface ScenarioOptions {
  recorder?: TapeRecorder;
  wasmPath?: string;
  /** Options of the world the scenario runs in (a kept reader's keys and flash); they win
   *  over the scenario's own. */
  world?: Partial<WorldOptions>;
  /** Kiosk mode: the amount the tap of interest asks (default the scenario's). */
  amount?: number;
}

export interface Scenario {
  name: string;
  description: string;
  /** The decision docs/PROTOCOL.md prescribes for the tap of interest. */
  expected: ReasonName;
  /** False when the run injects a fault a tape cannot express (a power cut or a failed
   *  program between two flash programs of one tap): no exchange vector is recorded. */
  tape: boolean;
  run(seed: number | string, options?: ScenarioOptions): ScenarioRun;
  /** The reader mode the scenario needs, when it needs one. */
  mode: "gate" | "kiosk" | undefined;
  /** It sets reader limits or the clock of its own (a kept reader cannot run it). */
  reconfigures: boolean;
  /** Everything before the tap of interest (a PN532 front end then runs that tap). */
  prepare(seed: number | string, options?: ScenarioOptions): ScenarioSetup;
}

type Setup = (world: SimWorld, wallet: SimWallet, before: TapResult[]) => void;

interface Spec {
  name: string;
  description: string;
  expected: ReasonName;
  world?: Partial<WorldOptions>;
  kind?: CertKind;
  cap?: number;
  /** Misbehaviour of the tap of interest. */
  misbehave?: Misbehaviour;
  /** Taps before it. */
  setup?: Setup;
  /** Kiosk amount of the tap of interest (gate mode: 0). */
  amount?: number;
  /** No wallet in the field. */
  empty?: boolean;
  /** Who taps last (default: the wallet of the setup). */
  tapWith?: (world: SimWorld, wallet: SimWallet) => SimWallet;
  /** See Scenario.tape (default true). */
  tape?: boolean;
}

const honestTaps = (n: number): Setup => (world, wallet, before) => {
  for (let i = 0; i < n; i++) before.push(world.tap(wallet));
};

const tornThen = (m: Misbehaviour): Setup => (world, wallet, before) => {
  wallet.once(m);
  before.push(world.tap(wallet));
  world.idle(2_000);
};

/** Two honest taps with the board's idle time after each: the wallet is a returning one
 *  and its key has precomputed verify tables (docs/PROTOCOL.md, "What a reader remembers
 *  between taps"), so its next signature verifies on the registered-key path. */
const withKeyTables = (then?: Setup): Setup => (world, wallet, before) => {
  for (let i = 0; i < 2; i++) {
    before.push(world.tap(wallet));
    world.idle(1_500);
    world.housekeeping();
  }
  then?.(world, wallet, before);
};

/** The power goes after the payment's record is written and before its signal mark: no
 *  gate opened. The reader reboots; the rider taps again a few seconds later. */
const cutBeforeSignal: Setup = (world, wallet) => {
  world.armSignalMarkFault("cut");
  try {
    world.tap(wallet);
    throw new Error("the armed power cut did not happen: no signal mark was programmed");
  } catch (err) {
    if (!(err instanceof PowerCut)) throw err;
  }
  const rc = world.reboot();
  if (rc !== 0) throw new Error(`reader init after the power cut failed with status ${rc}`);
  world.idle(5_000);
};

const SPECS: Spec[] = [
  { name: "accepted", description: "an honest wallet pays the gate fare", expected: "ACCEPTED" },
  {
    name: "kiosk", description: "kiosk mode: an honest wallet pays a requested amount",
    expected: "ACCEPTED", world: { mode: "kiosk" }, amount: 1_234,
  },
  {
    name: "retap-after-torn-receipt",
    description: "the wallet left before the receipt (the gate had opened); its re-tap gets the "
      + "receipt, charged once, the gate stays shut",
    expected: "ALREADY_USED", setup: tornThen("vanish-before-receipt"),
  },
  {
    name: "vanish-before-receipt",
    description: "the wallet leaves before the receipt: the payment stands (it is in the ledger)",
    expected: "ACCEPTED", misbehave: "vanish-before-receipt",
  },
  {
    name: "retap-after-power-cut",
    description: "the power went between the payment's write and the gate; the re-tap gets its "
      + "one opening, charged once",
    // A gate's scenario: only a gate opening programs the signal mark the cut falls before.
    expected: "ALREADY_ACCEPTED", setup: cutBeforeSignal, tape: false, world: { mode: "gate" },
  },
  {
    name: "retap-after-withhold-receipt-ack",
    description: "the wallet answered the receipt with 69 85 instead of 90 00 and re-taps: "
      + "receipt again, the gate stays shut",
    expected: "ALREADY_USED", setup: tornThen("withhold-receipt-ack"),
  },
  {
    name: "retap-copied-authorization",
    description: "another phone re-presents a copy of a torn payment's authorization and "
      + "certificate",
    expected: "RETAP_PROOF_INVALID", setup: tornThen("vanish-before-receipt"),
    tapWith: copyOfWallet,
  },
  {
    name: "bare-retap",
    description: "the pending authorization re-presented bare, without a possession proof",
    expected: "CHALLENGE_MISMATCH", setup: tornThen("vanish-before-receipt"),
    misbehave: "bare-retap",
  },
  {
    name: "retap-after-torn-pay",
    description: "the wallet signed but its answer was lost; its re-tap presents the stale "
      + "authorization",
    expected: "CHALLENGE_MISMATCH", setup: tornThen("vanish-after-pay"),
  },
  // Decoding hints (protocol 3) are advice: wrong or absent ones cost the reader its own
  // square roots and inversions, never a different decision.
  {
    name: "bad-hints",
    description: "an honest payment whose every decoding hint is wrong (negated x, random bytes)",
    expected: "ACCEPTED", misbehave: "bad-hints",
  },
  {
    name: "zero-hints", description: "an honest payment with all-zero decoding hints",
    expected: "ACCEPTED", misbehave: "zero-hints",
  },
  {
    name: "retap-after-torn-receipt-bad-hints",
    description: "retap-after-torn-receipt, the re-presentation's hints all wrong: the same "
      + "receipt, charged once",
    expected: "ALREADY_USED", setup: tornThen("vanish-before-receipt"), misbehave: "bad-hints",
  },
  {
    name: "cert-bad-signature-bad-hints",
    description: "cert-bad-signature with every decoding hint wrong",
    expected: "CERT_SIGNATURE_INVALID", kind: "cert-bad-signature", misbehave: "bad-hints",
  },
  { name: "no-wallet", description: "nothing in the field", expected: "NO_WALLET", empty: true },
  {
    name: "slow-select", description: "the wallet answers SELECT after the reader's timeout",
    expected: "NO_WALLET", misbehave: "slow-select",
  },
  {
    name: "vanish-after-select", description: "the wallet leaves the field after SELECT",
    expected: "WALLET_VANISHED", misbehave: "vanish-after-select",
  },
  {
    name: "vanish-after-pay",
    description: "the wallet signs, then leaves before its answer arrives",
    expected: "WALLET_VANISHED", misbehave: "vanish-after-pay",
  },
  {
    name: "slow-pay", description: "the wallet answers PAY after the reader's timeout",
    expected: "WALLET_VANISHED", misbehave: "slow-pay",
  },
  {
    name: "no-app", description: "a phone without the offtap application (6A 82)",
    expected: "WRONG_AID", misbehave: "no-app",
  },
  {
    name: "garbage", description: "random bytes instead of a certificate", expected: "MALFORMED",
    misbehave: "garbage",
  },
  {
    name: "truncated", description: "a certificate cut short", expected: "MALFORMED",
    misbehave: "truncated",
  },
  {
    name: "oversized", description: "a 600-byte frame, longer than any short response",
    expected: "MALFORMED", misbehave: "oversized",
  },
  {
    name: "bad-status", description: "a certificate with status word 6F 00", expected: "MALFORMED",
    misbehave: "bad-status",
  },
  {
    name: "truncated-auth", description: "an authorization cut short", expected: "MALFORMED",
    misbehave: "truncated-auth",
  },
  {
    name: "other-time", description: "the authorization names another reader time",
    expected: "MALFORMED", misbehave: "other-time",
  },
  {
    name: "frame-error", description: "an NFC transmission error on SELECT", expected: "MALFORMED",
    world: { frameErrorRate: 1 },
  },
  {
    name: "cert-empty-window",
    description: "a certificate whose validUntil is not after its validFrom", expected: "MALFORMED",
    kind: "cert-empty-window",
  },
  {
    name: "cert-version", description: "a certificate of version 2",
    expected: "UNSUPPORTED_VERSION", kind: "cert-version",
  },
  {
    name: "auth-version", description: "an authorization of version 2",
    expected: "UNSUPPORTED_VERSION", misbehave: "auth-version",
  },
  {
    name: "issuer-unknown", description: "a certificate from an issuer the reader does not know",
    expected: "ISSUER_UNKNOWN", kind: "issuer-unknown",
  },
  {
    name: "issuer-revoked",
    description: "a certificate from an issuer key revoked by the deny list",
    expected: "ISSUER_REVOKED", kind: "issuer-revoked",
  },
  {
    name: "cert-bad-signature", description: "a certificate whose issuer signature was altered",
    expected: "CERT_SIGNATURE_INVALID", kind: "cert-bad-signature",
  },
  {
    name: "cert-not-yet-valid", description: "a certificate valid from beyond the drift tolerance",
    expected: "CERT_NOT_YET_VALID", kind: "cert-not-yet-valid",
  },
  {
    name: "cert-expired", description: "a certificate expired beyond the drift tolerance",
    expected: "CERT_EXPIRED", kind: "cert-expired",
  },
  {
    name: "deny-list-stale", description: "the reader's deny list is older than its maximum age",
    expected: "DENY_LIST_STALE",
    world: { denyMaxAgeS: 3_600 }, setup: (world) => world.idle(3_601_000),
  },
  {
    name: "wallet-denied", description: "a wallet on the deny list", expected: "WALLET_DENIED",
    kind: "denied",
  },
  {
    name: "cert-currency", description: "a certificate in another currency",
    expected: "CURRENCY_MISMATCH", kind: "wrong-currency",
  },
  {
    name: "other-currency", description: "the authorization names another currency",
    expected: "CURRENCY_MISMATCH", misbehave: "other-currency",
  },
  {
    name: "amount-out-of-limits", description: "kiosk amount above the per-tap maximum",
    expected: "AMOUNT_OUT_OF_LIMITS", world: { mode: "kiosk", amountMax: 5_000 }, amount: 5_001,
  },
  {
    name: "refuse", description: "the wallet declines to pay (69 85)", expected: "WALLET_REFUSED",
    misbehave: "refuse",
  },
  {
    name: "at-cap", description: "an honest wallet whose cap the fare would exceed refuses (69 85)",
    expected: "WALLET_REFUSED", cap: 600, setup: honestTaps(2),
  },
  {
    name: "replay-old-auth", description: "the wallet replays an older authorization",
    expected: "CHALLENGE_MISMATCH", setup: honestTaps(2), misbehave: "replay-old-auth",
  },
  {
    name: "replay-last-auth",
    description: "the wallet replays its last authorization after its receipt was delivered: a "
      + "replay, not a re-tap",
    expected: "CHALLENGE_MISMATCH", setup: honestTaps(1), misbehave: "replay-old-auth",
  },
  {
    name: "other-reader", description: "the authorization names another reader",
    expected: "READER_ID_MISMATCH", misbehave: "other-reader",
  },
  {
    name: "other-amount", description: "the authorization names another amount",
    expected: "AMOUNT_MISMATCH", misbehave: "other-amount",
  },
  {
    name: "wrong-key",
    description: "the authorization is signed with a key the certificate does not name",
    expected: "AUTH_SIGNATURE_INVALID", misbehave: "wrong-key",
  },
  {
    name: "reuse-counter", description: "the wallet signs with a counter it already used",
    expected: "COUNTER_REPLAYED", setup: honestTaps(1), misbehave: "reuse-counter",
  },
  {
    name: "exceed-cap", description: "the wallet signs a cumulative spend above its cap",
    expected: "OVER_OFFLINE_CAP", misbehave: "exceed-cap",
  },
  {
    name: "cumulative-below-amount",
    description: "the wallet signs a cumulative spend below the amount",
    expected: "OVER_OFFLINE_CAP", misbehave: "cumulative-below-amount",
  },
  {
    name: "ledger-full", description: "the unacknowledged ledger is full (2 sectors)",
    expected: "LEDGER_FULL",
    world: {
      geometry: {
        ledgerBytes: 2 * 4096, sectorBytes: 4096, pageBytes: 256, denyBytes: 2 * 4096,
        configBytes: 4096,
      },
    },
    cap: 1_000_000, setup: honestTaps(14),
  },
  {
    name: "ledger-error", description: "the flash reports a failed program during the append",
    expected: "LEDGER_ERROR", setup: (world) => { world.board.failPrograms = 1; },
  },
  {
    name: "reader-fault", description: "the reader's hardware RNG fails: no PAY is sent",
    expected: "READER_FAULT", setup: (world) => { world.board.failRandom = true; },
  },
  {
    name: "not-configured", description: "a reader that was never provisioned",
    expected: "NOT_CONFIGURED", world: { provision: false },
  },
  {
    name: "amount-required", description: "kiosk mode tap without an amount",
    expected: "AMOUNT_REQUIRED", world: { mode: "kiosk" }, amount: 0,
  },
  {
    name: "returning-wallet-tables",
    description: "a returning wallet whose key got precomputed tables in the board's idle time "
      + "pays (its signature verified on the registered-key path)",
    expected: "ACCEPTED", cap: 1_000_000, setup: withKeyTables(),
  },
  {
    name: "wrong-key-with-tables",
    description: "a signature by another key, from a wallet whose certificate key has "
      + "precomputed tables",
    expected: "AUTH_SIGNATURE_INVALID", cap: 1_000_000, setup: withKeyTables(),
    misbehave: "wrong-key",
  },
  {
    name: "retap-with-tables",
    description: "a returning wallet with key tables left before the receipt; its re-tap's "
      + "possession proof verifies under the tables: the receipt, charged once, gate shut",
    expected: "ALREADY_USED", cap: 1_000_000,
    setup: withKeyTables(tornThen("vanish-before-receipt")),
  },
];

/** A second phone with copies of the wallet's certificate and pending authorization,
 *  and its own key (derived from the world's seed, so the run replays). */
function copyOfWallet(world: SimWorld, wallet: SimWallet): SimWallet {
  return SimWallet.copyOf(wallet, new Ed25519Key(world.rng.derive("copier").bytes(32)));
}

function toScenario(s: Spec): Scenario {
  const prepare = (seed: number | string, options: ScenarioOptions = {}): ScenarioSetup => {
    const world = new SimWorld({
      seed, ...s.world, ...options.world, recorder: options.recorder, wasmPath: options.wasmPath,
    });
    const spec = { kind: s.kind ?? "honest", offlineCap: s.cap ?? 5_000 };
    const wallet = s.empty ? undefined : world.createWallet(spec);
    const before: TapResult[] = [];
    if (s.setup !== undefined) s.setup(world, wallet ?? world.createWallet(), before);
    let tapper = wallet;
    if (wallet !== undefined && s.tapWith !== undefined) tapper = s.tapWith(world, wallet);
    if (tapper !== undefined && s.misbehave !== undefined) tapper.once(s.misbehave);
    const kiosk = world.config.mode === "kiosk";
    const amount = kiosk ? (options.amount ?? s.amount ?? 500) : (s.amount ?? 0);
    return { world, wallet: tapper, before, amount };
  };
  return {
    name: s.name,
    description: s.description,
    expected: s.expected,
    tape: s.tape ?? true,
    mode: s.world?.mode,
    reconfigures: Object.keys(s.world ?? {}).some((k) => k !== "mode"),
    prepare,
    run(seed, options = {}) {
      if (options.recorder !== undefined && s.tape === false) {
        const why = "injects a fault between two flash programs, which a tape cannot express";
        throw new Error(`scenario ${s.name} ${why}`);
      }
      const { world, wallet, before, amount } = prepare(seed, options);
      const result = world.tap(wallet, amount);
      return { world, wallet, before, result };
    },
  };
}

export const SCENARIOS: readonly Scenario[] = SPECS.map(toScenario);

export function findScenario(name: string): Scenario | undefined {
  return SCENARIOS.find((s) => s.name === name);
}

/** Every decision code a scenario exercises (for coverage checks). */
export function scenarioCodes(): Set<number> {
  return new Set(SCENARIOS.map((s) => Reason[s.expected]));
}
