// The simulated NFC field: zero or one wallet in range, its answers turned into what the
// board's nfcTransceive returns (bytes, or a timeout / field-lost / overflow / frame error),
// with every millisecond of radio time charged to the simulated clock.
import { ERR_FIELD_LOST, ERR_FRAME, ERR_OVERFLOW, ERR_TIMEOUT } from "./abi.ts";
import type { SimClock } from "./clock.ts";
import type { WalletReply } from "./wallet.ts";
import type { Rng } from "./rng.ts";

export type TransceiveResult = { status: number; rx: Uint8Array | undefined };

/** Anything that can stand in the field: a simulated wallet, or a replay of a recorded exchange. */
export interface FieldCard {
  beginSession(): void;
  endSession(): void;
  receive(capdu: Uint8Array): WalletReply;
}

export interface FieldFaults {
  /** Probability that one exchange suffers a transmission error (ERR_FRAME). */
  frameErrorRate: number;
}

export class NfcField {
  private card: FieldCard | undefined;
  private present = false;

  constructor(private readonly clock: SimClock, private readonly faults: FieldFaults = { frameErrorRate: 0 }, private readonly rng?: Rng) {}

  /** Brings a card into the field; a new session starts. */
  enter(card: FieldCard): void {
    if (this.card !== undefined) this.leave();
    this.card = card;
    this.present = true;
    card.beginSession();
  }

  /** Ends the session (reader drops the field, or the card is taken away). */
  leave(): void {
    this.card?.endSession();
    this.card = undefined;
    this.present = false;
  }

  get occupant(): FieldCard | undefined { return this.present ? this.card : undefined; }

  /** Draws whether this exchange suffers a transmission error (a PN532 emulator standing in
   *  for this field draws from the same seeded stream). */
  transmissionError(): boolean {
    const rate = this.faults.frameErrorRate;
    return rate > 0 && this.rng !== undefined && this.rng.chance(rate);
  }

  transceive(tx: Uint8Array, rxCap: number, timeoutMs: number): TransceiveResult {
    const card = this.present ? this.card : undefined;
    if (card === undefined) {
      // An empty field costs the reader its whole timeout.
      this.clock.advanceMs(Math.max(0, timeoutMs));
      return { status: ERR_TIMEOUT, rx: undefined };
    }
    if (this.transmissionError()) {
      this.clock.advanceMs(1);
      return { status: ERR_FRAME, rx: undefined };
    }
    const reply = card.receive(tx); // the board already copied tx out of firmware memory
    if (reply.kind === "vanish") {
      this.clock.advanceMs(reply.afterMs);
      this.present = false; // the card is gone; its session ends when the field is reset
      return { status: ERR_FIELD_LOST, rx: undefined };
    }
    if (reply.latencyMs > timeoutMs) {
      this.clock.advanceMs(Math.max(0, timeoutMs));
      return { status: ERR_TIMEOUT, rx: undefined };
    }
    this.clock.advanceMs(reply.latencyMs);
    if (reply.bytes.length > rxCap) return { status: ERR_OVERFLOW, rx: undefined };
    return { status: reply.bytes.length, rx: reply.bytes };
  }
}
