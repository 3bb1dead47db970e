// One flash, start to finish: open the port, reset into the ROM loader, sync, check the
// chip against the board profile, raise the baud rate, attach the SPI flash, write the
// image to the wasm partition, compare MD5s, reset into the application, close the port.
import { SerialTransport } from "../serial/transport.ts";
import { FlashError, ROM_BAUD, RomLoader, type LoaderTiming, type WriteProgress } from "./loader.ts";
import { CHIPS } from "./protocol.ts";
import type { FlashPlan } from "./plan.ts";

export type BeforeMode = "default-reset" | "no-reset";
export type AfterMode = "hard-reset" | "no-reset";

export interface FlashOptions {
  port: string;
  baudRate: number;
  before: BeforeMode;
  after: AfterMode;
  timing?: Partial<LoaderTiming>;
  onProgress?: (p: WriteProgress) => void;
  /** Human-readable remarks (retries, a port that cannot reset the board). */
  note?: (message: string) => void;
}

export interface FlashReport {
  port: string;
  chip: string;
  baudRate: number;
  offset: number;
  imageBytes: number;
  bytesSent: number;
  blocks: number;
  compressed: boolean;
  md5: string;
  verified: boolean;
  /** How the board left the loader: RTS pulse, the ROM's own reboot (FLASH_END 0), or not at all. */
  reset: "hard-reset" | "rom-reboot" | "none";
  retries: number;
  durationMs: number;
}

export async function flashImage(plan: FlashPlan, options: FlashOptions): Promise<FlashReport> {
  const note = options.note ?? (() => {});
  const started = Date.now();
  const port = await SerialTransport.open(options.port, { baudRate: ROM_BAUD });
  try {
    const loader = new RomLoader(port, options.timing, note);
    const { resetWorked } = await loader.connect(options.before === "default-reset");
    if (options.before === "default-reset" && !resetWorked) {
      note(`${options.port} cannot drive DTR/RTS, so the board was not reset into download mode; it answered anyway`);
    }
    const chip = await loader.detectChip();
    if (chip.family !== plan.chip) {
      throw new FlashError("chip-mismatch", `the chip on ${options.port} is an ${chip.name}, but board ${plan.boardId} has an ${CHIPS[plan.chip].name} — wrong port or wrong --board?`);
    }
    await loader.changeBaud(options.baudRate);
    await loader.attachFlash(plan.flashSizeBytes);
    const written = await loader.writeFlash(plan.partition.offset, plan.image, plan.compress, options.onProgress);
    const md5 = await loader.verify(plan.partition.offset, plan.image);
    const canReset = options.before === "default-reset" ? resetWorked : await loader.probeSignals();
    const reset = await leaveLoader(loader, options.after, canReset, plan.compress);
    return {
      port: options.port, chip: chip.name, baudRate: port.baudRate, offset: plan.partition.offset,
      imageBytes: plan.image.length, bytesSent: written.bytesSent, blocks: written.blocks, compressed: written.compressed,
      md5, verified: true, reset, retries: loader.retries, durationMs: Date.now() - started,
    };
  } finally {
    await port.close();
  }
}

/** Ends the write session. With working RTS, stay in the loader and pulse EN (esptool's
 *  hard reset); without it, ask the ROM itself to reboot (FLASH_END with 0). */
async function leaveLoader(loader: RomLoader, after: AfterMode, canReset: boolean, compressed: boolean): Promise<FlashReport["reset"]> {
  if (after === "hard-reset" && !canReset) {
    await loader.finish(compressed, true);
    return "rom-reboot";
  }
  await loader.finish(compressed, false);
  if (after === "no-reset") return "none";
  return (await loader.hardReset()) ? "hard-reset" : "none";
}
