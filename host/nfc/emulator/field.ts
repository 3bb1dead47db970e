// The emulated RF field, shared by every emulated PN532 of one process: a queue of wallets
// that tap one after another, and PN532s waiting in target mode. Arrivals and departures
// are counted in polls, not in time, so a run replays exactly whatever the machine's speed:
//   - a wallet enters at a poll of an empty field, and stays while the reader talks to it;
//   - once the reader released it (InRelease, InDeselect, RF off, or a new poll), it stays
//     for `holdPolls` more polls (a phone held to the reader), then leaves; the next poll
//     finds the field empty and the one after brings the next wallet;
//   - a wallet that vanishes mid-exchange is gone at once;
//   - a PN532 in target mode is in the field from TgInitAsTarget until it is released.
import type { EmuCard } from "./card.ts";

export interface FieldOptions {
  /** Polls a released card stays in the field (0: it leaves at the next poll). */
  holdPolls: number;
  /** When every wallet has tapped, start again with the first. */
  cycle: boolean;
}

/** A target-mode PN532 as the field sees it. */
export interface FieldTarget {
  readonly card: EmuCard;
  /** Called when an initiator activates it. */
  onActivated(): void;
}

export class EmuField {
  private next = 0;
  private current: EmuCard | undefined;
  private released = false;
  private holdLeft = 0;
  private holdStarted = false;
  /** Presence checks of an activated card that nobody exchanged with (nfc-poll waiting for
   *  the card to be taken away); counted like polls after a release. */
  private idleChecks = 0;
  private exchanged = false;
  private readonly targets: FieldTarget[] = [];
  private activeTarget: FieldTarget | undefined;
  private readonly waiters = new Set<() => void>();
  /** Taps started (activations of a new card), for reports. */
  arrivals = 0;

  constructor(private readonly cards: readonly EmuCard[], private readonly o: FieldOptions) {}

  /** One passive activation attempt: the card that answers it (now activated), if any. */
  poll(): EmuCard | undefined {
    const t = this.targets[0];
    if (this.activeTarget === undefined && t !== undefined) {
      this.activeTarget = t;
      t.card.activate();
      t.onActivated();
      this.arrivals++;
      return t.card;
    }
    if (this.activeTarget !== undefined) return this.activeTarget.card;
    if (this.current !== undefined) {
      if (!this.released) this.releaseCurrent(); // a new poll deselects the card
      if (this.holdLeft > 0) {
        this.holdLeft--;
        this.current.activate();
        this.released = false;
        this.exchanged = true; // a held phone, re-activated: not a fresh arrival
        return this.current;
      }
      this.current = undefined;
      return undefined;
    }
    if (this.next >= this.cards.length && this.o.cycle) this.next = 0;
    const card = this.cards[this.next];
    if (card === undefined) return undefined;
    this.next++;
    this.current = card;
    this.released = false;
    this.exchanged = false;
    this.holdStarted = false;
    this.idleChecks = 0;
    card.activate();
    this.arrivals++;
    return card;
  }

  /** The activated card, if it is still in the field. */
  active(): EmuCard | undefined {
    if (this.activeTarget !== undefined) return this.activeTarget.card;
    return this.current !== undefined && !this.released ? this.current : undefined;
  }

  /** A presence check of the activated card (Diagnose 0x06): true while it is there. */
  checkPresence(): boolean {
    if (this.activeTarget !== undefined) return true;
    if (this.current === undefined || this.released) return false;
    if (this.exchanged) return true;
    if (this.idleChecks >= this.o.holdPolls) {
      this.current.release();
      this.current = undefined;
      return false;
    }
    this.idleChecks++;
    return true;
  }

  /** The reader exchanged with the activated card. */
  noteExchange(): void { this.exchanged = true; }

  /** The reader released the activated card (InRelease, InDeselect, RF field off). */
  release(): void {
    if (this.activeTarget !== undefined) {
      const t = this.activeTarget;
      this.activeTarget = undefined;
      this.removeTarget(t);
      t.card.release();
      return;
    }
    if (this.current !== undefined && !this.released) this.releaseCurrent();
  }

  /** The activated wallet left the field mid-exchange. */
  vanish(): void {
    if (this.current === undefined) return;
    this.current.release();
    this.current = undefined;
  }

  /** Cards that may still arrive without anything else happening. */
  mayArrive(): boolean {
    return this.targets.length > 0 || this.current !== undefined || this.o.cycle && this.cards.length > 0
      || this.next < this.cards.length;
  }

  addTarget(t: FieldTarget): void {
    this.targets.push(t);
    this.wake();
  }

  removeTarget(t: FieldTarget): void {
    const i = this.targets.indexOf(t);
    if (i >= 0) this.targets.splice(i, 1);
    if (this.activeTarget === t) this.activeTarget = undefined;
  }

  /** Resolves at the next change of the field (a target arrives) or on abort. */
  changed(signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        this.waiters.delete(done);
        signal.removeEventListener("abort", done);
        resolve();
      };
      this.waiters.add(done);
      signal.addEventListener("abort", done, { once: true });
    });
  }

  private wake(): void {
    for (const w of [...this.waiters]) w();
  }

  private releaseCurrent(): void {
    this.current?.release();
    this.released = true;
    if (!this.holdStarted) {
      this.holdLeft = this.o.holdPolls;
      this.holdStarted = true;
    }
  }
}
