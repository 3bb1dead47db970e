// The PN532 emulator in a worker thread, for tests and the benchmark: the driver blocks
// its thread while it waits for the chip (the board's nfcTransceive is synchronous), so
// the emulator needs an event loop of its own. The parent loads the field for each case
// ({seed, scenario} or {seed, wallets, hold, cycle}); "loaded" answers. Start it with
// `startEmulatorWorker` (it registers tsx's loader in the worker, as bin/offtap.mjs does).
import { parentPort, workerData } from "node:worker_threads";
import process from "node:process";
import { fieldCards, startEmulator } from "./index.ts";

export interface WorkerLoad {
  seed: number;
  scenario?: string;
  wallets?: number;
  hold?: number;
  vanishAt?: number;
  cycle?: boolean;
}

const port = parentPort!;
const { path, timeScale } = workerData as { path: string; timeScale: number };
if (parentPort === null) throw new Error("host/nfc/emulator/worker.ts runs in a worker thread");
const emu = await startEmulator({
  ports: [path],
  seed: 1,
  wallets: 0,
  baud: 115_200,
  timeScale,
  holdPolls: 0,
  cycle: false,
  log: process.env.OFFTAP_NFC_DEBUG
    ? (l: string) => process.stderr.write(`pn532: ${l}\n`)
    : undefined,
});
port.on("message", (m: WorkerLoad | "close") => {
  if (m === "close") {
    void emu.close().then(() => port.close());
    return;
  }
  const cards = fieldCards({
    seed: m.seed,
    wallets: m.wallets ?? 1,
    scenario: m.scenario,
    vanishAt: m.vanishAt,
  });
  emu.field.load(cards, { holdPolls: m.hold ?? 0, cycle: m.cycle ?? false });
  port.postMessage("loaded");
});
port.postMessage("ready");
