// The payment command and the payment authorization (docs/PROTOCOL.md, "PAY"). The
// authorization's bytes [1..35) repeat the payment command's [0..34) field for field
// (challenge, reader id, amount, currency, reader time), which is what check 9 compares.
// Pure.
import {
  CONTINUE, MALFORMED, READER_ID_MISMATCH, AMOUNT_MISMATCH, CURRENCY_MISMATCH, OVER_OFFLINE_CAP,
} from "./codes";
import { loadBe32, storeBe16, storeBe32, bytesCopy, bytesEqual } from "./bytes";
import { LABEL_BYTES, CERT_HASH_BYTES } from "./cert";

// Payment command (34 bytes).
export const CMD_CHALLENGE: usize = 0;
export const CMD_READER_ID: usize = 16;
export const CMD_AMOUNT: usize = 24;
export const CMD_CURRENCY: usize = 28;
export const CMD_READER_TIME: usize = 30;
export const CMD_BYTES: i32 = 34;
export const CHALLENGE_BYTES: i32 = 16;
export const READER_ID_BYTES: i32 = 8;

// Authorization (107 bytes).
export const AUTH_BYTES: i32 = 107;
export const AUTH_VERSION: u8 = 1;
/** Offset of the echoed command inside the authorization. */
export const AUTH_ECHO: usize = 1;
export const AUTH_CHALLENGE: usize = 1;
export const AUTH_READER_ID: usize = 17;
export const AUTH_AMOUNT: usize = 25;
export const AUTH_CURRENCY: usize = 29;
export const AUTH_READER_TIME: usize = 31;
export const AUTH_COUNTER: usize = 35;
export const AUTH_CUMULATIVE: usize = 39;
export const AUTH_SIGNATURE: usize = 43;
export const AUTH_SIGNED_BYTES: i32 = 43;
export const SIGNATURE_BYTES: i32 = 64;

/** ASCII "offtap/auth/v1". */
export const AUTH_LABEL: usize = memory.data<u8>([
  0x6F, 0x66, 0x66, 0x74, 0x61, 0x70, 0x2F, 0x61, 0x75, 0x74, 0x68, 0x2F, 0x76, 0x31,
]);
/** Label ‖ certHash ‖ bytes[0..43). */
export const AUTH_MESSAGE_BYTES: i32 = LABEL_BYTES + CERT_HASH_BYTES + AUTH_SIGNED_BYTES;

// Re-presentation (171 bytes): the pending authorization ‖ a possession proof.
export const PROOF_BYTES: i32 = SIGNATURE_BYTES;
export const REPRESENTATION_BYTES: i32 = AUTH_BYTES + PROOF_BYTES;
/** ASCII "offtap/retap/v2", the domain label of the possession proof. */
export const PROOF_LABEL: usize = memory.data<u8>([
  0x6F, 0x66, 0x66, 0x74, 0x61, 0x70, 0x2F, 0x72, 0x65, 0x74, 0x61, 0x70, 0x2F, 0x76, 0x32,
]);
export const PROOF_LABEL_BYTES: i32 = 15;
/** Label ‖ certHash ‖ payment command (34) ‖ the authorization's signature (64) = 129. */
export const PROOF_MESSAGE_BYTES: i32 =
  PROOF_LABEL_BYTES + CERT_HASH_BYTES + CMD_BYTES + SIGNATURE_BYTES;

@inline export function authAmount(auth: usize): u32 { return loadBe32(auth + AUTH_AMOUNT); }
@inline export function authCounter(auth: usize): u32 { return loadBe32(auth + AUTH_COUNTER); }
@inline export function authCumulative(auth: usize): u32 {
  return loadBe32(auth + AUTH_CUMULATIVE);
}

/** Builds the 34-byte payment command; the challenge is already at cmd + 0. */
export function buildPayCommand(
  cmd: usize, readerId: usize, amount: u32, currency: u32, timeS: u32,
): void {
  bytesCopy(cmd + CMD_READER_ID, readerId, READER_ID_BYTES);
  storeBe32(cmd + CMD_AMOUNT, amount);
  storeBe16(cmd + CMD_CURRENCY, currency);
  storeBe32(cmd + CMD_READER_TIME, timeS);
}

/** Check 8's question: is this the authorization for the challenge just sent? */
export function authChallengeMatches(auth: usize, cmd: usize): bool {
  return bytesEqual(auth + AUTH_CHALLENGE, cmd + CMD_CHALLENGE, CHALLENGE_BYTES);
}

/** Check 9: reader id, amount, currency and reader time are what the reader sent. */
export function authCheckEcho(auth: usize, cmd: usize): i32 {
  if (!bytesEqual(auth + AUTH_READER_ID, cmd + CMD_READER_ID, READER_ID_BYTES)) {
    return READER_ID_MISMATCH;
  }
  if (!bytesEqual(auth + AUTH_AMOUNT, cmd + CMD_AMOUNT, 4)) return AMOUNT_MISMATCH;
  if (!bytesEqual(auth + AUTH_CURRENCY, cmd + CMD_CURRENCY, 2)) return CURRENCY_MISMATCH;
  if (!bytesEqual(auth + AUTH_READER_TIME, cmd + CMD_READER_TIME, 4)) return MALFORMED;
  return CONTINUE;
}

/** Check 12: amount ≤ cumulative ≤ offlineCap. */
export function authCheckCap(auth: usize, offlineCap: u32): i32 {
  const cumulative = authCumulative(auth);
  if (cumulative < authAmount(auth) || cumulative > offlineCap) return OVER_OFFLINE_CAP;
  return CONTINUE;
}

/** Writes "offtap/auth/v1" ‖ certHash ‖ bytes[0..43) to out; returns its length. */
export function authSignedMessage(auth: usize, certHash: usize, out: usize): i32 {
  bytesCopy(out, AUTH_LABEL, LABEL_BYTES);
  bytesCopy(out + <usize>LABEL_BYTES, certHash, CERT_HASH_BYTES);
  bytesCopy(out + <usize>(LABEL_BYTES + CERT_HASH_BYTES), auth, AUTH_SIGNED_BYTES);
  return AUTH_MESSAGE_BYTES;
}

/** Writes the possession proof's message "offtap/retap/v2" ‖ certHash ‖ cmd[0..34) ‖
 *  auth[43..107) to out (PROOF_MESSAGE_BYTES long); returns its length. */
export function proofSignedMessage(auth: usize, certHash: usize, cmd: usize, out: usize): i32 {
  bytesCopy(out, PROOF_LABEL, PROOF_LABEL_BYTES);
  let at = out + <usize>PROOF_LABEL_BYTES;
  bytesCopy(at, certHash, CERT_HASH_BYTES);
  at += <usize>CERT_HASH_BYTES;
  bytesCopy(at, cmd, CMD_BYTES);
  at += <usize>CMD_BYTES;
  bytesCopy(at, auth + AUTH_SIGNATURE, SIGNATURE_BYTES);
  return PROOF_MESSAGE_BYTES;
}
