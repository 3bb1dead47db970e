// An ESP32 / ESP32-S3 ROM bootloader emulator on the far end of a serial port (in tests,
// a pseudo-terminal from host/serial/pty.ts). It speaks the ROM's SLIP protocol, keeps the
// chip's whole SPI flash in memory with NOR semantics (erase sets 0xFF, programming can
// only clear bits, every write is read back), checks checksums, sequence numbers and the
// command order the ROM needs, and can inject faults so the flasher's retries are tested.
import { createHash } from "node:crypto";
import { constants as zlibConstants, inflateSync } from "node:zlib";
import {
  DATA_HEADER_BYTES,
  Op,
  READ_FLASH_SLOW_BYTES_MAX,
  RomError,
  SECURITY_INFO_BYTES,
  checksum,
  decodeCommand,
  encodeResponse,
  opName,
  readU32,
  romStatus,
  type ChipInfo,
  type Command,
} from "./protocol.ts";
import { SlipReader, slipEncode, type ByteSource } from "./slip.ts";
import { SerialTransport } from "../serial/transport.ts";
import { ratesMatch, readLineSpeed } from "../serial/line-speed.ts";
import { ChipModel, type ChipModelOptions } from "./emulated-chip.ts";

export type FaultKind =
  | "drop-response" // act on the command, send nothing back (a lost reply)
  | "corrupt-response" // act, then garble the reply on the wire so it does not decode
  | "corrupt-request" // flip a data byte before acting (line noise): *_DATA gets a checksum error
  | "delay" // act, then answer only after delayMs (a slow erase)
  // answer as usual but do not act after the answer (a baud change that never happens)
  | "no-effect"
  // flip bit 0 of the flash byte at `address` before acting (a failing flash chip)
  | "corrupt-flash";

export interface EmulatorFault {
  op: number;
  /** Which occurrence of `op` (1-based) triggers it; default 1. Each fault fires once. */
  nth?: number;
  kind: FaultKind;
  delayMs?: number;
  address?: number;
}

/** What the emulator needs from its end of the line (SerialTransport satisfies it). */
export interface EmulatorLink extends ByteSource {
  readonly baudRate: number;
  write(bytes: Uint8Array): Promise<void>;
  setBaudRate(baudRate: number): Promise<void>;
  close(): Promise<void>;
}

/** Where the chip is: held in reset (EN low), in the ROM loader, or running the application. */
export type ChipState = "reset" | "download" | "app";

export interface EmulatorOptions extends ChipModelOptions {
  faults?: EmulatorFault[];
  /** SYNCs to leave unanswered first (a board still booting). */
  ignoreSyncs?: number;
  /** Print the ROM's boot banner before the first packet, as a real chip does after reset. */
  bootBanner?: boolean;
  /** The far end's device: its line speed is read (stty) and compared with the emulator's
   *  own rate; at the wrong rate requests are lost and answers arrive garbled. */
  peerPath?: string;
  /** State at start: "download" (default; a board put into download mode by hand). */
  initialState?: ChipState;
}

/** How many answers the ROM sends to one SYNC (esptool reads and drops the extra seven). */
const SYNC_ANSWERS = 8;
/** Any non-zero value: esptool takes a zero SYNC value to mean its RAM stub is running. */
const SYNC_VALUE = 0x20120707;
const SECTOR_BYTES = 4096;
const POLL_MS = 25;
/** Time for the CHANGE_BAUDRATE answer to leave before the switch (well under the flasher's 50 ms
 *  settle time). */
const BAUD_SWITCH_DELAY_MS = 10;
/** From arming the RTC watchdog to the reset it causes (esptool arms it with a short timeout). */
const WATCHDOG_FIRE_MS = 30;
/** How long a line-speed reading is trusted (0: stty is asked for every packet; a cached
 *  reading could miss a switch made between two packets). */
const LINE_SPEED_TTL_MS = 0;
const BOOT_BANNER =
  "ets Jun  8 2016 00:22:57\r\n\r\nrst:0x1 (POWERON_RESET),boot:0x3 " +
  "(DOWNLOAD_BOOT(UART0/UART1/SDIO_REI_REO_V2))\r\nwaiting for download\r\n";

interface WriteSession {
  compressed: boolean;
  offset: number;
  size: number;
  blocks: number;
  blockBytes: number;
  nextSeq: number;
  deflated: Uint8Array[];
  inflatedBytes: number;
}

interface Reply {
  value?: number;
  data?: Uint8Array;
  error?: number;
  op?: number;
  afterSend?: () => Promise<void>;
}

/** The answer to a command this ROM does not have. esptool and esptool-js recognise it as
 *  an answer whose command byte differs from the request's, with error 0x05; the command
 *  byte is 0 here (docs/FLASHING.md: an assumption, the real ROM's byte is not documented). */
const UNSUPPORTED: Reply = { error: RomError.INVALID_MESSAGE, op: 0 };

export class RomEmulator {
  readonly flash: Uint8Array;
  readonly chip: ChipInfo;
  readonly model: ChipModel;
  state: ChipState;
  /** Packets lost to a line-speed mismatch (requests sent at the wrong rate). */
  garbledPackets = 0;
  /** Every state change with its cause, in order (tests read the boot history). */
  readonly boots: { state: ChipState; cause: string }[] = [];
  /** The pad word of the last SPI_ATTACH (0 = default pins / eFuse pads). */
  attachArg: number | undefined;
  /** Flash size the last SPI_SET_PARAMS announced. */
  paramsFlashSize: number | undefined;
  /** The rate the ROM's UART actually runs at (after CHANGE_BAUDRATE, from the divider it set). */
  uartBaud = 115200;
  /** Every command received, in order (after SYNC). */
  readonly log: { op: number; name: string }[] = [];
  /** Data blocks received again with the previous sequence number and acknowledged without
   *  writing. */
  duplicateBlocks = 0;
  /** Set by FLASH_END / FLASH_DEFL_END: 0 = reboot, 1 = run the application. */
  endFlag: number | undefined;

  private synced = false;
  private attached = false;
  private paramsSet = false;
  private session: WriteSession | undefined;
  private syncsIgnored = 0;
  private readonly seen = new Map<number, number>();
  private readonly faults: EmulatorFault[];
  private readonly reader: SlipReader;
  private running = true;
  private readonly loop: Promise<void>;
  private loopError: unknown;
  private current: Promise<void> = Promise.resolve();
  private peerSpeed: { rate: number | undefined; atMs: number } | undefined;
  private pins = { en: true, gpio0: true };
  private watchdog: NodeJS.Timeout | undefined;

  private constructor(
    private readonly port: EmulatorLink,
    private readonly options: EmulatorOptions,
  ) {
    this.model = new ChipModel(options);
    this.chip = this.model.chip;
    this.state = options.initialState ?? "download";
    this.flash = new Uint8Array(options.flashSizeBytes).fill(0xff);
    this.faults = [...(options.faults ?? [])];
    this.reader = new SlipReader(port);
    this.loop = this.serve().catch((err: unknown) => {
      this.loopError = err;
    });
  }

  /** Opens `path` at the ROM's 115200 baud and starts answering. */
  static async start(path: string, options: EmulatorOptions): Promise<RomEmulator> {
    const port = await SerialTransport.open(path, { baudRate: 115200 });
    return RomEmulator.attach(port, options);
  }

  /** Starts answering on a link that is already open (tests: a SerialPortMock device side). */
  static async attach(port: EmulatorLink, options: EmulatorOptions): Promise<RomEmulator> {
    const emulator = new RomEmulator(port, options);
    if (options.bootBanner === true && emulator.state === "download") {
      await port.write(new TextEncoder().encode(BOOT_BANNER));
    }
    return emulator;
  }

  /** EN and GPIO0 as the board's auto-reset circuit drives them (true = high). EN low holds
   *  the chip in reset; as EN rises the ROM samples GPIO0 (and the ESP32-S3's forced-download
   *  bit): low means the ROM loader, high means the application. */
  setPins(pins: { en: boolean; gpio0: boolean }): void {
    const wasEn = this.pins.en;
    this.pins = { ...pins };
    if (wasEn && !pins.en) this.enter("reset", "EN low");
    if (!wasEn && pins.en) this.bootFromStraps("EN rose");
  }

  private bootFromStraps(cause: string): void {
    const download = !this.pins.gpio0 || this.model.forcedDownload;
    this.enter(
      download ? "download" : "app",
      `${cause} with GPIO0 ${this.pins.gpio0 ? "high" : "low"}`,
    );
  }

  /** A chip reset: the loader forgets everything, registers return to their reset values. */
  private enter(state: ChipState, cause: string): void {
    this.state = state;
    this.boots.push({ state, cause });
    this.synced = false;
    this.attached = false;
    this.paramsSet = false;
    this.session = undefined;
    this.uartBaud = 115200;
    const forced = this.model.forcedDownload;
    this.model.reset();
    this.model.setForcedDownload(forced);
  }

  /** The rate the emulated ROM's UART runs at. */
  get baudRate(): number {
    return this.uartBaud;
  }

  /** Stops answering and closes the port; rethrows anything that broke the serving loop. */
  async stop(): Promise<void> {
    this.running = false;
    clearTimeout(this.watchdog);
    await this.loop;
    await this.port.close();
    if (this.loopError !== undefined) throw this.loopError;
  }

  private async serve(): Promise<void> {
    while (this.running) {
      const packet = await this.reader.next(POLL_MS);
      if (packet === undefined) continue;
      if (this.state !== "download") continue; // in reset or running the application
      if (!(await this.lineSpeedMatches())) {
        await this.garble(packet.length);
        continue;
      }
      const cmd = decodeCommand(packet);
      if (cmd === undefined) continue; // not a request: the ROM ignores it
      this.current = this.answer(cmd);
      await this.current;
    }
  }

  /** Whether the peer's line speed is the rate the ROM's UART runs at. Without a peer path
   *  (or without stty) nothing can be checked and the line is taken as matching. */
  private async lineSpeedMatches(): Promise<boolean> {
    const path = this.options.peerPath;
    if (path === undefined) return true;
    const now = Date.now();
    if (this.peerSpeed === undefined || now - this.peerSpeed.atMs >= LINE_SPEED_TTL_MS) {
      this.peerSpeed = { rate: await readLineSpeed(path), atMs: now };
    }
    const rate = this.peerSpeed.rate;
    return rate === undefined || ratesMatch(rate, this.uartBaud);
  }

  /** What a UART at the wrong rate makes of a packet: a few bytes of noise back, no answer. */
  private async garble(length: number): Promise<void> {
    this.garbledPackets++;
    const noise = new Uint8Array(Math.max(1, Math.min(16, length >> 2))).fill(0xfe);
    await this.port.write(noise);
  }

  /** Resolves once the command being answered is fully done, including what follows its
   *  reply (a baud switch, a reboot). A test calls it before looking at the emulator's state. */
  async settled(): Promise<void> {
    await this.current;
  }

  private async answer(cmd: Command): Promise<void> {
    const count = (this.seen.get(cmd.op) ?? 0) + 1;
    this.seen.set(cmd.op, count);
    const faultAt = this.faults.findIndex((f) => f.op === cmd.op && (f.nth ?? 1) === count);
    const fault = faultAt >= 0 ? this.faults.splice(faultAt, 1)[0] : undefined;
    if (fault?.kind === "corrupt-request" && cmd.data.length > 0) {
      const data = cmd.data.slice();
      data[data.length - 1]! ^= 0x01;
      cmd = { ...cmd, data };
    }
    if (fault?.kind === "corrupt-flash") this.flash[fault.address ?? 0]! ^= 0x01;
    const reply = this.handle(cmd);
    if (reply === undefined) return;
    if (fault?.kind === "drop-response") return;
    if (fault?.kind === "delay") await sleep(fault.delayMs ?? 0);
    const status = romStatus(reply.error);
    const body = reply.data ?? new Uint8Array(0);
    const data = new Uint8Array(body.length + status.length);
    data.set(body);
    data.set(status, body.length);
    const wire = slipEncode(encodeResponse(reply.op ?? cmd.op, reply.value ?? 0, data));
    if (fault?.kind === "corrupt-response") wire[1] = 0x7e; // direction byte: no longer a response
    const copies = cmd.op === Op.SYNC ? SYNC_ANSWERS : 1;
    for (let i = 0; i < copies; i++) await this.port.write(wire);
    if (fault?.kind !== "no-effect") await reply.afterSend?.();
    if (this.model.watchdogFired) {
      // Armed: the RTC watchdog resets the chip once its timeout runs out, a little later.
      this.model.watchdogFired = false;
      this.watchdog = setTimeout(() => {
        this.enter("reset", "RTC watchdog");
        this.bootFromStraps("watchdog reset");
      }, WATCHDOG_FIRE_MS);
    }
  }

  /** Acts on one command; undefined means "no answer at all" (not yet synced). */
  private handle(cmd: Command): Reply | undefined {
    if (cmd.op === Op.SYNC) return this.onSync(cmd);
    if (!this.synced) return undefined; // before SYNC the ROM has not locked on to the baud rate
    this.log.push({ op: cmd.op, name: opName(cmd.op) });
    switch (cmd.op) {
      case Op.READ_REG:
        return this.onReadReg(cmd);
      case Op.WRITE_REG:
        return this.onWriteReg(cmd);
      case Op.READ_FLASH_SLOW:
        return this.onReadFlashSlow(cmd);
      case Op.GET_SECURITY_INFO:
        return this.onSecurityInfo(cmd);
      case Op.CHANGE_BAUDRATE:
        return this.onChangeBaud(cmd);
      case Op.SPI_ATTACH:
        return this.onSpiAttach(cmd);
      case Op.SPI_SET_PARAMS:
        return this.onSpiParams(cmd);
      case Op.FLASH_BEGIN:
        return this.onBegin(cmd, false);
      case Op.FLASH_DEFL_BEGIN:
        return this.onBegin(cmd, true);
      case Op.FLASH_DATA:
        return this.onData(cmd, false);
      case Op.FLASH_DEFL_DATA:
        return this.onData(cmd, true);
      case Op.FLASH_END:
        return this.onEnd(cmd, false);
      case Op.FLASH_DEFL_END:
        return this.onEnd(cmd, true);
      case Op.SPI_FLASH_MD5:
        return this.onMd5(cmd);
      default:
        return UNSUPPORTED;
    }
  }

  private onSync(cmd: Command): Reply | undefined {
    if (this.syncsIgnored < (this.options.ignoreSyncs ?? 0)) {
      this.syncsIgnored++;
      return undefined;
    }
    if (
      cmd.data.length !== 36 ||
      cmd.data[0] !== 0x07 ||
      cmd.data[1] !== 0x07 ||
      cmd.data[2] !== 0x12 ||
      cmd.data[3] !== 0x20 ||
      cmd.data.subarray(4).some((b) => b !== 0x55)
    ) {
      return this.synced ? { error: RomError.INVALID_MESSAGE } : undefined;
    }
    this.synced = true;
    return { value: SYNC_VALUE };
  }

  private onReadReg(cmd: Command): Reply {
    if (cmd.data.length !== 4) return { error: RomError.INVALID_MESSAGE };
    return { value: this.model.readReg(readU32(cmd.data, 0)) };
  }

  /** WRITE_REG: address, value, mask, delay µs (Espressif's serial protocol document). */
  private onWriteReg(cmd: Command): Reply {
    if (cmd.data.length !== 16) return { error: RomError.INVALID_MESSAGE };
    this.model.writeReg(readU32(cmd.data, 0), readU32(cmd.data, 4), readU32(cmd.data, 8));
    return {};
  }

  /** READ_FLASH_SLOW: address, length ≤ 64; the ROM always answers a 64-byte buffer. */
  private onReadFlashSlow(cmd: Command): Reply {
    if (cmd.data.length !== 8) return { error: RomError.INVALID_MESSAGE };
    const address = readU32(cmd.data, 0);
    const length = readU32(cmd.data, 4);
    if (length > READ_FLASH_SLOW_BYTES_MAX || address + length > this.flash.length)
      return { error: RomError.FLASH_READ_LENGTH };
    if (!this.attached) return { error: RomError.FAILED_TO_ACT };
    const out = new Uint8Array(READ_FLASH_SLOW_BYTES_MAX);
    out.set(this.flash.subarray(address, address + length));
    return { data: out };
  }

  private onSecurityInfo(cmd: Command): Reply {
    // the ESP32 ROM has no such command
    if (this.chip.securityChipId === undefined) return UNSUPPORTED;
    if (cmd.data.length !== 0) return { error: RomError.INVALID_MESSAGE };
    const info = new Uint8Array(SECURITY_INFO_BYTES);
    new DataView(info.buffer).setUint32(12, this.chip.securityChipId, true);
    return { data: info };
  }

  /** CHANGE_BAUDRATE: new rate, 0 (ROM). The ROM computes its divider from the crystal it
   * measured, so on an ESP32 whose estimate is off the UART ends up at value × 40 MHz / estimate.
   * */
  private onChangeBaud(cmd: Command): Reply {
    if (cmd.data.length !== 8) return { error: RomError.INVALID_MESSAGE };
    const value = readU32(cmd.data, 0);
    if (value < 9600 || value > 5_000_000 || readU32(cmd.data, 4) !== 0)
      return { error: RomError.INVALID_MESSAGE };
    const nominalHz = this.model.romCrystalHz > 33_000_000 ? 40_000_000 : 26_000_000;
    const actual =
      this.chip.family === "esp32"
        ? Math.round((value * nominalHz) / this.model.romCrystalHz)
        : value;
    // The ROM answers at the old rate, then switches once its transmitter is empty.
    return {
      afterSend: async () => {
        await sleep(BAUD_SWITCH_DELAY_MS);
        this.uartBaud = actual;
        this.model.setUartBaud(actual);
        this.peerSpeed = undefined;
      },
    };
  }

  private onSpiAttach(cmd: Command): Reply {
    // ROM form: hspi_arg plus the ROM-only zero word.
    if (cmd.data.length !== 8) return { error: RomError.INVALID_MESSAGE };
    this.attachArg = readU32(cmd.data, 0);
    this.attached = true;
    return {};
  }

  private onSpiParams(cmd: Command): Reply {
    if (cmd.data.length !== 24) return { error: RomError.INVALID_MESSAGE };
    // The ROM takes the size as given (it only bounds its own flash calls with it).
    this.paramsFlashSize = readU32(cmd.data, 4);
    this.paramsSet = true;
    return {};
  }

  private onBegin(cmd: Command, compressed: boolean): Reply {
    if (!this.attached || !this.paramsSet) return { error: RomError.FAILED_TO_ACT };
    const words = this.chip.beginTakesEncryptedFlag ? 5 : 4;
    if (cmd.data.length !== words * 4) return { error: RomError.INVALID_MESSAGE };
    const [size, blocks, blockBytes, offset] = [0, 4, 8, 12].map((at) => readU32(cmd.data, at)) as [
      number,
      number,
      number,
      number,
    ];
    // no encrypted writes here
    if (words === 5 && readU32(cmd.data, 16) !== 0) return { error: RomError.FAILED_TO_ACT };
    if (blockBytes === 0 || offset + size > this.flash.length)
      return { error: RomError.INVALID_MESSAGE };
    const start = Math.floor(offset / SECTOR_BYTES) * SECTOR_BYTES;
    const end = Math.min(
      this.flash.length,
      Math.ceil((offset + size) / SECTOR_BYTES) * SECTOR_BYTES,
    );
    this.flash.fill(0xff, start, end); // the ROM erases the region up front
    this.session = {
      compressed,
      offset,
      size,
      blocks,
      blockBytes,
      nextSeq: 0,
      deflated: [],
      inflatedBytes: 0,
    };
    return {};
  }

  private onData(cmd: Command, compressed: boolean): Reply {
    const s = this.session;
    if (s === undefined || s.compressed !== compressed) return { error: RomError.FAILED_TO_ACT };
    if (cmd.data.length < DATA_HEADER_BYTES) return { error: RomError.INVALID_MESSAGE };
    const length = readU32(cmd.data, 0);
    const seq = readU32(cmd.data, 4);
    const block = cmd.data.subarray(DATA_HEADER_BYTES);
    if (length !== block.length) return { error: RomError.INVALID_MESSAGE };
    if (checksum(block) !== (cmd.checksum & 0xff)) return { error: RomError.BAD_CHECKSUM };
    if (seq + 1 === s.nextSeq) {
      this.duplicateBlocks++;
      return {};
    } // a resend after a lost reply
    if (seq !== s.nextSeq || seq >= s.blocks) return { error: RomError.INVALID_MESSAGE };
    // ROM writes whole blocks
    if (!compressed && block.length !== s.blockBytes) return { error: RomError.INVALID_MESSAGE };
    const error = compressed
      ? this.inflateAndProgram(s, block)
      : this.program(s.offset + seq * s.blockBytes, block);
    if (error === undefined) s.nextSeq++;
    return { error };
  }

  /** Feeds the compressed stream so far through inflate and programs the new output. */
  private inflateAndProgram(s: WriteSession, block: Uint8Array): number | undefined {
    s.deflated.push(block.slice());
    let out: Buffer;
    try {
      out = inflateSync(Buffer.concat(s.deflated), { finishFlush: zlibConstants.Z_SYNC_FLUSH });
    } catch {
      s.deflated.pop();
      return RomError.DEFLATE;
    }
    if (out.length > s.size) return RomError.DEFLATE;
    const fresh = out.subarray(s.inflatedBytes);
    const error = this.program(s.offset + s.inflatedBytes, fresh);
    if (error === undefined) s.inflatedBytes = out.length;
    return error;
  }

  /** NOR programming: bits can only go from 1 to 0; the ROM reads back and complains on a
   *  mismatch. */
  private program(address: number, bytes: Uint8Array): number | undefined {
    if (address + bytes.length > this.flash.length) return RomError.INVALID_MESSAGE;
    for (let i = 0; i < bytes.length; i++) this.flash[address + i]! &= bytes[i]!;
    for (let i = 0; i < bytes.length; i++)
      if (this.flash[address + i] !== bytes[i]) return RomError.FLASH_WRITE;
    return undefined;
  }

  /** FLASH_END / FLASH_DEFL_END: 0 reboots the chip, 1 runs the application (Espressif's
   *  serial protocol document); staying in the loader means not sending it at all. */
  private onEnd(cmd: Command, compressed: boolean): Reply {
    if (cmd.data.length !== 4) return { error: RomError.INVALID_MESSAGE };
    if (this.session !== undefined && this.session.compressed !== compressed)
      return { error: RomError.FAILED_TO_ACT };
    this.endFlag = readU32(cmd.data, 0);
    this.session = undefined;
    const flag = this.endFlag;
    return {
      afterSend: async () => {
        await sleep(BAUD_SWITCH_DELAY_MS);
        if (flag === 0) {
          this.enter("reset", "FLASH_END reboot");
          this.bootFromStraps("reboot");
        } else this.enter("app", "FLASH_END run user code");
      },
    };
  }

  private onMd5(cmd: Command): Reply {
    if (cmd.data.length !== 16) return { error: RomError.INVALID_MESSAGE };
    const address = readU32(cmd.data, 0);
    const size = readU32(cmd.data, 4);
    if (!this.attached || address + size > this.flash.length)
      return { error: RomError.FAILED_TO_ACT };
    const digest = createHash("md5")
      .update(this.flash.subarray(address, address + size))
      .digest("hex");
    return { data: new TextEncoder().encode(digest) }; // the ROM sends 32 hex digits
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
