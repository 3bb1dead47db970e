// The wallet as a card: a PN532 in target mode (an ISO/IEC 14443-4 PICC) answering a
// reader's APDUs with a simulated wallet (host/sim/wallet.ts). With a second PN532 (or the
// emulator's second port) as the reader, two cheap boards make a complete RF bench.
import type { SimWallet } from "../sim/wallet.ts";
import { sleepSync } from "./link.ts";
import type { DriverError, Pn532Driver } from "./pn532/driver.ts";

export interface CardSession {
  /** Commands received and how each was answered ("answer", "vanish", "late"). */
  exchanges: { capdu: Uint8Array; reply: "answer" | "vanish" | "late"; rapdu?: Uint8Array }[];
  /** How the session ended. */
  end: "released" | "vanished" | "error";
  error?: DriverError;
}

/** A session waits at most this long for the reader's next command (real ms). */
export const SESSION_IDLE_MS_MAX = 3_000;
/** Commands answered per session at most (the protocol needs 3). */
const SESSION_EXCHANGES_MAX = 16;
/** Longest a "late" wallet answer is held back, real ms. */
const LATE_ANSWER_MS_MAX = 1_000;

/** Waits up to `waitMs` to be activated by a reader, then serves one session. Undefined: no
 *  reader came. */
export function serveOneSession(
  driver: Pn532Driver,
  wallet: SimWallet,
  uid3: Uint8Array,
  waitMs: number,
): CardSession | DriverError | undefined {
  const a = driver.initAsTarget(uid3, waitMs);
  if (!a.ok) return a.error;
  if (!a.value) return undefined;
  wallet.beginSession();
  const s: CardSession = { exchanges: [], end: "released" };
  try {
    for (let i = 0; i < SESSION_EXCHANGES_MAX; i++) {
      const g = driver.getData(SESSION_IDLE_MS_MAX);
      if (!g.ok) return { ...s, end: "error", error: g.error };
      if (g.value === "released") return s;
      const r = wallet.receive(g.value);
      if (r.kind === "vanish") {
        // Taken away mid-exchange: stop answering; the reader times out and finds us gone.
        s.exchanges.push({ capdu: g.value, reply: "vanish" });
        return { ...s, end: "vanished" };
      }
      if (r.kind === "late") sleepSync(Math.min(r.latencyMs, LATE_ANSWER_MS_MAX));
      const w = driver.setData(r.bytes);
      s.exchanges.push({ capdu: g.value, reply: r.kind, rapdu: r.bytes });
      if (!w.ok)
        return { ...s, end: w.error.status === 0x29 ? "released" : "error", error: w.error };
    }
    return s;
  } finally {
    wallet.endSession();
  }
}
