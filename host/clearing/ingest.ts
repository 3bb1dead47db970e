// Ingest (docs/CLEARING.md §4–§7): batches are placed against each reader's chain,
// their records re-verified, and the verified payments settled in bulk — one transaction
// per group of batches, serialized by an advisory lock so settlement is exactly once.
import { hash } from "node:crypto";
import { splitBatches, verifyBatch, type Batch } from "../ledger/batch.ts";
import { toHex, fromHex, reasonName } from "../protocol/index.ts";
import { csvList, num, type Db, type Tx } from "./db.ts";
import { registerReaderTx, readerIdHex, getReader } from "./registry.ts";
import { isUnknownLink, place, type Placement } from "./sequence.ts";
import { recordCertHashHex } from "./verify.ts";
import type { IssuerKeyInfo, RecordVerifier, VerifiedRecord } from "./verify.ts";
import { Prechecks } from "./prechecks.ts";
import type { VerifyPool } from "./verify-pool.ts";
import { settle, type Candidate } from "./settle.ts";
import { isGapEntry, recordGap } from "./gaps.ts";
import { markSuspect, ReaderStates } from "./risk.ts";
import { releaseRiskHolds, type RiskPolicy } from "./risk-holds.ts";
import type { BatchOutcome, IngestOptions, IngestReport, Reader } from "./types.ts";

/** Batches per transaction: bounds the transaction's size while keeping inserts bulk. */
export const INGEST_BATCHES_PER_TX = 200;
/** Held batches released by one upload (each is re-placed once per pass). */
export const HELD_RELEASE_MAX = 10_000;
import { INGEST_LOCK_KEY } from "./ingest-lock.ts";
export { INGEST_LOCK_KEY };

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
  batchRows: {
    reader: string;
    first: number;
    last: number;
    sha: string;
    status: string;
    reason: string;
  }[];
  states: ReaderStates;
  nowS: number;
  /** Signature statuses checked ahead in worker threads (docs/CLEARING.md §9). */
  pre: Prechecks | undefined;
}

const batchBytes = (b: Batch): Uint8Array => {
  const out = new Uint8Array(b.signed.length + 64);
  out.set(b.signed);
  out.set(b.signature, b.signed.length);
  return out;
};
const sha = (b: Uint8Array): string => hash("sha256", b, "hex");

function emptyReport(): IngestReport {
  return {
    batches: [],
    settled: 0,
    settledAmount: 0,
    duplicates: 0,
    rejectedRecords: [],
    held: 0,
    doubleSpends: [],
    newlyDenied: [],
    evidence: [],
    suspectReaders: [],
  };
}

/** Uploads with fewer records verify on the calling thread. */
export const POOL_RECORDS_MIN = 2_000;

async function loadIssuers(tx: Tx | Db): Promise<Map<number, IssuerKeyInfo>> {
  const rows = await tx.query("SELECT key_id, public_key, revoked_at FROM issuer_keys");
  return new Map(
    rows.map((r) => [
      num(r["key_id"]),
      {
        publicKey: fromHex(String(r["public_key"])),
        revokedAt: r["revoked_at"] === null ? null : num(r["revoked_at"]),
      },
    ]),
  );
}

async function readerFor(c: Ctx, idHex: string): Promise<Reader | undefined> {
  const known = c.readers.get(idHex) ?? (await getReader(c.tx, idHex));
  if (known) {
    c.readers.set(idHex, known);
    return known;
  }
  const spec = c.o.autoRegister?.(idHex);
  if (spec === undefined) return undefined;
  const r = await registerReaderTx(c.tx, spec);
  c.readers.set(idHex, r);
  return r;
}

/** The stored chain links of the reader's records from…to (this transaction's first). */
async function linksIn(
  c: Ctx,
  reader: string,
  from: number,
  to: number,
): Promise<Map<number, string>> {
  const rows = await c.tx.query(
    "SELECT seq, link FROM reader_links WHERE reader_id = $1 AND seq BETWEEN $2 AND $3",
    [reader, from, to],
  );
  const out = new Map(rows.map((r) => [num(r["seq"]), String(r["link"])]));
  for (let seq = from; seq <= to; seq++) {
    const mine = c.links.get(`${reader}:${seq}`);
    if (mine !== undefined) out.set(seq, mine);
  }
  return out;
}

async function record(c: Ctx, b: Batch, out: BatchOutcome, bytes: Uint8Array): Promise<void> {
  c.report.batches.push(out);
  c.batchRows.push({
    reader: out.readerId,
    first: b.firstSeq,
    last: b.lastSeq,
    sha: sha(bytes),
    status: out.status,
    reason: out.reason,
  });
  if (out.status === "held") {
    c.report.held++;
    await c.tx.query(
      `INSERT INTO held_batches (reader_id, first_seq, last_seq, sha, reason, bytes)
       VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT DO NOTHING`,
      [
        out.readerId,
        b.firstSeq,
        b.lastSeq,
        sha(bytes),
        out.reason,
        Buffer.from(bytes) as unknown as string,
      ],
    );
  }
}

/** When the reader's last processed entry was a gap entry, clearing's head is unknown and
 *  its acknowledgement carries 32 zero bytes, which a reader that can read that record
 *  again refuses (docs/LEDGER.md §5.2). A batch holding the record readable, under the
 *  device key's signature, tells its link: the next acknowledgement carries it. */
function learnLastHead(reader: Reader, b: Batch): void {
  if (!isUnknownLink(reader.lastHead) || reader.lastSeq < b.firstSeq) return;
  const r = b.records[reader.lastSeq - b.firstSeq];
  if (r === undefined || isGapEntry(r)) return;
  reader.lastHead = toHex(r.link);
}

/** Places one batch, verifies its new records, queues them for settlement. */
async function processBatch(c: Ctx, b: Batch): Promise<void> {
  const idHex = toHex(b.readerId);
  const bytes = batchBytes(b);
  const out: BatchOutcome = {
    readerId: idHex,
    firstSeq: b.firstSeq,
    lastSeq: b.lastSeq,
    status: "accepted",
    reason: "",
    settled: 0,
    rejectedRecords: 0,
    duplicates: 0,
  };
  const reader = await readerFor(c, idHex);
  if (reader === undefined)
    return record(c, b, { ...out, status: "rejected", reason: "unknown reader" }, bytes);
  await c.pre?.wait(b);
  const sigChecked = c.pre?.batchSignature(b, reader.devicePublicKey);
  const check = verifyBatch(b, fromHex(reader.devicePublicKey), undefined, sigChecked);
  if (!check.signatureOk)
    return record(c, b, { ...out, status: "rejected", reason: "bad signature" }, bytes);
  if (!check.chainOk || !check.sequenceOk)
    return record(
      c,
      b,
      { ...out, status: "rejected", reason: check.problems[0] ?? "bad chain" },
      bytes,
    );
  const known =
    b.firstSeq <= reader.lastSeq
      ? await linksIn(c, idHex, b.firstSeq, Math.min(b.lastSeq, reader.lastSeq))
      : undefined;
  const p: Placement = place(b, reader, (seq) => known?.get(seq));
  if (p.kind !== "gap" && p.kind !== "fork") learnLastHead(reader, b);
  if (p.kind === "duplicate")
    return record(c, b, { ...out, status: "duplicate", reason: "already processed" }, bytes);
  if (reader.status === "rejected") {
    return record(
      c,
      b,
      {
        ...out,
        status: "rejected",
        reason: `reader rejected by the operator: ${reader.statusReason}`,
      },
      bytes,
    );
  }
  if (reader.status === "suspect") {
    return record(
      c,
      b,
      { ...out, status: "held", reason: `suspect reader: ${reader.statusReason}` },
      bytes,
    );
  }
  if (p.kind === "gap")
    return record(
      c,
      b,
      { ...out, status: "held", reason: `gap: expected sequence ${reader.lastSeq + 1}` },
      bytes,
    );
  if (p.kind === "fork")
    return record(c, b, { ...out, status: "held", reason: `fork: ${p.why}` }, bytes);
  const policy = {
    readerId: b.readerId,
    currency: reader.currency,
    amountMin: reader.amountMin,
    amountMax: reader.amountMax,
    driftToleranceS: reader.driftToleranceS,
  };
  const fresh = b.records.slice(p.fromIndex);
  for (const r of fresh.filter(isGapEntry)) {
    // a signed gap (docs/LEDGER.md §5.1): shown, never settled
    const link = toHex(r.link);
    c.links.set(`${idHex}:${r.seq}`, link);
    c.newLinks.push({ reader: idHex, seq: r.seq, link });
    await recordGap(c.tx, c.report, out, idHex, r);
  }
  const checks = fresh
    .filter((r) => !isGapEntry(r))
    .map((r) => ({ r, v: c.verifier.check(r, policy, c.issuers, c.pre?.results.get(r)) }));
  await c.states.load(
    c.tx,
    idHex,
    checks.map(({ r }) => toHex(r.walletId)),
    checks.flatMap(({ v }) => (v.ok ? [v.certHashHex] : [])),
  );
  const evidence = c.states.judge(reader, checks);
  const proven = new Set(evidence.map((e) => e.seq));
  if (evidence.length > 0) {
    c.report.evidence.push(...evidence);
    if (reader.status === "active") c.report.suspectReaders.push(idHex);
    await markSuspect(c.tx, reader, evidence);
  }
  for (const { r, v } of checks) {
    const link = toHex(r.link);
    c.links.set(`${idHex}:${r.seq}`, link);
    c.newLinks.push({ reader: idHex, seq: r.seq, link });
    // Evidence against the reader is never paid (docs/CLEARING.md §7a).
    if (v.ok && proven.has(r.seq)) out.rejectedRecords++;
    else if (v.ok)
      c.candidates.push({ record: v as VerifiedRecord, reader, seq: r.seq, outcome: out });
    else {
      out.rejectedRecords++;
      c.report.rejectedRecords.push({
        readerId: idHex,
        seq: r.seq,
        reason: v.reason,
        reasonName: reasonName(v.reason),
      });
      // The amount goes in as its exact decimal text: a u64 the reader signed (even ≥ 2^63)
      // must be storable, or one bad record would roll back the whole upload.
      await c.tx.query(
        `INSERT INTO rejected_records (reader_id, seq, reason, wallet_id, counter, amount, content)
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING`,
        [
          idHex,
          r.seq,
          v.reason,
          toHex(r.walletId),
          r.counter,
          r.amount.toString(),
          Buffer.from(r.content) as unknown as string,
        ],
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
      `DELETE FROM held_batches WHERE reader_id = $1 AND first_seq <= $2 AND reason LIKE 'gap:%'
       RETURNING bytes`,
      [id, r.lastSeq + 1],
    );
    for (const row of rows) out.push(...splitBatches(new Uint8Array(row["bytes"] as Uint8Array)));
  }
  c.touched.clear();
  return out.sort((a, b) => a.firstSeq - b.firstSeq);
}

async function flush(c: Ctx): Promise<void> {
  await settle(c.tx, c.candidates, c.report, c.nowS);
  await c.states.flush(c.tx);
  const rows = c.batchRows;
  if (rows.length > 0) {
    await c.tx.query(
      `INSERT INTO batches (reader_id, first_seq, last_seq, sha, status, reason)
       SELECT * FROM unnest(string_to_array($1, ','), string_to_array($2, ',')::bigint[],
         string_to_array($3, ',')::bigint[], string_to_array($4, ','), string_to_array($5, ','),
         $6::text[])`,
      [
        csvList(rows.map((r) => r.reader)),
        csvList(rows.map((r) => r.first)),
        csvList(rows.map((r) => r.last)),
        csvList(rows.map((r) => r.sha)),
        csvList(rows.map((r) => r.status)),
        rows.map((r) => r.reason), // any text
      ],
    );
    c.batchRows = [];
  }
  c.candidates = [];
  if (c.newLinks.length > 0) {
    await c.tx.query(
      `INSERT INTO reader_links (reader_id, seq, link)
       SELECT * FROM unnest(string_to_array($1, ','), string_to_array($2, ',')::bigint[],
         string_to_array($3, ',')) ON CONFLICT DO NOTHING`,
      [
        csvList(c.newLinks.map((l) => l.reader)),
        csvList(c.newLinks.map((l) => l.seq)),
        csvList(c.newLinks.map((l) => l.link)),
      ],
    );
    c.newLinks = [];
  }
  for (const r of c.readers.values()) {
    await c.tx.query(
      `UPDATE readers SET last_seq = $2, last_head = $3 WHERE reader_id = $1
       AND (last_seq < $2 OR (last_seq = $2 AND last_head <> $3))`,
      [r.readerId, r.lastSeq, r.lastHead],
    );
  }
}

async function openCtx(
  tx: Tx,
  verifier: RecordVerifier,
  o: IngestOptions,
  nowS: number,
): Promise<Ctx> {
  await tx.query("SELECT pg_advisory_xact_lock($1)", [INGEST_LOCK_KEY]);
  return {
    tx,
    verifier,
    issuers: await loadIssuers(tx),
    readers: new Map(),
    links: new Map(),
    newLinks: [],
    candidates: [],
    report: emptyReport(),
    o,
    touched: new Set(),
    batchRows: [],
    states: new ReaderStates(),
    nowS,
    pre: undefined,
  };
}

/** The reader state every record of the group may be judged against, in three statements
 *  (docs/CLEARING.md §9); records that turn out not to need it cost a row lookup each. */
async function preloadStates(c: Ctx, group: Batch[]): Promise<void> {
  await c.states.loadMany(
    c.tx,
    group.map((b) => {
      const records = b.records.filter((r) => !isGapEntry(r));
      return {
        readerId: toHex(b.readerId),
        walletIds: records.map((r) => toHex(r.walletId)),
        certHashes: records.flatMap((r) => recordCertHashHex(r) ?? []),
      };
    }),
  );
}

/** Processes the group, then the held gap batches it made continuous, then writes. */
async function runGroup(c: Ctx, group: Batch[]): Promise<IngestReport> {
  await preloadStates(c, group);
  for (const b of group) await processBatch(c, b);
  let released = 0;
  for (
    let more = await releasable(c);
    more.length > 0 && released < HELD_RELEASE_MAX;
    more = await releasable(c)
  ) {
    for (const b of more) {
      released++;
      await processBatch(c, b);
    }
  }
  await flush(c);
  return c.report;
}

async function ingestGroup(
  db: Db,
  verifier: RecordVerifier,
  group: Batch[],
  o: IngestOptions,
  nowS: number,
  pre: Prechecks | undefined,
): Promise<IngestReport> {
  return db.transaction(async (tx) => {
    const c = await openCtx(tx, verifier, o, nowS);
    c.pre = pre;
    return runGroup(c, group);
  });
}

export type ReaderDecision = "release" | "reject";
export type DecisionResult =
  | { ok: true; reader: string; decision: ReaderDecision; report: IngestReport }
  | { ok: false; error: "READER_NOT_FOUND" | "READER_NOT_SUSPECT"; message: string };

/** The operator's decision on a suspect reader (docs/CLEARING.md §7a). `release`: the
 *  reader is active again and its held batches are processed now (evidence found in them
 *  turns it suspect again). `reject`: its held batches are dropped as rejected and every
 *  later batch is refused; re-provision the reader with a new device key. */
export async function decideReader(
  db: Db,
  verifier: RecordVerifier,
  readerId: string,
  decision: ReaderDecision,
  note: string,
  nowS: number,
): Promise<DecisionResult> {
  return db.transaction(async (tx) => {
    const c = await openCtx(tx, verifier, {}, nowS);
    const reader = await getReader(tx, readerId);
    if (reader === undefined)
      return {
        ok: false,
        error: "READER_NOT_FOUND",
        message: `no reader ${readerId} is registered`,
      };
    if (reader.status !== "suspect") {
      return {
        ok: false,
        error: "READER_NOT_SUSPECT",
        message: `reader ${readerId} is ${reader.status}, not suspect`,
      };
    }
    const held = await tx.query(
      `DELETE FROM held_batches WHERE reader_id = $1 AND reason LIKE 'suspect reader:%'
       RETURNING bytes, first_seq, last_seq, sha`,
      [readerId],
    );
    const why =
      note === "" ? `operator decision: ${decision}` : `operator decision: ${decision} (${note})`;
    if (decision === "reject") {
      await tx.query(
        "UPDATE readers SET status = 'rejected', status_reason = $2 WHERE reader_id = $1",
        [readerId, `${reader.statusReason}; ${why}`],
      );
      for (const h of held) {
        c.batchRows.push({
          reader: readerId,
          first: num(h["first_seq"]),
          last: num(h["last_seq"]),
          sha: String(h["sha"]),
          status: "rejected",
          reason: why,
        });
      }
      await flush(c);
      return { ok: true, reader: readerId, decision, report: c.report };
    }
    await tx.query(
      "UPDATE readers SET status = 'active', status_reason = '' WHERE reader_id = $1",
      [readerId],
    );
    const batches = held
      .flatMap((h) => splitBatches(new Uint8Array(h["bytes"] as Uint8Array)))
      .sort((a, b) => a.firstSeq - b.firstSeq);
    return { ok: true, reader: readerId, decision, report: await runGroup(c, batches) };
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
  into.evidence.push(...r.evidence);
  into.suspectReaders.push(...r.suspectReaders);
}

/** The device keys of the upload's registered readers (hex id → key). */
async function deviceKeys(db: Db, batches: readonly Batch[]): Promise<Map<string, Uint8Array>> {
  const ids = [...new Set(batches.map((b) => toHex(b.readerId)))];
  const rows = await db.query(
    "SELECT reader_id, device_key FROM readers WHERE reader_id = ANY($1::text[])",
    [ids],
  );
  return new Map(rows.map((r) => [String(r["reader_id"]), fromHex(String(r["device_key"]))]));
}

/** Ingests a batch file. Throws RangeError when the bytes are not batches. */
export async function ingest(
  db: Db,
  verifier: RecordVerifier,
  bytes: Uint8Array,
  o: IngestOptions,
  now: () => number,
  risk: RiskPolicy,
  pool?: () => VerifyPool,
  poolRecordsMin = POOL_RECORDS_MIN,
): Promise<IngestReport> {
  const batches = splitBatches(bytes);
  const report = emptyReport();
  const groups: Batch[][] = [];
  for (let i = 0; i < batches.length; i += INGEST_BATCHES_PER_TX)
    groups.push(batches.slice(i, i + INGEST_BATCHES_PER_TX));
  const records = batches.reduce((n, b) => n + b.records.length, 0);
  // Big uploads: signatures are checked in worker threads, in chunks, a group ahead of the
  // SQL that needs them. Small ones stay on this thread (same results, no thread start-up).
  const pre =
    pool !== undefined && records >= poolRecordsMin
      ? new Prechecks(verifier, await loadIssuers(db), await deviceKeys(db, batches), pool())
      : undefined;
  pre?.queue(groups[0] ?? []);
  for (let i = 0; i < groups.length; i++) {
    pre?.queue(groups[i + 1] ?? []);
    merge(report, await ingestGroup(db, verifier, groups[i]!, o, now(), pre));
  }
  await releaseRiskHolds(db, now(), risk);
  return report;
}

export { readerIdHex };
