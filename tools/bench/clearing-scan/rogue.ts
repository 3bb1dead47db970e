// Campaign "rogue": a merchant holds the device keys of 2–3 readers and writes their
// ledgers itself, at random: honest-looking payments, payments over the certificate's
// cap at that reader, counters reused at that reader, times outside the certificate, and
// counters reused across its readers (double spends that no one reader can see). The
// batches arrive shuffled and repeated; the operator releases or rejects suspect readers
// and issuer-risk holds are released as time passes. Checked: a record no honest reader
// could have accepted is never paid; issuer-risk money per wallet stays within
// (readers − 1) × cap; at the end nothing is held but a rejected reader's batches; balances
// hold after every step.
import { SimNetwork } from "../../../host/clearing/simulate.ts";
import { Clearing, type Db, type ReaderSpec } from "../../../host/clearing/index.ts";
import { readerIdHex } from "../../../host/clearing/registry.ts";
import { craftBatch, craftPayment, craftWallet } from "../../../host/clearing/craft.ts";
import type { Payment } from "../../../host/ledger/format.ts";
import { Rng } from "../../../host/sim/rng.ts";
import type { Transcript } from "./engines.ts";

const CAP = 1_000;
const DAY_S = 86_400;
const HOLD_S = DAY_S;
const RISK_LIMIT = 700;
/** Operator decisions at the end, before giving up on a reader that keeps turning
 *  suspect (each release processes held batches up to the next evidence). */
const FINAL_RELEASES_MAX = 500;

interface Step { kind: "upload" | "decide" | "release"; arg: number; waitS: number }

/** Everything random about a rogue campaign, drawn once so that both engines see the same
 *  bytes (crafted records carry random challenges). */
export interface RoguePlan {
  net: SimNetwork;
  readers: number;
  files: Uint8Array[];
  /** `${readerIdHex}:${seq}` of every record no honest reader could have accepted. */
  evidence: Set<string>;
  steps: Step[];
}

export function roguePlan(seed: number): RoguePlan {
  const rng = Rng.from(`clearing-scan-${seed}`, "rogue");
  const readers = 2 + rng.below(2);
  const net = new SimNetwork({ seed: `clearing-scan-rogue-${seed}`, readers });
  const now0 = net.world.now();
  const issuer = net.world.issuers[0]!;
  const wallets = Array.from({ length: 2 + rng.below(4) }, () => craftWallet(issuer, now0, CAP));
  const counters = wallets.map(() => 0);
  const skipped = wallets.map((): number[] => []);
  const evidence = new Set<string>();
  const chains = net.readers.map((r) => {
    const id16 = new Uint8Array(16);
    id16.set(r.config.readerId);
    return {
      r, id16, seq: 1, head: new Uint8Array(32) as Uint8Array,
      spent: new Map<number, number>(), lastCounter: new Map<number, number>(),
    };
  });
  const files: Uint8Array[] = [];
  let t = now0;
  for (let k = 10 + rng.below(30); k > 0; k--) {
    const ch = chains[rng.below(readers)]!;
    const payments: Payment[] = [];
    for (let m = 1 + rng.below(5); m > 0; m--) {
      t += 10 + rng.below(600);
      const wi = rng.below(wallets.length);
      const spent = ch.spent.get(wi) ?? 0;
      const last = ch.lastCounter.get(wi) ?? 0;
      if (rng.below(4) === 0) skipped[wi]!.push(++counters[wi]!); // a counter left unused
      let counter = ++counters[wi]!;
      let amount = 50 + rng.below(400);
      let cumulative = spent + amount;
      let time = t;
      let proof = false;
      const kind = rng.below(10);
      if (kind === 0) {
        cumulative = CAP + 1 + rng.below(500); // over the cap at this reader
        proof = true;
      } else if (kind === 1 && last > 0) {
        counter = last; // not above this reader's last for the wallet
        proof = true;
      } else if (kind === 2) {
        time = now0 + 400 * DAY_S; // after the certificate's validity
        proof = true;
      } else if (kind === 4 && skipped[wi]!.some((x) => x <= last)) {
        // never used anywhere, yet not above this reader's last: only the reader's own
        // order proves it (no double spend to see)
        const k = skipped[wi]!.findIndex((x) => x <= last);
        counter = skipped[wi]!.splice(k, 1)[0]!;
        proof = true;
      } else if (kind === 3 && counter > 1) {
        counter = 1 + rng.below(counter - 1); // maybe used at another reader: a double spend
        if (counter <= last) proof = true;
      }
      if (!proof && cumulative > CAP) {
        amount = 1;
        cumulative = spent + 1;
        proof = cumulative > CAP;
      }
      const seq = ch.seq + payments.length;
      if (proof) {
        evidence.add(`${readerIdHex(ch.r.config.readerId)}:${seq}`);
      } else {
        ch.spent.set(wi, cumulative);
        ch.lastCounter.set(wi, Math.max(last, counter));
      }
      payments.push(
        craftPayment(wallets[wi]!, ch.r.config.readerId, { counter, amount, cumulative, time }),
      );
    }
    const b = craftBatch(ch.r.deviceKey, ch.id16, ch.seq, ch.head, payments);
    ch.seq += payments.length;
    ch.head = b.head;
    files.push(b.bytes);
  }
  const order = files.map((_, i) => i);
  for (let i = order.length - 1; i > 0; i--) {
    const j = rng.below(i + 1);
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  const steps: Step[] = [];
  for (const i of order) {
    steps.push({ kind: "upload", arg: i, waitS: rng.below(3) === 0 ? rng.below(40_000) : 0 });
    if (rng.below(5) === 0) steps.push({ kind: "upload", arg: rng.below(files.length), waitS: 0 });
    if (rng.below(4) === 0) steps.push({ kind: "decide", arg: rng.below(4), waitS: 0 });
    if (rng.below(4) === 0) steps.push({ kind: "release", arg: 0, waitS: rng.below(100_000) });
  }
  for (let i = 0; i < files.length; i++) steps.push({ kind: "upload", arg: i, waitS: 0 });
  return { net, readers, files, evidence, steps };
}

export async function rogueCampaign(p: RoguePlan, db: Db, t: Transcript): Promise<string[]> {
  const w = p.net.world;
  const clock = { s: w.now() + 100_000 };
  const c = await Clearing.open({
    db, clearingKey: w.clearingKey, operatorKey: w.operatorKey, now: () => clock.s,
    riskHoldS: HOLD_S,
  });
  const problems: string[] = [];
  const check = async (after: string): Promise<void> => {
    const inv = await c.checkInvariants();
    if (!inv.ok) problems.push(`invariants broken after ${after}: ${JSON.stringify(inv)}`);
  };
  for (const i of [...w.issuers, w.revokedIssuer]) await c.registerIssuerKey(i.keyId, i.publicKey);
  for (let i = 0; i < p.readers; i++) {
    const spec: ReaderSpec = { ...p.net.readerSpec(i), amountMax: 100_000, driftToleranceS: 300 };
    await c.registerReader(spec);
  }
  await c.setRiskLimit("metro", RISK_LIMIT);
  const decide = async (release: boolean): Promise<boolean> => {
    const s = (await c.suspectReaders()).find((x) => x.status === "suspect");
    if (s === undefined) return false;
    const d = await c.decideReader(s.readerId, release ? "release" : "reject");
    t.add(d.ok ? { decision: d.decision, settled: d.report.settled } : { decision: d.error });
    await check("a decision");
    return true;
  };
  // A suspect reader's batches wait for the operator: its paid records must not change
  // until a decision (or a release) moves it.
  const frozen = async (): Promise<Map<string, number>> => {
    const out = new Map<string, number>();
    const suspect = (await c.suspectReaders()).filter((x) => x.status === "suspect");
    const pays = await c.payments({ limit: 100_000 });
    for (const s of suspect) {
      out.set(s.readerId, pays.filter((x) => x.readerId === s.readerId).length);
    }
    return out;
  };
  for (const s of p.steps) {
    clock.s += s.waitS;
    const before = s.kind === "upload" ? await frozen() : undefined;
    if (s.kind === "upload") {
      try {
        const r = await c.ingest(p.files[s.arg]!);
        t.add({
          batches: r.batches.map((b) => [b.status, b.reason, b.settled, b.rejectedRecords]),
          rejected: r.rejectedRecords.map((x) => [x.seq, x.reason]),
          doubleSpends: r.doubleSpends.length, evidence: r.evidence.map((e) => e.seq),
        });
      } catch (e) {
        problems.push(`ingest threw: ${String(e).slice(0, 200)}`);
      }
      await check("an upload");
      const pays = await c.payments({ limit: 100_000 });
      for (const [reader, n] of before ?? []) {
        const now = pays.filter((x) => x.readerId === reader).length;
        if (now !== n) problems.push(`suspect reader ${reader} paid ${now - n} more records`);
      }
    } else if (s.kind === "decide") {
      await decide(s.arg !== 0);
    } else {
      t.add({ released: await c.releaseRiskHolds() });
      await check("a risk-hold release");
    }
  }
  for (let k = 0; k < FINAL_RELEASES_MAX && (await decide(true)); k++);
  clock.s += 2 * HOLD_S;
  t.add({ released: await c.releaseRiskHolds() });
  await check("the last release");
  const pays = await c.payments({ limit: 100_000 });
  t.add(pays.map((x) => [x.walletId, x.counter, x.readerId, x.seq, x.amount, x.excess]).sort());
  for (const x of pays) {
    if (p.evidence.has(`${x.readerId}:${x.seq}`)) {
      problems.push(`paid a record no honest reader could accept: ${x.readerId}:${x.seq}`);
    }
  }
  const excess = new Map<string, number>();
  for (const x of pays) excess.set(x.walletId, (excess.get(x.walletId) ?? 0) + x.excess);
  for (const [wallet, e] of excess) {
    if (e > (p.readers - 1) * CAP) problems.push(`wallet ${wallet}: ${e} from issuer risk`);
  }
  const suspect = await c.suspectReaders();
  t.add(suspect.map((x) => [x.readerId, x.status, x.evidenceCount]));
  const rejected = new Set(suspect.filter((x) => x.status === "rejected").map((x) => x.readerId));
  for (const h of await c.heldBatches()) {
    if (!rejected.has(h.readerId)) problems.push(`held at the end: ${h.readerId} ${h.reason}`);
  }
  t.add((await c.accounts({})).map((a) => [a.id, a.balance]).sort());
  return problems;
}
