// ISO/IEC 7816-4 short APDUs of tap protocol 3 (docs/PROTOCOL.md, "The exchange"):
// building the three commands and judging every answer. Pure: no board imports, so the
// unit tests drive it with byte arrays.
import {
  MALFORMED, NO_WALLET, WALLET_VANISHED, WRONG_AID, WALLET_REFUSED, UNSUPPORTED_VERSION, CONTINUE,
} from "./codes";
import { NFC_ERR_TIMEOUT, NFC_ERR_FIELD_LOST } from "../board/codes";
import { RAPDU_BYTES_MAX } from "../limits";
import { bytesCopy } from "./bytes";

export const AID_BYTES: i32 = 8;
/** F0 (proprietary) ‖ "offtap" ‖ major version 03. */
export const AID: usize = memory.data<u8>([0xF0, 0x6F, 0x66, 0x66, 0x74, 0x61, 0x70, 0x03]);
/** A decoding hint: a point's x-coordinate, 32 bytes little-endian (docs/PROTOCOL.md,
 *  "Decoding hints"). SELECT's answer ends with two, PAY's with one. */
export const HINT_BYTES: i32 = 32;

export const SELECT_APDU_BYTES: i32 = 14;
export const PAY_COMMAND_BYTES: i32 = 34;
export const PAY_APDU_BYTES: i32 = 40;
export const RECEIPT_BYTES: i32 = 46;
export const RECEIPT_APDU_BYTES: i32 = 51;

/** Exchanges, for the transport-error mapping. */
export const STEP_SELECT: i32 = 0;
export const STEP_PAY: i32 = 1;
export const STEP_RECEIPT: i32 = 2;

export const SW_OK: u32 = 0x9000;
export const SW_NOT_FOUND: u32 = 0x6A82;
export const SW_CONDITIONS: u32 = 0x6985;

@inline function header(tx: usize, cla: u8, ins: u8, p1: u8, p2: u8, lc: u8): void {
  store<u8>(tx, cla);
  store<u8>(tx + 1, ins);
  store<u8>(tx + 2, p1);
  store<u8>(tx + 3, p2);
  store<u8>(tx + 4, lc);
}

/** `00 A4 04 00 08 <AID> 00`; returns its length. */
export function buildSelect(tx: usize): i32 {
  header(tx, 0x00, 0xA4, 0x04, 0x00, <u8>AID_BYTES);
  bytesCopy(tx + 5, AID, AID_BYTES);
  store<u8>(tx + 13, 0x00);
  return SELECT_APDU_BYTES;
}

/** `80 50 00 00 22 <payment command> 00`; the 34-byte command is already built. */
export function buildPay(tx: usize, command: usize): i32 {
  header(tx, 0x80, 0x50, 0x00, 0x00, <u8>PAY_COMMAND_BYTES);
  bytesCopy(tx + 5, command, PAY_COMMAND_BYTES);
  store<u8>(tx + 39, 0x00);
  return PAY_APDU_BYTES;
}

/** `80 52 00 00 2E <receipt>` (case 3: no Le, the answer is a bare status word). */
export function buildReceipt(tx: usize, receipt: usize): i32 {
  header(tx, 0x80, 0x52, 0x00, 0x00, <u8>RECEIPT_BYTES);
  bytesCopy(tx + 5, receipt, RECEIPT_BYTES);
  return RECEIPT_APDU_BYTES;
}

/** A negative transceive result as a decision: a silent field on SELECT means nobody
 *  is there; the same later means the wallet left. Overflow, framing errors and any
 *  code the ABI does not define are a bad frame. */
export function transportDecision(step: i32, rc: i32): i32 {
  if (rc == NFC_ERR_TIMEOUT || rc == NFC_ERR_FIELD_LOST) {
    return step == STEP_SELECT ? NO_WALLET : WALLET_VANISHED;
  }
  return MALFORMED;
}

/**
 * Judges one answer of `rc` bytes at `rx` (status word last) against the data length
 * the step expects (`dataBytes`, or `altDataBytes` when that is not negative: PAY's
 * answer is an authorization or a re-presentation). Returns CONTINUE when it is
 * `<data> 90 00` of an expected length and, for a data answer, its version byte is 1;
 * otherwise the decision. An error status word must come alone (two bytes); one with
 * data attached is malformed. Length before version: a layout of another length is
 * another major version, which has its own AID.
 */
export function judgeResponse(
  step: i32, rc: i32, rx: usize, dataBytes: i32, altDataBytes: i32 = -1,
): i32 {
  if (rc < 0) return transportDecision(step, rc);
  if (rc < 2 || rc > RAPDU_BYTES_MAX) return MALFORMED;
  const sw = (<u32>load<u8>(rx + <usize>(rc - 2)) << 8) | <u32>load<u8>(rx + <usize>(rc - 1));
  if (sw != SW_OK) {
    if (rc != 2) return MALFORMED;
    if (sw == SW_NOT_FOUND) return WRONG_AID;
    if (sw == SW_CONDITIONS) return WALLET_REFUSED;
    return MALFORMED;
  }
  if (rc - 2 != dataBytes && rc - 2 != altDataBytes) return MALFORMED;
  if (dataBytes > 0 && load<u8>(rx) != 1) return UNSUPPORTED_VERSION;
  return CONTINUE;
}
