// Simulator benchmark (BRIEF.md goal: ≥ 5,000 taps/s on one core with the real
// firmware): end-to-end taps per second of `offtap sim`, and where a tap's host time
// goes — inside the firmware's tap() (which includes the simulated phone signing its
// authorization, since the wallet answers from within nfcTransceive), the phone's
// signature alone, and the simulator around it. The bench's main calls `benchSim()`;
// `node --import tsx tools/bench/sim.ts` prints the figures alone.
import { fileURLToPath } from "node:url";
import { runSim } from "../../host/sim/population.ts";
import { Ed25519Key } from "../../host/issuer/ed25519.ts";

export interface SimBenchResult {
  taps: number;
  wallets: number;
  seed: number;
  tapsPerSecond: number;
  /** Host µs inside tap(): reader firmware plus the simulated wallet's work. */
  tapCallMicros: number;
  /** The simulated phone's Ed25519 signature (node:crypto), µs. */
  walletSignMicros: number;
  /** tapCallMicros − walletSignMicros: the reader firmware's share, µs. */
  readerFirmwareMicros: number;
  /** Everything outside tap(): wallet choice, clearing acknowledgements, bookkeeping, µs. */
  simulatorOverheadMicros: number;
  accepted: number;
  goalTapsPerSecond: number;
}

export interface SimBenchOptions {
  taps?: number;
  wallets?: number;
  seed?: number;
}

function signMicros(samples: number): number {
  const key = new Ed25519Key(new Uint8Array(32).fill(1));
  const msg = new Uint8Array(73);
  for (let i = 0; i < 200; i++) key.sign(msg); // warm up
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < samples; i++) {
    msg[0] = i & 0xff;
    key.sign(msg);
  }
  return Number(process.hrtime.bigint() - t0) / 1000 / samples;
}

export async function benchSim(o: SimBenchOptions = {}): Promise<SimBenchResult> {
  const taps = o.taps ?? 20_000;
  const wallets = o.wallets ?? 200;
  const seed = o.seed ?? 1;
  // Tap throughput as before wallet-key tables: without the board's idle work between
  // taps (`offtap sim` does it; the decisions are the same, test/host/wallet-tables.test.ts).
  const boardIdle = false;
  await runSim({ taps: 500, wallets: 20, seed, boardIdle }); // warm up V8 and the firmware
  const s = await runSim({ taps, wallets, seed, boardIdle });
  const walletSignMicros = signMicros(2_000);
  const perTapMicros = 1e6 / s.tapsPerSecond;
  return {
    taps,
    wallets,
    seed,
    tapsPerSecond: s.tapsPerSecond,
    tapCallMicros: s.firmwareMicrosPerTap,
    walletSignMicros,
    readerFirmwareMicros: Math.max(0, s.firmwareMicrosPerTap - walletSignMicros),
    simulatorOverheadMicros: Math.max(0, perTapMicros - s.firmwareMicrosPerTap),
    accepted: s.accepted,
    goalTapsPerSecond: 5_000,
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const r = await benchSim();
  console.log(
    `simulator: ${r.tapsPerSecond.toFixed(0)} taps/s (goal ≥ ${r.goalTapsPerSecond}) over ${r.taps} taps, ${r.wallets} wallets, seed ${r.seed}`,
  );
  console.log(
    `  per tap: ${r.tapCallMicros.toFixed(1)} µs in tap() = ${r.readerFirmwareMicros.toFixed(1)} µs reader firmware + ${r.walletSignMicros.toFixed(1)} µs simulated phone signature; ${r.simulatorOverheadMicros.toFixed(1)} µs simulator around it`,
  );
}
