// One flash session, start to finish: open the port, reset into the ROM loader (esptool's
// reset sequences), sync, check the chip against the board profile, read its MAC, raise the
// baud rate, attach the SPI flash, check the flash chip's id and size, write each region and
// compare MD5s, then reset into the application through the lines (no *_END, as esptool).
import { SerialTransport } from "../serial/transport.ts";
import {
  FlashError,
  ROM_BAUD,
  RomLoader,
  type LoaderTiming,
  type WriteProgress,
} from "./loader.ts";
import { CHIPS, type ChipFamily, type ChipInfo } from "./protocol.ts";
import { connectSequence, usbJtagSerialReset, type ResetStrategy } from "./reset.ts";
import {
  clearForcedDownload,
  describeFlashId,
  disableWatchdogs,
  flashSizeFromId,
  readFlashId,
  readMac,
  romBaudValue,
  rtcWatchdogReset,
  spiAttachArg,
  usesUsbJtagSerial,
  xmcStartupFix,
} from "./chip.ts";
import type { FlashPlan } from "./plan.ts";

export type BeforeMode = "default-reset" | "usb-reset" | "no-reset";
export type AfterMode = "hard-reset" | "no-reset";

export interface FlashOptions {
  port: string;
  baudRate: number;
  before: BeforeMode;
  after: AfterMode;
  /** The port is an ESP32-S3's own USB-JTAG-serial port (USB 303a:1001): its reset sequence. */
  usbJtagSerial?: boolean;
  timing?: Partial<LoaderTiming>;
  /** Opens the port (default: SerialTransport.open); tests pass serialport's SerialPortMock. */
  openPort?: (path: string, baudRate: number) => Promise<SerialTransport>;
  onProgress?: (p: SessionProgress) => void;
  /** Human-readable remarks (retries, a port that cannot reset the board). */
  note?: (message: string) => void;
}

export interface SessionProgress extends WriteProgress {
  region: string;
}

/** One piece of the flash: a name for people, where it goes, its bytes. */
export interface FlashRegion {
  name: string;
  offset: number;
  data: Uint8Array;
}

export interface RegionReport {
  name: string;
  offset: number;
  bytes: number;
  /** Bytes written: padded with 0xFF to a multiple of 4. */
  writtenBytes: number;
  bytesSent: number;
  blocks: number;
  md5: string;
}

export interface SessionTarget {
  chip: ChipFamily;
  boardId: string;
  flashSizeBytes: number;
  compress: boolean;
}

export interface SessionReport {
  port: string;
  chip: string;
  mac: string;
  flashId: string;
  flashSizeDetectedBytes: number | undefined;
  baudRate: number;
  regions: RegionReport[];
  compressed: boolean;
  verified: boolean;
  /** How the board left the loader: reset lines, RTC watchdog (S3 on USB), or not at all. */
  reset: "hard-reset" | "watchdog" | "none";
  retries: number;
  durationMs: number;
}

/** The single-image report `offtap flash` has always printed. */
export interface FlashReport extends SessionReport {
  offset: number;
  imageBytes: number;
  bytesSent: number;
  blocks: number;
  md5: string;
}

export async function flashImage(plan: FlashPlan, options: FlashOptions): Promise<FlashReport> {
  const region = { name: plan.partition.name, offset: plan.partition.offset, data: plan.image };
  const report = await flashSession(plan, [region], options);
  const r = report.regions[0]!;
  return {
    ...report,
    offset: r.offset,
    imageBytes: r.bytes,
    bytesSent: r.bytesSent,
    blocks: r.blocks,
    md5: r.md5,
  };
}

export async function flashSession(
  target: SessionTarget,
  regions: readonly FlashRegion[],
  options: FlashOptions,
): Promise<SessionReport> {
  const r = await runSession(target, options, async (s) => {
    const reports: RegionReport[] = [];
    for (const region of regions) {
      reports.push(await writeRegion(s.loader, region, target.compress, options.onProgress));
    }
    return reports;
  });
  const { value, ...rest } = r;
  return { ...rest, regions: value, compressed: target.compress, verified: true };
}

/** What `offtap flash read` reports: the session and the bytes read. */
export interface ReadReport extends Omit<SessionReport, "regions" | "compressed" | "verified"> {
  offset: number;
  data: Uint8Array;
}

/** Reads `size` bytes at `offset` with READ_FLASH_SLOW (the ROM's only read). */
export async function readFlashRegion(
  target: SessionTarget,
  offset: number,
  size: number,
  options: FlashOptions,
): Promise<ReadReport> {
  const r = await runSession(target, options, (s) => s.loader.readFlashSlow(offset, size));
  const { value, ...rest } = r;
  return { ...rest, offset, data: value };
}

interface Session {
  loader: RomLoader;
  chip: ChipInfo;
}

type SessionResult<T> = Omit<SessionReport, "regions" | "compressed" | "verified"> & { value: T };

/** Open, reset, sync, check the chip, raise the baud rate, attach and check the flash; run
 *  `work`; leave the loader as `options.after` says; close. */
async function runSession<T>(
  target: SessionTarget,
  options: FlashOptions,
  work: (s: Session) => Promise<T>,
): Promise<SessionResult<T>> {
  const note = options.note ?? (() => {});
  const started = Date.now();
  const open =
    options.openPort ??
    ((path: string, baudRate: number) => SerialTransport.open(path, { baudRate }));
  const port = await open(options.port, ROM_BAUD);
  try {
    const loader = new RomLoader(port, options.timing, note);
    const { resetWorked } = await loader.connect(strategiesFor(options));
    if (options.before !== "no-reset" && !resetWorked) {
      note(
        `${options.port} cannot drive DTR/RTS, so the board was not reset into download mode; it ` +
          `answered anyway`,
      );
    }
    const chip = await loader.detectChip();
    if (chip.family !== target.chip) {
      throw new FlashError(
        "chip-mismatch",
        `the chip on ${options.port} is an ${chip.name}, but board ${target.boardId} has an ` +
          `${CHIPS[target.chip].name} — wrong port or wrong --board?`,
      );
    }
    const onUsb = await usesUsbJtagSerial(loader, chip);
    if (onUsb) await disableWatchdogs(loader, chip);
    const mac = await readMac(loader, chip);
    await loader.changeBaud(options.baudRate, await romBaudValue(loader, chip, options.baudRate));
    await loader.attachFlash(target.flashSizeBytes, await spiAttachArg(loader, chip));
    const flash = await checkFlashChip(loader, chip, target, note);
    const value = await work({ loader, chip });
    const reset = await leaveLoader(loader, chip, options.after, onUsb, note);
    return {
      port: options.port,
      chip: chip.name,
      mac,
      flashId: flash.id,
      flashSizeDetectedBytes: flash.sizeBytes,
      baudRate: port.baudRate,
      reset,
      retries: loader.retries,
      durationMs: Date.now() - started,
      value,
    };
  } finally {
    await port.close();
  }
}

function strategiesFor(options: FlashOptions): ResetStrategy[] {
  if (options.before === "no-reset") return [];
  if (options.before === "usb-reset") return [usbJtagSerialReset()];
  return connectSequence(options.usbJtagSerial === true, process.platform);
}

/** XMC wake-up fix, then the JEDEC id: no answer is an error, a chip smaller than the
 *  board profile says is an error (the partition table would run off its end). */
async function checkFlashChip(
  loader: RomLoader,
  chip: ChipInfo,
  target: SessionTarget,
  note: (m: string) => void,
): Promise<{ id: string; sizeBytes: number | undefined }> {
  const xmc = await xmcStartupFix(loader, chip);
  if (xmc === "fixed")
    note("XMC flash chip had not started up; woke it through deep power-down (esptool's fix)");
  if (xmc === "failed")
    note("XMC flash chip did not start up, and the deep power-down fix did not help");
  const id = await readFlashId(loader, chip);
  const idText = `0x${id.toString(16).padStart(6, "0")}`;
  if (id === 0xffffff || id === 0) {
    throw new FlashError(
      "flash-id",
      `the flash chip did not answer its id (${idText}) — check the flash wiring and power`,
    );
  }
  const sizeBytes = flashSizeFromId(id);
  if (sizeBytes === undefined) {
    note(
      `flash id ${idText} (${describeFlashId(id)}) does not give a size; trusting board ` +
        `${target.boardId}`,
    );
  } else if (sizeBytes < target.flashSizeBytes) {
    throw new FlashError(
      "flash-size",
      `the flash chip on this board holds ${mib(sizeBytes)} (id ${idText}), ` +
        `but board ${target.boardId} is laid out for ${mib(target.flashSizeBytes)} — wrong ` +
        `--board, or a module with less flash`,
    );
  } else if (sizeBytes > target.flashSizeBytes) {
    note(
      `the flash chip holds ${mib(sizeBytes)}; board ${target.boardId} uses the first ` +
        `${mib(target.flashSizeBytes)}`,
    );
  }
  return { id: idText, sizeBytes };
}

async function writeRegion(
  loader: RomLoader,
  region: FlashRegion,
  compress: boolean,
  onProgress?: (p: SessionProgress) => void,
): Promise<RegionReport> {
  const progress =
    onProgress === undefined
      ? undefined
      : (p: WriteProgress) => onProgress({ ...p, region: region.name });
  const written = await loader.writeFlash(region.offset, region.data, compress, progress);
  const md5 = await loader.verify(region.offset, region.data);
  return {
    name: region.name,
    offset: region.offset,
    bytes: region.data.length,
    writtenBytes: written.writtenBytes,
    bytesSent: written.bytesSent,
    blocks: written.blocks,
    md5,
  };
}

/** Leaves the loader the way esptool does with its ROM: no *_END (the ESP32 cannot use it
 *  reliably), a hard reset through the lines — on an ESP32-S3 after clearing its
 *  forced-download bit, and through the RTC watchdog when a native USB port cannot. */
async function leaveLoader(
  loader: RomLoader,
  chip: ChipInfo,
  after: AfterMode,
  onUsb: boolean,
  note: (m: string) => void,
): Promise<SessionReport["reset"]> {
  if (after === "no-reset") return "none";
  await clearForcedDownload(loader, chip);
  if (await loader.hardReset(onUsb)) return "hard-reset";
  if (onUsb) {
    await rtcWatchdogReset(loader, chip);
    return "watchdog";
  }
  note("the port cannot drive RTS: press the board's EN (RESET) button to start the application");
  return "none";
}

function mib(bytes: number): string {
  return bytes >= 1 << 20 ? `${bytes / (1 << 20)} MiB` : `${bytes / 1024} KiB`;
}
