// What the flasher does through the ROM's READ_REG / WRITE_REG, as esptool does it without
// its stub: the factory MAC from eFuse, the crystal the ESP32 ROM measured (to scale a
// baud change), SPI flash commands run through the SPI0 registers (flash ID, SFDP, the XMC
// start-up fix), the SPI pads of in-package flash from eFuse, and the ESP32-S3's native-USB
// housekeeping (watchdogs, the forced-download bit). docs/FLASHING.md lists each register.
import type { RomLoader } from "./loader.ts";
import {
  SPI_CMD_USR,
  SPI_USR2_COMMAND_LEN_SHIFT,
  SPI_USR_ADDR,
  SPI_USR_ADDR_LEN_SHIFT,
  SPI_USR_COMMAND,
  SPI_USR_DUMMY,
  SPI_USR_MISO,
  SPI_USR_MOSI,
  SpiFlashCmd,
  UARTDEV_USB_JTAG_SERIAL,
  type ChipInfo,
} from "./protocol.ts";
import { FlashError } from "./loader.ts";

/** ESP32: RTC calibration register and the 8 MHz clock eFuse the ROM's estimate comes from. */
export const ESP32_RTCCALICFG1 = 0x3ff5f06c;
export const ESP32_EFUSE_WORD4 = 0x3ff5a010;
const RTC_CALI_VALUE_SHIFT = 7;
const RTC_CALI_VALUE_MASK = 0x01ffffff;
/** How often the SPI "busy" bit is polled before giving up (esptool: 10). */
const SPI_POLLS_MAX = 10;
/** XMC's JEDEC vendor id. */
const XMC_VENDOR_ID = 0x20;
/** SFDP address of the vendor id. */
const SFDP_VENDOR_ADDR = 0x10;

/** The MAC as esptool prints it: eFuse high word's low 16 bits, then the low word, big-endian. */
export async function readMac(loader: RomLoader, chip: ChipInfo): Promise<string> {
  const low = await loader.readReg(chip.macRegs[0]);
  const high = await loader.readReg(chip.macRegs[1]);
  const bytes = [
    (high >>> 8) & 0xff,
    high & 0xff,
    low >>> 24,
    (low >>> 16) & 0xff,
    (low >>> 8) & 0xff,
    low & 0xff,
  ];
  return bytes.map((b) => b.toString(16).padStart(2, "0")).join(":");
}

/** The crystal frequency (Hz) the ESP32 ROM computed from its RTC calibration and the
 *  8 MHz clock's eFuse; its baud dividers are based on it, not on the real crystal. */
export async function esp32RomCrystalHz(loader: RomLoader): Promise<number> {
  const cali =
    ((await loader.readReg(ESP32_RTCCALICFG1)) >>> RTC_CALI_VALUE_SHIFT) & RTC_CALI_VALUE_MASK;
  const ck8m = (await loader.readReg(ESP32_EFUSE_WORD4)) & 0xff;
  return (cali * 15625 * ck8m) / 40;
}

/** The value to send in CHANGE_BAUDRATE so the ROM ends up at `baud` (esptool's
 *  ESP32ROM.change_baud): scaled by the ROM's crystal estimate over the nominal crystal. */
export async function romBaudValue(
  loader: RomLoader,
  chip: ChipInfo,
  baud: number,
): Promise<number> {
  if (chip.family !== "esp32") return baud;
  const romHz = await esp32RomCrystalHz(loader);
  const nominalHz = romHz > 33_000_000 ? 40_000_000 : 26_000_000;
  return Math.floor((baud * romHz) / nominalHz);
}

export interface SpiCommand {
  command: number;
  data?: Uint8Array;
  readBits?: number;
  address?: number;
  addressBits?: number;
  dummyBits?: number;
}

/** Runs one SPI flash command through the SPI0 user-command registers (esptool's
 *  run_spiflash_command) and returns W0 (up to 32 bits read back). */
export async function runSpiFlashCommand(
  loader: RomLoader,
  chip: ChipInfo,
  c: SpiCommand,
): Promise<number> {
  const r = chip.spi;
  const data = c.data ?? new Uint8Array(0);
  const readBits = c.readBits ?? 0;
  const addressBits = c.addressBits ?? 0;
  const dummyBits = c.dummyBits ?? 0;
  if (readBits > 32 || data.length > 64)
    throw new Error("SPI command: at most 32 bits in, 64 bytes out");
  const oldUsr = await loader.readReg(r.base + r.usr);
  const oldUsr2 = await loader.readReg(r.base + r.usr2);
  if (data.length > 0) await loader.writeReg(r.base + r.mosiDlen, data.length * 8 - 1);
  if (readBits > 0) await loader.writeReg(r.base + r.misoDlen, readBits - 1);
  let usr1 = 0;
  if (dummyBits > 0) usr1 |= dummyBits - 1;
  if (addressBits > 0) usr1 |= (addressBits - 1) << SPI_USR_ADDR_LEN_SHIFT;
  if (usr1 !== 0) await loader.writeReg(r.base + r.usr1, usr1 >>> 0);
  let flags = SPI_USR_COMMAND;
  if (readBits > 0) flags |= SPI_USR_MISO;
  if (data.length > 0) flags |= SPI_USR_MOSI;
  if (addressBits > 0) flags |= SPI_USR_ADDR;
  if (dummyBits > 0) flags |= SPI_USR_DUMMY;
  await loader.writeReg(r.base + r.usr, flags >>> 0);
  await loader.writeReg(r.base + r.usr2, ((7 << SPI_USR2_COMMAND_LEN_SHIFT) | c.command) >>> 0);
  if (addressBits > 0 && c.address !== undefined) await loader.writeReg(r.base + 0x04, c.address);
  await writeDataWords(loader, chip, data);
  await loader.writeReg(r.base, SPI_CMD_USR);
  let done = false;
  for (let i = 0; i < SPI_POLLS_MAX && !done; i++)
    done = ((await loader.readReg(r.base)) & SPI_CMD_USR) === 0;
  if (!done)
    throw new FlashError(
      "protocol",
      "the SPI flash command did not complete (SPI_CMD_USR stayed set)",
    );
  const w0 = await loader.readReg(r.base + r.w0);
  await loader.writeReg(r.base + r.usr, oldUsr);
  await loader.writeReg(r.base + r.usr2, oldUsr2);
  return w0 >>> 0;
}

async function writeDataWords(loader: RomLoader, chip: ChipInfo, data: Uint8Array): Promise<void> {
  const w0 = chip.spi.base + chip.spi.w0;
  if (data.length === 0) {
    await loader.writeReg(w0, 0);
    return;
  }
  const padded = new Uint8Array(Math.ceil(data.length / 4) * 4);
  padded.set(data);
  const view = new DataView(padded.buffer);
  for (let i = 0; i < padded.length; i += 4) await loader.writeReg(w0 + i, view.getUint32(i, true));
}

/** JEDEC RDID: manufacturer | memory type << 8 | capacity << 16. */
export async function readFlashId(loader: RomLoader, chip: ChipInfo): Promise<number> {
  return (
    (await runSpiFlashCommand(loader, chip, { command: SpiFlashCmd.RDID, readBits: 24 })) & 0xffffff
  );
}

/** Flash size from the RDID capacity byte (2^n bytes), undefined when the id is not one
 *  esptool recognises (0x12 = 256 KiB … 0x1a = 64 MiB). */
export function flashSizeFromId(id: number): number | undefined {
  const capacity = (id >>> 16) & 0xff;
  if (capacity < 0x12 || capacity > 0x1a) return undefined;
  return 2 ** capacity;
}

export function describeFlashId(id: number): string {
  return (
    `manufacturer 0x${(id & 0xff).toString(16).padStart(2, "0")}, device ` +
    `0x${((((id >>> 8) & 0xff) << 8) | ((id >>> 16) & 0xff)).toString(16).padStart(4, "0")}`
  );
}

/** esptool's strict XMC check: vendor 0x20 with a device id known to need no fix. */
function isXmcStrict(id: number): boolean {
  if ((id & 0xff) !== XMC_VENDOR_ID) return false;
  const type = (id >>> 8) & 0xff;
  const capacity = (id >>> 16) & 0xff;
  if (type === 0x40) return capacity >= 0x13 && capacity <= 0x20;
  if (type === 0x41) return capacity >= 0x17 && capacity <= 0x20;
  if (type === 0x50) return capacity >= 0x15 && capacity <= 0x16;
  return false;
}

/** esptool's flash_xmc_startup: an XMC chip that failed to wake answers a bad RDID; if the
 *  SFDP table says XMC, walk it through deep power-down and back. Returns what was done. */
export async function xmcStartupFix(
  loader: RomLoader,
  chip: ChipInfo,
): Promise<"not-xmc" | "ok" | "fixed" | "failed"> {
  if (isXmcStrict(await readFlashId(loader, chip))) return "ok";
  const sfdpVendor =
    (await runSpiFlashCommand(loader, chip, {
      command: SpiFlashCmd.SFDP,
      readBits: 8,
      address: SFDP_VENDOR_ADDR,
      addressBits: 24,
      dummyBits: 8,
    })) & 0xff;
  if (sfdpVendor !== XMC_VENDOR_ID) return "not-xmc";
  await runSpiFlashCommand(loader, chip, { command: SpiFlashCmd.DPD });
  await runSpiFlashCommand(loader, chip, { command: SpiFlashCmd.UDPD });
  await runSpiFlashCommand(loader, chip, { command: SpiFlashCmd.EXIT_UDPD });
  await sleep(2);
  await runSpiFlashCommand(loader, chip, { command: SpiFlashCmd.RDP });
  return isXmcStrict(await readFlashId(loader, chip)) ? "fixed" : "failed";
}

/** ESP32: the SPI_ATTACH argument for flash on non-default pads (in-package flash such as
 *  the ESP32-D2WD's), read from the eFuse the second-stage bootloader reads; 0 = default. */
export async function spiAttachArg(loader: RomLoader, chip: ChipInfo): Promise<number> {
  if (chip.spiPadEfuse === undefined) return 0;
  const w = await loader.readReg(chip.spiPadEfuse.clkQDCs);
  const hd = ((await loader.readReg(chip.spiPadEfuse.hd)) >>> 4) & 0x1f;
  const [clk, q, d, cs] = [w & 0x1f, (w >>> 5) & 0x1f, (w >>> 10) & 0x1f, (w >>> 15) & 0x1f];
  if ((clk | q | d | cs | hd) === 0) return 0;
  return (clk | (q << 6) | (d << 12) | (cs << 18) | (hd << 24)) >>> 0;
}

/** ESP32-S3: whether the ROM talks over its USB-JTAG-serial peripheral. */
export async function usesUsbJtagSerial(loader: RomLoader, chip: ChipInfo): Promise<boolean> {
  if (chip.usb === undefined) return false;
  return ((await loader.readReg(chip.usb.uartdevBufNo)) & 0xff) === UARTDEV_USB_JTAG_SERIAL;
}

/** ESP32-S3 on USB-JTAG-serial: the RTC watchdog and the super watchdog are not reset by
 *  the USB reset and would restart the chip mid-write; disable one and auto-feed the other. */
export async function disableWatchdogs(loader: RomLoader, chip: ChipInfo): Promise<void> {
  const u = chip.usb;
  if (u === undefined) return;
  await loader.writeReg(u.rtcWdtProtect, u.rtcWdtKey);
  await loader.writeReg(u.rtcWdtConfig0, 0);
  await loader.writeReg(u.rtcWdtProtect, 0);
  await loader.writeReg(u.swdProtect, u.swdKey);
  await loader.writeReg(u.swdConf, ((await loader.readReg(u.swdConf)) | (1 << 31)) >>> 0);
  await loader.writeReg(u.swdProtect, 0);
}

/** ESP32-S3: clears the forced-download bit, so the next reset boots the application. */
export async function clearForcedDownload(loader: RomLoader, chip: ChipInfo): Promise<void> {
  if (chip.usb === undefined) return;
  await loader.writeReg(chip.usb.option1, 0, 0x1);
}

/** ESP32-S3: resets the chip with the RTC watchdog (esptool's rtc_wdt_reset), for a native
 *  USB port whose lines cannot reset it. */
export async function rtcWatchdogReset(loader: RomLoader, chip: ChipInfo): Promise<void> {
  const u = chip.usb;
  if (u === undefined) return;
  await loader.writeReg(u.rtcWdtProtect, u.rtcWdtKey);
  await loader.writeReg(u.rtcWdtConfig1, 5000);
  await loader.writeReg(u.rtcWdtConfig0, ((1 << 31) | (5 << 28) | (1 << 8) | 2) >>> 0);
  await loader.writeReg(u.rtcWdtProtect, 0);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
