// A PN532 emulator on one or more serial devices (pseudo-terminals in tests): each device
// is one PN532, all of them share one simulated RF field holding simulated wallets. Used by
// `offtap nfc emulate`, the tests and the benchmark (docs/NFC.md §5).
import { Rng } from "../../sim/rng.ts";
import { SimWorld } from "../../sim/world.ts";
import { findScenario } from "../../sim/scenarios.ts";
import { WalletCard, type EmuCard } from "./card.ts";
import { EmuField } from "./field.ts";
import { Pn532Chip } from "./chip.ts";
import { HsuLink } from "./hsu.ts";

export interface EmulatorOptions {
  /** Serial devices, one emulated PN532 each. */
  ports: string[];
  seed: number;
  /** Honest wallets that tap one after another (ignored with a scenario). */
  wallets: number;
  /** A scenario of `offtap tap --list`: its wallet, after the taps that set it up. */
  scenario?: string;
  baud: number;
  timeScale: number;
  holdPolls: number;
  cycle: boolean;
  wasmPath?: string;
  log?: (line: string) => void;
}

export interface RunningEmulator {
  readonly field: EmuField;
  readonly links: readonly HsuLink[];
  close(): Promise<void>;
}

/** The most wallets one emulator holds (each is a certificate and a key in memory). */
export const EMULATOR_WALLETS_MAX = 10_000;

/** Builds the field's cards exactly as the reader's own simulation would from the seed. */
export function fieldCards(o: Pick<EmulatorOptions, "seed" | "wallets" | "scenario" | "wasmPath">): EmuCard[] {
  const uidRng = Rng.from(o.seed, "pn532-emulator-uid");
  if (o.scenario !== undefined) {
    const sc = findScenario(o.scenario);
    if (sc === undefined) throw new RangeError(`unknown scenario '${o.scenario}'`);
    const setup = sc.prepare(o.seed, { wasmPath: o.wasmPath });
    return setup.wallet === undefined ? [] : [new WalletCard(setup.wallet, uidRng)];
  }
  const world = new SimWorld({ seed: o.seed, wasmPath: o.wasmPath, captureLogs: false });
  const cards: EmuCard[] = [];
  for (let i = 0; i < o.wallets; i++) cards.push(new WalletCard(world.createWallet(), uidRng));
  return cards;
}

export async function startEmulator(o: EmulatorOptions): Promise<RunningEmulator> {
  const field = new EmuField(fieldCards(o), { holdPolls: o.holdPolls, cycle: o.cycle });
  const links: HsuLink[] = [];
  try {
    for (const path of o.ports) {
      const chip = new Pn532Chip(field, { timeScale: o.timeScale, log: o.log });
      const link = new HsuLink(path, chip, { baud: o.baud, timeScale: o.timeScale, log: o.log });
      await link.open();
      links.push(link);
    }
  } catch (e) {
    for (const l of links) await l.close();
    throw e;
  }
  return {
    field,
    links,
    async close() { for (const l of links) await l.close(); },
  };
}
