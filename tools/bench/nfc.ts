// Bench section: whole taps through the emulated PN532 at 115200 baud HSU in real time
// (byte timing of the link, RF timing of ISO-DEP at 106 kbps, the wallets' own latency),
// beside the same taps on the direct simulation; taps/s and the per-tap split into
// firmware, PN532 link and RF (medians). Printed after the main report and written to
// build/bench-nfc.json. `node --import tsx tools/bench/nfc.ts [--quick]` runs it alone.
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { repoRoot } from "../../host/firmware/paths.ts";
import { openPtyPair } from "../../host/serial/pty.ts";
import { SimWorld } from "../../host/sim/world.ts";
import { openPn532 } from "../../host/nfc/session.ts";
import { startEmulatorWorker } from "../../host/nfc/emulator/in-worker.ts";
import { tapActivated, waitForCard, waitForEmptyField } from "../../host/nfc/reader-loop.ts";

export interface NfcBenchRow {
  path: string;
  taps: number;
  accepted: number;
  tapsPerSecond: number;
  medianMs: { total: number; firmware: number; link: number; rf: number };
}

export interface NfcBenchResult {
  baud: number;
  wallets: number;
  seed: number;
  rows: NfcBenchRow[];
}

const BAUD = 115_200;
const SEED = 1;
const WALLETS = 8;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? 0 : s[Math.floor(s.length / 2)]!;
}

/** The same wallets tapping in the same order on the simulated field (no front end), in
 *  `rounds` fresh worlds (built outside the timing) so no wallet reaches its offline cap. */
function direct(taps: number, rounds: number): NfcBenchRow {
  const totals: number[] = [];
  const radio: number[] = [];
  let accepted = 0;
  let seconds = 0;
  for (let round = 0; round < rounds; round++) {
    const world = new SimWorld({ seed: SEED, captureLogs: false });
    const wallets = Array.from({ length: WALLETS }, () => world.createWallet());
    const t0 = performance.now();
    for (let i = 0; i < taps; i++) {
      const s = performance.now();
      const r = world.tap(wallets[i % WALLETS], 0);
      totals.push(performance.now() - s);
      radio.push(r.simulatedMs);
      if (r.accepted) accepted++;
    }
    seconds += (performance.now() - t0) / 1000;
  }
  const m = median(totals);
  // Host time is all firmware (the field answers at once); RF is the simulated radio time
  // the field charges to the simulated clock, for comparison with the emulated RF.
  return {
    path: "direct simulation (RF simulated)",
    taps: taps * rounds,
    accepted,
    tapsPerSecond: (taps * rounds) / seconds,
    medianMs: { total: m, firmware: m, link: 0, rf: median(radio) },
  };
}

async function throughPn532(taps: number): Promise<NfcBenchRow> {
  const pty = await openPtyPair();
  const emu = await startEmulatorWorker(pty.devicePath, 1);
  try {
    await emu.load({ seed: SEED, wallets: WALLETS, cycle: true });
    const pn = openPn532({ path: pty.hostPath, baud: BAUD });
    if (!("driver" in pn)) throw new Error(`PN532 start-up: ${pn.message}`);
    const world = new SimWorld({ seed: SEED, captureLogs: false });
    const split = {
      total: [] as number[],
      firmware: [] as number[],
      link: [] as number[],
      rf: [] as number[],
    };
    let accepted = 0;
    const t0 = performance.now();
    try {
      for (let i = 0; i < taps; i++) {
        const card = waitForCard(pn.driver, 50);
        if (card === undefined || "kind" in card)
          throw new Error(`tap ${i + 1}: no card (${card?.message ?? "empty field"})`);
        const t = tapActivated(pn.front, world, 0, card);
        if (t.result.accepted) accepted++;
        split.total.push(t.split.totalMs);
        split.firmware.push(t.split.firmwareMs);
        split.link.push(t.split.linkMs);
        split.rf.push(t.split.rfMs);
        const gone = waitForEmptyField(pn.driver, 50);
        if (typeof gone !== "number") throw new Error(`tap ${i + 1}: the field did not empty`);
      }
    } finally {
      pn.close();
    }
    const seconds = (performance.now() - t0) / 1000;
    return {
      path: `emulated PN532, HSU ${BAUD} baud`,
      taps,
      accepted,
      tapsPerSecond: taps / seconds,
      medianMs: {
        total: median(split.total),
        firmware: median(split.firmware),
        link: median(split.link),
        rf: median(split.rf),
      },
    };
  } finally {
    await emu.close();
    await pty.close();
  }
}

export async function benchNfc(o: { quick: boolean }): Promise<NfcBenchResult> {
  const taps = o.quick ? 8 : 40;
  direct(taps, 1); // warm up V8 and the firmware
  const rows = [direct(taps, 10), await throughPn532(taps)];
  return { baud: BAUD, wallets: WALLETS, seed: SEED, rows };
}

export function formatNfc(r: NfcBenchResult): string {
  const head = ["path", "taps", "accepted", "taps/s", "tap ms", "firmware", "link", "RF"];
  const body = r.rows.map((x) => [
    x.path,
    String(x.taps),
    String(x.accepted),
    x.tapsPerSecond.toFixed(1),
    x.medianMs.total.toFixed(2),
    x.medianMs.firmware.toFixed(2),
    x.medianMs.link.toFixed(2),
    x.medianMs.rf.toFixed(2),
  ]);
  const all = [head, ...body];
  const w = head.map((_, i) => Math.max(...all.map((row) => row[i]!.length)));
  const line = (row: string[]): string =>
    row.map((c, i) => (i === 0 ? c.padEnd(w[i]!) : c.padStart(w[i]!))).join("  ");
  const ratio = r.rows[0]!.tapsPerSecond / r.rows[1]!.tapsPerSecond;
  return [
    `NFC front end: whole taps, ${r.wallets} wallets cycling, seed ${r.seed} (medians per tap, ms)`,
    ...all.map(line),
    `the PN532 path is ${ratio.toFixed(0)}× slower than the direct simulation:` +
      " the link and the RF, not the firmware",
  ].join("\n");
}

/** The section as `make bench` runs it: measure, print, write build/bench-nfc.json. */
export async function nfcBenchSection(quick: boolean, json: boolean): Promise<boolean> {
  try {
    const r = await benchNfc({ quick });
    const out = path.join(repoRoot, "build", "bench-nfc.json");
    mkdirSync(path.dirname(out), { recursive: true });
    writeFileSync(out, `${JSON.stringify(r, null, 2)}\n`);
    if (!json)
      process.stdout.write(
        `\n${formatNfc(r)}\n\nwrote ${path.relative(process.cwd(), out) || out}\n`,
      );
    return true;
  } catch (e) {
    process.stderr.write(`bench: NFC front end: ${(e as Error).message}\n`);
    return false;
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const ok = await nfcBenchSection(process.argv.includes("--quick"), false);
  process.exitCode = ok ? 0 : 1;
}
