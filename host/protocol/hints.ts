// Decoding hints of tap protocol 3 (docs/PROTOCOL.md): the x-coordinate of each point the
// wallet sends, so the reader can check a point algebraically (x canonical, x's parity =
// the encoding's sign bit, -x² + y² = 1 + d·x²·y²) instead of taking a square root. A hint
// is advice, never trusted: a wrong one only makes the reader decode on its own. Hints are
// not signed, not stored in the ledger and not part of certHash.
import { decodePoint } from "../crypto/reference.ts";
import { FIELD_P, bytesToNumberLE, numberToBytesLE } from "../crypto/encoding.ts";
import { ProtocolError, checkBytes, checkLength, concatBytes } from "./bytes.ts";
import {
  AUTHORIZATION_BYTES, AUTHORIZATION_SIGNED_BYTES, CERTIFICATE_BYTES, CERTIFICATE_SIGNED_BYTES,
  HINT_BYTES, PAYMENT_ANSWER_BYTES, POSSESSION_PROOF_BYTES, PUBLIC_KEY_BYTES,
  REPRESENTATION_ANSWER_BYTES, REPRESENTATION_BYTES, SELECT_ANSWER_BYTES,
} from "./constants.ts";

/** Offset of walletPublicKey in the certificate (docs/PROTOCOL.md, "Certificate"). */
export const CERT_WALLET_KEY_OFFSET = 21;
/** Offset of the issuer signature's R in the certificate. */
export const CERT_SIGNATURE_R_OFFSET = CERTIFICATE_SIGNED_BYTES;
/** Offset of the wallet signature's R in the authorization. */
export const AUTH_SIGNATURE_R_OFFSET = AUTHORIZATION_SIGNED_BYTES;

/**
 * The hint for a 32-byte point encoding: x of the point it encodes under the strict policy
 * (RFC 8032 §5.1.3), little-endian, < p. 32 zero bytes when it encodes no point (the
 * reader declines such an encoding whatever the hint says).
 */
export function xHint(encoding: Uint8Array): Uint8Array {
  checkBytes("point encoding", encoding, PUBLIC_KEY_BYTES);
  const point = decodePoint(encoding);
  if (point === null) return new Uint8Array(HINT_BYTES);
  return numberToBytesLE(point.x, HINT_BYTES);
}

/**
 * The x a ZIP-215 decoder finds for an encoding (y reduced mod p, x = 0 with a set sign
 * bit accepted): a hint that satisfies the curve equation for some encodings the strict
 * policy declines (y ≥ p). Zeros when no point has that y. For adversarial tests only.
 */
export function lenientXHint(encoding: Uint8Array): Uint8Array {
  checkBytes("point encoding", encoding, PUBLIC_KEY_BYTES);
  const point = decodePoint(encoding, true);
  if (point === null) return new Uint8Array(HINT_BYTES);
  return numberToBytesLE(point.x, HINT_BYTES);
}

/** A wrong hint of the same point: x of its negation, p − x (its parity is the other one,
 *  or it is p itself, not canonical, when x = 0). */
export function negatedHint(hint: Uint8Array): Uint8Array {
  checkBytes("hint", hint, HINT_BYTES);
  const x = bytesToNumberLE(hint) % FIELD_P;
  return numberToBytesLE(FIELD_P - x, HINT_BYTES);
}

/** The two hints of a SELECT answer. */
export interface CertificateHints {
  /** x of walletPublicKey (certificate bytes 21..53). */
  keyX: Uint8Array;
  /** x of the issuer signature's R (certificate bytes 67..99). */
  certRX: Uint8Array;
}

export interface SelectAnswer extends CertificateHints {
  certificate: Uint8Array;
}

/** The honest hints of a certificate (it need not verify, nor its points decode). */
export function certificateHints(certificate: Uint8Array): CertificateHints {
  checkLength("certificate", certificate, CERTIFICATE_BYTES);
  const keyAt = CERT_WALLET_KEY_OFFSET;
  return {
    keyX: xHint(certificate.subarray(keyAt, keyAt + PUBLIC_KEY_BYTES)),
    certRX: xHint(certificate.subarray(CERT_SIGNATURE_R_OFFSET, CERT_SIGNATURE_R_OFFSET + 32)),
  };
}

/** The hint of an authorization: x of its signature's R (authorization bytes 43..75). */
export function authorizationHint(authorization: Uint8Array): Uint8Array {
  checkLength("authorization", authorization, AUTHORIZATION_BYTES);
  return xHint(authorization.subarray(AUTH_SIGNATURE_R_OFFSET, AUTH_SIGNATURE_R_OFFSET + 32));
}

/** The hint of a possession proof: x of its R (proof bytes 0..32). */
export function proofHint(proof: Uint8Array): Uint8Array {
  checkLength("possession proof", proof, POSSESSION_PROOF_BYTES);
  return xHint(proof.subarray(0, 32));
}

/** certificate ‖ keyX ‖ certRX (195 bytes); hints default to the honest ones. */
export function encodeSelectAnswer(
  certificate: Uint8Array,
  hints: CertificateHints = certificateHints(certificate),
): Uint8Array {
  checkLength("certificate", certificate, CERTIFICATE_BYTES);
  checkBytes("selectAnswer.keyX", hints.keyX, HINT_BYTES);
  checkBytes("selectAnswer.certRX", hints.certRX, HINT_BYTES);
  return concatBytes(certificate, hints.keyX, hints.certRX);
}

/** Splits a SELECT answer; the hints are returned as sent (not checked: they are advice). */
export function decodeSelectAnswer(data: Uint8Array): SelectAnswer {
  checkLength("selectAnswer", data, SELECT_ANSWER_BYTES);
  const keyAt = CERTIFICATE_BYTES;
  return {
    certificate: data.slice(0, keyAt),
    keyX: data.slice(keyAt, keyAt + HINT_BYTES),
    certRX: data.slice(keyAt + HINT_BYTES, SELECT_ANSWER_BYTES),
  };
}

/** A PAY answer: a payment (authorization ‖ rX) or a re-presentation
 *  (authorization ‖ proof ‖ proofRX). */
export type PayAnswer =
  | { kind: "payment"; authorization: Uint8Array; rX: Uint8Array }
  | { kind: "representation"; authorization: Uint8Array; proof: Uint8Array; proofRX: Uint8Array };

/** authorization ‖ rX (139 bytes); the hint defaults to the honest one. */
export function encodePaymentAnswer(
  authorization: Uint8Array,
  rX: Uint8Array = authorizationHint(authorization),
): Uint8Array {
  checkLength("authorization", authorization, AUTHORIZATION_BYTES);
  checkBytes("paymentAnswer.rX", rX, HINT_BYTES);
  return concatBytes(authorization, rX);
}

/** authorization ‖ proof ‖ proofRX (203 bytes); the hint defaults to the honest one. */
export function encodeRepresentationAnswer(
  authorization: Uint8Array,
  proof: Uint8Array,
  proofRX: Uint8Array = proofHint(proof),
): Uint8Array {
  checkLength("authorization", authorization, AUTHORIZATION_BYTES);
  checkLength("possession proof", proof, POSSESSION_PROOF_BYTES);
  checkBytes("representationAnswer.proofRX", proofRX, HINT_BYTES);
  return concatBytes(authorization, proof, proofRX);
}

/** Splits a PAY answer by its length (139: a payment, 203: a re-presentation). */
export function decodePayAnswer(data: Uint8Array): PayAnswer {
  if (!(data instanceof Uint8Array)) throw new ProtocolError("payAnswer", "must be a Uint8Array");
  const authorization = data.slice(0, AUTHORIZATION_BYTES);
  if (data.length === PAYMENT_ANSWER_BYTES) {
    return { kind: "payment", authorization, rX: data.slice(AUTHORIZATION_BYTES) };
  }
  if (data.length === REPRESENTATION_ANSWER_BYTES) {
    return {
      kind: "representation", authorization,
      proof: data.slice(AUTHORIZATION_BYTES, REPRESENTATION_BYTES),
      proofRX: data.slice(REPRESENTATION_BYTES),
    };
  }
  throw new ProtocolError(
    "payAnswer",
    `must be ${PAYMENT_ANSWER_BYTES} bytes (a payment) or ${REPRESENTATION_ANSWER_BYTES} `
      + `(a re-presentation), got ${data.length}`,
  );
}
