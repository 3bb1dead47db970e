// Ingest with signature checks in worker threads (issue 10, finding 9): the same report —
// every batch outcome, rejected record, double spend and evidence, in the same order — and
// the same balances as checking on the main thread, on both databases.
import assert from "node:assert/strict";
import { SimNetwork } from "../../host/clearing/simulate.ts";
import { Clearing } from "../../host/clearing/index.ts";
import type { Payment } from "../../host/ledger/format.ts";
import {
  craftBatch, craftPayment, craftWallet, SERVER_URL, checked,
} from "./clearing-support.ts";
import { test } from "node:test";
import pg from "pg";
import { randomBytes } from "node:crypto";

/** Two readers, honest taps, a cross-reader double spend, forged signatures, in many batches. */
function upload(net: SimNetwork): Uint8Array[] {
  const t = net.world.now();
  const files: Uint8Array[] = [];
  const ws = Array.from({ length: 12 }, () => craftWallet(net.world.issuers[0]!, t, 100_000));
  for (const i of [0, 1]) {
    const r = net.readers[i]!;
    const id16 = new Uint8Array(16);
    id16.set(r.config.readerId);
    const ps: Payment[] = [];
    // Reader 2 first takes counter 1 of wallet 0, already spent at reader 1: a double spend.
    if (i === 1) ps.push(craftPayment(ws[0]!, r.config.readerId, { counter: 1, amount: 100, cumulative: 100, time: t }));
    ws.forEach((w, k) => {
      for (let n = 1; n <= 4; n++) {
        const p = craftPayment(w, r.config.readerId, { counter: i * 4 + n, amount: 100, cumulative: 100 * (i * 4 + n), time: t + n });
        if (k === 3 && n === 2) p.body[100] = p.body[100]! ^ 1; // a broken wallet signature
        ps.push(p);
      }
    });
    let head: Uint8Array = new Uint8Array(32);
    const parts: Uint8Array[] = [];
    for (let at = 0; at < ps.length; at += 5) {
      const b = craftBatch(r.deviceKey, id16, at + 1, head, ps.slice(at, at + 5));
      parts.push(b.bytes);
      head = b.head;
    }
    files.push(Buffer.concat(parts));
  }
  return files;
}

type Open = (workers: number) => Promise<{ c: Clearing; drop(): Promise<void> }>;

async function runWith(workers: number, open: Open, net: SimNetwork, files: Uint8Array[]):
  Promise<{ reports: unknown[]; balances: unknown; inWorkers: number }> {
  const { c: c0, drop } = await open(workers);
  const c = checked(c0);
  try {
    for (const i of net.world.issuers) await c.registerIssuerKey(i.keyId, i.publicKey);
    for (const i of [0, 1]) await c.registerReader(net.readerSpec(i));
    const reports = [];
    for (const f of files) reports.push(await c.ingest(f));
    const balances = (await c.accounts()).map((a) => [a.id, a.balance]);
    return { reports, balances, inWorkers: c0.signaturesCheckedInWorkers };
  } finally {
    await c0.close();
    await drop();
  }
}

const opts = (workers: number): { verifyWorkers: number; verifyPoolRecordsMin: number } =>
  ({ verifyWorkers: workers, verifyPoolRecordsMin: 1 });
const engines: [string, Open][] = [
  ["pglite", async (w) => ({
    c: await Clearing.open({ databaseUrl: null, ...opts(w) }), drop: async () => undefined,
  })],
];
const serverUrl = SERVER_URL;
if (serverUrl !== undefined && serverUrl !== "") {
  engines.push(["server", async (w) => {
    const name = `offtap_pool_${randomBytes(6).toString("hex")}`;
    const admin = new pg.Client({ connectionString: serverUrl });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name}`);
    const u = new URL(serverUrl);
    u.pathname = `/${name}`;
    const c = await Clearing.open({ databaseUrl: u.toString(), ...opts(w) });
    return {
      c, drop: async () => {
        await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
        await admin.end();
      },
    };
  }]);
}

for (const [name, open] of engines) {
  test(`ingest with 2 verify workers equals the main thread, in order [${name}]`, async () => {
    const net = new SimNetwork({ seed: "pool", readers: 2 });
    const files = upload(net);
    const main = await runWith(0, open, net, files);
    const pooled = await runWith(2, open, net, files);
    const strip = (r: unknown): unknown => JSON.parse(JSON.stringify(r));
    assert.deepEqual(strip(pooled.reports), strip(main.reports));
    assert.deepEqual(pooled.balances, main.balances);
    assert.equal(main.inWorkers, 0);
    assert.ok(pooled.inWorkers >= 96, `signatures checked in workers: ${pooled.inWorkers}`);
    const rep = main.reports as { settled: number; rejectedRecords: unknown[]; doubleSpends: unknown[] }[];
    assert.ok(rep.reduce((n, r) => n + r.rejectedRecords.length, 0) >= 2, "the forged signatures are rejected");
    assert.equal(rep[1]!.doubleSpends.length, 1);
  });
}
