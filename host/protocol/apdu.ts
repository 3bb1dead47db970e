// Short C-APDUs and R-APDUs of the tap exchange (ISO/IEC 7816-4 §5.1, docs/PROTOCOL.md).
import {
  AID, CLA_ISO, CLA_PROPRIETARY, INS_PAY, INS_RECEIPT, INS_SELECT, P1_SELECT_BY_NAME,
  PAYMENT_ANSWER_BYTES, PAYMENT_COMMAND_BYTES, RECEIPT_BYTES, SELECT_ANSWER_BYTES,
  SHORT_COMMAND_DATA_MAX, SHORT_RESPONSE_DATA_MAX, SW, statusWordName,
} from "./constants.ts";
import { ProtocolError, equalBytes, toHex } from "./bytes.ts";
import {
  type PaymentCommand, decodePaymentCommand, encodePaymentCommand,
} from "./authorization.ts";
import { type Receipt, decodeReceipt, encodeReceipt } from "./receipt.ts";

/** A C-APDU the card side rejects; `sw` is the status word a wallet answers with. */
export class CommandError extends ProtocolError {
  constructor(field: string, message: string, readonly sw: number) {
    super(field, message);
    this.name = "CommandError";
  }
}

export interface CommandApdu {
  cla: number;
  ins: number;
  p1: number;
  p2: number;
  data: Uint8Array;
  /** Expected response length: undefined = absent, 1…256 (a `00` byte means 256). */
  le: number | undefined;
}

/** Parses a short C-APDU in any of the four ISO cases. */
export function parseCommandApdu(bytes: Uint8Array): CommandApdu {
  if (bytes.length < 4) {
    throw new CommandError(
      "C-APDU",
      `shorter than a header (${bytes.length} bytes)`,
      SW.WRONG_LENGTH,
    );
  }
  const head = { cla: bytes[0]!, ins: bytes[1]!, p1: bytes[2]!, p2: bytes[3]! };
  if (bytes.length === 4) return { ...head, data: new Uint8Array(0), le: undefined };
  if (bytes.length === 5) {
    return { ...head, data: new Uint8Array(0), le: bytes[4] === 0 ? 256 : bytes[4] };
  }
  const lc = bytes[4]!;
  if (lc === 0) {
    throw new CommandError(
      "C-APDU.Lc",
      "Lc = 0 with a body is an extended APDU (not supported)",
      SW.WRONG_LENGTH,
    );
  }
  if (bytes.length === 5 + lc) return { ...head, data: bytes.slice(5, 5 + lc), le: undefined };
  if (bytes.length === 6 + lc) {
    const le = bytes[5 + lc]!;
    return { ...head, data: bytes.slice(5, 5 + lc), le: le === 0 ? 256 : le };
  }
  throw new CommandError(
    "C-APDU.Lc",
    `Lc = ${lc} does not match the ${bytes.length}-byte frame`,
    SW.WRONG_LENGTH,
  );
}

export function encodeCommandApdu(c: CommandApdu): Uint8Array {
  if (c.data.length > SHORT_COMMAND_DATA_MAX) {
    throw new ProtocolError(
      "C-APDU.data",
      `at most ${SHORT_COMMAND_DATA_MAX} bytes in a short APDU, got ${c.data.length}`,
    );
  }
  if (c.le !== undefined && (c.le < 1 || c.le > 256)) {
    throw new ProtocolError("C-APDU.Le", `must be 1…256, got ${c.le}`);
  }
  const parts: number[] = [c.cla, c.ins, c.p1, c.p2];
  if (c.data.length > 0) parts.push(c.data.length, ...c.data);
  if (c.le !== undefined) parts.push(c.le & 0xff);
  return Uint8Array.from(parts);
}

export function encodeSelect(aid: Uint8Array = AID): Uint8Array {
  return encodeCommandApdu(
    { cla: CLA_ISO, ins: INS_SELECT, p1: P1_SELECT_BY_NAME, p2: 0, data: aid, le: 256 },
  );
}

export function encodePay(payment: PaymentCommand): Uint8Array {
  const data = encodePaymentCommand(payment);
  return encodeCommandApdu({ cla: CLA_PROPRIETARY, ins: INS_PAY, p1: 0, p2: 0, data, le: 256 });
}

export function encodeReceiptCommand(receipt: Receipt): Uint8Array {
  const data = encodeReceipt(receipt);
  return encodeCommandApdu(
    { cla: CLA_PROPRIETARY, ins: INS_RECEIPT, p1: 0, p2: 0, data, le: undefined },
  );
}

export type TapCommand =
  | { kind: "SELECT"; aid: Uint8Array }
  | { kind: "PAY"; payment: PaymentCommand }
  | { kind: "RECEIPT"; receipt: Receipt };

function expectHeader(
  c: CommandApdu,
  p1: number,
  dataBytes: number,
  wantLe: boolean,
  name: string,
): void {
  if (c.p1 !== p1 || c.p2 !== 0) {
    throw new CommandError(
      `${name}.P1P2`,
      `expected ${p1.toString(16).padStart(2, "0")} 00`,
      SW.WRONG_DATA,
    );
  }
  if (c.data.length !== dataBytes) {
    throw new CommandError(
      `${name}.Lc`,
      `expected ${dataBytes} data bytes, got ${c.data.length}`,
      SW.WRONG_LENGTH,
    );
  }
  if (wantLe !== (c.le !== undefined)) {
    throw new CommandError(`${name}.Le`, wantLe ? "Le missing" : "unexpected Le", SW.WRONG_LENGTH);
  }
}

/**
 * Parses a C-APDU of the tap protocol strictly. A SELECT of another AID is a
 * CommandError with `6A 82` (application not found), as a wallet answers it.
 */
export function decodeTapCommand(bytes: Uint8Array): TapCommand {
  const c = parseCommandApdu(bytes);
  if (c.cla === CLA_ISO && c.ins === INS_SELECT) {
    if (c.p1 !== P1_SELECT_BY_NAME || c.p2 !== 0) {
      throw new CommandError(
        "SELECT.P1P2",
        "only select by DF name, first occurrence",
        SW.WRONG_DATA,
      );
    }
    if (c.le === undefined) throw new CommandError("SELECT.Le", "Le missing", SW.WRONG_LENGTH);
    if (!equalBytes(c.data, AID)) {
      throw new CommandError(
        "SELECT.AID",
        `application ${toHex(c.data)} not found`,
        SW.FILE_NOT_FOUND,
      );
    }
    return { kind: "SELECT", aid: c.data };
  }
  if (c.cla !== CLA_PROPRIETARY) {
    throw new CommandError(
      "C-APDU.CLA",
      `class ${c.cla.toString(16).padStart(2, "0")} not supported`,
      SW.CLA_NOT_SUPPORTED,
    );
  }
  if (c.ins === INS_PAY) {
    expectHeader(c, 0, PAYMENT_COMMAND_BYTES, true, "PAY");
    return { kind: "PAY", payment: decodePaymentCommand(c.data) };
  }
  if (c.ins === INS_RECEIPT) {
    expectHeader(c, 0, RECEIPT_BYTES, false, "RECEIPT");
    try {
      return { kind: "RECEIPT", receipt: decodeReceipt(c.data) };
    } catch (err) {
      if (err instanceof ProtocolError) {
        throw new CommandError(err.field, err.message, SW.WRONG_DATA);
      }
      throw err;
    }
  }
  throw new CommandError(
    "C-APDU.INS",
    `instruction ${c.ins.toString(16).padStart(2, "0")} not supported`,
    SW.INS_NOT_SUPPORTED,
  );
}

export interface ResponseApdu {
  data: Uint8Array;
  sw: number;
}

export function encodeResponse(data: Uint8Array, sw: number): Uint8Array {
  if (data.length > SHORT_RESPONSE_DATA_MAX) {
    throw new ProtocolError(
      "R-APDU.data",
      `at most ${SHORT_RESPONSE_DATA_MAX} bytes, got ${data.length}`,
    );
  }
  if (!Number.isInteger(sw) || sw < 0 || sw > 0xffff) {
    throw new ProtocolError("R-APDU.SW", `not a status word: ${sw}`);
  }
  const out = new Uint8Array(data.length + 2);
  out.set(data, 0);
  out[data.length] = sw >>> 8;
  out[data.length + 1] = sw & 0xff;
  return out;
}

export function parseResponse(bytes: Uint8Array): ResponseApdu {
  if (bytes.length < 2) {
    throw new ProtocolError("R-APDU", `shorter than a status word (${bytes.length} bytes)`);
  }
  if (bytes.length > SHORT_RESPONSE_DATA_MAX + 2) {
    throw new ProtocolError("R-APDU", `longer than a short response (${bytes.length} bytes)`);
  }
  const n = bytes.length - 2;
  return { data: bytes.slice(0, n), sw: (bytes[n]! << 8) | bytes[n + 1]! };
}

/** Data length a successful response to each command carries (a PAY answer of a
 *  re-presentation is REPRESENTATION_ANSWER_BYTES instead). */
export const RESPONSE_DATA_BYTES = {
  SELECT: SELECT_ANSWER_BYTES, PAY: PAYMENT_ANSWER_BYTES, RECEIPT: 0,
} as const;

export function swHex(sw: number): string {
  const byte = (b: number): string => b.toString(16).padStart(2, "0");
  return `${byte(sw >>> 8)} ${byte(sw & 0xff)}`.toUpperCase();
}

export function describeStatusWord(sw: number): string {
  return `${swHex(sw)} (${statusWordName(sw)})`;
}
