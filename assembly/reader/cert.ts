// The wallet certificate (docs/PROTOCOL.md, "Wallet certificate", 131 bytes) and the
// checks on it that need no crypto and no board: shape, validity window, currency and
// per-tap amount limits. Pure.
import {
  CONTINUE, MALFORMED, CERT_NOT_YET_VALID, CERT_EXPIRED, CURRENCY_MISMATCH, AMOUNT_OUT_OF_LIMITS,
} from "./codes";
import { loadBe16, loadBe32, bytesCopy } from "./bytes";

export const CERT_BYTES: i32 = 131;
export const CERT_VERSION: u8 = 1;
export const CERT_ISSUER_KEY_ID: usize = 1;
export const CERT_WALLET_ID: usize = 5;
export const CERT_WALLET_KEY: usize = 21;
export const CERT_CURRENCY: usize = 53;
export const CERT_OFFLINE_CAP: usize = 55;
export const CERT_VALID_FROM: usize = 59;
export const CERT_VALID_UNTIL: usize = 63;
export const CERT_SIGNATURE: usize = 67;
export const CERT_SIGNED_BYTES: i32 = 67;

export const WALLET_ID_BYTES: i32 = 16;
/** certHash = H16(certificate): the first 16 bytes of SHA-512 over all 131 bytes. */
export const CERT_HASH_BYTES: i32 = 16;

/** ASCII "offtap/cert/v1", the domain label of the issuer signature. */
export const CERT_LABEL: usize = memory.data<u8>([
  0x6F, 0x66, 0x66, 0x74, 0x61, 0x70, 0x2F, 0x63, 0x65, 0x72, 0x74, 0x2F, 0x76, 0x31,
]);
export const LABEL_BYTES: i32 = 14;
/** Label ‖ bytes[0..67). */
export const CERT_MESSAGE_BYTES: i32 = LABEL_BYTES + CERT_SIGNED_BYTES;

@inline export function certIssuerKeyId(cert: usize): u32 {
  return loadBe32(cert + CERT_ISSUER_KEY_ID);
}
@inline export function certCurrency(cert: usize): u32 { return loadBe16(cert + CERT_CURRENCY); }
@inline export function certOfflineCap(cert: usize): u32 {
  return loadBe32(cert + CERT_OFFLINE_CAP);
}
@inline export function certValidFrom(cert: usize): u32 { return loadBe32(cert + CERT_VALID_FROM); }
@inline export function certValidUntil(cert: usize): u32 {
  return loadBe32(cert + CERT_VALID_UNTIL);
}

/** Field rules beyond length and version (already judged on the frame): a window that
 *  ends before it starts can never be valid and is an encoding error. */
export function certCheckShape(cert: usize): i32 {
  if (certValidUntil(cert) <= certValidFrom(cert)) return MALFORMED;
  return CONTINUE;
}

/** Writes the issuer-signed message "offtap/cert/v1" ‖ bytes[0..67) to out; returns its
 *  length. */
export function certSignedMessage(cert: usize, out: usize): i32 {
  bytesCopy(out, CERT_LABEL, LABEL_BYTES);
  bytesCopy(out + <usize>LABEL_BYTES, cert, CERT_SIGNED_BYTES);
  return CERT_MESSAGE_BYTES;
}

/** Check 4: the validity window widened by the drift tolerance on each side. u64
 *  arithmetic so that windows near 0 or 2^32 cannot wrap. */
export function certCheckWindow(cert: usize, nowS: u32, toleranceS: u32): i32 {
  const now = <u64>nowS;
  if (now + <u64>toleranceS < <u64>certValidFrom(cert)) return CERT_NOT_YET_VALID;
  if (now > <u64>certValidUntil(cert) + <u64>toleranceS) return CERT_EXPIRED;
  return CONTINUE;
}

/** Check 6: the reader's currency and its per-tap limits. */
export function certCheckPayment(
  cert: usize, currency: u32, amount: u32, minAmount: u32, maxAmount: u32,
): i32 {
  if (certCurrency(cert) != currency) return CURRENCY_MISMATCH;
  if (amount < minAmount || amount > maxAmount) return AMOUNT_OUT_OF_LIMITS;
  return CONTINUE;
}
