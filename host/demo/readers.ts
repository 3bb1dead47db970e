// The demo's second act, on the simulator (host/clearing/simulate.ts SimNetwork): two
// transit gates of one metro operator, the real firmware in each, and riders tapping at
// both. One rider's wallet cheats: at the second gate it signs with the wallet counter
// it already spent at the first. Neither reader can see that offline (each accepted one
// tap); clearing sees the same (wallet, counter) twice. Both ledgers are exported as the
// firmware's signed batches. Everything derives from the seed, so a run replays.
import { toHex } from "../protocol/index.ts";
import { SimNetwork } from "../clearing/simulate.ts";
import type { SimWallet } from "../sim/wallet.ts";
import type { ReaderSpec } from "../clearing/index.ts";

export const DEMO_OPERATOR = "metro";

export interface DemoTap { reader: string; rider: string; what: string; amount: number; reason: string; accepted: boolean; counter: number | undefined }

export interface TwoReaderRun {
  net: SimNetwork;
  taps: DemoTap[];
  /** Each reader's exported ledger: its signed batches back to back. */
  batches: { name: string; readerId: Uint8Array; bytes: Uint8Array }[];
  /** The wallet that spent one counter twice, and that counter. */
  cheater: { walletId: string; counter: number };
  /** What clearing needs to know: issuer keys and the readers' registrations. */
  issuerKeys: { keyId: number; publicKey: Uint8Array }[];
  readerSpecs: ReaderSpec[];
}

interface Step { at: 0 | 1; rider: string; what: string; misbehave?: "reuse-counter" }

const GATE_NAMES = ["north gate", "south gate"] as const;
const RIDERS = ["Alice", "Bob", "Carol", "Mallory"] as const;
const STEPS: Step[] = [
  { at: 0, rider: "Alice", what: "enters the metro" },
  { at: 0, rider: "Bob", what: "enters the metro" },
  { at: 0, rider: "Mallory", what: "enters the metro" },
  { at: 1, rider: "Carol", what: "enters the metro" },
  { at: 1, rider: "Mallory", what: "enters again, signing with the counter she spent at the north gate", misbehave: "reuse-counter" },
  { at: 1, rider: "Alice", what: "rides back" },
  { at: 0, rider: "Carol", what: "rides back" },
  { at: 1, rider: "Bob", what: "rides back" },
];

export function runTwoReaders(seed: number): TwoReaderRun {
  const net = new SimNetwork({ seed: `demo-clearing-${seed}`, mode: "gate", fare: 250, captureLogs: false, readers: 2, operators: [DEMO_OPERATOR] });
  const world = net.world;
  const wallets = new Map<string, SimWallet>(RIDERS.map((name) => [name, world.createWallet({ offlineCap: 5_000 })]));
  const taps: DemoTap[] = [];
  for (const s of STEPS) {
    const wallet = wallets.get(s.rider)!;
    net.idle(30_000); // both gates share one wall clock
    if (s.misbehave !== undefined) wallet.once(s.misbehave);
    const r = net.tap(s.at, wallet);
    taps.push({ reader: GATE_NAMES[s.at], rider: s.rider, what: s.what, amount: world.config.fare, reason: r.reason, accepted: r.accepted, counter: r.receipt?.counter });
  }
  const mallory = wallets.get("Mallory")!;
  return {
    net, taps,
    batches: net.readers.map((r, i) => ({ name: GATE_NAMES[i as 0 | 1], readerId: r.config.readerId, bytes: net.exportBatches(i) })),
    cheater: { walletId: mallory.walletIdHex, counter: mallory.counter },
    issuerKeys: [...world.issuers, world.revokedIssuer].map((i) => ({ keyId: i.keyId, publicKey: i.publicKey })),
    readerSpecs: net.readers.map((_, i) => ({ ...net.readerSpec(i), name: `${GATE_NAMES[i as 0 | 1]} ${toHex(net.readers[i]!.config.readerId).slice(0, 8)}` })),
  };
}
