// When a re-presented authorization may still be served (docs/PROTOCOL.md, "Re-taps").
// Replays are stopped elsewhere: by the possession proof (only the wallet key holder can
// re-tap) and by the ledger's durable signal mark (the gate opens at most once per
// record, across reboots). This window only keeps a re-tap what it is for: the rider
// still at the gate, seconds after the torn exchange or the reader's reboot. Pure.
import { RETAP_WINDOW_S } from "../limits";

/** True when a payment recorded at recordS may be re-tapped at nowS. A clock that was
 *  set back counts the distance the same way, so it neither widens nor traps the window. */
export function retapInWindow(recordS: u32, nowS: u32): bool {
  const ageS = nowS >= recordS ? nowS - recordS : recordS - nowS;
  return ageS <= RETAP_WINDOW_S;
}
