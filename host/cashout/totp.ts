// One-time passwords: HOTP (RFC 4226) and TOTP (RFC 6238) on node:crypto's HMAC, with
// RFC 4648 base32 for secrets and the otpauth:// key URI authenticator apps read.
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";

export type TotpAlgorithm = "sha1" | "sha256" | "sha512";

export interface TotpParams {
  readonly algorithm: TotpAlgorithm;
  readonly digits: number;
  /** Time step X in seconds (RFC 6238 §4.1). */
  readonly stepSeconds: number;
  /** Steps accepted either side of the current one, for clock drift (RFC 6238 §5.2). */
  readonly windowSteps: number;
}

/** The parameters every authenticator app supports: HMAC-SHA-1, 6 digits, 30 s, ±1 step. */
export const TOTP_DEFAULT: TotpParams = Object.freeze({ algorithm: "sha1", digits: 6, stepSeconds: 30, windowSteps: 1 });

/** RFC 4226 §5.4 dynamic truncation, generalised to 6..10 digits (RFC 6238 uses 8). */
export function hotp(secret: Uint8Array, counter: bigint, digits = 6, algorithm: TotpAlgorithm = "sha1"): string {
  if (!Number.isInteger(digits) || digits < 6 || digits > 10) throw new RangeError(`digits must be 6..10, got ${digits}`);
  if (counter < 0n || counter >= 1n << 64n) throw new RangeError("counter must fit in 64 bits");
  const msg = Buffer.alloc(8);
  msg.writeBigUInt64BE(counter);
  const mac = createHmac(algorithm, secret).update(msg).digest();
  const offset = mac[mac.length - 1]! & 0x0f;
  const binary = ((mac[offset]! & 0x7f) * 2 ** 24) + (mac[offset + 1]! << 16) + (mac[offset + 2]! << 8) + mac[offset + 3]!;
  // 31-bit value mod 10^digits; for 10 digits the modulus exceeds 2^31 and is a no-op.
  return (BigInt(binary) % 10n ** BigInt(digits)).toString().padStart(digits, "0");
}

/** T = floor((unixSeconds − T0) / X) with T0 = 0 (RFC 6238 §4.2). */
export function timeStep(unixSeconds: number, stepSeconds: number): bigint {
  return BigInt(Math.floor(unixSeconds / stepSeconds));
}

export function totp(secret: Uint8Array, unixSeconds: number, params: TotpParams = TOTP_DEFAULT): string {
  return hotp(secret, timeStep(unixSeconds, params.stepSeconds), params.digits, params.algorithm);
}

/** Finds the step within ±window whose code equals `code`, comparing in constant time per
 *  candidate. Returns the matched step or null; the caller enforces "each step once". */
export function matchTotp(secret: Uint8Array, code: string, unixSeconds: number, params: TotpParams = TOTP_DEFAULT): bigint | null {
  if (!new RegExp(`^\\d{${params.digits}}$`).test(code)) return null;
  const now = timeStep(unixSeconds, params.stepSeconds);
  const given = Buffer.from(code, "ascii");
  let found: bigint | null = null;
  for (let d = -params.windowSteps; d <= params.windowSteps; d++) {
    const step = now + BigInt(d);
    if (step < 0n) continue;
    const want = Buffer.from(hotp(secret, step, params.digits, params.algorithm), "ascii");
    // No early exit: every candidate is computed and compared.
    if (timingSafeEqual(want, given) && found === null) found = step;
  }
  return found;
}

const B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/** RFC 4648 §6 base32, without padding (as otpauth URIs carry it). */
export function base32Encode(bytes: Uint8Array): string {
  let out = "";
  let acc = 0;
  let bits = 0;
  for (const b of bytes) {
    acc = (acc << 8) | b;
    bits += 8;
    while (bits >= 5) {
      out += B32[(acc >>> (bits - 5)) & 31];
      bits -= 5;
    }
    acc &= (1 << bits) - 1;
  }
  if (bits > 0) out += B32[(acc << (5 - bits)) & 31];
  return out;
}

export function base32Decode(text: string): Uint8Array {
  const clean = text.replace(/[\s=]/g, "").toUpperCase();
  const out: number[] = [];
  let acc = 0;
  let bits = 0;
  for (const ch of clean) {
    const v = B32.indexOf(ch);
    if (v < 0) throw new RangeError(`'${ch}' is not a base32 character`);
    acc = (acc << 5) | v;
    bits += 5;
    if (bits >= 8) {
      out.push((acc >>> (bits - 8)) & 0xff);
      bits -= 8;
      acc &= (1 << bits) - 1;
    }
  }
  return Uint8Array.from(out);
}

/** 20 random bytes: the HMAC-SHA-1 output size, as RFC 4226 §4 recommends (≥ 128 bits). */
export function newTotpSecret(): Uint8Array {
  return new Uint8Array(randomBytes(20));
}

/** otpauth://totp/ISSUER:ACCOUNT?secret=…&issuer=…&algorithm=SHA1&digits=6&period=30 */
export function otpauthUri(secret: Uint8Array, issuer: string, account: string, params: TotpParams = TOTP_DEFAULT): string {
  const label = `${encodeURIComponent(issuer)}:${encodeURIComponent(account)}`;
  const q = new URLSearchParams({
    secret: base32Encode(secret), issuer, algorithm: params.algorithm.toUpperCase(),
    digits: String(params.digits), period: String(params.stepSeconds),
  });
  return `otpauth://totp/${label}?${q.toString()}`;
}
