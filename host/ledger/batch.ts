// Decoding and verifying signed export batches (docs/LEDGER.md §5) on the host, the
// way clearing does: signature, then chain, then sequence.
import {
  BATCH_HEADER_BYTES, SIG_BYTES, MAGIC, RECORD_FIXED_BYTES, LINK_BYTES,
  chainLink, decodeRecordContent, equalBytes, hex, type LedgerRecord,
} from "./format.ts";
import { verifyEd25519 } from "./keys.ts";

export interface Batch {
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
  if (bytes.length < BATCH_HEADER_BYTES + SIG_BYTES) throw new RangeError(`batch of ${bytes.length} bytes is too short`);
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (v.getUint32(0, true) !== MAGIC.batch) throw new RangeError("not a batch (bad magic)");
  if (v.getUint16(4, true) !== 1) throw new RangeError(`unknown batch version ${v.getUint16(4, true)}`);
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
  return {
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

export interface BatchCheck {
  signatureOk: boolean;
  chainOk: boolean;
  sequenceOk: boolean;
  problems: string[];
}

/** Verifies signature (reader public key), chain (from headBefore to headAfter) and sequence. */
export function verifyBatch(b: Batch, readerPublicKey: Uint8Array, expectedHeadBefore?: Uint8Array): BatchCheck {
  const problems: string[] = [];
  const signatureOk = verifyEd25519(readerPublicKey, b.signed, b.signature);
  if (!signatureOk) problems.push("signature does not verify under the reader key");
  let sequenceOk = b.records.length > 0 && b.lastSeq === b.firstSeq + b.records.length - 1;
  if (!sequenceOk) problems.push(`header says ${b.firstSeq}…${b.lastSeq} for ${b.records.length} records`);
  let chainOk = true;
  if (expectedHeadBefore && !equalBytes(expectedHeadBefore, b.headBefore)) {
    chainOk = false;
    problems.push(`head before ${hex(b.headBefore)} does not continue the previous batch (${hex(expectedHeadBefore)})`);
  }
  let prev = b.headBefore;
  b.records.forEach((r, i) => {
    if (r.seq !== b.firstSeq + i) { sequenceOk = false; problems.push(`record ${i} has sequence ${r.seq}, expected ${b.firstSeq + i}`); }
    if (r.kind !== 1) problems.push(`record ${r.seq} has unknown kind ${r.kind}`);
    const link = chainLink(prev, r.content);
    if (!equalBytes(link, r.link)) { chainOk = false; problems.push(`record ${r.seq} breaks the chain`); }
    prev = r.link;
  });
  if (!equalBytes(prev.subarray(0, LINK_BYTES), b.headAfter)) { chainOk = false; problems.push("head after does not match the last record"); }
  return { signatureOk, chainOk, sequenceOk, problems };
}

/** Length of the batch at the start of bytes (batches are self-delimiting). */
export function batchLength(bytes: Uint8Array): number {
  if (bytes.length < BATCH_HEADER_BYTES + SIG_BYTES) throw new RangeError(`${bytes.length} trailing bytes are not a batch`);
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (v.getUint32(0, true) !== MAGIC.batch) throw new RangeError("not a batch (bad magic)");
  let p = BATCH_HEADER_BYTES;
  for (let i = 0; i < v.getUint16(6, true); i++) {
    if (p + RECORD_FIXED_BYTES > bytes.length) throw new RangeError(`record ${i} runs past the end`);
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
  const r: FileCheck = { signatureOk: true, chainOk: true, sequenceOk: true, problems: [], batches: batches.length, records: 0, firstSeq: 0, lastSeq: 0, headAfter: "" };
  let prev: Batch | undefined;
  for (const b of batches) {
    const c = verifyBatch(b, readerPublicKey, prev?.headAfter);
    if (prev && b.firstSeq !== prev.lastSeq + 1) { c.sequenceOk = false; c.problems.push(`batch starts at ${b.firstSeq}, previous ended at ${prev.lastSeq}`); }
    if (prev && !equalBytes(prev.readerId, b.readerId)) c.problems.push("batches from different readers");
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
