// The parts of an ESP32 / ESP32-S3 the ROM emulator exposes besides its flash: the
// registers esptool reads and writes (chip magic, eFuse MAC and clock calibration, UART
// divider, the SPI0 user-command registers that run RDID/SFDP on the flash chip, the
// ESP32-S3's USB and watchdog registers), and the boot-mode decision at reset.
import {
  CHIPS,
  CHIP_MAGIC_REG,
  SPI_CMD_USR,
  SpiFlashCmd,
  UARTDEV_USB_JTAG_SERIAL,
  type ChipFamily,
  type ChipInfo,
} from "./protocol.ts";
import { ESP32_EFUSE_WORD4, ESP32_RTCCALICFG1 } from "./chip.ts";

export interface ChipModelOptions {
  chip: ChipFamily;
  flashSizeBytes: number;
  /** Six bytes; default 24:0a:c4:00:01:02 (an Espressif OUI). */
  mac?: readonly number[];
  /** JEDEC id as W0 holds it (manufacturer | type << 8 | capacity << 16); default a
   *  GigaDevice GD25Q part of `flashSizeBytes`. */
  flashId?: number;
  /** ESP32: the crystal the ROM computed (a multiple of 50 kHz); default exactly 40 MHz. */
  romCrystalHz?: number;
  /** ESP32-S3: the ROM talks over USB-JTAG-serial rather than UART0. */
  usbJtagSerial?: boolean;
  /** An XMC flash chip that failed to start up: RDID reads 0 until it is taken through deep
   *  power-down and back (B9, 79, FF, AB), as esptool's XMC fix does. */
  xmcAsleep?: boolean;
  /** ESP32: SPI pad eFuses of in-package flash (clk, q, d, cs, hd); default all 0. */
  spiPads?: { clk: number; q: number; d: number; cs: number; hd: number };
}

const GIGADEVICE = 0xc8;
const GD25Q_TYPE = 0x40;
/** Chosen 8 MHz-clock eFuse value: the ROM's estimate is then cali × 50 kHz. */
const CK8M_EFUSE = 128;
const CRYSTAL_STEP_HZ = 50_000;
const WDT_ENABLE = 1 << 31;
/** The crystal on the emulated board (40 MHz, as on the modules of both profiles). */
const CRYSTAL_HZ = 40_000_000;
const UART_CLKDIV_MASK = 0xfffff;

export class ChipModel {
  readonly chip: ChipInfo;
  readonly flashId: number;
  readonly romCrystalHz: number;
  private readonly regs = new Map<number, number>();
  /** SPI flash commands run through the registers, in order (RDID = 0x9f, …). */
  readonly spiCommands: number[] = [];
  private xmcAwake: boolean;
  /** Set when a watchdog was armed: the chip resets once the current answer is out. */
  watchdogFired = false;

  constructor(readonly options: ChipModelOptions) {
    this.chip = CHIPS[options.chip];
    const capacity = Math.log2(options.flashSizeBytes);
    this.flashId = options.flashId ?? GIGADEVICE | (GD25Q_TYPE << 8) | (capacity << 16);
    this.romCrystalHz = options.romCrystalHz ?? 40_000_000;
    this.xmcAwake = options.xmcAsleep !== true;
    if (this.romCrystalHz % CRYSTAL_STEP_HZ !== 0)
      throw new Error("romCrystalHz must be a multiple of 50 kHz");
    this.reset();
  }

  /** The ROM's UART divider for `baud` (the crystal clocks the UART while the ROM runs):
   *  what esptool reads to estimate the crystal. */
  setUartBaud(baud: number): void {
    this.regs.set(this.chip.uartClkDivReg, Math.round(CRYSTAL_HZ / baud) & UART_CLKDIV_MASK);
  }

  /** Register values after a chip reset. */
  reset(): void {
    this.regs.clear();
    const c = this.chip;
    const mac = this.options.mac ?? [0x24, 0x0a, 0xc4, 0x00, 0x01, 0x02];
    this.regs.set(CHIP_MAGIC_REG, c.magic);
    this.regs.set(
      c.macRegs[0],
      ((mac[2]! << 24) | (mac[3]! << 16) | (mac[4]! << 8) | mac[5]!) >>> 0,
    );
    // the upper half holds a CRC on real parts
    this.regs.set(c.macRegs[1], (mac[0]! << 8) | mac[1]!);
    if (c.family === "esp32") {
      this.regs.set(ESP32_RTCCALICFG1, ((this.romCrystalHz / CRYSTAL_STEP_HZ) << 7) >>> 0);
      this.regs.set(ESP32_EFUSE_WORD4, CK8M_EFUSE);
      const p = this.options.spiPads;
      if (p !== undefined && c.spiPadEfuse !== undefined) {
        this.regs.set(
          c.spiPadEfuse.clkQDCs,
          (p.clk | (p.q << 5) | (p.d << 10) | (p.cs << 15)) >>> 0,
        );
        this.regs.set(c.spiPadEfuse.hd, p.hd << 4);
      }
    }
    this.setUartBaud(115200);
    if (c.usb !== undefined)
      this.regs.set(
        c.usb.uartdevBufNo,
        this.options.usbJtagSerial === true ? UARTDEV_USB_JTAG_SERIAL : 2,
      );
  }

  readReg(address: number): number {
    return this.regs.get(address >>> 0) ?? 0;
  }

  /** WRITE_REG: keeps the bits outside `mask`, then acts on what the write triggers. */
  writeReg(address: number, value: number, mask: number): void {
    const a = address >>> 0;
    const u = this.chip.usb;
    if (
      u !== undefined &&
      (a === u.rtcWdtConfig0 || a === u.rtcWdtConfig1) &&
      this.readReg(u.rtcWdtProtect) !== u.rtcWdtKey
    ) {
      return; // write-protected: the key was not written first
    }
    this.regs.set(a, ((this.readReg(a) & ~mask) | (value & mask)) >>> 0);
    if (a === this.chip.spi.base && (value & SPI_CMD_USR) !== 0) this.runSpiCommand();
    if (u !== undefined && a === u.rtcWdtConfig0 && (value & WDT_ENABLE) !== 0)
      this.watchdogFired = true;
  }

  /** ESP32-S3: the forced-download bit, which survives a reset until cleared. */
  get forcedDownload(): boolean {
    const u = this.chip.usb;
    return u !== undefined && (this.readReg(u.option1) & 1) !== 0;
  }

  setForcedDownload(on: boolean): void {
    const u = this.chip.usb;
    if (u !== undefined) this.regs.set(u.option1, on ? 1 : 0);
  }

  private runSpiCommand(): void {
    const s = this.chip.spi;
    const command = this.readReg(s.base + s.usr2) & 0xff;
    this.spiCommands.push(command);
    const wake = [SpiFlashCmd.DPD, SpiFlashCmd.UDPD, SpiFlashCmd.EXIT_UDPD, SpiFlashCmd.RDP];
    if (this.spiCommands.slice(-4).every((c, i) => c === wake[i])) this.xmcAwake = true;
    let w0 = 0;
    if (command === SpiFlashCmd.RDID) w0 = this.xmcAwake ? this.flashId : 0;
    else if (command === SpiFlashCmd.SFDP) w0 = this.flashId & 0xff; // vendor id at SFDP 0x10
    this.regs.set(s.base + s.w0, w0 >>> 0);
    this.regs.set(s.base, this.readReg(s.base) & ~SPI_CMD_USR); // done at once
  }
}
