// Crypto operations of build/offtap.wasm called directly through its exports on the
// emulated core: inputs written into the firmware's I/O buffer, each call repeated so the
// figure is a warm call (WASM3 compiles a function on its first call).
import { createHash } from "node:crypto";
import { Ed25519Key } from "../../host/issuer/ed25519.ts";
import { decodePoint } from "../../host/crypto/reference.ts";
import { numberToBytesLE } from "../../host/crypto/encoding.ts";
import type { JobOp } from "./job.ts";

/** A message of an authorization's size: what the tap verifies. */
export const MESSAGE_BYTES = 96;
/** Extra SHA-512 blocks in the long hash, whose difference to the short one is per block. */
export const SHA_EXTRA_BLOCKS = 16;
/** 111 bytes + padding = exactly one SHA-512 block. */
const SHA_SHORT_BYTES = 111;
const SHA_LONG_BYTES = SHA_SHORT_BYTES + 128 * SHA_EXTRA_BLOCKS;
const REPS = 2;

export interface CryptoLayout {
  ops: JobOp[];
  /** The export whose warm call is each figure, in order. */
  figures: { label: string; call: string; expect: number }[];
}

function bytesFrom(label: string, n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0, block = 0; i < n; block++) {
    const h = createHash("sha512").update(`${label}/${block}`).digest();
    out.set(h.subarray(0, Math.min(64, n - i)), i);
    i += 64;
  }
  return out;
}

/** The decoding hint of a point encoding: its x (docs/PROTOCOL.md, "Decoding hints"). */
function xOf(encoding: Uint8Array): Uint8Array {
  const point = decodePoint(encoding);
  if (point === null) throw new Error("bench input does not decode");
  return numberToBytesLE(point.toAffine().x, 32);
}

/** Lays the inputs out at `io` (the firmware's I/O buffer) and lists the calls. */
export function cryptoJob(io: number): CryptoLayout {
  const key = new Ed25519Key(bytesFrom("offtap device bench key", 32));
  const msg = bytesFrom("offtap device bench message", MESSAGE_BYTES);
  const sig = key.sign(msg);
  const sha = bytesFrom("offtap device bench sha", SHA_LONG_BYTES);
  const at = {
    pk: io, sig: io + 32, sk: io + 96, msg: io + 160, out: io + 256, rX: io + 320, pkX: io + 352,
    sha: io + 512,
  };
  const ops: JobOp[] = [
    { op: "write", offset: at.pk, bytes: key.publicKey },
    { op: "write", offset: at.sig, bytes: sig },
    { op: "write", offset: at.sk, bytes: key.secretKey() },
    { op: "write", offset: at.msg, bytes: msg },
    { op: "write", offset: at.sha, bytes: sha },
    { op: "write", offset: at.rX, bytes: xOf(sig.subarray(0, 32)) },
    { op: "write", offset: at.pkX, bytes: xOf(key.publicKey) },
    { op: "call", name: "ed25519Verify", args: [at.pk, at.msg, MESSAGE_BYTES, at.sig], reps: REPS },
    { op: "call", name: "ed25519RegisterKey", args: [0, at.pk], reps: 1 },
    {
      op: "call", name: "ed25519VerifyRegistered", args: [0, at.msg, MESSAGE_BYTES, at.sig],
      reps: REPS,
    },
    {
      op: "call", name: "ed25519VerifyHinted",
      args: [at.pk, at.msg, MESSAGE_BYTES, at.sig, at.rX, at.pkX], reps: REPS,
    },
    {
      op: "call", name: "ed25519VerifyRegisteredHinted",
      args: [0, at.msg, MESSAGE_BYTES, at.sig, at.rX], reps: REPS,
    },
    { op: "call", name: "ed25519Sign", args: [at.sk, at.msg, MESSAGE_BYTES, at.out], reps: REPS },
    { op: "call", name: "sha512", args: [at.sha, SHA_SHORT_BYTES, at.out], reps: REPS },
    { op: "call", name: "sha512", args: [at.sha, SHA_LONG_BYTES, at.out], reps: REPS },
  ];
  const figures = [
    { label: "verify", call: "ed25519Verify", expect: 0 },
    { label: "registered-key verify", call: "ed25519VerifyRegistered", expect: 0 },
    { label: "verify, hinted", call: "ed25519VerifyHinted", expect: 0 },
    { label: "registered-key verify, hinted", call: "ed25519VerifyRegisteredHinted", expect: 0 },
    { label: "sign", call: "ed25519Sign", expect: 0 },
  ];
  return { ops, figures };
}
