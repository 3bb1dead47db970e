// Every fixed number of tap protocol 3 (docs/PROTOCOL.md), in one place.

/** The major protocol version, carried in the AID (3: answers carry decoding hints). */
export const PROTOCOL_MAJOR = 3;
/** Version byte of certificates and authorizations (unchanged since protocol 1). */
export const PROTOCOL_VERSION = 1;
/** Version byte of receipts (2 since protocol 2 added outcome 2). */
export const RECEIPT_VERSION = 2;

/** `F0` proprietary AID, ASCII "offtap", major version 03. */
export const AID = Uint8Array.of(0xf0, 0x6f, 0x66, 0x66, 0x74, 0x61, 0x70, PROTOCOL_MAJOR);

export const CERTIFICATE_BYTES = 131;
export const CERTIFICATE_SIGNED_BYTES = 67;
export const PAYMENT_COMMAND_BYTES = 34;
export const AUTHORIZATION_BYTES = 107;
export const AUTHORIZATION_SIGNED_BYTES = 43;
export const RECEIPT_BYTES = 46;
/** A re-presentation: the pending authorization ‖ a 64-byte possession proof. */
export const POSSESSION_PROOF_BYTES = 64;
export const REPRESENTATION_BYTES = AUTHORIZATION_BYTES + POSSESSION_PROOF_BYTES;
/** A decoding hint: x of a point, little-endian, < p, top bit 0 (docs/PROTOCOL.md). */
export const HINT_BYTES = 32;
/** SELECT answer: certificate ‖ keyX ‖ certRX. */
export const SELECT_ANSWER_BYTES = CERTIFICATE_BYTES + 2 * HINT_BYTES;
/** PAY answer of a payment: authorization ‖ rX. */
export const PAYMENT_ANSWER_BYTES = AUTHORIZATION_BYTES + HINT_BYTES;
/** PAY answer of a re-presentation: authorization ‖ proof ‖ proofRX. */
export const REPRESENTATION_ANSWER_BYTES = REPRESENTATION_BYTES + HINT_BYTES;
export const CERT_HASH_BYTES = 16;

export const WALLET_ID_BYTES = 16;
export const READER_ID_BYTES = 8;
export const CHALLENGE_BYTES = 16;
export const PUBLIC_KEY_BYTES = 32;
export const SIGNATURE_BYTES = 64;
export const RECORD_HASH_BYTES = 16;

/** Domain-separation labels: a signature of one kind never verifies as another. */
export const CERT_LABEL = new TextEncoder().encode("offtap/cert/v1");
export const AUTH_LABEL = new TextEncoder().encode("offtap/auth/v1");
export const RETAP_LABEL = new TextEncoder().encode("offtap/retap/v2");

/** Validity-window tolerance each side, for reader clock drift. */
export const CLOCK_DRIFT_TOLERANCE_S = 300;

export const CLA_ISO = 0x00;
export const CLA_PROPRIETARY = 0x80;
export const INS_SELECT = 0xa4;
export const INS_PAY = 0x50;
export const INS_RECEIPT = 0x52;
export const P1_SELECT_BY_NAME = 0x04;

/** Short APDU limits (ISO/IEC 7816-4 §5.1). */
export const SHORT_COMMAND_DATA_MAX = 255;
export const SHORT_RESPONSE_DATA_MAX = 256;

export const RECEIPT_OUTCOME_ACCEPTED = 0;
export const RECEIPT_OUTCOME_ALREADY_ACCEPTED = 1;
export const RECEIPT_OUTCOME_ALREADY_USED = 2;

/** ISO/IEC 7816-4 status words used by the protocol. */
export const SW = {
  OK: 0x9000,
  WRONG_LENGTH: 0x6700,
  CONDITIONS_NOT_SATISFIED: 0x6985,
  WRONG_DATA: 0x6a80,
  FILE_NOT_FOUND: 0x6a82,
  INS_NOT_SUPPORTED: 0x6d00,
  CLA_NOT_SUPPORTED: 0x6e00,
} as const;

export const STATUS_WORD_NAMES: ReadonlyMap<number, string> = new Map([
  [SW.OK, "normal processing"],
  [SW.WRONG_LENGTH, "wrong length"],
  [SW.CONDITIONS_NOT_SATISFIED, "conditions of use not satisfied"],
  [SW.WRONG_DATA, "incorrect parameters in the command data field"],
  [SW.FILE_NOT_FOUND, "file or application not found"],
  [SW.INS_NOT_SUPPORTED, "instruction code not supported"],
  [SW.CLA_NOT_SUPPORTED, "class not supported"],
]);

export function statusWordName(sw: number): string {
  return STATUS_WORD_NAMES.get(sw) ?? "unknown status word";
}
