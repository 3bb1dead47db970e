// PAY command data (34 bytes), payment authorization (107 bytes) and re-presentation
// (171 bytes), docs/PROTOCOL.md "2. PAY".
import {
  AUTHORIZATION_BYTES, AUTHORIZATION_SIGNED_BYTES, AUTH_LABEL, CERT_HASH_BYTES, CHALLENGE_BYTES,
  PAYMENT_COMMAND_BYTES, POSSESSION_PROOF_BYTES, READER_ID_BYTES, REPRESENTATION_BYTES, RETAP_LABEL,
  SIGNATURE_BYTES,
} from "./constants.ts";
import {
  ProtocolError, checkBytes, checkLength, checkUint, concatBytes, readU16, readU32, writeU16,
  writeU32,
} from "./bytes.ts";

export interface PaymentCommand {
  challenge: Uint8Array;
  readerId: Uint8Array;
  amount: number;
  currency: number;
  readerTime: number;
}

export interface AuthorizationBody extends PaymentCommand {
  version: number;
  counter: number;
  cumulative: number;
}

export interface Authorization extends AuthorizationBody {
  walletSignature: Uint8Array;
}

function checkCommand(prefix: string, c: PaymentCommand): void {
  checkBytes(`${prefix}.challenge`, c.challenge, CHALLENGE_BYTES);
  checkBytes(`${prefix}.readerId`, c.readerId, READER_ID_BYTES);
  checkUint(`${prefix}.amount`, c.amount, 32);
  checkUint(`${prefix}.currency`, c.currency, 16);
  checkUint(`${prefix}.readerTime`, c.readerTime, 32);
}

/** Writes challenge ‖ readerId ‖ amount ‖ currency ‖ readerTime (30 + 4 bytes) at `at`. */
function writeCommandFields(b: Uint8Array, at: number, c: PaymentCommand): void {
  b.set(c.challenge, at);
  b.set(c.readerId, at + 16);
  writeU32(b, at + 24, c.amount);
  writeU16(b, at + 28, c.currency);
  writeU32(b, at + 30, c.readerTime);
}

function readCommandFields(b: Uint8Array, at: number): PaymentCommand {
  return {
    challenge: b.slice(at, at + 16),
    readerId: b.slice(at + 16, at + 24),
    amount: readU32(b, at + 24),
    currency: readU16(b, at + 28),
    readerTime: readU32(b, at + 30),
  };
}

export function encodePaymentCommand(c: PaymentCommand): Uint8Array {
  checkCommand("payment", c);
  const b = new Uint8Array(PAYMENT_COMMAND_BYTES);
  writeCommandFields(b, 0, c);
  return b;
}

export function decodePaymentCommand(bytes: Uint8Array): PaymentCommand {
  checkLength("payment command", bytes, PAYMENT_COMMAND_BYTES);
  return readCommandFields(bytes, 0);
}

/** The 43 signed bytes of an authorization (everything before the signature). */
export function encodeAuthorizationBody(a: AuthorizationBody): Uint8Array {
  checkUint("authorization.version", a.version, 8);
  checkCommand("authorization", a);
  checkUint("authorization.counter", a.counter, 32);
  checkUint("authorization.cumulative", a.cumulative, 32);
  const b = new Uint8Array(AUTHORIZATION_SIGNED_BYTES);
  b[0] = a.version;
  writeCommandFields(b, 1, a);
  writeU32(b, 35, a.counter);
  writeU32(b, 39, a.cumulative);
  return b;
}

/** `"offtap/auth/v1" ‖ certHash ‖ bytes[0..43)` — what the wallet signs. */
export function authorizationSignedMessage(
  certHashBytes: Uint8Array, a: AuthorizationBody,
): Uint8Array {
  checkBytes("certHash", certHashBytes, CERT_HASH_BYTES);
  return concatBytes(AUTH_LABEL, certHashBytes, encodeAuthorizationBody(a));
}

export function encodeAuthorization(a: Authorization): Uint8Array {
  checkBytes("authorization.walletSignature", a.walletSignature, SIGNATURE_BYTES);
  const out = new Uint8Array(AUTHORIZATION_BYTES);
  out.set(encodeAuthorizationBody(a), 0);
  out.set(a.walletSignature, AUTHORIZATION_SIGNED_BYTES);
  return out;
}

export function decodeAuthorization(
  bytes: Uint8Array, options: { strictVersion?: boolean } = {},
): Authorization {
  checkLength("authorization", bytes, AUTHORIZATION_BYTES);
  const version = bytes[0]!;
  if ((options.strictVersion ?? true) && version !== 1) {
    const what = `unsupported version ${version} (this codec speaks 1)`;
    throw new ProtocolError("authorization.version", what);
  }
  return {
    version,
    ...readCommandFields(bytes, 1),
    counter: readU32(bytes, 35),
    cumulative: readU32(bytes, 39),
    walletSignature: bytes.slice(43, 107),
  };
}

/**
 * `"offtap/retap/v2" ‖ certHash ‖ command ‖ authorization[43..107)` (129 bytes): what the
 * wallet signs to prove it holds its key when it re-presents `authorization` in answer
 * to the PAY that carried `command` (docs/PROTOCOL.md, "Re-presentation").
 */
export function possessionProofMessage(
  certHashBytes: Uint8Array, command: PaymentCommand, authorization: Uint8Array,
): Uint8Array {
  checkBytes("certHash", certHashBytes, CERT_HASH_BYTES);
  checkLength("authorization", authorization, AUTHORIZATION_BYTES);
  const signature = authorization.subarray(AUTHORIZATION_SIGNED_BYTES, AUTHORIZATION_BYTES);
  return concatBytes(RETAP_LABEL, certHashBytes, encodePaymentCommand(command), signature);
}

export interface Representation {
  /** The pending authorization, byte for byte as first sent. */
  authorization: Uint8Array;
  possessionProof: Uint8Array;
}

export function encodeRepresentation(r: Representation): Uint8Array {
  checkLength("representation.authorization", r.authorization, AUTHORIZATION_BYTES);
  checkBytes("representation.possessionProof", r.possessionProof, POSSESSION_PROOF_BYTES);
  return concatBytes(r.authorization, r.possessionProof);
}

export function decodeRepresentation(bytes: Uint8Array): Representation {
  checkLength("representation", bytes, REPRESENTATION_BYTES);
  return {
    authorization: bytes.slice(0, AUTHORIZATION_BYTES),
    possessionProof: bytes.slice(AUTHORIZATION_BYTES, REPRESENTATION_BYTES),
  };
}
