// Campaign "concurrent" (PostgreSQL only): three clearing instances on one database — as
// three processes behind a load balancer would be, one of them with a verify pool — ingest
// every upload of a round at the same time: whole exports, each batch alone again, and
// earlier exports that overlap later ones. Readers take the acknowledgement at random
// between rounds. Checked: every accepted tap is paid or a double spend exactly once,
// nothing is left held, balances hold.
import { SimNetwork } from "../../../host/clearing/simulate.ts";
import { Clearing, openDb, type Db } from "../../../host/clearing/index.ts";
import { readerIdHex } from "../../../host/clearing/registry.ts";
import { splitBatches } from "../../../host/ledger/batch.ts";
import { Rng } from "../../../host/sim/rng.ts";
import type { Transcript } from "./engines.ts";

const INSTANCES = 3;
const ROUNDS = 4;

export async function concurrentCampaign(
  seed: number,
  db: Db,
  url: string,
  t: Transcript,
): Promise<string[]> {
  const rng = Rng.from(`clearing-scan-${seed}`, "concurrent");
  const readers = 2 + rng.below(3);
  const net = new SimNetwork({ seed: `clearing-scan-concurrent-${seed}`, readers });
  const w = net.world;
  const keys = { clearingKey: w.clearingKey, operatorKey: w.operatorKey };
  const c = await Clearing.open({ db, ...keys });
  const others: Clearing[] = [];
  const problems: string[] = [];
  try {
    for (let k = 1; k < INSTANCES; k++) {
      const pool = k === INSTANCES - 1 ? { verifyWorkers: 1, verifyPoolRecordsMin: 1 } : {};
      const other = await openDb({ databaseUrl: url });
      others.push(await Clearing.open({ db: other, ...keys, ...pool }));
    }
    const all = [c, ...others];
    await net.registerWith(c);
    const ids = net.readers.map((r) => readerIdHex(r.config.readerId));
    const wallets = Array.from({ length: 4 + rng.below(6) }, () => w.createWallet());
    const accepted = net.readers.map(() => 0);
    for (let round = 0; round < ROUNDS; round++) {
      const files: Uint8Array[] = [];
      for (let s = 20 + rng.below(40); s > 0; s--) {
        const i = rng.below(readers);
        if (net.tap(i, wallets[rng.below(wallets.length)]!).accepted) accepted[i]!++;
        net.idle(1_000 + rng.below(30_000));
        if (rng.below(6) === 0) {
          const f = net.exportBatches(i);
          if (f.length > 0) files.push(f);
        }
      }
      for (let i = 0; i < readers; i++) {
        const f = net.exportBatches(i);
        if (f.length === 0) continue;
        files.push(f);
        for (const b of splitBatches(f)) {
          files.push(Uint8Array.from(Buffer.concat([b.signed, b.signature])));
        }
      }
      for (let i = files.length - 1; i > 0; i--) {
        const j = rng.below(i + 1);
        [files[i], files[j]] = [files[j]!, files[i]!];
      }
      await Promise.all(files.map(async (f, k) => {
        try {
          await all[k % all.length]!.ingest(f);
        } catch (e) {
          problems.push(`ingest threw: ${String(e).slice(0, 200)}`);
        }
      }));
      const inv = await c.checkInvariants();
      if (!inv.ok) problems.push(`invariants broken after round ${round}: ${JSON.stringify(inv)}`);
      for (let i = 0; i < readers; i++) {
        const ack = await c.acknowledgement(ids[i]!);
        if (ack === undefined || rng.below(2) === 0) continue;
        const st = net.acknowledge(i, ack);
        if (st !== 0) problems.push(`reader ${i} refused the acknowledgement: status ${st}`);
      }
    }
    for (let i = 0; i < readers; i++) await c.ingest(net.exportBatches(i));
    const pays = await c.payments({ limit: 100_000 });
    const conflicts = await c.conflicts();
    t.add(pays.length);
    for (let i = 0; i < readers; i++) {
      const paid = new Set(pays.filter((p) => p.readerId === ids[i]).map((p) => p.seq));
      const lost = new Set(conflicts.filter((x) => x.readerId === ids[i]).map((x) => x.seq));
      for (const seq of paid) lost.delete(seq);
      if (paid.size + lost.size !== accepted[i]) {
        problems.push(`reader ${i}: ${accepted[i]} taps accepted, ${paid.size} paid, `
          + `${lost.size} double spends`);
      }
    }
    if (new Set(pays.map((p) => `${p.walletId}:${p.counter}`)).size !== pays.length) {
      problems.push("a wallet counter paid twice");
    }
    const held = await c.heldBatches();
    if (held.length > 0) problems.push(`${held.length} batches held at the end`);
  } finally {
    for (const o of others) await o.close();
  }
  return problems;
}
