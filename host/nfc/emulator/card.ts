// What stands in the emulated RF field: an ISO/IEC 14443-4 type A card (a phone wallet, or
// a second PN532 in target mode). The emulated PN532 activates it (SENS_RES, SEL_RES, UID,
// ATS) and exchanges APDUs with it; the card says how long it took in simulated time.
import type { SimWallet, WalletReply } from "../../sim/wallet.ts";
import type { Rng } from "../../sim/rng.ts";
import { SAK_ISO14443_4 } from "../pn532/commands.ts";

export type CardAnswer =
  | { kind: "answer"; bytes: Uint8Array; latencyMs: number }
  /** The card left the field `afterMs` into the exchange. */
  | { kind: "vanish"; afterMs: number }
  /** No answer within the frame waiting time (a target-mode PN532 whose host is silent). */
  | { kind: "silent" };

export interface EmuCard {
  readonly label: string;
  /** SENS_RES (ATQA) as sent on the air, two bytes. */
  readonly sensRes: Uint8Array;
  readonly selRes: number;
  /** The UID this activation uses (phones draw a random 4-byte UID per field-on). */
  uid(): Uint8Array;
  /** The ATS, its length byte TL first. */
  readonly ats: Uint8Array;
  activate(): void;
  release(): void;
  exchange(capdu: Uint8Array, signal: AbortSignal): Promise<CardAnswer>;
}

/** ATS of the emulated phone: FSCI 8 (256-byte frames), TA/TB/TC present, TA 0x80 (same bit
 *  rate both ways only), TB 0x80 (FWI 8: frame waiting time 77 ms, SFGI 0), TC 0x02 (CID
 *  supported). Android's host card emulation answers an ATS of this shape. */
export const PHONE_ATS: Uint8Array = Uint8Array.of(0x05, 0x78, 0x80, 0x80, 0x02);
/** FWI of PHONE_ATS. */
export const PHONE_FWI = 8;

/** A simulated wallet (host/sim/wallet.ts) as an ISO-DEP card. */
export class WalletCard implements EmuCard {
  readonly sensRes = Uint8Array.of(0x00, 0x04);
  readonly selRes = SAK_ISO14443_4;
  readonly ats = PHONE_ATS;
  private uidBytes = new Uint8Array(4);
  private active = false;

  constructor(readonly wallet: SimWallet, private readonly rng: Rng) {
    this.label = wallet.name;
  }

  readonly label: string;

  uid(): Uint8Array { return this.uidBytes; }

  activate(): void {
    if (this.active) this.wallet.endSession();
    // A random UID (ISO/IEC 14443-3: first byte 0x08) each time the field comes up.
    this.uidBytes = Uint8Array.of(0x08, ...this.rng.bytes(3));
    this.wallet.beginSession();
    this.active = true;
  }

  release(): void {
    if (!this.active) return;
    this.wallet.endSession();
    this.active = false;
  }

  async exchange(capdu: Uint8Array): Promise<CardAnswer> {
    const r: WalletReply = this.wallet.receive(capdu);
    if (r.kind === "vanish") return { kind: "vanish", afterMs: r.afterMs };
    return { kind: "answer", bytes: r.bytes, latencyMs: r.latencyMs };
  }
}
