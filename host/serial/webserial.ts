// The Web Serial port interface (open/close, WHATWG readable/writable streams, setSignals,
// getInfo) over the `serialport` package, so browser-side tools such as Espressif's
// esptool-js can talk to a real serial port — or to the ROM emulator's pseudo-terminal —
// from Node. Only what such tools use is provided; setBaudRate changes the rate in place
// (esptool-js uses it when present instead of closing and reopening the port).
import type { SerialPort as NodeSerialPort } from "serialport";

export interface WebSerialOpenOptions {
  baudRate: number;
}
export interface WebSerialSignals {
  dataTerminalReady?: boolean;
  requestToSend?: boolean;
  break?: boolean;
}
export interface WebSerialInfo {
  usbVendorId?: number;
  usbProductId?: number;
}

export class NodeWebSerialPort {
  readable: ReadableStream<Uint8Array> | null = null;
  writable: WritableStream<Uint8Array> | null = null;
  private port: NodeSerialPort | undefined;
  /** Line states as last set: a Web Serial caller may give one line at a time. */
  private lines = { dtr: true, rts: true };

  constructor(
    readonly path: string,
    private readonly info: WebSerialInfo = {},
  ) {}

  async open(options: WebSerialOpenOptions): Promise<void> {
    if (this.port !== undefined) throw new Error(`${this.path} is already open`);
    const { SerialPort } = await import("serialport");
    const port = new SerialPort({ path: this.path, baudRate: options.baudRate, autoOpen: false });
    await new Promise<void>((resolve, reject) =>
      port.open((err) => (err ? reject(err) : resolve())),
    );
    this.port = port;
    this.readable = new ReadableStream<Uint8Array>({
      start(controller) {
        port.on("data", (data: Buffer) => controller.enqueue(new Uint8Array(data)));
        port.on("close", () => {
          try {
            controller.close();
          } catch {
            /* already closed */
          }
        });
      },
    });
    this.writable = new WritableStream<Uint8Array>({
      write(chunk) {
        return new Promise<void>((resolve, reject) => {
          port.write(Buffer.from(chunk), (err) => {
            if (err) reject(err);
          });
          port.drain((err) => (err ? reject(err) : resolve()));
        });
      },
    });
  }

  async close(): Promise<void> {
    const port = this.port;
    this.port = undefined;
    this.readable = null;
    this.writable = null;
    if (port?.isOpen === true) await new Promise<void>((resolve) => port.close(() => resolve()));
  }

  /** Both lines go out in every call (node-serialport resets a line it is not given). */
  async setSignals(signals: WebSerialSignals): Promise<void> {
    const port = this.requireOpen();
    const next = {
      dtr: signals.dataTerminalReady ?? this.lines.dtr,
      rts: signals.requestToSend ?? this.lines.rts,
    };
    const brk = signals.break ?? false;
    await new Promise<void>((resolve, reject) =>
      port.set({ ...next, brk }, (err) => (err ? reject(err) : resolve())),
    );
    this.lines = next;
  }

  async setBaudRate(baudRate: number): Promise<void> {
    const port = this.requireOpen();
    await new Promise<void>((resolve, reject) =>
      port.update({ baudRate }, (err) => (err ? reject(err) : resolve())),
    );
  }

  getInfo(): WebSerialInfo {
    return { ...this.info };
  }

  private requireOpen(): NodeSerialPort {
    if (this.port === undefined) throw new Error(`${this.path} is not open`);
    return this.port;
  }
}
