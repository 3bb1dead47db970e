// offtap firmware entry: the exports a board (or the host simulator) calls.
// Every pointer argument is an offset into this module's linear memory; the board
// writes inputs into the I/O buffer and reads outputs back from it.
import { IO_BUFFER_BYTES } from "./limits";
import { ioBuffer } from "./io";
import * as sha from "./crypto/sha512";
import * as verify from "./crypto/verify";
import * as sign from "./crypto/sign";

/** Offset of the host exchange buffer. */
export function ioBufferPtr(): usize { return ioBuffer; }
/** Size of the host exchange buffer in bytes. */
export function ioBufferBytes(): i32 { return IO_BUFFER_BYTES; }

// ---- SHA-512 -------------------------------------------------------------------
const shaCtx: usize = memory.data(sha.SHA512_CTX_BYTES, 16);
export function sha512(data: usize, len: i32, out: usize): void { sha.sha512(data, len, out); }
export function sha512Init(): void { sha.sha512Init(shaCtx); }
export function sha512Update(data: usize, len: i32): void { sha.sha512Update(shaCtx, data, len); }
export function sha512Final(out: usize): void { sha.sha512Final(shaCtx, out); }

// ---- Ed25519 verify (strict policy, see SECURITY.md) ----------------------------
/** Returns a VerifyStatus: 0 = valid, anything else names the rule that rejected. */
export function ed25519Verify(pk: usize, msg: usize, len: i32, sig: usize): i32 {
  return verify.ed25519Verify(pk, msg, len, sig);
}
export function ed25519VerifyBegin(pk: usize, sig: usize): i32 { return verify.ed25519VerifyBegin(pk, sig); }
export function ed25519VerifyUpdate(msg: usize, len: i32): void { verify.ed25519VerifyUpdate(msg, len); }
export function ed25519VerifyEnd(): i32 { return verify.ed25519VerifyEnd(); }
export function ed25519RegisterKey(slot: i32, pk: usize): i32 { return verify.ed25519RegisterKey(slot, pk); }
export function ed25519VerifyRegistered(slot: i32, msg: usize, len: i32, sig: usize): i32 {
  return verify.ed25519VerifyRegistered(slot, msg, len, sig);
}

// ---- Ed25519 sign (device key) ------------------------------------------------
export function ed25519PublicKey(seed: usize, pkOut: usize): void { sign.ed25519PublicKey(seed, pkOut); }
export function ed25519Sign(sk: usize, msg: usize, len: i32, sigOut: usize): void {
  sign.ed25519Sign(sk, msg, len, sigOut);
}
export * from "./ledger/exports";
export * from "./reader/exports";
