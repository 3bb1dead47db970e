// Decoding and verifying signed export batches (docs/LEDGER.md §5) on the host, the
// way clearing does: signature, then chain, then sequence. Version 2 batches carry gap
// entries (§5.1): they stay in `records` at their place (kind 2), the chain restarts
// after them, and `gaps` lists their sequence numbers.
import {
  BATCH_HEADER_BYTES, SIG_BYTES, MAGIC, RECORD_FIXED_BYTES, LINK_BYTES, KIND_PAYMENT, KIND_GAP,
  chainLink, decodeRecordContent, equalBytes, hex, type LedgerRecord,
} from "./format.ts";
import { verifyEd25519 } from "./keys.ts";

export interface Batch {
  /** Batch format version: 1, or 2 when it carries gap entries. */
  version: number;
  /** Sequence numbers of the gap entries (unreadable records), in order. */
  gaps: number[];
  readerId: Uint8Array;
  firstSeq: number;
  lastSeq: number;
  headBefore: Uint8Array;
  headAfter: Uint8Array;
  records: LedgerRecord[];
  signed: Uint8Array;
  signature: Uint8Array;
}

export function decodeBatch(bytes: Uint8Array): Batch {
  if (bytes.length < BATCH_HEADER_BYTES + SIG_BYTES) {
    throw new RangeError(`batch of ${bytes.length} bytes is too short`);
  }
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = batchVersion(v);
  const count = v.getUint16(6, true);
  const end = bytes.length - SIG_BYTES;
  const records: LedgerRecord[] = [];
  let p = BATCH_HEADER_BYTES;
  for (let i = 0; i < count; i++) {
    if (p + RECORD_FIXED_BYTES > end) throw new RangeError(`record ${i} runs past the batch`);
    const r = decodeRecordContent(bytes.subarray(p, end));
    records.push(r);
    p += r.content.length;
  }
  if (p !== end) throw new RangeError(`${end - p} stray bytes after the records`);
  const gaps = records.filter((r) => r.kind === KIND_GAP).map((r) => r.seq);
  if (version === 1 && gaps.length > 0) throw new RangeError("a version-1 batch with a gap entry");
  return {
    version,
    gaps,
    readerId: bytes.slice(8, 24),
    firstSeq: v.getUint32(24, true),
    lastSeq: v.getUint32(28, true),
    headBefore: bytes.slice(32, 64),
    headAfter: bytes.slice(64, 96),
    records,
    signed: bytes.slice(0, end),
    signature: bytes.slice(end),
  };
}

/** The version a batch header states: magic and version must agree (§5). */
function batchVersion(v: DataView): number {
  const magic = v.getUint32(0, true);
  if (magic !== MAGIC.batch && magic !== MAGIC.batchV2) {
    throw new RangeError("not a batch (bad magic)");
  }
  const version = v.getUint16(4, true);
  if (version !== (magic === MAGIC.batch ? 1 : 2)) {
    throw new RangeError(`unknown batch version ${version}`);
  }
  return version;
}

export interface BatchCheck {
  signatureOk: boolean;
  chainOk: boolean;
  sequenceOk: boolean;
  problems: string[];
}

/** Verifies signature (reader public key), chain (from headBefore to headAfter) and sequence.
 *  `signatureChecked`: verifyEd25519's answer for this batch and key, worked out before
 *  (clearing checks signatures in worker threads); absent, it is checked here. */
export function verifyBatch(b: Batch, readerPublicKey: Uint8Array,
  expectedHeadBefore?: Uint8Array, signatureChecked?: boolean): BatchCheck {
  const problems: string[] = [];
  const signatureOk = signatureChecked ?? verifyEd25519(readerPublicKey, b.signed, b.signature);
  if (!signatureOk) problems.push("signature does not verify under the reader key");
  let sequenceOk = b.records.length > 0 && b.lastSeq === b.firstSeq + b.records.length - 1;
  if (!sequenceOk) {
    problems.push(`header says ${b.firstSeq}…${b.lastSeq} for ${b.records.length} records`);
  }
  let chainOk = true;
  if (expectedHeadBefore && !equalBytes(expectedHeadBefore, b.headBefore)) {
    chainOk = false;
    problems.push(`head before ${hex(b.headBefore)} does not continue the previous batch `
      + `(${hex(expectedHeadBefore)})`);
  }
  // An all-zero head before a first sequence > 1 means "record first − 1 is unreadable".
  let prev: Uint8Array | undefined =
    b.firstSeq > 1 && b.headBefore.every((x) => x === 0) ? undefined : b.headBefore;
  b.records.forEach((r, i) => {
    if (r.seq !== b.firstSeq + i) {
      sequenceOk = false;
      problems.push(`record ${i} has sequence ${r.seq}, expected ${b.firstSeq + i}`);
    }
    if (r.kind === KIND_GAP) { prev = undefined; return; } // the chain restarts after a gap
    if (r.kind !== KIND_PAYMENT) problems.push(`record ${r.seq} has unknown kind ${r.kind}`);
    if (prev !== undefined && !equalBytes(chainLink(prev, r.content), r.link)) {
      chainOk = false;
      problems.push(`record ${r.seq} breaks the chain`);
    }
    prev = r.link;
  });
  const after = prev ?? new Uint8Array(LINK_BYTES);
  if (!equalBytes(after.subarray(0, LINK_BYTES), b.headAfter)) {
    chainOk = false;
    problems.push("head after does not match the last record");
  }
  return { signatureOk, chainOk, sequenceOk, problems };
}

/** Length of the batch at the start of bytes (batches are self-delimiting). */
export function batchLength(bytes: Uint8Array): number {
  if (bytes.length < BATCH_HEADER_BYTES + SIG_BYTES) {
    throw new RangeError(`${bytes.length} trailing bytes are not a batch`);
  }
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  batchVersion(v);
  let p = BATCH_HEADER_BYTES;
  for (let i = 0; i < v.getUint16(6, true); i++) {
    if (p + RECORD_FIXED_BYTES > bytes.length) {
      throw new RangeError(`record ${i} runs past the end`);
    }
    p += RECORD_FIXED_BYTES + v.getUint16(p + 36, true);
  }
  return p + SIG_BYTES;
}

/** A batch file is one or more batches back to back (docs/LEDGER.md §10). */
export function splitBatches(file: Uint8Array): Batch[] {
  const out: Batch[] = [];
  for (let p = 0; p < file.length;) {
    const n = batchLength(file.subarray(p));
    if (p + n > file.length) throw new RangeError("the last batch is cut short");
    out.push(decodeBatch(file.subarray(p, p + n)));
    p += n;
  }
  return out;
}

export interface FileCheck extends BatchCheck {
  batches: number;
  records: number;
  firstSeq: number;
  lastSeq: number;
  headAfter: string;
}

/** Verifies every batch of a file and that each continues the previous one. */
export function verifyBatchFile(file: Uint8Array, readerPublicKey: Uint8Array): FileCheck {
  const batches = splitBatches(file);
  const r: FileCheck = {
    signatureOk: true, chainOk: true, sequenceOk: true, problems: [], batches: batches.length,
    records: 0, firstSeq: 0, lastSeq: 0, headAfter: "",
  };
  let prev: Batch | undefined;
  for (const b of batches) {
    const c = verifyBatch(b, readerPublicKey, prev?.headAfter);
    if (prev && b.firstSeq !== prev.lastSeq + 1) {
      c.sequenceOk = false;
      c.problems.push(`batch starts at ${b.firstSeq}, previous ended at ${prev.lastSeq}`);
    }
    if (prev && !equalBytes(prev.readerId, b.readerId)) {
      c.problems.push("batches from different readers");
    }
    r.signatureOk &&= c.signatureOk;
    r.chainOk &&= c.chainOk;
    r.sequenceOk &&= c.sequenceOk;
    r.problems.push(...c.problems.map((m) => `batch ${b.firstSeq}…${b.lastSeq}: ${m}`));
    r.records += b.records.length;
    prev = b;
  }
  r.firstSeq = batches[0]?.firstSeq ?? 0;
  r.lastSeq = prev?.lastSeq ?? 0;
  r.headAfter = prev ? hex(prev.headAfter) : "";
  if (batches.length === 0) { r.sequenceOk = false; r.problems.push("no batch in the file"); }
  return r;
}
