// Campaign "readers": honest readers running the real firmware, wallets that misbehave now
// and then, and everything between them and clearing out of order — exports from the
// acknowledged point or earlier, uploads shuffled, split into single batches, repeated,
// corrupted by one bit, wallets denied, acknowledgements and deny lists installed now and
// then — with transient read flips, bursts of bit rot in the readers' ledgers and power
// cuts inside taps, acknowledgements and deny-list installs. At the end every reader's
// records are delivered in order. Checked: every record a reader wrote is, exactly once, a
// payment, a cross-reader double spend or a gap entry (its record unreadable), and every
// accepted tap has its record; nothing is left held; no reader turns suspect; every reader
// takes its acknowledgement; balances hold after every upload.
import { SimNetwork } from "../../../host/clearing/simulate.ts";
import { Clearing, type Db, type IngestReport } from "../../../host/clearing/index.ts";
import { readerIdHex } from "../../../host/clearing/registry.ts";
import { GAP_REASON_BASE } from "../../../host/clearing/gaps.ts";
import { splitBatches } from "../../../host/ledger/batch.ts";
import { CERT_KINDS, MISBEHAVIOURS } from "../../../host/sim/index.ts";
import { Rng } from "../../../host/sim/rng.ts";
import { PARTITION_LEDGER } from "../../../host/sim/abi.ts";
import { CUT_STYLES } from "../../../host/sim/flash-faults.ts";
import { PowerCut } from "../../../host/sim/flash.ts";
import { encodeReaderConfig } from "../../../host/sim/config.ts";
import type { Transcript } from "./engines.ts";

export interface ReadersOptions {
  /** Probability that a flash read returns one flipped bit (the stored bytes unharmed). */
  readFlipRate: number;
  /** Whether bursts of bit rot (1–8 bits within 16 bytes) strike the ledgers' first
   *  ROT_SPAN_BYTES, where the records are. */
  rot: boolean;
  /** Whether the power goes, now and then, inside a step that writes flash. */
  cuts: boolean;
}

/** Program or erase within a step where an armed cut strikes: 1 … CUT_OPS_MAX. */
const CUT_OPS_MAX = 8;

/** Certificate kinds drawn for new wallets: all but "denied", which has the simulated
 *  world sign and install deny lists of its own. Clearing is the only issuer of deny lists
 *  here (the operator denies wallets through it), as in the field: its rule of §7a assumes
 *  every list a reader holds is one of its own. */
const FAULTY_CERTS = CERT_KINDS.filter((k) => k !== "denied");
const ROT_SPAN_BYTES = 8_192;
/** A burst stays inside one aligned block of this size: one header copy, one mark copy or
 *  one record — a single fault as docs/LEDGER.md counts them. (Bursts across both header
 *  copies of a sector are two faults: they lose the sector's records, §5.1.) */
const ROT_BURST_BYTES = 16;

export async function readersCampaign(
  seed: number,
  db: Db,
  o: ReadersOptions,
  t: Transcript,
): Promise<string[]> {
  const rng = Rng.from(`clearing-scan-${seed}`, "readers");
  const readers = 2 + rng.below(3);
  // Deny lists that go stale within the campaign (or in a week), and reader clocks apart
  // by up to half the drift tolerance: honest readers must still never look dishonest.
  const denyMaxAgeS = [600, 1_800, 7 * 86_400][rng.below(3)]!;
  const net = new SimNetwork({ seed: `clearing-scan-${seed}`, readers, denyMaxAgeS });
  const w = net.world;
  for (const r of net.readers) {
    r.board.clock.advanceMs(rng.below(500 * r.config.driftToleranceS));
  }
  // Clearing on the readers' clock: its deny lists' issue times and the deny-list rule of
  // §7a (a wallet listed longer ago than a reader's maximum list age) meet the taps' times.
  const c = await Clearing.open({
    db, clearingKey: w.clearingKey, operatorKey: w.operatorKey, now: () => w.now(),
  });
  const problems: string[] = [];
  await net.registerWith(c);
  if (o.readFlipRate > 0) {
    for (const r of net.readers) r.board.flash.setFaults({ readFlipRate: o.readFlipRate }, seed);
  }
  const ids = net.readers.map((r) => readerIdHex(r.config.readerId));
  const gaps = net.readers.map(() => new Set<number>());
  const accepted = net.readers.map(() => 0);
  const upload = async (f: Uint8Array): Promise<void> => {
    let r: IngestReport;
    try {
      r = await c.ingest(f);
    } catch (e) {
      if (!(e instanceof RangeError)) problems.push(`ingest threw: ${String(e)}`);
      t.add({ refused: String(e).slice(0, 80) });
      return;
    }
    for (const x of r.rejectedRecords) {
      if (x.reason <= GAP_REASON_BASE) gaps[ids.indexOf(x.readerId)]!.add(x.seq);
    }
    t.add({
      batches: r.batches.map((b) => [b.status, b.reason, b.settled, b.rejectedRecords]),
      rejected: r.rejectedRecords.map((x) => [x.seq, x.reason]),
      doubleSpends: r.doubleSpends.length, evidence: r.evidence.length,
    });
    const inv = await c.checkInvariants();
    if (!inv.ok) problems.push(`invariants broken: ${JSON.stringify(inv)}`);
  };
  /** Runs a step that may write reader i's flash; now and then the power goes inside it,
   *  and the reader boots again (the step's result is lost, as it would be). */
  const powered = <T>(i: number, step: () => T): T | undefined => {
    const flash = net.readers[i]!.board.flash;
    const armed = o.cuts && rng.below(5) === 0;
    const plan = { readFlipRate: o.readFlipRate };
    if (armed) {
      const style = CUT_STYLES[rng.below(CUT_STYLES.length)]!;
      const at = flash.ops + 1 + rng.below(CUT_OPS_MAX);
      flash.setFaults({ ...plan, cutAtOp: at, cutStyle: style });
    }
    try {
      return step();
    } catch (e) {
      if (!(e instanceof PowerCut)) throw e;
      flash.setFaults(plan);
      const r = net.readers[i]!;
      r.reader.boot();
      const st = r.reader.init(encodeReaderConfig(r.config));
      if (st !== 0) problems.push(`reader ${i} did not boot after a power cut: status ${st}`);
      return undefined;
    } finally {
      if (armed && !flash.poweredOff) flash.setFaults(plan);
    }
  };
  const wallets = Array.from({ length: 3 + rng.below(6) }, () => w.createWallet());
  const outbox: Uint8Array[] = [];
  const steps = 60 + rng.below(120);
  for (let s = 0; s < steps; s++) {
    const x = rng.below(100);
    const i = rng.below(readers);
    if (x < 50) {
      const kind = rng.below(3) === 0 ? FAULTY_CERTS[rng.below(FAULTY_CERTS.length)]! : "honest";
      const wallet = rng.below(4) === 0
        ? w.createWallet({ kind })
        : wallets[rng.below(wallets.length)]!;
      if (rng.below(4) === 0) wallet.once(MISBEHAVIOURS[rng.below(MISBEHAVIOURS.length)]!);
      if (powered(i, () => net.tap(i, wallet))?.accepted === true) accepted[i]!++;
      net.idle(1_000 + rng.below(60_000));
    } else if (x < 65) {
      // From the first unacknowledged record, or from an earlier one (a re-export).
      const from = rng.below(3) === 0 ? 1 + rng.below(40) : 0;
      try {
        const f = net.exportBatches(i, from);
        if (f.length > 0) outbox.push(f);
      } catch {
        // `from` at or below the acknowledged sequence: the reader refuses, as it must
      }
    } else if (x < 85 && outbox.length > 0) {
      const k = rng.below(outbox.length);
      let f = outbox[k]!;
      if (rng.below(3) !== 0) outbox.splice(k, 1);
      const mode = rng.below(4);
      const batches = splitBatches(f);
      if (mode === 1 && batches.length > 1) {
        const b = batches[rng.below(batches.length)]!;
        f = Uint8Array.from(Buffer.concat([b.signed, b.signature]));
      } else if (mode === 2) {
        f = Uint8Array.from(f);
        f[rng.below(f.length)]! ^= 1 << rng.below(8);
      }
      await upload(f);
    } else if (x < 87 && o.rot) {
      const flash = net.readers[i]!.board.flash;
      const span = Math.min(net.readers[i]!.config.geometry.ledgerBytes, ROT_SPAN_BYTES);
      const at = ROT_BURST_BYTES * rng.below(span / ROT_BURST_BYTES);
      for (let n = 1 + rng.below(8); n > 0; n--) {
        flash.rot(PARTITION_LEDGER, at + rng.below(ROT_BURST_BYTES), rng.below(8));
      }
    } else if (x < 89) {
      // The operator denies a wallet; readers learn it from the lists installed later.
      await c.denyWallet(wallets[rng.below(wallets.length)]!.walletIdHex, "scan");
    } else if (x < 95) {
      const ack = await c.acknowledgement(ids[i]!);
      const st = ack === undefined ? 0 : powered(i, () => net.acknowledge(i, ack));
      if (st !== undefined && st !== 0) {
        problems.push(`reader ${i} refused the acknowledgement: status ${st}`);
      }
    } else {
      // Version 1 is the simulated readers' start-up list: clearing's lists come after it.
      const image = (await c.denyList({ minVersion: 2 })).image;
      powered(i, () => net.installDenyImage(net.readers[i]!, image));
    }
  }
  for (let i = 0; i < readers; i++) {
    await upload(net.exportBatches(i));
    const ack = await c.acknowledgement(ids[i]!);
    const st = ack === undefined ? 0 : net.acknowledge(i, ack);
    if (st !== 0) problems.push(`reader ${i} refused the last acknowledgement: status ${st}`);
  }
  const held = await c.heldBatches();
  if (held.length > 0) {
    const why = held.map((h) => h.reason).join("; ");
    problems.push(`${held.length} batches held at the end: ${why}`);
  }
  const pays = await c.payments({ limit: 100_000 });
  const conflicts = await c.conflicts();
  t.add(pays.map((p) => [p.walletId, p.counter, p.readerId, p.seq, p.amount, p.status]).sort());
  t.add(conflicts.map((x) => [x.walletId, x.counter, x.kind, x.readerId, x.seq]).sort());
  const rejected = await rejectedSeqs(c.db);
  for (let i = 0; i < readers; i++) {
    const paid = new Set(pays.filter((p) => p.readerId === ids[i]).map((p) => p.seq));
    const lost = new Set(conflicts.filter((x) => x.readerId === ids[i]).map((x) => x.seq));
    for (const seq of paid) lost.delete(seq);
    const gone = rejected.get(ids[i]!) ?? new Set<number>();
    const written = net.readers[i]!.reader.exports.ledgerNextSeq() - 1;
    let missing = 0;
    let twice = 0;
    for (let seq = 1; seq <= written; seq++) {
      const n = (paid.has(seq) ? 1 : 0) + (lost.has(seq) ? 1 : 0) + (gone.has(seq) ? 1 : 0);
      if (n === 0) missing++;
      if (n > 1) twice++;
    }
    if (missing > 0 || twice > 0) {
      problems.push(`reader ${i}: of ${written} records, ${missing} missing at clearing and `
        + `${twice} counted twice`);
    }
    if (accepted[i]! > written) {
      problems.push(`reader ${i}: ${accepted[i]} taps accepted, ${written} records written`);
    }
    for (const seq of gone) {
      if (!gaps[i]!.has(seq)) problems.push(`reader ${i}: honest record ${seq} rejected`);
    }
  }
  if (new Set(pays.map((p) => `${p.walletId}:${p.counter}`)).size !== pays.length) {
    problems.push("a wallet counter paid twice");
  }
  const suspect = await c.suspectReaders();
  if (suspect.length > 0) problems.push(`honest readers turned suspect: ${suspect.length}`);
  return problems;
}

/** reader id → the sequences clearing keeps as rejected records (gap entries included). */
async function rejectedSeqs(db: Db): Promise<Map<string, Set<number>>> {
  const rows = await db.query("SELECT reader_id, seq FROM rejected_records");
  const out = new Map<string, Set<number>>();
  for (const r of rows) {
    const id = String(r["reader_id"]);
    out.set(id, (out.get(id) ?? new Set()).add(Number(r["seq"])));
  }
  return out;
}
