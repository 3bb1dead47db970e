// The clearing bench's upload (tools/bench/clearing.ts): valid payments of many wallets,
// spread over a few readers, in signed batch files (one per reader), and its databases.
import { randomBytes } from "node:crypto";
import pg from "pg";
import { craftBatch, craftPayment, craftWallet } from "../../host/clearing/craft.ts";
import { Ed25519Key } from "../../host/issuer/ed25519.ts";
import { Issuer } from "../../host/issuer/issuer.ts";
import type { Clearing } from "../../host/clearing/index.ts";

const RECORDS_PER_BATCH = 10;
const READERS = 4;
const PAYMENTS_PER_WALLET = 5;
const AMOUNT_MINOR = 250;

export interface Workload {
  issuer: Issuer;
  readers: { key: Ed25519Key; id8: Uint8Array }[];
  files: Uint8Array[];
  payments: number;
}

/** Batch files (one per reader) holding `payments` valid payments: each wallet pays
 *  PAYMENTS_PER_WALLET times, its taps spread round-robin over the readers. `readerBase`
 *  gives other readers (a warm-up upload beside the measured one). */
export function workload(payments: number, readerBase = 0): Workload {
  const issuer = new Issuer(1, new Ed25519Key(new Uint8Array(32).fill(7)));
  const readers = Array.from({ length: READERS }, (_, i) => ({
    key: new Ed25519Key(new Uint8Array(32).fill(20 + readerBase + i)),
    id8: new Uint8Array(8).fill(readerBase + i + 1),
  }));
  const now = 1_795_305_600;
  const perReader: ReturnType<typeof craftPayment>[][] = readers.map(() => []);
  for (let n = 0; n < payments;) {
    const w = craftWallet(issuer, now, 100_000);
    for (let k = 1; k <= PAYMENTS_PER_WALLET && n < payments; k++, n++) {
      const r = n % READERS;
      perReader[r]!.push(
        craftPayment(w, readers[r]!.id8, {
          counter: k,
          amount: AMOUNT_MINOR,
          cumulative: AMOUNT_MINOR * k,
          time: now + n,
        }),
      );
    }
  }
  const files = readers.map((r, i) => {
    const parts: Uint8Array[] = [];
    let head: Uint8Array = new Uint8Array(32);
    const ps = perReader[i]!;
    const id16 = new Uint8Array(16);
    id16.set(r.id8);
    for (let at = 0; at < ps.length; at += RECORDS_PER_BATCH) {
      const b = craftBatch(r.key, id16, at + 1, head, ps.slice(at, at + RECORDS_PER_BATCH));
      parts.push(b.bytes);
      head = b.head;
    }
    return Buffer.concat(parts);
  });
  return { issuer, readers, files, payments };
}

/** Runs fn on a database of its own on the server at `url`, dropped afterwards: the bench
 *  never touches existing data. */
export async function withBenchDatabase<T>(
  url: string,
  fn: (dbUrl: string) => Promise<T>,
): Promise<T> {
  const name = `offtap_bench_${randomBytes(6).toString("hex")}`;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
    const u = new URL(url);
    u.pathname = `/${name}`;
    return await fn(u.toString());
  } finally {
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
  }
}

/** Registers the workload's issuer key and readers. */
export async function registerAll(c: Clearing, w: Workload): Promise<void> {
  await c.registerIssuerKey(1, w.issuer.publicKey);
  for (const r of w.readers) {
    const spec = { readerId: r.id8, devicePublicKey: r.key.publicKey, operatorId: "bench" };
    await c.registerReader(spec);
  }
}
