// Ingest (docs/CLEARING.md §4–§7): batches are placed against each reader's chain,
// their records re-verified, and the verified payments settled in bulk — one transaction
// per group of batches, serialized by an advisory lock so settlement is exactly once.
import { createHash } from "node:crypto";
import { splitBatches, verifyBatch, type Batch } from "../ledger/batch.ts";
import { toHex, fromHex, reasonName } from "../protocol/index.ts";
import { num, type Db, type Tx } from "./db.ts";
import { registerReaderTx, readerIdHex, getReader } from "./registry.ts";
import { place, type Placement } from "./sequence.ts";
import type { IssuerKeyInfo, RecordVerifier, VerifiedRecord } from "./verify.ts";
import { settle, type Candidate } from "./settle.ts";
import type { BatchOutcome, IngestOptions, IngestReport, Reader } from "./types.ts";

/** Batches per transaction: bounds the transaction's size while keeping inserts bulk. */
export const INGEST_BATCHES_PER_TX = 200;
/** Held batches released by one upload (each is re-placed once per pass). */
export const HELD_RELEASE_MAX = 10_000;
/** Every ingest holds this transaction-scoped advisory lock: settlement is serialized. */
export const INGEST_LOCK_KEY = 0x6f66_696e; // "ofin"

interface Ctx {
  tx: Tx;
  verifier: RecordVerifier;
  issuers: Map<number, IssuerKeyInfo>;
  readers: Map<string, Reader>;
  links: Map<string, string>; // `${reader}:${seq}` → link, for this transaction
  newLinks: { reader: string; seq: number; link: string }[];
  candidates: Candidate[];
  report: IngestReport;
  o: IngestOptions;
  touched: Set<string>;
  batchRows: { reader: string; first: number; last: number; sha: string; status: string; reason: string }[];
}

const batchBytes = (b: Batch): Uint8Array => { const out = new Uint8Array(b.signed.length + 64); out.set(b.signed); out.set(b.signature, b.signed.length); return out; };
const sha = (b: Uint8Array): string => createHash("sha256").update(b).digest("hex");

function emptyReport(): IngestReport {
  return { batches: [], settled: 0, settledAmount: 0, duplicates: 0, rejectedRecords: [], held: 0, doubleSpends: [], newlyDenied: [] };
}

async function loadIssuers(tx: Tx): Promise<Map<number, IssuerKeyInfo>> {
  const rows = await tx.query("SELECT key_id, public_key, revoked_at FROM issuer_keys");
  return new Map(rows.map((r) => [num(r["key_id"]), { publicKey: fromHex(String(r["public_key"])), revokedAt: r["revoked_at"] === null ? null : num(r["revoked_at"]) }]));
}

async function readerFor(c: Ctx, idHex: string): Promise<Reader | undefined> {
  const known = c.readers.get(idHex) ?? (await getReader(c.tx, idHex));
  if (known) { c.readers.set(idHex, known); return known; }
  const spec = c.o.autoRegister?.(idHex);
  if (spec === undefined) return undefined;
  const r = await registerReaderTx(c.tx, spec);
  c.readers.set(idHex, r);
  return r;
}

async function linkAt(c: Ctx, reader: string, seq: number): Promise<string | undefined> {
  const mine = c.links.get(`${reader}:${seq}`);
  if (mine !== undefined) return mine;
  const rows = await c.tx.query("SELECT link FROM reader_links WHERE reader_id = $1 AND seq = $2", [reader, seq]);
  return rows[0] === undefined ? undefined : String(rows[0]["link"]);
}

async function record(c: Ctx, b: Batch, out: BatchOutcome, bytes: Uint8Array): Promise<void> {
  c.report.batches.push(out);
  c.batchRows.push({ reader: out.readerId, first: b.firstSeq, last: b.lastSeq, sha: sha(bytes), status: out.status, reason: out.reason });
  if (out.status === "held") {
    c.report.held++;
    await c.tx.query(
      `INSERT INTO held_batches (reader_id, first_seq, last_seq, sha, reason, bytes) VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT DO NOTHING`,
      [out.readerId, b.firstSeq, b.lastSeq, sha(bytes), out.reason, Buffer.from(bytes) as unknown as string],
    );
  }
}

/** Places one batch, verifies its new records, queues them for settlement. */
async function processBatch(c: Ctx, b: Batch): Promise<void> {
  const idHex = toHex(b.readerId);
  const bytes = batchBytes(b);
  const out: BatchOutcome = { readerId: idHex, firstSeq: b.firstSeq, lastSeq: b.lastSeq, status: "accepted", reason: "", settled: 0, rejectedRecords: 0, duplicates: 0 };
  const reader = await readerFor(c, idHex);
  if (reader === undefined) return record(c, b, { ...out, status: "rejected", reason: "unknown reader" }, bytes);
  const check = verifyBatch(b, fromHex(reader.devicePublicKey));
  if (!check.signatureOk) return record(c, b, { ...out, status: "rejected", reason: "bad signature" }, bytes);
  if (!check.chainOk || !check.sequenceOk) return record(c, b, { ...out, status: "rejected", reason: check.problems[0] ?? "bad chain" }, bytes);
  const known = b.firstSeq <= reader.lastSeq ? await linkAt(c, idHex, Math.min(b.lastSeq, reader.lastSeq)) : undefined;
  const p: Placement = place(b, reader, () => known);
  if (p.kind === "duplicate") return record(c, b, { ...out, status: "duplicate", reason: "already processed" }, bytes);
  if (p.kind === "gap") return record(c, b, { ...out, status: "held", reason: `gap: expected sequence ${reader.lastSeq + 1}` }, bytes);
  if (p.kind === "fork") return record(c, b, { ...out, status: "held", reason: `fork: ${p.why}` }, bytes);
  for (const r of b.records.slice(p.fromIndex)) {
    const v = c.verifier.check(r, { readerIdHex: idHex, currency: reader.currency, amountMin: reader.amountMin, amountMax: reader.amountMax, driftToleranceS: reader.driftToleranceS }, c.issuers);
    c.links.set(`${idHex}:${r.seq}`, toHex(r.link));
    c.newLinks.push({ reader: idHex, seq: r.seq, link: toHex(r.link) });
    if (v.ok) c.candidates.push({ record: v as VerifiedRecord, reader, seq: r.seq, outcome: out });
    else {
      out.rejectedRecords++;
      c.report.rejectedRecords.push({ readerId: idHex, seq: r.seq, reason: v.reason, reasonName: reasonName(v.reason) });
      // The amount goes in as its exact decimal text: a u64 the reader signed (even ≥ 2^63)
      // must be storable, or one bad record would roll back the whole upload.
      await c.tx.query(
        `INSERT INTO rejected_records (reader_id, seq, reason, wallet_id, counter, amount, content)
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING`,
        [idHex, r.seq, v.reason, toHex(r.walletId), r.counter, r.amount.toString(),
          Buffer.from(r.content) as unknown as string],
      );
    }
  }
  reader.lastSeq = b.lastSeq;
  reader.lastHead = toHex(b.headAfter);
  c.touched.add(idHex);
  await record(c, b, out, bytes);
}

/** Held gap batches that now continue a touched reader's chain. */
async function releasable(c: Ctx): Promise<Batch[]> {
  const out: Batch[] = [];
  for (const id of c.touched) {
    const r = c.readers.get(id)!;
    const rows = await c.tx.query(
      "DELETE FROM held_batches WHERE reader_id = $1 AND first_seq <= $2 AND reason LIKE 'gap:%' RETURNING bytes",
      [id, r.lastSeq + 1],
    );
    for (const row of rows) out.push(...splitBatches(new Uint8Array(row["bytes"] as Uint8Array)));
  }
  c.touched.clear();
  return out.sort((a, b) => a.firstSeq - b.firstSeq);
}

async function flush(c: Ctx): Promise<void> {
  await settle(c.tx, c.candidates, c.report);
  const rows = c.batchRows;
  if (rows.length > 0) {
    await c.tx.query(
      "INSERT INTO batches (reader_id, first_seq, last_seq, sha, status, reason) SELECT * FROM unnest($1::text[], $2::bigint[], $3::bigint[], $4::text[], $5::text[], $6::text[])",
      [rows.map((r) => r.reader), rows.map((r) => r.first), rows.map((r) => r.last), rows.map((r) => r.sha), rows.map((r) => r.status), rows.map((r) => r.reason)],
    );
    c.batchRows = [];
  }
  c.candidates = [];
  if (c.newLinks.length > 0) {
    await c.tx.query(
      "INSERT INTO reader_links (reader_id, seq, link) SELECT * FROM unnest($1::text[], $2::bigint[], $3::text[]) ON CONFLICT DO NOTHING",
      [c.newLinks.map((l) => l.reader), c.newLinks.map((l) => l.seq), c.newLinks.map((l) => l.link)],
    );
    c.newLinks = [];
  }
  for (const r of c.readers.values()) {
    await c.tx.query("UPDATE readers SET last_seq = $2, last_head = $3 WHERE reader_id = $1 AND last_seq < $2", [r.readerId, r.lastSeq, r.lastHead]);
  }
}

async function ingestGroup(db: Db, verifier: RecordVerifier, group: Batch[], o: IngestOptions): Promise<IngestReport> {
  return db.transaction(async (tx) => {
    await tx.query("SELECT pg_advisory_xact_lock($1)", [INGEST_LOCK_KEY]);
    const c: Ctx = { tx, verifier, issuers: await loadIssuers(tx), readers: new Map(), links: new Map(), newLinks: [], candidates: [], report: emptyReport(), o, touched: new Set(), batchRows: [] };
    for (const b of group) await processBatch(c, b);
    let released = 0;
    for (let more = await releasable(c); more.length > 0 && released < HELD_RELEASE_MAX; more = await releasable(c)) {
      for (const b of more) { released++; await processBatch(c, b); }
    }
    await flush(c);
    return c.report;
  });
}

function merge(into: IngestReport, r: IngestReport): void {
  into.batches.push(...r.batches);
  into.settled += r.settled;
  into.settledAmount += r.settledAmount;
  into.duplicates += r.duplicates;
  into.rejectedRecords.push(...r.rejectedRecords);
  into.held += r.held;
  into.doubleSpends.push(...r.doubleSpends);
  into.newlyDenied.push(...r.newlyDenied);
}

/** Ingests a batch file. Throws RangeError when the bytes are not batches. */
export async function ingest(db: Db, verifier: RecordVerifier, bytes: Uint8Array, o: IngestOptions, _now: () => number): Promise<IngestReport> {
  const batches = splitBatches(bytes);
  const report = emptyReport();
  for (let i = 0; i < batches.length; i += INGEST_BATCHES_PER_TX) {
    merge(report, await ingestGroup(db, verifier, batches.slice(i, i + INGEST_BATCHES_PER_TX), o));
  }
  return report;
}

export { readerIdHex };
