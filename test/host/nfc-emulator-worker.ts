// Test helper: the PN532 emulator in a worker thread (the driver under test blocks the main
// thread while it waits for the chip, as the board's synchronous nfcTransceive must). The
// parent loads the field for each case: {scenario} or {wallets, hold}; "loaded" answers.
import { parentPort, workerData } from "node:worker_threads";
import process from "node:process";
import { fieldCards, startEmulator } from "../../host/nfc/emulator/index.ts";

interface Load { seed: number; scenario?: string; wallets?: number; hold?: number; vanishAt?: number }

const port = parentPort!;
const { path, timeScale } = workerData as { path: string; timeScale: number };
const emu = await startEmulator({
  ports: [path], seed: 1, wallets: 0, baud: 115_200, timeScale, holdPolls: 0, cycle: false,
  log: process.env.OFFTAP_NFC_DEBUG ? (l: string) => process.stderr.write(`pn532: ${l}\n`) : undefined,
});
port.on("message", (m: Load | "close") => {
  if (m === "close") {
    void emu.close().then(() => port.close());
    return;
  }
  const cards = fieldCards({ seed: m.seed, wallets: m.wallets ?? 1, scenario: m.scenario, vanishAt: m.vanishAt });
  emu.field.load(cards, { holdPolls: m.hold ?? 0, cycle: false });
  port.postMessage("loaded");
});
port.postMessage("ready");
