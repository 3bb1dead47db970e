// Ingest with signature checks in worker threads (issue 10, finding 9): the same report —
// every batch outcome, rejected record, double spend and evidence, in the same order — and
// the same balances as checking on the main thread, on both databases.
import assert from "node:assert/strict";
import { SimNetwork } from "../../host/clearing/simulate.ts";
import { Clearing } from "../../host/clearing/index.ts";
import type { Payment } from "../../host/ledger/format.ts";
import { craftBatch, craftPayment, craftWallet, SERVER_URL, checked } from "./clearing-support.ts";
import { test } from "node:test";
import { Ed25519Key } from "../../host/issuer/ed25519.ts";
import { packJobs, unpackJobs, type SigJob } from "../../host/clearing/verify-jobs.ts";
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
    if (i === 1)
      ps.push(
        craftPayment(ws[0]!, r.config.readerId, {
          counter: 1,
          amount: 100,
          cumulative: 100,
          time: t,
        }),
      );
    ws.forEach((w, k) => {
      for (let n = 1; n <= 4; n++) {
        const p = craftPayment(w, r.config.readerId, {
          counter: i * 4 + n,
          amount: 100,
          cumulative: 100 * (i * 4 + n),
          time: t + n,
        });
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

/** Many small batches — several verify chunks and two ingest groups per file — with a
 *  forged batch signature, a batch of an unregistered reader, and a gap that a later batch
 *  of the same upload fills (a held batch released and processed on the main thread). */
function bigUpload(net: SimNetwork): Uint8Array[] {
  const t = net.world.now();
  const ws = Array.from({ length: 60 }, () => craftWallet(net.world.issuers[0]!, t, 100_000));
  const stranger = new Ed25519Key(new Uint8Array(32).fill(9));
  return [0, 1, 2].map((i) => {
    const r = net.readers[Math.min(i, 1)]!;
    const key = i === 2 ? stranger : r.deviceKey;
    const id16 = new Uint8Array(16);
    id16.set(i === 2 ? new Uint8Array(8).fill(0xee) : r.config.readerId);
    const ps: Payment[] = [];
    ws.forEach((w, k) => {
      for (let n = 1; n <= 5; n++) {
        const counter = i * 5 + n;
        ps.push(
          craftPayment(w, id16.subarray(0, 8), {
            counter,
            amount: 10 + k,
            cumulative: (10 + k) * counter,
            time: t + n,
          }),
        );
      }
    });
    const batches: Uint8Array[] = [];
    let head: Uint8Array = new Uint8Array(32);
    for (let at = 0; at < ps.length; at += 1) {
      const b = craftBatch(key, id16, at + 1, head, ps.slice(at, at + 1));
      const last = b.bytes.length - 1;
      if (i === 0 && at === 7) b.bytes[last] = b.bytes[last]! ^ 1; // a forged batch signature
      batches.push(b.bytes);
      head = b.head;
    }
    // Reader 2's batch 20 comes after 21…40: held as a gap, then released by its own upload.
    if (i === 1) batches.splice(40, 0, ...batches.splice(20, 1));
    return Buffer.concat(batches);
  });
}

type Open = (workers: number) => Promise<{ c: Clearing; drop(): Promise<void> }>;

async function runWith(
  workers: number,
  open: Open,
  net: SimNetwork,
  files: Uint8Array[],
): Promise<{ reports: unknown[]; balances: unknown; inWorkers: number }> {
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

const opts = (workers: number): { verifyWorkers: number; verifyPoolRecordsMin: number } => ({
  verifyWorkers: workers,
  verifyPoolRecordsMin: 1,
});
const engines: [string, Open][] = [
  [
    "pglite",
    async (w) => ({
      c: await Clearing.open({ databaseUrl: null, ...opts(w) }),
      drop: async () => undefined,
    }),
  ],
];
const serverUrl = SERVER_URL;
if (serverUrl !== undefined && serverUrl !== "") {
  engines.push([
    "server",
    async (w) => {
      const name = `offtap_pool_${randomBytes(6).toString("hex")}`;
      const admin = new pg.Client({ connectionString: serverUrl });
      await admin.connect();
      await admin.query(`CREATE DATABASE ${name}`);
      const u = new URL(serverUrl);
      u.pathname = `/${name}`;
      const c = await Clearing.open({ databaseUrl: u.toString(), ...opts(w) });
      return {
        c,
        drop: async () => {
          await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
          await admin.end();
        },
      };
    },
  ]);
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
    const rep = main.reports as {
      settled: number;
      rejectedRecords: unknown[];
      doubleSpends: unknown[];
    }[];
    assert.ok(
      rep.reduce((n, r) => n + r.rejectedRecords.length, 0) >= 2,
      "the forged signatures are rejected",
    );
    assert.equal(rep[1]!.doubleSpends.length, 1);
  });
}

for (const [name, open] of engines) {
  const title = "many chunks and groups, forged and unknown batches, a released gap:";
  test(`${title} 2 workers equal the main thread [${name}]`, async () => {
    const net = new SimNetwork({ seed: "pool-big", readers: 2 });
    const files = bigUpload(net);
    const main = await runWith(0, open, net, files);
    const pooled = await runWith(2, open, net, files);
    const strip = (r: unknown): unknown => JSON.parse(JSON.stringify(r));
    assert.deepEqual(strip(pooled.reports), strip(main.reports));
    assert.deepEqual(pooled.balances, main.balances);
    // 300 wallet signatures and 60 certificates per registered reader, and their batch signatures.
    assert.ok(
      pooled.inWorkers >= 2 * 300 + 60,
      `signatures checked in workers: ${pooled.inWorkers}`,
    );
    const rep = main.reports as {
      batches: { status: string; reason: string }[];
      held: number;
      settled: number;
    }[];
    const outcomes = rep.flatMap((r) => r.batches);
    assert.ok(outcomes.some((b) => b.status === "rejected" && b.reason === "bad signature"));
    assert.ok(outcomes.some((b) => b.status === "rejected" && b.reason === "unknown reader"));
    // The batches after the gap are held, then released once batch 20 fills it: all settle.
    assert.ok(rep[1]!.held >= 20, `held: ${rep[1]!.held}`);
    assert.equal(rep[1]!.settled, 300);
  });
}

test("packed signature jobs unpack to the same jobs, and a cut buffer is refused", () => {
  const jobs: SigJob[] = [
    {
      publicKey: new Uint8Array(32).fill(1),
      signature: new Uint8Array(64).fill(2),
      message: new Uint8Array(0),
    },
    {
      publicKey: new Uint8Array(32).fill(3),
      signature: new Uint8Array(64).fill(4),
      message: new Uint8Array(70_000).fill(5),
      verifier: "host",
    },
  ];
  const back = unpackJobs(packJobs(jobs));
  assert.deepEqual(
    back.map((j) => [j.verifier, [...j.publicKey], [...j.signature], j.message.length]),
    [
      ["firmware", [...jobs[0]!.publicKey], [...jobs[0]!.signature], 0],
      ["host", [...jobs[1]!.publicKey], [...jobs[1]!.signature], 70_000],
    ],
  );
  assert.equal(
    back[1]!.message.every((x) => x === 5),
    true,
  );
  assert.throws(() => unpackJobs(packJobs(jobs).slice(0, 200)), RangeError);
  assert.throws(() => packJobs([{ ...jobs[0]!, publicKey: new Uint8Array(31) }]), RangeError);
});
