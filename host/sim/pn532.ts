// The simulated board's radio backed by a real PN532 (or the emulator) through the driver
// of host/nfc/pn532/: nfcTransceive activates the card in the field on the tap's first
// exchange, carries each APDU with InDataExchange, and turns every failure into the ABI's
// NFC errors. The board's clock advances by the time each exchange really took, and the
// front end keeps the split of that time into PN532 link and RF.
import type { SimBoard } from "./board.ts";
import type { TransceiveResult } from "./field.ts";
import { ERR_TIMEOUT } from "./abi.ts";
import type { DriverError, Pn532Driver, Target } from "../nfc/pn532/driver.ts";

export interface FrontTimings {
  /** Wall time inside nfcTransceive, ms. */
  transceiveMs: number;
  /** Of which the HSU line carried bytes (bytes × 10 bits / baud), ms. */
  linkMs: number;
  exchanges: number;
}

export interface FrontEvent { kind: "activated" | "error"; target?: Target; error?: DriverError }

export class Pn532Front {
  timings: FrontTimings = { transceiveMs: 0, linkMs: 0, exchanges: 0 };
  /** What happened at the front end during the current tap (activation, driver errors). */
  events: FrontEvent[] = [];
  private activated = false;
  private tried = false;

  constructor(readonly driver: Pn532Driver) {}

  /** Routes the board's radio through this front end. */
  attach(board: SimBoard): void {
    board.nfc = (tx, rxCap, timeoutMs) => {
      const t0 = performance.now();
      const r = this.transceive(tx, rxCap, timeoutMs);
      const elapsedMs = performance.now() - t0;
      board.clock.advanceMs(Math.max(0, Math.round(elapsedMs)));
      return r;
    };
  }

  /** A new tap: the next exchange activates whatever is in the field. */
  beginTap(): void {
    this.activated = false;
    this.tried = false;
    this.events = [];
    this.timings = { transceiveMs: 0, linkMs: 0, exchanges: 0 };
  }

  /** The tap is over: the card is released (it sees a DESELECT). */
  endTap(): void {
    if (this.activated || this.driver.target !== undefined) this.driver.release();
    this.activated = false;
  }

  transceive(tx: Uint8Array, rxCap: number, timeoutMs: number): TransceiveResult {
    const t0 = performance.now();
    const s = this.driver.stats;
    const bytes0 = s.bytesIn + s.bytesOut;
    try {
      return this.transceiveInner(tx, rxCap, timeoutMs);
    } finally {
      this.timings.transceiveMs += performance.now() - t0;
      this.timings.linkMs += this.driver.lineMs(s.bytesIn + s.bytesOut - bytes0);
      this.timings.exchanges++;
    }
  }

  private transceiveInner(tx: Uint8Array, rxCap: number, timeoutMs: number): TransceiveResult {
    if (!this.activated) {
      // Only one activation per tap: a card that is not there at the first exchange is not
      // waited for (the firmware sees a timeout and declines NO_WALLET).
      if (this.tried) return { status: ERR_TIMEOUT, rx: undefined };
      this.tried = true;
      const p = this.driver.poll();
      if (!p.ok) {
        this.events.push({ kind: "error", error: p.error });
        return { status: p.error.abi, rx: undefined };
      }
      if (p.value === undefined) return { status: ERR_TIMEOUT, rx: undefined };
      this.events.push({ kind: "activated", target: p.value });
      this.activated = true;
    }
    const r = this.driver.exchange(tx, rxCap, timeoutMs);
    if (!r.ok) {
      this.events.push({ kind: "error", error: r.error });
      return { status: r.error.abi, rx: undefined };
    }
    return { status: r.value.length, rx: r.value };
  }
}
