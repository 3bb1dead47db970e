// Numeric codes of the reader part of the device ABI (boards/ABI.md). Kept apart from
// the import declarations so that pure modules and their unit tests can use them.

/** NFC transceive results below zero (boards/ABI.md). */
export const NFC_ERR_BOUNDS: i32 = -1;
export const NFC_ERR_TIMEOUT: i32 = -4;
export const NFC_ERR_FIELD_LOST: i32 = -5;
export const NFC_ERR_OVERFLOW: i32 = -6;
export const NFC_ERR_FRAME: i32 = -7;

/** `signal(kind, value)` kinds and values. */
export const SIGNAL_GATE: i32 = 0;
export const SIGNAL_LED: i32 = 1;
export const SIGNAL_BUZZER: i32 = 2;
export const SIGNAL_DISPLAY: i32 = 3;
export const GATE_OPEN: i32 = 1;
export const LED_OFF: i32 = 0;
export const LED_GREEN: i32 = 1;
export const LED_RED: i32 = 2;
export const LED_AMBER: i32 = 3;
export const BUZZER_ACCEPT: i32 = 1;
export const BUZZER_DECLINE: i32 = 2;

/** `log(level, …)` levels. */
export const LOG_DEBUG: i32 = 0;
export const LOG_INFO: i32 = 1;
export const LOG_WARN: i32 = 2;
export const LOG_ERROR: i32 = 3;
