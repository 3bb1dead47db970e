// A board on a serial port with modem lines, for line-level tests of the reset sequences:
// serialport's SerialPortMock (the real SerialPortStream code path, including its set()
// defaults) whose binding is wired to a model of the board's reset circuit and to the ROM
// emulator. Two circuits: the standard two-transistor auto-reset circuit of ESP32 boards,
// and the ESP32-S3's USB-JTAG-serial peripheral.
import { SerialPortMock } from "serialport";
import { SerialTransport } from "../../host/serial/transport.ts";
import { RomEmulator, type EmulatorLink, type EmulatorOptions } from "../../host/flash/emulator.ts";
import { Op, decodeCommand } from "../../host/flash/protocol.ts";
import { SlipDecoder } from "../../host/flash/slip.ts";

export type Circuit = "auto-reset" | "usb-jtag-serial";

/** EN's RC delay on the auto-reset circuit (10 kΩ, 1 µF: EN crosses the chip's threshold
 *  ~7–10 ms after RTS releases it). The chip samples GPIO0 then, not when RTS moves; this
 *  is why esptool's classic reset may pass through DTR=RTS=1 for a moment. */
export const EN_RISE_MS = 10;

export interface LineEvent {
  dtr: boolean;
  rts: boolean;
  en: boolean;
  gpio0: boolean;
}

/** Two NPN transistors cross-wired between DTR/RTS and EN/GPIO0 (true = line asserted,
 *  pin high): EN is pulled low only by RTS without DTR, GPIO0 only by DTR without RTS. */
export function autoResetPins(dtr: boolean, rts: boolean): { en: boolean; gpio0: boolean } {
  return { en: !(rts && !dtr), gpio0: !(dtr && !rts) };
}

/** Bytes from the host to the device side, waiting reads with a timeout. */
class DeviceSide implements EmulatorLink {
  private chunks: Buffer[] = [];
  private waiter: (() => void) | undefined;
  baudRate = 115200;
  constructor(private readonly emit: (data: Buffer) => void) {}
  push(data: Buffer): void {
    this.chunks.push(Buffer.from(data));
    const w = this.waiter;
    this.waiter = undefined;
    w?.();
  }
  async read(timeoutMs: number): Promise<Uint8Array> {
    if (this.chunks.length === 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          this.waiter = undefined;
          resolve();
        }, timeoutMs);
        this.waiter = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    const all = Buffer.concat(this.chunks);
    this.chunks = [];
    return new Uint8Array(all);
  }
  discardInput(): void {
    this.chunks = [];
  }
  async write(bytes: Uint8Array): Promise<void> {
    this.emit(Buffer.from(bytes));
  }
  async setBaudRate(baudRate: number): Promise<void> {
    this.baudRate = baudRate;
  }
  async close(): Promise<void> {}
}

export interface MockBoard {
  path: string;
  emulator: RomEmulator;
  /** Every set() that reached the binding, with the pins it produced. */
  lines: LineEvent[];
  /** DTR/RTS as they were when each SYNC left the host. */
  syncLines: { dtr: boolean; rts: boolean }[];
  open(path: string, baudRate: number): Promise<SerialTransport>;
  close(): Promise<void>;
}

let boards = 0;

export async function mockBoard(circuit: Circuit, options: EmulatorOptions): Promise<MockBoard> {
  const path = `/dev/offtap-mock-${process.pid}-${boards++}`;
  SerialPortMock.binding.createPort(path, { echo: false, record: false });
  const lines: LineEvent[] = [];
  const syncLines: { dtr: boolean; rts: boolean }[] = [];
  let current = { dtr: false, rts: false };
  let usbDownloadLatch = false;
  let binding: { emitData(d: Buffer): void } | undefined;
  const device = new DeviceSide((d) => binding?.emitData(d));
  const emulator = await RomEmulator.attach(device, { initialState: "app", ...options });
  const decoder = new SlipDecoder();
  let transport: SerialTransport | undefined;

  const gpio0History: { atMs: number; gpio0: boolean }[] = [{ atMs: 0, gpio0: true }];
  let enPin = true;
  let riseTimer: NodeJS.Timeout | undefined;
  const gpio0At = (atMs: number): boolean =>
    gpio0History.filter((h) => h.atMs <= atMs).at(-1)!.gpio0;
  const applyLines = (dtr: boolean, rts: boolean): void => {
    const before = current;
    current = { dtr, rts };
    if (circuit === "auto-reset") {
      const pins = autoResetPins(dtr, rts);
      const now = performance.now();
      lines.push({ dtr, rts, ...pins });
      gpio0History.push({ atMs: now, gpio0: pins.gpio0 });
      if (!pins.en) {
        clearTimeout(riseTimer);
        riseTimer = undefined;
        enPin = false;
        emulator.setPins({ en: false, gpio0: pins.gpio0 });
      } else if (!enPin && riseTimer === undefined) {
        // EN crosses the threshold EN_RISE_MS later; GPIO0 is sampled as it was then.
        riseTimer = setTimeout(() => {
          riseTimer = undefined;
          enPin = true;
          emulator.setPins({ en: true, gpio0: gpio0At(now + EN_RISE_MS) });
        }, EN_RISE_MS);
      } else if (enPin) {
        emulator.setPins({ en: true, gpio0: pins.gpio0 });
      }
      return;
    }
    // USB-JTAG-serial: RTS without DTR resets the chip; arriving there from both asserted
    // latches download mode; the chip leaves reset when RTS is released.
    const inReset = rts && !dtr;
    if (inReset && before.dtr && before.rts) usbDownloadLatch = true;
    const en = !inReset;
    const gpio0 = !usbDownloadLatch;
    lines.push({ dtr, rts, en, gpio0 });
    emulator.setPins({ en, gpio0 });
    if (en) usbDownloadLatch = false;
  };

  return {
    path,
    emulator,
    lines,
    syncLines,
    async open(p: string, baudRate: number): Promise<SerialTransport> {
      const port = new SerialPortMock({ path: p, baudRate, autoOpen: false });
      await new Promise<void>((resolve, reject) =>
        port.open((err) => (err ? reject(err) : resolve())),
      );
      const b = port.port as unknown as {
        emitData(d: Buffer): void;
        set(o: { dtr: boolean; rts: boolean }): Promise<void>;
        write(d: Buffer): Promise<void>;
      };
      binding = b;
      const set = b.set.bind(b);
      b.set = async (o) => {
        await set(o);
        applyLines(o.dtr, o.rts);
      };
      const write = b.write.bind(b);
      b.write = async (d) => {
        await write(d);
        for (const packet of decoder.push(d)) {
          if (decodeCommand(packet)?.op === Op.SYNC) syncLines.push({ ...current });
        }
        device.push(d);
      };
      transport = SerialTransport.fromOpenPort(p, port, baudRate);
      return transport;
    },
    async close(): Promise<void> {
      clearTimeout(riseTimer);
      await transport?.close();
      await emulator.stop();
    },
  };
}
