// The PN532's status byte (UM0701-02 §7.1, "Error handling") and what each error means
// for the board's nfcTransceive (boards/ABI.md: ERR_TIMEOUT, ERR_FIELD_LOST, ERR_OVERFLOW,
// ERR_FRAME). The low six bits are the error code; bit 6 is MI (more information: the
// answer continues in the next frame), bit 7 is NAD (a node address byte follows).
import { ERR_FIELD_LOST, ERR_FRAME, ERR_OVERFLOW, ERR_TIMEOUT } from "../../sim/abi.ts";

export const STATUS_ERROR_MASK = 0x3f;
export const STATUS_MI = 0x40;
export const STATUS_NAD = 0x80;

export const ST_OK = 0x00;
export const ST_TIMEOUT = 0x01;
export const ST_BUFFER_SMALL = 0x07;
export const ST_INVALID_PARAM = 0x10;
export const ST_DEP_FORMAT = 0x13;
export const ST_CONTEXT = 0x27;
export const ST_RELEASED = 0x29;
export const ST_CARD_GONE = 0x2b;

export type AbiNfcError = typeof ERR_TIMEOUT | typeof ERR_FIELD_LOST | typeof ERR_OVERFLOW | typeof ERR_FRAME;

export interface StatusInfo {
  code: number;
  name: string;
  /** What the chip means by it (after UM0701-02 table 7-1). */
  reason: string;
  abi: AbiNfcError;
}

function s(code: number, name: string, abi: AbiNfcError, reason: string): StatusInfo {
  return { code, name, abi, reason };
}

/** Every error code the PN532 documents. A timeout is ERR_TIMEOUT here; the driver turns it
 *  into ERR_FIELD_LOST when the presence check that follows finds the field empty. */
export const STATUSES: readonly StatusInfo[] = [
  s(0x01, "TIMEOUT", ERR_TIMEOUT, "the target has not answered in time"),
  s(0x02, "CRC", ERR_FRAME, "CRC error detected by the contactless interface unit"),
  s(0x03, "PARITY", ERR_FRAME, "parity error detected by the contactless interface unit"),
  s(0x04, "BIT_COUNT", ERR_FRAME, "erroneous bit count during anticollision or select"),
  s(0x05, "FRAMING", ERR_FRAME, "framing error during a MIFARE operation"),
  s(0x06, "BIT_COLLISION", ERR_FRAME, "abnormal bit collision during bitwise anticollision"),
  s(0x07, "BUFFER_SMALL", ERR_OVERFLOW, "communication buffer size insufficient"),
  s(0x09, "RF_BUFFER_OVERFLOW", ERR_OVERFLOW, "RF buffer overflow detected by the CIU"),
  s(0x0a, "RF_FIELD_TIMEOUT", ERR_FIELD_LOST, "the counterpart did not switch its RF field on in time"),
  s(0x0b, "RF_PROTOCOL", ERR_FRAME, "RF protocol error"),
  s(0x0d, "OVERHEAT", ERR_FRAME, "temperature error: the antenna drivers were switched off"),
  s(0x0e, "INTERNAL_OVERFLOW", ERR_OVERFLOW, "internal buffer overflow"),
  s(0x10, "INVALID_PARAM", ERR_FRAME, "invalid parameter (range, format)"),
  s(0x12, "DEP_UNSUPPORTED", ERR_FRAME, "DEP: the target does not support the initiator's command"),
  s(0x13, "DEP_FORMAT", ERR_FRAME, "DEP, MIFARE or ISO/IEC 14443-4: data format not as specified"),
  s(0x14, "MIFARE_AUTH", ERR_FRAME, "MIFARE authentication error"),
  s(0x23, "UID_CHECK", ERR_FRAME, "ISO/IEC 14443-3: the UID check byte is wrong"),
  s(0x25, "DEP_STATE", ERR_FRAME, "DEP: invalid device state for this operation"),
  s(0x26, "NOT_ALLOWED", ERR_FRAME, "operation not allowed in this configuration"),
  s(0x27, "CONTEXT", ERR_FRAME, "command not acceptable in the current context (no such target, wrong mode)"),
  s(0x29, "RELEASED", ERR_FIELD_LOST, "the PN532 as target was released by its initiator"),
  s(0x2a, "CARD_SWAPPED", ERR_FIELD_LOST, "ISO/IEC 14443-3B: another card answered than the one activated"),
  s(0x2b, "CARD_GONE", ERR_FIELD_LOST, "ISO/IEC 14443-3B: the activated card has disappeared"),
  s(0x2c, "NFCID3_MISMATCH", ERR_FRAME, "DEP passive: NFCID3 of initiator and target differ"),
  s(0x2d, "OVER_CURRENT", ERR_FRAME, "an over-current event was detected"),
  s(0x2e, "NAD_MISSING", ERR_FRAME, "DEP: NAD missing in the frame"),
];

const BY_CODE = new Map<number, StatusInfo>(STATUSES.map((x) => [x.code, x]));

/** The meaning of a status byte's error code (MI and NAD bits ignored). An undocumented
 *  code is a frame error with its number in the reason. */
export function statusInfo(statusByte: number): StatusInfo | undefined {
  const code = statusByte & STATUS_ERROR_MASK;
  if (code === ST_OK) return undefined;
  return BY_CODE.get(code) ?? s(code, `UNKNOWN_0x${code.toString(16).padStart(2, "0")}`, ERR_FRAME, "undocumented status");
}
