// offtap firmware entry: the exports a board (or the host simulator) calls.
// Every pointer argument is an offset into this module's linear memory and must lie,
// with its whole length, inside the I/O buffer (guard.ts): the board writes inputs there
// and reads outputs back from it. A call whose pointers or lengths leave it is refused
// (ERR_BOUNDS, or VERIFY_BAD_INPUT for the verify exports) before any byte is touched;
// a void export then does nothing, and a refused streaming update spoils its stream.
import { IO_BUFFER_BYTES } from "./limits";
import { ioBuffer } from "./io";
import { inIo } from "./guard";
import * as sha from "./crypto/sha512";
import * as verify from "./crypto/verify";
import * as sign from "./crypto/sign";

/** Offset of the host exchange buffer. */
export function ioBufferPtr(): usize { return ioBuffer; }
/** Size of the host exchange buffer in bytes. */
export function ioBufferBytes(): i32 { return IO_BUFFER_BYTES; }

const DIGEST_BYTES: i32 = 64;
const PK_BYTES: i32 = 32;
const SK_BYTES: i32 = 64;
const SIG_BYTES: i32 = 64;
const HINT_BYTES: i32 = 32;
/** Verify status for pointers or lengths outside the I/O buffer (beside VerifyStatus 0–9). */
const VERIFY_BAD_INPUT: i32 = 10;

// ---- SHA-512 -------------------------------------------------------------------
const shaCtx: usize = memory.data(sha.SHA512_CTX_BYTES, 16);
/** A refused sha512Update spoils the stream: sha512Final then writes 64 zero bytes. */
let shaSpoiled = false;

export function sha512(data: usize, len: i32, out: usize): void {
  if (inIo(data, len) && inIo(out, DIGEST_BYTES)) sha.sha512(data, len, out);
}
export function sha512Init(): void {
  shaSpoiled = false;
  sha.sha512Init(shaCtx);
}
export function sha512Update(data: usize, len: i32): void {
  if (inIo(data, len)) sha.sha512Update(shaCtx, data, len);
  else shaSpoiled = true;
}
export function sha512Final(out: usize): void {
  if (!inIo(out, DIGEST_BYTES)) return;
  sha.sha512Final(shaCtx, out);
  if (shaSpoiled) {
    for (let i = 0; i < DIGEST_BYTES; i++) store<u8>(out + <usize>i, 0);
  }
  sha512Init();
}

// ---- Ed25519 verify (strict policy, see SECURITY.md) ----------------------------
/** Returns a VerifyStatus: 0 = valid, anything else names the rule that rejected. */
export function ed25519Verify(pk: usize, msg: usize, len: i32, sig: usize): i32 {
  if (!inIo(pk, PK_BYTES) || !inIo(msg, len) || !inIo(sig, SIG_BYTES)) return VERIFY_BAD_INPUT;
  return verify.ed25519Verify(pk, msg, len, sig);
}
/** A refused begin or update spoils the stream: ed25519VerifyEnd then answers
 *  VERIFY_BAD_INPUT (a skipped chunk must never verify a shorter message). */
let verifySpoiled = false;
export function ed25519VerifyBegin(pk: usize, sig: usize): i32 {
  verifySpoiled = !inIo(pk, PK_BYTES) || !inIo(sig, SIG_BYTES);
  if (verifySpoiled) {
    verify.ed25519VerifyEnd(); // closes any stream left open
    return VERIFY_BAD_INPUT;
  }
  return verify.ed25519VerifyBegin(pk, sig);
}
export function ed25519VerifyUpdate(msg: usize, len: i32): void {
  if (inIo(msg, len)) verify.ed25519VerifyUpdate(msg, len);
  else verifySpoiled = true;
}
export function ed25519VerifyEnd(): i32 {
  const r = verify.ed25519VerifyEnd();
  if (!verifySpoiled) return r;
  verifySpoiled = false;
  return VERIFY_BAD_INPUT;
}
export function ed25519RegisterKey(slot: i32, pk: usize): i32 {
  if (!inIo(pk, PK_BYTES)) return VERIFY_BAD_INPUT;
  return verify.ed25519RegisterKey(slot, pk);
}
export function ed25519VerifyRegistered(slot: i32, msg: usize, len: i32, sig: usize): i32 {
  if (!inIo(msg, len) || !inIo(sig, SIG_BYTES)) return VERIFY_BAD_INPUT;
  return verify.ed25519VerifyRegistered(slot, msg, len, sig);
}
/** A decoding hint (docs/PROTOCOL.md, "Decoding hints"): 0 for none, else 32 bytes in
 *  the I/O buffer. */
function hintInIo(hint: usize): bool {
  return hint == 0 || inIo(hint, HINT_BYTES);
}
/** ed25519Verify with decoding hints for R and for pk: the same status for every hint. */
export function ed25519VerifyHinted(
  pk: usize, msg: usize, len: i32, sig: usize, rHint: usize, pkHint: usize,
): i32 {
  if (!inIo(pk, PK_BYTES) || !inIo(msg, len) || !inIo(sig, SIG_BYTES)) return VERIFY_BAD_INPUT;
  if (!hintInIo(rHint) || !hintInIo(pkHint)) return VERIFY_BAD_INPUT;
  return verify.ed25519Verify(pk, msg, len, sig, rHint, pkHint);
}
/** ed25519VerifyRegistered with a decoding hint for R: the same status for every hint. */
export function ed25519VerifyRegisteredHinted(
  slot: i32, msg: usize, len: i32, sig: usize, rHint: usize,
): i32 {
  if (!inIo(msg, len) || !inIo(sig, SIG_BYTES) || !hintInIo(rHint)) return VERIFY_BAD_INPUT;
  return verify.ed25519VerifyRegistered(slot, msg, len, sig, rHint);
}

// ---- Ed25519 sign (device key) ------------------------------------------------
export function ed25519PublicKey(seed: usize, pkOut: usize): void {
  if (inIo(seed, 32) && inIo(pkOut, PK_BYTES)) sign.ed25519PublicKey(seed, pkOut);
}
export function ed25519Sign(sk: usize, msg: usize, len: i32, sigOut: usize): void {
  if (!inIo(sk, SK_BYTES) || !inIo(msg, len) || !inIo(sigOut, SIG_BYTES)) return;
  sign.ed25519Sign(sk, msg, len, sigOut);
}
export * from "./ledger/api";
export * from "./reader/exports";
