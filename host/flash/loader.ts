// A client for the ESP32 ROM bootloader: reset into download mode, SYNC, identify the chip,
// change baud, attach the SPI flash, write (deflate-compressed or plain), check the MD5 of
// what landed in flash, reset into the application. Follows what esptool does with
// --no-stub (docs/FLASHING.md lists every command, timeout and retry).
import { createHash } from "node:crypto";
import { deflateSync } from "node:zlib";
import {
  CHIPS,
  CHIP_MAGIC_REG,
  Op,
  READ_FLASH_SLOW_BYTES_MAX,
  ROM_STATUS_BYTES,
  RomError,
  SECURITY_INFO_BYTES,
  SYNC_PAYLOAD,
  spiAttachPayload,
  writeRegPayload,
  checksum,
  chipByMagic,
  chipBySecurityId,
  dataPayload,
  decodeResponse,
  encodeCommand,
  opName,
  readU32,
  romErrorText,
  spiParamsPayload,
  u32le,
  type ChipInfo,
  type Response,
} from "./protocol.ts";
import { SlipReader, slipEncode, type ByteSource } from "./slip.ts";
import { SerialError, type SerialSignals } from "../serial/transport.ts";
import { hardReset, runReset, type ResetStrategy } from "./reset.ts";

/** What the loader needs from a serial port (SerialTransport satisfies it). */
export interface SerialLink extends ByteSource {
  readonly path: string;
  readonly baudRate: number;
  write(bytes: Uint8Array): Promise<void>;
  setSignals(signals: SerialSignals): Promise<void>;
  setBaudRate(baudRate: number): Promise<void>;
}

/** esptool's FLASH_WRITE_SIZE for ROM loaders: the ROM's receive buffer takes 1 KiB blocks
 *  (the 16 KiB blocks esptool uses belong to its RAM stub, which offtap does not upload). */
export const ROM_BLOCK_BYTES = 0x400;
/** The ROM loader always starts at 115200 baud. */
export const ROM_BAUD = 115200;
const MB = 1_000_000;

/** Timeouts and retry counts; defaults are esptool's (loader.py). Tests shrink them. */
export interface LoaderTiming {
  commandTimeoutMs: number; // DEFAULT_TIMEOUT, also the floor of every size-scaled timeout
  syncTimeoutMs: number; // SYNC_TIMEOUT
  eraseMsPerMB: number; // ERASE_REGION_TIMEOUT_PER_MB (the ROM erases in FLASH_BEGIN)
  writeMsPerMB: number; // ERASE_WRITE_TIMEOUT_PER_MB, per uncompressed block
  md5MsPerMB: number; // MD5_TIMEOUT_PER_MB
  connectAttempts: number; // resets tried, each followed by SYNCS_PER_ATTEMPT syncs
  commandAttempts: number; // tries of one idempotent command (WRITE_BLOCK_ATTEMPTS for blocks)
  retryBackoffMs: number; // first pause before a retry; doubles each time
  // multiplies every wait of a reset sequence (1 on hardware; tests shrink it)
  resetDelayScale: number;
}

export const DEFAULT_TIMING: Readonly<LoaderTiming> = {
  commandTimeoutMs: 3_000,
  syncTimeoutMs: 100,
  eraseMsPerMB: 30_000,
  writeMsPerMB: 40_000,
  md5MsPerMB: 8_000,
  connectAttempts: 7,
  commandAttempts: 3,
  retryBackoffMs: 50,
  resetDelayScale: 1,
};

const SYNCS_PER_ATTEMPT = 5;
const SYNC_PAUSE_MS = 50;
/** Extra SYNC answers read and dropped at most: the ROM sends 7 more; a bound keeps a
 *  chattering line from holding the flasher here. */
const SYNC_EXTRA_ANSWERS_MAX = 16;
/** Pause after a baud change before talking again (esptool: "get rid of crap sent during baud rate
 *  change"). */
const BAUD_SETTLE_MS = 50;

export type FlashErrorKind =
  | "no-sync"
  | "timeout"
  | "rom-error"
  | "chip-mismatch"
  | "md5-mismatch"
  | "protocol"
  | "flash-id"
  | "flash-size";

export class FlashError extends Error {
  constructor(
    readonly kind: FlashErrorKind,
    message: string,
  ) {
    super(message);
    this.name = "FlashError";
  }
}

export interface WriteProgress {
  blocksDone: number;
  blocks: number;
  bytesSent: number;
}

export interface WriteResult {
  blocks: number;
  bytesSent: number;
  compressed: boolean;
  /** Bytes written: the data padded with 0xFF to a multiple of 4, as esptool pads it. */
  writtenBytes: number;
}

export class RomLoader {
  private readonly reader: SlipReader;
  private readonly timing: LoaderTiming;
  /** Commands that had to be sent more than once (timeouts, checksum errors). */
  retries = 0;
  chip: ChipInfo | undefined;

  constructor(
    private readonly link: SerialLink,
    timing: Partial<LoaderTiming> = {},
    private readonly note: (message: string) => void = () => {},
  ) {
    this.timing = { ...DEFAULT_TIMING, ...timing };
    this.reader = new SlipReader(link);
  }

  /** Runs one reset sequence through DTR/RTS. False when the port cannot drive the lines
   *  (a pseudo-terminal, a bare 3-wire UART): then the board must be reset by hand. */
  async reset(strategy: ResetStrategy): Promise<boolean> {
    try {
      await runReset(this.link, strategy, this.timing.resetDelayScale);
      return true;
    } catch (err) {
      if (err instanceof SerialError && err.kind === "signals") return false;
      throw err;
    }
  }

  /** Pulses EN with GPIO0 released (esptool's HardReset), so the chip boots the application. */
  async hardReset(usb = false): Promise<boolean> {
    return this.reset(hardReset(usb));
  }

  /** One SYNC exchange; true when the ROM answered. Extra SYNC answers are drained. */
  async syncOnce(): Promise<boolean> {
    this.reader.clear();
    await this.link.write(slipEncode(encodeCommand(Op.SYNC, SYNC_PAYLOAD)));
    const answer = await this.awaitResponse(Op.SYNC, this.timing.syncTimeoutMs);
    if (answer === undefined) return false;
    // The ROM answers one SYNC several times (8); let the rest arrive and drop them.
    for (let i = 0; i < SYNC_EXTRA_ANSWERS_MAX; i++) {
      if ((await this.reader.next(this.timing.syncTimeoutMs)) === undefined) break;
    }
    return true;
  }

  /** Connects esptool-style: per attempt one reset strategy (cycling through `strategies`;
   *  none with --before no-reset), then up to 5 SYNCs. */
  async connect(strategies: readonly ResetStrategy[]): Promise<{ resetWorked: boolean }> {
    let resetWorked = strategies.length > 0;
    for (let attempt = 0; attempt < this.timing.connectAttempts; attempt++) {
      const strategy = strategies[attempt % Math.max(1, strategies.length)];
      if (strategy !== undefined) resetWorked = (await this.reset(strategy)) && resetWorked;
      for (let i = 0; i < SYNCS_PER_ATTEMPT; i++) {
        if (await this.syncOnce()) return { resetWorked };
        await sleep(SYNC_PAUSE_MS);
      }
      if (attempt + 1 < this.timing.connectAttempts) {
        const how = strategy === undefined ? "" : ` after a ${strategy.name} reset`;
        this.note(
          `no answer to SYNC${how} (attempt ${attempt + 1} of ${this.timing.connectAttempts}), ` +
          `retrying`,
        );
      }
    }
    throw new FlashError(
      "no-sync",
      `no bootloader answered on ${this.link.path} after ${this.timing.connectAttempts} attempts ` +
      `— ` +
        "is the board in download mode (hold BOOT, press and release EN), and is this the " +
        "board's port?",
    );
  }

  /** Identifies the chip: GET_SECURITY_INFO's chip id where the ROM has it (ESP32-S3),
   *  otherwise the magic register (ESP32 has no GET_SECURITY_INFO). */
  async detectChip(): Promise<ChipInfo> {
    const info = await this.command(Op.GET_SECURITY_INFO, new Uint8Array(0), { allowError: true });
    if (info.error === undefined && info.body.length >= SECURITY_INFO_BYTES) {
      const id = readU32(info.body, 12);
      const chip = chipBySecurityId(id);
      if (chip === undefined)
        throw new FlashError("chip-mismatch", `unsupported chip (GET_SECURITY_INFO chip id ${id})`);
      return (this.chip = chip);
    }
    const magic = (await this.command(Op.READ_REG, u32le(CHIP_MAGIC_REG))).value;
    const chip = chipByMagic(magic);
    if (chip === undefined) {
      const magicHex = `0x${magic.toString(16).padStart(8, "0")}`;
      const known = Object.values(CHIPS).map((c) => c.name).join(", ");
      throw new FlashError(
        "chip-mismatch",
        `unsupported chip (magic ${magicHex} at 0x${CHIP_MAGIC_REG.toString(16)}); ` +
          `offtap supports ${known}`,
      );
    }
    return (this.chip = chip);
  }

  /** Asks the ROM to switch baud, then switches the port. The ROM answers at the old rate.
   *  `romValue` is what the ROM is told (ESP32: scaled by its crystal estimate, chip.ts). */
  async changeBaud(baudRate: number, romValue: number = baudRate): Promise<void> {
    if (baudRate === this.link.baudRate) return;
    // Second word: 0 tells the ROM loader (as opposed to the stub) to take the rate as given.
    await this.command(Op.CHANGE_BAUDRATE, u32le(romValue, 0), { attempts: 1 });
    await this.link.setBaudRate(baudRate);
    await sleep(BAUD_SETTLE_MS);
    this.reader.clear();
  }

  /** SPI_ATTACH then SPI_SET_PARAMS: the ROM needs both before any flash command. */
  async attachFlash(flashSizeBytes: number, hspiArg = 0): Promise<void> {
    await this.command(Op.SPI_ATTACH, spiAttachPayload(hspiArg));
    await this.command(Op.SPI_SET_PARAMS, spiParamsPayload(flashSizeBytes));
  }

  /** Writes `image` at flash `offset`; the ROM erases the region in *_BEGIN. */
  async writeFlash(
    offset: number,
    data: Uint8Array,
    compress: boolean,
    onProgress?: (p: WriteProgress) => void,
  ): Promise<WriteResult> {
    const chip = this.requireChip();
    const image = padTo4(data);
    const payload = compress ? new Uint8Array(deflateSync(image, { level: 9 })) : image;
    const blocks = Math.ceil(payload.length / ROM_BLOCK_BYTES);
    // Plain: the erase size is the image size (the ESP8266 ROM's erase-size bug that esptool's
    // get_erase_size() works around does not exist in the ESP32 ROMs). Compressed: the ROM
    // wants the uncompressed size rounded up to whole blocks.
    const size = compress
      ? Math.ceil(image.length / ROM_BLOCK_BYTES) * ROM_BLOCK_BYTES
      : image.length;
    const words = [size, blocks, ROM_BLOCK_BYTES, offset];
    if (chip.beginTakesEncryptedFlag) words.push(0);
    await this.command(compress ? Op.FLASH_DEFL_BEGIN : Op.FLASH_BEGIN, u32le(...words), {
      timeoutMs: this.scaled(this.timing.eraseMsPerMB, size),
    });
    const dataOp = compress ? Op.FLASH_DEFL_DATA : Op.FLASH_DATA;
    const blockTimeoutMs = this.scaled(
      this.timing.writeMsPerMB,
      Math.ceil(image.length / Math.max(1, blocks)),
    );
    let bytesSent = 0;
    for (let seq = 0; seq < blocks; seq++) {
      let block = payload.subarray(seq * ROM_BLOCK_BYTES, (seq + 1) * ROM_BLOCK_BYTES);
      // the ROM writes whole blocks
      if (!compress && block.length < ROM_BLOCK_BYTES) block = padBlock(block);
      await this.command(dataOp, dataPayload(seq, block), {
        check: checksum(block),
        timeoutMs: blockTimeoutMs,
      });
      bytesSent += block.length;
      onProgress?.({ blocksDone: seq + 1, blocks, bytesSent });
    }
    return { blocks, bytesSent, compressed: compress, writtenBytes: image.length };
  }

  /** MD5 of a flash region as the ROM computes it (hex). The ROM sends 32 hex digits. */
  async flashMd5(offset: number, size: number): Promise<string> {
    const r = await this.command(Op.SPI_FLASH_MD5, u32le(offset, size, 0, 0), {
      timeoutMs: this.scaled(this.timing.md5MsPerMB, size),
    });
    if (r.body.length === 32) return new TextDecoder().decode(r.body).toLowerCase();
    // stub loaders send raw bytes
    if (r.body.length === 16) return Buffer.from(r.body).toString("hex");
    throw new FlashError(
      "protocol",
      `SPI_FLASH_MD5 answered ${r.body.length} bytes, expected 32 hex digits`,
    );
  }

  /** Writes, then compares the ROM's MD5 of the region with the image's. */
  async verify(offset: number, data: Uint8Array): Promise<string> {
    const image = padTo4(data);
    const expected = createHash("md5").update(image).digest("hex");
    const actual = await this.flashMd5(offset, image.length);
    if (actual !== expected) {
      throw new FlashError(
        "md5-mismatch",
        `MD5 of flash 0x${offset.toString(16)}+${image.length} is ${actual}, the image's is ` +
        `${expected} — the write did not land intact; flash again (at a lower --baud)`,
      );
    }
    return actual;
  }

  /** READ_REG: a 32-bit word of the chip's address space. */
  async readReg(address: number): Promise<number> {
    return (await this.command(Op.READ_REG, u32le(address))).value >>> 0;
  }

  /** WRITE_REG: address, value, mask, delay in µs (the ROM keeps the bits outside `mask`). */
  async writeReg(address: number, value: number, mask = 0xffffffff, delayUs = 0): Promise<void> {
    await this.command(Op.WRITE_REG, writeRegPayload(address, value, mask, delayUs));
  }

  /** READ_FLASH_SLOW, 64 bytes per command: slow, but what the ROM offers without a stub. */
  async readFlashSlow(offset: number, length: number): Promise<Uint8Array> {
    const out = new Uint8Array(length);
    for (let done = 0; done < length;) {
      const part = Math.min(READ_FLASH_SLOW_BYTES_MAX, length - done);
      const r = await this.command(Op.READ_FLASH_SLOW, u32le(offset + done, part));
      if (r.body.length < part) {
        throw new FlashError(
          "protocol",
          `READ_FLASH_SLOW answered ${r.body.length} bytes, expected ${part}`,
        );
      }
      out.set(r.body.subarray(0, part), done);
      done += part;
    }
    return out;
  }

  /** Sends one command and waits for its response; retries idempotent commands on a
   *  timeout or a checksum complaint, with doubling pauses. */
  async command(
    op: number,
    data: Uint8Array,
    options: { check?: number; timeoutMs?: number; attempts?: number; allowError?: boolean } = {},
  ): Promise<{ value: number; body: Uint8Array; error: number | undefined }> {
    const attempts = options.attempts ?? this.timing.commandAttempts;
    const timeoutMs = options.timeoutMs ?? this.timing.commandTimeoutMs;
    const packet = slipEncode(encodeCommand(op, data, options.check ?? 0));
    let why = "";
    let kind: FlashErrorKind = "timeout";
    for (let attempt = 0; attempt < attempts; attempt++) {
      if (attempt > 0) {
        this.retries++;
        this.note(`${opName(op)}: ${why}, retrying (${attempt + 1} of ${attempts})`);
        await sleep(this.timing.retryBackoffMs * 2 ** (attempt - 1));
      }
      this.reader.clear();
      await this.link.write(packet);
      const r = await this.awaitResponse(op, timeoutMs);
      if (r === undefined) {
        why = `no answer in ${timeoutMs} ms`;
        kind = "timeout";
        continue;
      }
      const parsed = parseStatus(op, r);
      if (parsed.error === RomError.BAD_CHECKSUM && options.allowError !== true) {
        why = "the ROM saw a bad checksum";
        kind = "rom-error";
        continue;
      }
      if (parsed.error !== undefined && options.allowError !== true) {
        throw new FlashError(
          "rom-error",
          `${opName(op)} failed: the ROM answered ${romErrorText(parsed.error)}`,
        );
      }
      return parsed;
    }
    throw new FlashError(
      kind,
      `${opName(op)}: ${why} after ${attempts} ${attempts === 1 ? "try" : "tries"} on ` +
      `${this.link.path}`,
    );
  }

  /** Reads packets until a response to `op` arrives (others, e.g. late SYNC answers, are
   *  skipped). An answer for another command with error 0x05 is how the ROM rejects a
   *  command it does not have (esptool's UnsupportedCommandError): taken as the answer. */
  private async awaitResponse(op: number, timeoutMs: number): Promise<Response | undefined> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const packet = await this.reader.next(Math.max(0, deadline - Date.now()));
      if (packet === undefined) return undefined;
      const r = decodeResponse(packet);
      if (r === undefined) continue;
      if (r.op === op) return r;
      if (op !== Op.SYNC && isUnsupportedAnswer(r)) return { ...r, op };
    }
  }

  private requireChip(): ChipInfo {
    if (this.chip === undefined)
      throw new FlashError("protocol", "detectChip() must run before flash commands");
    return this.chip;
  }

  private scaled(msPerMB: number, bytes: number): number {
    return Math.max(this.timing.commandTimeoutMs, Math.ceil((msPerMB * bytes) / MB));
  }
}

function isUnsupportedAnswer(r: Response): boolean {
  const at = r.data.length - ROM_STATUS_BYTES;
  return at >= 0 && r.data[at] !== 0 && r.data[at + 1] === RomError.INVALID_MESSAGE;
}

function parseStatus(
  op: number,
  r: Response,
): { value: number; body: Uint8Array; error: number | undefined } {
  if (r.data.length < ROM_STATUS_BYTES) {
    // A short answer with a failure flag still says why (unknown command on some ROMs).
    if (r.data.length >= 2 && r.data[0] !== 0)
      return { value: r.value, body: new Uint8Array(0), error: r.data[1]! };
    throw new FlashError(
      "protocol",
      `${opName(op)}: response has ${r.data.length} data bytes, fewer than the ROM's ` +
      `${ROM_STATUS_BYTES} status bytes`,
    );
  }
  const at = r.data.length - ROM_STATUS_BYTES;
  const failed = r.data[at] !== 0;
  return {
    value: r.value,
    body: r.data.subarray(0, at),
    error: failed ? r.data[at + 1]! : undefined,
  };
}

/** esptool pads every file to a multiple of 4 bytes with 0xFF before writing it. */
export function padTo4(data: Uint8Array): Uint8Array {
  if (data.length % 4 === 0) return data;
  const out = new Uint8Array(Math.ceil(data.length / 4) * 4).fill(0xff);
  out.set(data);
  return out;
}

function padBlock(block: Uint8Array): Uint8Array {
  const out = new Uint8Array(ROM_BLOCK_BYTES).fill(0xff);
  out.set(block);
  return out;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
