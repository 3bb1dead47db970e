// The ESP32 ROM bootloader's serial protocol: command numbers, packet layout, payloads.
// Shared by the flasher (loader.ts) and the bootloader emulator (emulator.ts) so both
// sides agree byte for byte; docs/FLASHING.md describes every field.
//
// Command packet:  u8 direction=0x00, u8 command, u16 size, u32 checksum, data[size]
// Response packet: u8 direction=0x01, u8 command, u16 size, u32 value,    data[size]
// All fields little-endian. The ROM's response data ends with 4 status bytes
// (status, error, 0, 0); the RAM stub loader uses 2, but offtap talks to the ROM only.

export const Op = {
  FLASH_BEGIN: 0x02,
  FLASH_DATA: 0x03,
  FLASH_END: 0x04,
  MEM_BEGIN: 0x05,
  MEM_END: 0x06,
  MEM_DATA: 0x07,
  SYNC: 0x08,
  WRITE_REG: 0x09,
  READ_REG: 0x0a,
  SPI_SET_PARAMS: 0x0b,
  READ_FLASH_SLOW: 0x0e,
  SPI_ATTACH: 0x0d,
  CHANGE_BAUDRATE: 0x0f,
  FLASH_DEFL_BEGIN: 0x10,
  FLASH_DEFL_DATA: 0x11,
  FLASH_DEFL_END: 0x12,
  SPI_FLASH_MD5: 0x13,
  GET_SECURITY_INFO: 0x14,
} as const;
export type OpCode = (typeof Op)[keyof typeof Op];

export function opName(op: number): string {
  const found = Object.entries(Op).find(([, v]) => v === op);
  return found !== undefined ? found[0] : `0x${op.toString(16).padStart(2, "0")}`;
}

export const DIRECTION_REQUEST = 0x00;
export const DIRECTION_RESPONSE = 0x01;
export const HEADER_BYTES = 8;
/** The ROM loader (ESP32 and ESP32-S3) ends every response with four status bytes. */
export const ROM_STATUS_BYTES = 4;
/** Seed of the XOR checksum over the data of FLASH_DATA / FLASH_DEFL_DATA / MEM_DATA. */
export const CHECKSUM_SEED = 0xef;
/** The four words before the data in every *_DATA payload: length, sequence, 0, 0. */
export const DATA_HEADER_BYTES = 16;

/** ROM loader error codes (second status byte when the first is 1). */
export const RomError = {
  INVALID_MESSAGE: 0x05, // parameters or length invalid; also what an unknown command gets
  FAILED_TO_ACT: 0x06,
  BAD_CHECKSUM: 0x07,
  FLASH_WRITE: 0x08,
  FLASH_READ: 0x09,
  FLASH_READ_LENGTH: 0x0a,
  DEFLATE: 0x0b,
} as const;

export function romErrorText(code: number): string {
  switch (code) {
    case RomError.INVALID_MESSAGE:
      return "received message is invalid";
    case RomError.FAILED_TO_ACT:
      return "failed to act on received message";
    case RomError.BAD_CHECKSUM:
      return "invalid checksum in message";
    case RomError.FLASH_WRITE:
      return "flash write error (read-back mismatch)";
    case RomError.FLASH_READ:
      return "flash read error";
    case RomError.FLASH_READ_LENGTH:
      return "flash read length error";
    case RomError.DEFLATE:
      return "deflate error";
    default:
      return `error 0x${code.toString(16).padStart(2, "0")}`;
  }
}

/** SYNC data: 0x07 0x07 0x12 0x20 then 32 × 0x55, which the ROM also uses to detect the baud
 *  rate. */
export const SYNC_PAYLOAD: Uint8Array = Uint8Array.from([
  0x07,
  0x07,
  0x12,
  0x20,
  ...new Array<number>(32).fill(0x55),
]);

/** Register whose value tells the chip family (esptool's CHIP_DETECT_MAGIC_REG_ADDR). */
export const CHIP_MAGIC_REG = 0x40001000;

export type ChipFamily = "esp32" | "esp32s3";

/** The SPI0 controller registers esptool drives to run one SPI flash command (RDID, SFDP,
 *  deep power-down) through READ_REG/WRITE_REG: offsets from `base`. */
export interface SpiRegisters {
  base: number;
  usr: number;
  usr1: number;
  usr2: number;
  mosiDlen: number;
  misoDlen: number;
  w0: number;
}

/** ESP32-S3 registers for its native USB port and watchdogs (esptool's esp32s3.py). */
export interface UsbRegisters {
  /** ROM variable: which port the ROM talks on (3 USB-OTG, 4 USB-JTAG-serial). */
  uartdevBufNo: number;
  rtcWdtConfig0: number;
  rtcWdtConfig1: number;
  rtcWdtProtect: number;
  rtcWdtKey: number;
  swdConf: number;
  swdProtect: number;
  swdKey: number;
  /** RTC_CNTL_OPTION1: bit 0 forces download boot after the next reset. */
  option1: number;
  /** GPIO strapping register: bit 3 is GPIO0 as sampled at reset (1 = SPI boot). */
  gpioStrap: number;
}

/** What the flasher needs to know about each chip's ROM loader. */
export interface ChipInfo {
  family: ChipFamily;
  name: string;
  /** Value at CHIP_MAGIC_REG. */
  magic: number;
  /** Chip id in GET_SECURITY_INFO (undefined: the ROM has no such command). */
  securityChipId: number | undefined;
  /** FLASH_BEGIN / FLASH_DEFL_BEGIN take a fifth word (1 = write encrypted). */
  beginTakesEncryptedFlag: boolean;
  /** eFuse words holding the factory MAC: [low word, high word]. */
  macRegs: readonly [number, number];
  spi: SpiRegisters;
  /** UART0 clock divider as the ROM set it while detecting the baud rate (crystal check). */
  uartClkDivReg: number;
  /** Crystal the ROM assumes when it computes a CHANGE_BAUDRATE divider. */
  romXtalMhz: number;
  /** Where the second-stage bootloader goes in flash. */
  bootloaderOffset: number;
  /** ESP32: eFuse words with the SPI pad configuration of in-package flash (undefined: none). */
  spiPadEfuse: { clkQDCs: number; hd: number } | undefined;
  usb: UsbRegisters | undefined;
}

export const CHIPS: Readonly<Record<ChipFamily, ChipInfo>> = {
  esp32: {
    family: "esp32",
    name: "ESP32",
    magic: 0x00f01d83,
    securityChipId: undefined,
    beginTakesEncryptedFlag: false,
    macRegs: [0x3ff5a004, 0x3ff5a008],
    spi: {
      base: 0x3ff42000,
      usr: 0x1c,
      usr1: 0x20,
      usr2: 0x24,
      mosiDlen: 0x28,
      misoDlen: 0x2c,
      w0: 0x80,
    },
    uartClkDivReg: 0x3ff40014,
    romXtalMhz: 40,
    bootloaderOffset: 0x1000,
    spiPadEfuse: { clkQDCs: 0x3ff5a014, hd: 0x3ff5a00c },
    usb: undefined,
  },
  esp32s3: {
    family: "esp32s3",
    name: "ESP32-S3",
    magic: 0x00000009,
    securityChipId: 9,
    beginTakesEncryptedFlag: true,
    macRegs: [0x60007044, 0x60007048],
    spi: {
      base: 0x60002000,
      usr: 0x18,
      usr1: 0x1c,
      usr2: 0x20,
      mosiDlen: 0x24,
      misoDlen: 0x28,
      w0: 0x58,
    },
    uartClkDivReg: 0x60000014,
    romXtalMhz: 40,
    bootloaderOffset: 0x0,
    spiPadEfuse: undefined,
    usb: {
      uartdevBufNo: 0x3fcef14c,
      rtcWdtConfig0: 0x60008098,
      rtcWdtConfig1: 0x6000809c,
      rtcWdtProtect: 0x600080b0,
      rtcWdtKey: 0x50d83aa1,
      swdConf: 0x600080b4,
      swdProtect: 0x600080b8,
      swdKey: 0x8f1d312a,
      option1: 0x6000812c,
      gpioStrap: 0x60004038,
    },
  },
};

/** UARTDEV_BUF_NO values of the ESP32-S3 ROM. */
export const UARTDEV_USB_OTG = 3;
export const UARTDEV_USB_JTAG_SERIAL = 4;
/** Bits of the SPI controller registers used to run a user command. */
export const SPI_CMD_USR = 1 << 18;
export const SPI_USR_COMMAND = 1 << 31;
export const SPI_USR_ADDR = 1 << 30;
export const SPI_USR_DUMMY = 1 << 29;
export const SPI_USR_MISO = 1 << 28;
export const SPI_USR_MOSI = 1 << 27;
export const SPI_USR2_COMMAND_LEN_SHIFT = 28;
export const SPI_USR_ADDR_LEN_SHIFT = 26;
/** SPI NOR commands the flasher sends through the registers. */
export const SpiFlashCmd = {
  RDID: 0x9f,
  SFDP: 0x5a,
  DPD: 0xb9,
  UDPD: 0x79,
  EXIT_UDPD: 0xff,
  RDP: 0xab,
} as const;

export function chipByMagic(magic: number): ChipInfo | undefined {
  return Object.values(CHIPS).find((c) => c.magic === magic >>> 0);
}

export function chipBySecurityId(id: number): ChipInfo | undefined {
  return Object.values(CHIPS).find((c) => c.securityChipId === id);
}

/** GET_SECURITY_INFO data (ESP32-S3 and later): flags u32, crypt count u8, 7 key purposes, chip id
 *  u32, API version u32. */
export const SECURITY_INFO_BYTES = 20;

export function checksum(data: Uint8Array): number {
  let c = CHECKSUM_SEED;
  for (const b of data) c ^= b;
  return c;
}

export function u32le(...words: number[]): Uint8Array {
  const out = new Uint8Array(words.length * 4);
  const view = new DataView(out.buffer);
  words.forEach((w, i) => view.setUint32(i * 4, w >>> 0, true));
  return out;
}

export function readU32(bytes: Uint8Array, at: number): number {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(at, true);
}

export function encodeCommand(op: number, data: Uint8Array, check = 0): Uint8Array {
  if (data.length > 0xffff)
    throw new RangeError(`command data of ${data.length} bytes exceeds the u16 size field`);
  const packet = new Uint8Array(HEADER_BYTES + data.length);
  const view = new DataView(packet.buffer);
  packet[0] = DIRECTION_REQUEST;
  packet[1] = op;
  view.setUint16(2, data.length, true);
  view.setUint32(4, check >>> 0, true);
  packet.set(data, HEADER_BYTES);
  return packet;
}

export interface Command {
  op: number;
  checksum: number;
  data: Uint8Array;
}

/** Parses a request packet; undefined when it is not one (wrong direction or size). */
export function decodeCommand(packet: Uint8Array): Command | undefined {
  if (packet.length < HEADER_BYTES || packet[0] !== DIRECTION_REQUEST) return undefined;
  const size = packet[2]! | (packet[3]! << 8);
  if (packet.length !== HEADER_BYTES + size) return undefined;
  return { op: packet[1]!, checksum: readU32(packet, 4), data: packet.subarray(HEADER_BYTES) };
}

export function encodeResponse(op: number, value: number, data: Uint8Array): Uint8Array {
  const packet = new Uint8Array(HEADER_BYTES + data.length);
  const view = new DataView(packet.buffer);
  packet[0] = DIRECTION_RESPONSE;
  packet[1] = op;
  view.setUint16(2, data.length, true);
  view.setUint32(4, value >>> 0, true);
  packet.set(data, HEADER_BYTES);
  return packet;
}

export interface Response {
  op: number;
  value: number;
  data: Uint8Array;
}

export function decodeResponse(packet: Uint8Array): Response | undefined {
  if (packet.length < HEADER_BYTES || packet[0] !== DIRECTION_RESPONSE) return undefined;
  const size = packet[2]! | (packet[3]! << 8);
  if (packet.length !== HEADER_BYTES + size) return undefined;
  return { op: packet[1]!, value: readU32(packet, 4), data: packet.subarray(HEADER_BYTES) };
}

/** ROM status bytes: [0, 0, 0, 0] on success, [1, error, 0, 0] on failure. */
export function romStatus(error?: number): Uint8Array {
  return Uint8Array.from(error === undefined ? [0, 0, 0, 0] : [1, error, 0, 0]);
}

/** Payload of FLASH_DATA / FLASH_DEFL_DATA / MEM_DATA: length, sequence, 0, 0, data. */
export function dataPayload(seq: number, block: Uint8Array): Uint8Array {
  const out = new Uint8Array(DATA_HEADER_BYTES + block.length);
  out.set(u32le(block.length, seq, 0, 0));
  out.set(block, DATA_HEADER_BYTES);
  return out;
}

/** SPI_SET_PARAMS as esptool sends it: id 0, total size, 64 KiB block, 4 KiB sector, 256 B page,
 *  status mask 0xffff. */
export function spiParamsPayload(flashSizeBytes: number): Uint8Array {
  return u32le(0, flashSizeBytes, 64 * 1024, 4 * 1024, 256, 0xffff);
}

/** SPI_ATTACH for the ROM: hspi_arg 0 (default flash pins) plus the ROM-only zero word. */
export const SPI_ATTACH_PAYLOAD: Uint8Array = u32le(0, 0);

/** SPI_ATTACH with a pad configuration: esptool's --spi-connection word
 *  (clk | q << 6 | d << 12 | hd << 18 | cs << 24) plus the ROM-only zero word. */
export function spiAttachPayload(hspiArg: number): Uint8Array {
  return u32le(hspiArg, 0);
}

/** WRITE_REG data: address, value, mask, delay in µs (esptool's write_reg). */
export function writeRegPayload(
  address: number,
  value: number,
  mask = 0xffffffff,
  delayUs = 0,
): Uint8Array {
  return u32le(address, value, mask, delayUs);
}

/** READ_FLASH_SLOW (ROM only): address, length ≤ 64; the answer's data is the bytes. */
export const READ_FLASH_SLOW_BYTES_MAX = 64;
