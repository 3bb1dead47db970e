// `offtap demo` — the main job on embedded defaults: the real firmware at a simulated
// transit gate. Riders tap (honest and not), the firmware decides each tap, writes
// accepted payments to its power-loss-safe ledger, and exports that ledger as signed
// batches, which the host then verifies. The device key's signatures are cross-checked
// against node:crypto on the way.
import { createHash, createPrivateKey, sign as nodeSign } from "node:crypto";
import type { Command } from "../command.ts";
import { EXIT_FAILED, EXIT_OK } from "../command.ts";
import { parse, intFlag } from "../args.ts";
import { FirmwareCrypto } from "../../firmware/crypto.ts";
import { runGateScenario, type ScenarioResult } from "../../sim/gate.ts";
import { green, red, bold, dim, table } from "../output.ts";

const HELP = `usage: offtap demo [--seed N] [--json]

Runs build/offtap.wasm as a transit-gate reader on the desktop simulator: a scripted
rush of riders taps (accepted taps, a torn exchange and its re-tap, an expired
certificate, a replayed counter and authorization, a phone without the app, a wallet at
its cap, a vanished phone). Shows each decision and its reason, then exports the ledger
as signed batches and verifies signature, hash chain and sequence on the host.

options:
  --seed N   seed for keys, wallets, clock and randomness (default 1)
  --json     print the result as JSON
  --help     show this help

Exit code 0 when every decision is the one docs/PROTOCOL.md prescribes and the exported
ledger verifies; 1 otherwise.`;

const PKCS8_ED25519_PREFIX = Buffer.from("302e020100300506032b657004220420", "hex");

/** Device-key signing through the firmware, byte-compared with node:crypto. */
function deviceSignatureMatchesNode(seedNumber: number): boolean {
  const fw = new FirmwareCrypto();
  const seed = createHash("sha256").update(`offtap-demo-device-${seedNumber}`).digest();
  const pk = fw.publicKey(seed);
  const msg = new TextEncoder().encode(`offtap demo ${seedNumber}`);
  const sig = fw.sign(new Uint8Array([...seed, ...pk]), msg);
  const nodeKey = createPrivateKey({ key: Buffer.concat([PKCS8_ED25519_PREFIX, seed]), format: "der", type: "pkcs8" });
  return Buffer.from(sig).equals(nodeSign(null, msg, nodeKey)) && fw.verify(pk, msg, sig) === 0;
}

function printHuman(r: ScenarioResult, signatureOk: boolean): void {
  console.log(bold(`offtap demo — gate reader ${r.readerId}, fare ${r.fare} (currency ${r.currency}), seed ${r.seed}`));
  console.log(dim("every tap below ran through build/offtap.wasm on the simulated board\n"));
  const rows = r.taps.map((t) => [
    String(t.step), t.rider, t.what, t.ok ? green(t.reason) : red(`${t.reason} (expected ${t.expected})`),
    t.receipt ? `#${t.receipt.sequence}` : "", `${t.simulatedMs.toFixed(0)} ms`,
  ]);
  console.log(table([["#", "rider", "what happens", "decision", "receipt", "radio"], ...rows]));
  const c = r.export.check;
  const verdict = (ok: boolean): string => (ok ? green("ok") : red("FAILED"));
  console.log("");
  console.log(`ledger: ${r.ledgerRecords} records; exported as ${c.batches} signed batch(es), ${r.export.bytes} bytes`);
  console.log(`  device signature ${verdict(c.signatureOk)}, hash chain ${verdict(c.chainOk)}, sequence ${c.firstSeq}…${c.lastSeq} gap-free ${verdict(c.sequenceOk)}`);
  for (const p of c.problems) console.log(red(`  ${p}`));
  console.log(`firmware Ed25519 signatures identical to node:crypto: ${verdict(signatureOk)}`);
  console.log("");
  console.log(r.ok && signatureOk ? green("every decision as docs/PROTOCOL.md prescribes; nothing charged twice") : red("the run did not go as prescribed"));
}

export const command: Command = {
  name: "demo",
  summary: "run the firmware as a gate reader on the simulator and show its decisions",
  async run(argv) {
    const { values } = parse(argv, { seed: { type: "string" }, json: { type: "boolean" }, help: { type: "boolean" } });
    if (values.help) { console.log(HELP); return EXIT_OK; }
    const seed = intFlag("seed", values.seed, 1, 0xffffffff);
    const result = await runGateScenario(seed);
    const signatureOk = deviceSignatureMatchesNode(seed);
    if (values.json) console.log(JSON.stringify({ ...result, signatureMatchesNode: signatureOk }));
    else printHuman(result, signatureOk);
    return result.ok && signatureOk ? EXIT_OK : EXIT_FAILED;
  },
};
