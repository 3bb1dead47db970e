// A short, scripted gate scenario for `make demo`: a few riders at one transit gate,
// honest and not, including a phone pulled away before the receipt and tapped again.
// Every tap runs through the real firmware; each one carries the decision
// docs/PROTOCOL.md prescribes, so the demo can show whether the firmware agreed.
import { type ReasonName, type Receipt, toHex } from "../protocol/index.ts";
import type { Misbehaviour, SimWallet } from "./wallet.ts";
import { SimWorld, type CertKind } from "./world.ts";
import { PowerCut } from "./board.ts";
import { verifyBatchFile, type FileCheck } from "../ledger/batch.ts";

export interface GateTap {
  step: number;
  rider: string;
  what: string;
  expected: ReasonName;
  decision: number;
  reason: string;
  ok: boolean;
  /** Simulated radio time of the tap, ms. */
  simulatedMs: number;
  /** Host time inside the firmware's tap(), µs. */
  firmwareMicros: number;
  receipt: { sequence: number; counter: number; outcome: number; recordHash: string } | undefined;
}

export interface ScenarioResult {
  seed: number;
  readerId: string;
  fare: number;
  currency: number;
  taps: GateTap[];
  /** Records in the reader's ledger at the end (one per new acceptance). */
  ledgerRecords: number;
  /** The ledger exported by the firmware as signed batches, checked by the host codec. */
  export: { bytes: number; check: FileCheck; devicePublicKey: string };
  /** Every tap's decision was the expected one, the ledger holds one record per ACCEPTED,
   *  and its export verifies (device signature, hash chain, gap-free sequence). */
  ok: boolean;
}

interface Rider { name: string; kind?: CertKind; cap?: number }
interface Step {
  rider: string;
  what: string;
  expected: ReasonName;
  misbehave?: Misbehaviour;
  pauseMs?: number;
  /** Before this step the rider pays and the power fails between the payment's write and
   *  the gate; the reader reboots, and this step is the rider's re-tap. */
  powerCutFirst?: boolean;
}

const RIDERS: Rider[] = [
  { name: "Alice" }, { name: "Bob" }, { name: "Carol" }, { name: "Dave", kind: "cert-expired" },
  { name: "Erin" }, { name: "Frank", cap: 400 }, { name: "Grace" }, { name: "Mallory" },
  { name: "a visitor" },
];

const STEPS: Step[] = [
  { rider: "Alice", what: "taps her phone", expected: "ACCEPTED" },
  { rider: "Bob", what: "taps his phone", expected: "ACCEPTED" },
  {
    rider: "Bob", what: "replays that authorization (its receipt arrived)",
    expected: "CHALLENGE_MISMATCH", misbehave: "replay-old-auth",
  },
  {
    rider: "Carol", what: "pulls her phone away before the receipt", expected: "ACCEPTED",
    misbehave: "vanish-before-receipt",
  },
  {
    rider: "Carol", what: "taps again: her receipt, not charged twice, the gate stays shut",
    expected: "ALREADY_USED", pauseMs: 1_500,
  },
  { rider: "Dave", what: "taps with an expired certificate", expected: "CERT_EXPIRED" },
  { rider: "Erin", what: "taps her phone", expected: "ACCEPTED" },
  {
    rider: "Grace",
    what: "pays as the power fails before the gate opens; after the reboot her re-tap "
      + "opens it once",
    expected: "ALREADY_ACCEPTED", powerCutFirst: true,
  },
  {
    rider: "Erin", what: "replays her wallet counter", expected: "COUNTER_REPLAYED",
    misbehave: "reuse-counter",
  },
  {
    rider: "a visitor", what: "taps a phone without the offtap app", expected: "WRONG_AID",
    misbehave: "no-app",
  },
  { rider: "Frank", what: "taps with 250 of his 400 offline cap", expected: "ACCEPTED" },
  {
    rider: "Frank", what: "taps again: his wallet refuses to exceed its cap",
    expected: "WALLET_REFUSED",
  },
  {
    rider: "Mallory", what: "signs for another reader", expected: "READER_ID_MISMATCH",
    misbehave: "other-reader",
  },
  {
    rider: "Mallory", what: "leaves before her phone answers", expected: "WALLET_VANISHED",
    misbehave: "vanish-after-select",
  },
  { rider: "Alice", what: "comes back through the gate", expected: "ACCEPTED" },
];

export async function runGateScenario(seed: number): Promise<ScenarioResult> {
  const world = new SimWorld({ seed, mode: "gate", fare: 250, captureLogs: false });
  const wallets = new Map<string, SimWallet>();
  for (const r of RIDERS) {
    const spec = { kind: r.kind ?? "honest", offlineCap: r.cap ?? 5_000 };
    wallets.set(r.name, world.createWallet(spec));
  }
  const taps: GateTap[] = [];
  for (const [i, s] of STEPS.entries()) {
    const wallet = wallets.get(s.rider)!;
    world.idle(s.pauseMs ?? 4_000);
    if (s.misbehave !== undefined) wallet.once(s.misbehave);
    if (s.powerCutFirst === true) payThroughPowerCut(world, wallet);
    const r = world.tap(wallet);
    taps.push({
      step: i + 1, rider: s.rider, what: s.what, expected: s.expected, decision: r.decision,
      reason: r.reason, ok: r.reason === s.expected, simulatedMs: r.simulatedMs,
      firmwareMicros: Math.round(r.hostMicros), receipt: receiptView(r.receipt),
    });
  }
  const ledgerRecords = world.reader.exports.ledgerNextSeq() - 1;
  // One record per new acceptance, and one for each payment written before a power cut.
  const cutPayments = STEPS.filter((s) => s.powerCutFirst === true).length;
  const accepted = taps.filter((t) => t.reason === "ACCEPTED").length + cutPayments;
  const exported = exportLedger(world);
  const check = verifyBatchFile(exported, world.deviceKey.publicKey);
  const chainOk = check.signatureOk && check.chainOk && check.sequenceOk;
  const exportOk = chainOk && check.records === ledgerRecords;
  return {
    seed, readerId: toHex(world.readerId), fare: world.config.fare,
    currency: world.config.currency, taps, ledgerRecords,
    export: { bytes: exported.length, check, devicePublicKey: toHex(world.deviceKey.publicKey) },
    ok: taps.every((t) => t.ok) && ledgerRecords === accepted && exportOk,
  };
}

function receiptView(rc: Receipt | undefined): GateTap["receipt"] {
  if (rc === undefined) return undefined;
  const recordHash = toHex(rc.recordHash);
  return { sequence: rc.sequence, counter: rc.counter, outcome: rc.outcome, recordHash };
}

/** The rider pays; the power goes after the record is written and before its signal mark
 *  (no gate opened); the reader boots again and the rider taps a few seconds later. */
function payThroughPowerCut(world: SimWorld, wallet: SimWallet): void {
  world.armSignalMarkFault("cut");
  try {
    world.tap(wallet);
  } catch (err) {
    if (!(err instanceof PowerCut)) throw err;
  }
  const rc = world.reboot();
  if (rc !== 0) throw new Error(`reader init after the power cut failed with status ${rc}`);
  world.idle(5_000);
}

/** Every unacknowledged record, as the firmware's signed batches back to back. The
 *  loop is bounded by the ledger's record count: each batch holds at least one record. */
function exportLedger(world: SimWorld): Uint8Array {
  const e = world.reader.exports;
  const parts: Uint8Array[] = [];
  let from = 0;
  for (let i = 0; i < e.ledgerNextSeq(); i++) {
    const n = e.ledgerExport(from, 0);
    if (n < 0) throw new Error(`ledger export failed with status ${n}`);
    if (n === 0) break;
    const batch = world.reader.get(0, n);
    parts.push(batch);
    from = new DataView(batch.buffer, batch.byteOffset).getUint32(28, true) + 1;
  }
  return Uint8Array.from(parts.flatMap((p) => [...p]));
}
