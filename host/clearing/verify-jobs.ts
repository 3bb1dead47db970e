// Signature jobs packed into one buffer for a worker thread (docs/CLEARING.md §9): a
// structured clone of thousands of small arrays costs more than the copy of one buffer,
// and a transferred buffer is not copied at all. Per job: verifier (1 byte), message length
// (u32 LE), public key (32 bytes), signature (64 bytes), message.
//
// Each job names the verifier ingest uses for it on the main thread, so a worker's answer
// is the one the main thread would have given: `firmware` (records: the firmware's strict
// policy) or `host` (a batch's device signature: host/ledger/keys.ts, as verifyBatch).
export type SigVerifier = "firmware" | "host";
export interface SigJob {
  publicKey: Uint8Array;
  message: Uint8Array;
  signature: Uint8Array;
  verifier?: SigVerifier;
}

const KEY_BYTES = 32;
const SIG_BYTES = 64;
const HEAD_BYTES = 1 + 4 + KEY_BYTES + SIG_BYTES;
const VERIFIER_CODES: Record<SigVerifier, number> = { firmware: 0, host: 1 };
const VERIFIERS: readonly SigVerifier[] = ["firmware", "host"];

export function packJobs(jobs: readonly SigJob[]): ArrayBuffer {
  let size = 0;
  for (const j of jobs) {
    if (j.publicKey.length !== KEY_BYTES || j.signature.length !== SIG_BYTES) {
      throw new RangeError("a signature job needs a 32-byte key and a 64-byte signature");
    }
    size += HEAD_BYTES + j.message.length;
  }
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  let at = 0;
  for (const j of jobs) {
    out[at] = VERIFIER_CODES[j.verifier ?? "firmware"];
    view.setUint32(at + 1, j.message.length, true);
    out.set(j.publicKey, at + 5);
    out.set(j.signature, at + 5 + KEY_BYTES);
    out.set(j.message, at + HEAD_BYTES);
    at += HEAD_BYTES + j.message.length;
  }
  return out.buffer;
}

/** The jobs of a packed buffer, as views into it (no copies). */
export function unpackJobs(buf: ArrayBuffer): SigJob[] {
  const b = new Uint8Array(buf);
  const view = new DataView(buf);
  const out: SigJob[] = [];
  for (let at = 0; at < b.length;) {
    const verifier = VERIFIERS[b[at]!];
    if (at + HEAD_BYTES > b.length || verifier === undefined) {
      throw new RangeError(`a packed signature job at byte ${at} is malformed`);
    }
    const end = at + HEAD_BYTES + view.getUint32(at + 1, true);
    if (end > b.length) throw new RangeError(`a packed signature job at byte ${at} is cut short`);
    out.push({
      verifier,
      publicKey: b.subarray(at + 5, at + 5 + KEY_BYTES),
      signature: b.subarray(at + 5 + KEY_BYTES, at + HEAD_BYTES),
      message: b.subarray(at + HEAD_BYTES, end),
    });
    at = end;
  }
  return out;
}
