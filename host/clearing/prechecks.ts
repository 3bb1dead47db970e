// Signature checks done ahead of ingest's SQL (docs/CLEARING.md §9). An upload's batches
// go to the verify pool in chunks of up to VERIFY_CHUNK_RECORDS records — each batch's
// device signature (when its reader is registered) and its records' wallet and certificate
// signatures. Processing a batch waits only for its own chunk, so the SQL of the first
// batches starts after one chunk and the pool checks the following chunks meanwhile.
import type { Batch } from "../ledger/batch.ts";
import type { LedgerRecord } from "../ledger/format.ts";
import { toHex } from "../protocol/index.ts";
import {
  storeStatuses,
  type IssuerKeyInfo,
  type PreChecked,
  type RecordVerifier,
} from "./verify.ts";
import type { SigJob } from "./verify-jobs.ts";
import type { VerifyPool } from "./verify-pool.ts";

/** Records per chunk sent to the pool: each worker gets about 150 signatures (~15 ms of
 *  work), long enough to make a message's cost negligible, short enough that the SQL does
 *  not wait long for the first one. */
export const VERIFY_CHUNK_RECORDS = 256;
/** The first chunk of an upload is smaller, and each next one twice as big up to
 *  VERIFY_CHUNK_RECORDS: the SQL waits for the first chunk alone, so it starts after ~2 ms
 *  of signature checks instead of ~15 ms. */
export const VERIFY_CHUNK_FIRST_RECORDS = 32;

export class Prechecks {
  /** The statuses of every record checked ahead so far. */
  readonly results = new WeakMap<LedgerRecord, PreChecked>();
  /** Batch signatures checked ahead, with the device key (hex) they were checked under. */
  private readonly batchSigs = new WeakMap<Batch, { keyHex: string; ok: boolean }>();
  private readonly ready = new Map<Batch, Promise<unknown>>();
  private readonly queuedCerts = new Set<string>();
  private chunkRecords = VERIFY_CHUNK_FIRST_RECORDS;

  /** `deviceKeys`: reader id (hex) → device public key, of the readers registered now. */
  constructor(
    private readonly verifier: RecordVerifier,
    private readonly issuers: ReadonlyMap<number, IssuerKeyInfo>,
    private readonly deviceKeys: ReadonlyMap<string, Uint8Array>,
    private readonly pool: VerifyPool,
  ) {}

  /** Sends the batches' signatures to the pool, in chunks, in order. */
  queue(batches: readonly Batch[]): void {
    let chunk: Batch[] = [];
    let records = 0;
    for (const b of batches) {
      chunk.push(b);
      records += b.records.length;
      if (records >= this.chunkRecords) {
        this.send(chunk);
        chunk = [];
        records = 0;
        this.chunkRecords = Math.min(VERIFY_CHUNK_RECORDS, 2 * this.chunkRecords);
      }
    }
    if (chunk.length > 0) this.send(chunk);
  }

  private send(chunk: Batch[]): void {
    const signed: { b: Batch; keyHex: string }[] = [];
    const jobs: SigJob[] = [];
    for (const b of chunk) {
      const key = this.deviceKeys.get(toHex(b.readerId));
      if (key === undefined) continue; // an unknown reader: rejected (or registered) inline
      signed.push({ b, keyHex: toHex(key) });
      jobs.push({ publicKey: key, message: b.signed, signature: b.signature, verifier: "host" });
    }
    const records = this.verifier.jobsFor(
      chunk.flatMap((b) => b.records),
      this.issuers,
      this.queuedCerts,
    );
    jobs.push(...records.jobs);
    const done = this.pool.verifyAll(jobs).then((statuses) => {
      signed.forEach((s, i) =>
        this.batchSigs.set(s.b, { keyHex: s.keyHex, ok: statuses[i] === 0 }),
      );
      storeStatuses(records.slots, statuses, signed.length, this.results);
    });
    done.catch(() => undefined); // awaited by wait(); never an unhandled rejection meanwhile
    for (const b of chunk) this.ready.set(b, done);
  }

  /** Resolves once the batch's statuses are in (at once for a batch never queued: its
   *  signatures are checked on the calling thread). */
  async wait(b: Batch): Promise<void> {
    const done = this.ready.get(b);
    if (done === undefined) return;
    this.ready.delete(b);
    await done;
  }

  /** Whether the batch's device signature verified under `keyHex`; undefined when it was
   *  not checked ahead under that key. */
  batchSignature(b: Batch, keyHex: string): boolean | undefined {
    const s = this.batchSigs.get(b);
    return s !== undefined && s.keyHex === keyHex ? s.ok : undefined;
  }
}
