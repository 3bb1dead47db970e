// Reader uploads of valid payments, signed by hand-made keys: the workload of the
// durability tests and benchmark (one batch per upload, readers taking turns).
import { Ed25519Key } from "../issuer/ed25519.ts";
import { Issuer } from "../issuer/issuer.ts";
import type { Payment } from "../ledger/format.ts";
import { craftBatch, craftPayment, craftWallet } from "./craft.ts";

/** Readers and batches are numbered in one byte of their ids and key seeds. */
export const CRAFT_READERS_MAX = 200;
const ISSUER_SEED_BYTE = 7;
const READER_SEED_BYTE0 = 20;
const PAYMENTS_PER_WALLET = 5;
const AMOUNT_MINOR = 250;
const NOW_UNIX = 1_795_305_600;

export interface CraftedReader { key: Ed25519Key; id8: Uint8Array; id16: Uint8Array; hex: string }
export interface CraftedUpload {
  reader: number;
  firstSeq: number;
  lastSeq: number;
  bytes: Uint8Array;
}
export interface CraftedUploads {
  issuer: Issuer;
  readers: CraftedReader[];
  /** In upload order: reader 0's first batch, reader 1's first batch, … */
  uploads: CraftedUpload[];
  payments: number;
}

function reader(i: number): CraftedReader {
  const id8 = new Uint8Array(8).fill(i + 1);
  const id16 = new Uint8Array(16);
  id16.set(id8);
  const key = new Ed25519Key(new Uint8Array(32).fill(READER_SEED_BYTE0 + i));
  return { key, id8, id16, hex: Buffer.from(id16).toString("hex") };
}

/** `payments` payments of 2.50 spread over `readerCount` readers, `perBatch` to a batch.
 *  Readers are numbered from `firstReader`, so several workloads can share a database. */
export function craftUploads(
  payments: number, readerCount: number, perBatch: number, firstReader = 0,
): CraftedUploads {
  if (readerCount < 1 || firstReader < 0 || firstReader + readerCount > CRAFT_READERS_MAX) {
    throw new RangeError(`readers ${firstReader}…${firstReader + readerCount - 1} out of range`);
  }
  const issuer = new Issuer(1, new Ed25519Key(new Uint8Array(32).fill(ISSUER_SEED_BYTE)));
  const readers = Array.from({ length: readerCount }, (_, i) => reader(firstReader + i));
  const perReader: Payment[][] = readers.map(() => []);
  for (let n = 0; n < payments;) {
    const w = craftWallet(issuer, NOW_UNIX, 1_000_000);
    for (let k = 1; k <= PAYMENTS_PER_WALLET && n < payments; k++, n++) {
      const r = n % readerCount;
      const cumulative = AMOUNT_MINOR * k;
      const spend = { counter: k, amount: AMOUNT_MINOR, cumulative, time: NOW_UNIX + n };
      perReader[r]!.push(craftPayment(w, readers[r]!.id8, spend));
    }
  }
  const queues = readers.map((r, i) => {
    const out: CraftedUpload[] = [];
    let head: Uint8Array = new Uint8Array(32);
    const ps = perReader[i]!;
    for (let at = 0; at < ps.length; at += perBatch) {
      const records = ps.slice(at, at + perBatch);
      const b = craftBatch(r.key, r.id16, at + 1, head, records);
      out.push({ reader: i, firstSeq: at + 1, lastSeq: at + records.length, bytes: b.bytes });
      head = b.head;
    }
    return out;
  });
  const uploads: CraftedUpload[] = [];
  for (let round = 0; queues.some((q) => q.length > round); round++) {
    for (const q of queues) if (q[round] !== undefined) uploads.push(q[round]!);
  }
  return { issuer, readers, uploads, payments };
}
