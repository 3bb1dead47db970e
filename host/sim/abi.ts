// Numbers of the device ABI (boards/ABI.md), version 1, as the simulated board speaks them.

export const ABI_VERSION = 1;

export const OK = 0;
export const ERR_BOUNDS = -1;
export const ERR_IO = -2;
export const ERR_PARTITION = -3;
export const ERR_TIMEOUT = -4;
export const ERR_FIELD_LOST = -5;
export const ERR_OVERFLOW = -6;
export const ERR_FRAME = -7;

export const PARTITION_LEDGER = 0;
export const PARTITION_DENY = 1;
export const PARTITION_CONFIG = 2;

export const SIGNAL_GATE = 0;
export const SIGNAL_LED = 1;
export const SIGNAL_BUZZER = 2;
export const SIGNAL_DISPLAY = 3;

export const SIGNAL_KIND_NAMES = ["gate", "led", "buzzer", "display"] as const;
export const LED_NAMES = ["off", "green", "red", "amber"] as const;

export function nfcStatusName(code: number): string {
  switch (code) {
    case ERR_TIMEOUT: return "ERR_TIMEOUT";
    case ERR_FIELD_LOST: return "ERR_FIELD_LOST";
    case ERR_OVERFLOW: return "ERR_OVERFLOW";
    case ERR_FRAME: return "ERR_FRAME";
    case ERR_BOUNDS: return "ERR_BOUNDS";
    default: return code >= 0 ? `${code} bytes` : `error ${code}`;
  }
}
