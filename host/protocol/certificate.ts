// Wallet certificate (131 bytes), docs/PROTOCOL.md "Wallet certificate".
import { createHash } from "node:crypto";
import {
  CERTIFICATE_BYTES, CERTIFICATE_SIGNED_BYTES, CERT_HASH_BYTES, CERT_LABEL, PUBLIC_KEY_BYTES,
  SIGNATURE_BYTES, WALLET_ID_BYTES,
} from "./constants.ts";
import { ProtocolError, checkBytes, checkLength, checkUint, concatBytes, readU16, readU32, writeU16, writeU32 } from "./bytes.ts";

export interface CertificateBody {
  version: number;
  issuerKeyId: number;
  walletId: Uint8Array;
  walletPublicKey: Uint8Array;
  currency: number;
  offlineCap: number;
  validFrom: number;
  validUntil: number;
}

export interface Certificate extends CertificateBody {
  issuerSignature: Uint8Array;
}

export interface DecodeOptions {
  /** Reject anything but version 1 (a reader declines it as UNSUPPORTED_VERSION). Default true. */
  strictVersion?: boolean;
  /** Reject `validUntil <= validFrom` (the reader declines it MALFORMED). Default true. */
  strictWindow?: boolean;
}

function checkBody(c: CertificateBody): void {
  checkUint("certificate.version", c.version, 8);
  checkUint("certificate.issuerKeyId", c.issuerKeyId, 32);
  checkBytes("certificate.walletId", c.walletId, WALLET_ID_BYTES);
  checkBytes("certificate.walletPublicKey", c.walletPublicKey, PUBLIC_KEY_BYTES);
  checkUint("certificate.currency", c.currency, 16);
  checkUint("certificate.offlineCap", c.offlineCap, 32);
  checkUint("certificate.validFrom", c.validFrom, 32);
  checkUint("certificate.validUntil", c.validUntil, 32);
}

/** The 67 signed bytes (everything before the signature). */
export function encodeCertificateBody(c: CertificateBody): Uint8Array {
  checkBody(c);
  const b = new Uint8Array(CERTIFICATE_SIGNED_BYTES);
  b[0] = c.version;
  writeU32(b, 1, c.issuerKeyId);
  b.set(c.walletId, 5);
  b.set(c.walletPublicKey, 21);
  writeU16(b, 53, c.currency);
  writeU32(b, 55, c.offlineCap);
  writeU32(b, 59, c.validFrom);
  writeU32(b, 63, c.validUntil);
  return b;
}

/** `"offtap/cert/v1" ‖ bytes[0..67)` — what the issuer signs. */
export function certificateSignedMessage(c: CertificateBody): Uint8Array {
  return concatBytes(CERT_LABEL, encodeCertificateBody(c));
}

export function encodeCertificate(c: Certificate): Uint8Array {
  checkBytes("certificate.issuerSignature", c.issuerSignature, SIGNATURE_BYTES);
  const out = new Uint8Array(CERTIFICATE_BYTES);
  out.set(encodeCertificateBody(c), 0);
  out.set(c.issuerSignature, CERTIFICATE_SIGNED_BYTES);
  return out;
}

/**
 * Decodes and validates the layout. It does not verify the signature or the validity
 * window against a clock (those are the reader's checks), but it does reject
 * `validUntil <= validFrom`, which no issuer signs.
 */
export function decodeCertificate(bytes: Uint8Array, options: DecodeOptions = {}): Certificate {
  checkLength("certificate", bytes, CERTIFICATE_BYTES);
  const version = bytes[0]!;
  if ((options.strictVersion ?? true) && version !== 1) {
    throw new ProtocolError("certificate.version", `unsupported version ${version} (this codec speaks 1)`);
  }
  const c: Certificate = {
    version,
    issuerKeyId: readU32(bytes, 1),
    walletId: bytes.slice(5, 21),
    walletPublicKey: bytes.slice(21, 53),
    currency: readU16(bytes, 53),
    offlineCap: readU32(bytes, 55),
    validFrom: readU32(bytes, 59),
    validUntil: readU32(bytes, 63),
    issuerSignature: bytes.slice(67, 131),
  };
  if ((options.strictWindow ?? true) && c.validUntil <= c.validFrom) {
    throw new ProtocolError("certificate.validUntil", `must be after validFrom (${c.validFrom}), got ${c.validUntil}`);
  }
  return c;
}

/** `certHash = H16(certificate)`: the first 16 bytes of SHA-512 over all 131 bytes. */
export function certHash(certificateBytes: Uint8Array): Uint8Array {
  checkLength("certificate", certificateBytes, CERTIFICATE_BYTES);
  const d = createHash("sha512").update(certificateBytes).digest();
  return Uint8Array.from(d.subarray(0, CERT_HASH_BYTES));
}
