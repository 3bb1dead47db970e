// PN532 command codes (UM0701-02 §7) and the fixed values the driver and the emulator agree
// on. An answer's command code is the command's plus one.
export const CMD = {
  Diagnose: 0x00,
  GetFirmwareVersion: 0x02,
  GetGeneralStatus: 0x04,
  ReadRegister: 0x06,
  WriteRegister: 0x08,
  ReadGPIO: 0x0c,
  WriteGPIO: 0x0e,
  SetSerialBaudRate: 0x10,
  SetParameters: 0x12,
  SAMConfiguration: 0x14,
  PowerDown: 0x16,
  RFConfiguration: 0x32,
  InDataExchange: 0x40,
  InCommunicateThru: 0x42,
  InDeselect: 0x44,
  InJumpForPSL: 0x46,
  InListPassiveTarget: 0x4a,
  InPSL: 0x4e,
  InATR: 0x50,
  InRelease: 0x52,
  InSelect: 0x54,
  InJumpForDEP: 0x56,
  InAutoPoll: 0x60,
  TgGetData: 0x86,
  TgGetInitiatorCommand: 0x88,
  TgGetTargetStatus: 0x8a,
  TgInitAsTarget: 0x8c,
  TgSetData: 0x8e,
  TgResponseToInitiator: 0x90,
  TgSetGeneralBytes: 0x92,
  TgSetMetaData: 0x94,
} as const;

/** GetFirmwareVersion's answer of a PN532 v1.6: IC 0x32, version 1, revision 6, and support
 *  for ISO/IEC 14443 type A (bit 0), type B (bit 1) and ISO 18092 (bit 2). */
export const FIRMWARE_VERSION: Uint8Array = Uint8Array.of(0x32, 0x01, 0x06, 0x07);

/** Diagnose test numbers. */
export const DIAG_COMMUNICATION = 0x00;
export const DIAG_ROM = 0x01;
export const DIAG_RAM = 0x02;
export const DIAG_POLLING = 0x04;
export const DIAG_ECHO_BACK = 0x05;
export const DIAG_PRESENCE = 0x06;
export const DIAG_ANTENNA = 0x07;

/** RFConfiguration items. */
export const RF_FIELD = 0x01;
export const RF_TIMINGS = 0x02;
export const RF_MAX_RETRY_COM = 0x04;
export const RF_MAX_RETRIES = 0x05;

/** SetParameters flags. */
export const PARAM_AUTO_ATR_RES = 0x04;
export const PARAM_AUTO_RATS = 0x10;
export const PARAM_14443_4_PICC = 0x20;

/** InListPassiveTarget baud rate / modulation: 106 kbps type A. */
export const BRTY_106A = 0x00;
/** MxRtyPassiveActivation value meaning "retry for ever". */
export const RETRIES_FOREVER = 0xff;

/** TgInitAsTarget mode bits and the activated-mode byte of an ISO/IEC 14443-4 PICC. */
export const TG_MODE_PASSIVE_ONLY = 0x01;
export const TG_MODE_DEP_ONLY = 0x02;
export const TG_MODE_PICC_ONLY = 0x04;
export const TG_ACTIVATED_PICC_106 = 0x08;

/** SAK bit: the target is ISO/IEC 14443-4 compliant (it accepts RATS). */
export const SAK_ISO14443_4 = 0x20;

/** Most data bytes in one InDataExchange answer (frame LEN 265 = TFI, code, status, data). */
export const EXCHANGE_DATA_MAX = 262;

/** Frame waiting time of ISO/IEC 14443-4 for a frame waiting time integer: 256·16/fc · 2^FWI. */
export function fwtMs(fwi: number): number {
  return ((256 * 16) / 13.56e6) * 2 ** fwi * 1000;
}
