// Which recent payments may still be re-tapped (docs/PROTOCOL.md, "Re-taps"). A re-tap
// returns an old receipt without charging, so it must only serve the torn exchange it is
// for: the receipt never reached the wallet, and the rider is still at the gate. Bits in
// RAM, one per recent ledger sequence; after a reboot every recent payment counts as
// undelivered, and RETAP_WINDOW_S alone bounds the replay window.
import { RETAP_DELIVERED_SEQUENCES, RETAP_WINDOW_S } from "../limits";

const bitmap: usize = memory.data(RETAP_DELIVERED_SEQUENCES >> 3, 8);
const MASK: u32 = <u32>RETAP_DELIVERED_SEQUENCES - 1;
/** Newest sequence whose bit is meaningful; older bits may belong to reused slots. */
let newestSeq: u32 = 0;

@inline function byteOf(seq: u32): usize { return bitmap + <usize>((seq & MASK) >> 3); }
@inline function bitOf(seq: u32): u8 { return <u8>(<u32>1 << (seq & 7)); }

/** A new record at seq: its bit starts clear (the slot may hold an old sequence's bit). */
export function retapRecorded(seq: u32): void {
  store<u8>(byteOf(seq), load<u8>(byteOf(seq)) & ~bitOf(seq));
  if (seq > newestSeq) newestSeq = seq;
}

/** The wallet answered RECEIPT for seq with 90 00. */
export function retapDelivered(seq: u32): void {
  if (newestSeq - seq > MASK) return; // too old to track: already refused
  store<u8>(byteOf(seq), load<u8>(byteOf(seq)) | bitOf(seq));
}

/** True when the payment at seq, recorded at recordS, may be re-tapped at nowS. */
export function retapAllowed(seq: u32, recordS: u32, nowS: u32): bool {
  const ageS = nowS >= recordS ? nowS - recordS : recordS - nowS;
  if (ageS > RETAP_WINDOW_S) return false;
  if (seq > newestSeq) newestSeq = seq; // first sight after a reboot
  if (newestSeq - seq > MASK) return false;
  return (load<u8>(byteOf(seq)) & bitOf(seq)) == 0;
}
