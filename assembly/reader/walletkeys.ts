// Precomputed verify tables for returning wallets' keys (docs/PROTOCOL.md, "Wallet-key
// tables"), so that a regular's authorization verifies on the registered-key path
// (crypto/verify.ts) instead of the plain one: about half the instructions on the device.
//
// Admission: a wallet whose certificate was a cache hit (it tapped here recently) and
// whose authorization signature just verified is queued; its tables are built by
// walletKeysIdle(), which the board calls between taps (boards/ABI.md, `idle`), never on
// the tap path. Eviction: least recently used slot. RAM only: a reboot or a provisioning
// starts empty, and the tables are rebuilt as wallets return.
//
// Same decisions: a registered verify applies the same strict policy and the same
// cofactorless equation as a plain verify (crypto/verify.ts); rules 2–4 on the key were
// checked when it was registered, and a key is queued only after it passed them in a
// plain verify. A slot is found by the 32 key bytes themselves, so a certificate with
// another key never meets these tables.
import { REGISTERED_KEYS_MAX } from "../limits";
import { ed25519RegisterKey } from "../crypto/verify";

const KEY_BYTES: i32 = 32;

/** The key of each registered slot that holds a wallet's tables (slots below `first`
 *  belong to issuer keys and are never used here). */
const slotKeys: usize = memory.data(REGISTERED_KEYS_MAX * KEY_BYTES, 16);
/** Per slot: 0 empty, else the use stamp of its last hit or build (larger = more recent). */
const slotStamps: usize = memory.data(REGISTERED_KEYS_MAX * 4, 16);
/** The one key waiting for its tables (the newest admitted wins). */
const pendingKey: usize = memory.data(KEY_BYTES, 16);
let pending = false;
let first: i32 = REGISTERED_KEYS_MAX;
let stamp: u32 = 0;

@inline function keyAt(slot: i32): usize { return slotKeys + <usize>(slot * KEY_BYTES); }
@inline function stampAt(slot: i32): u32 { return load<u32>(slotStamps + <usize>(slot << 2)); }
@inline function setStamp(slot: i32, v: u32): void {
  store<u32>(slotStamps + <usize>(slot << 2), v);
}

function copyKey(dst: usize, src: usize): void {
  for (let i = 0; i < KEY_BYTES; i += 8) store<u64>(dst + <usize>i, load<u64>(src + <usize>i));
}

function sameKey(a: usize, b: usize): bool {
  for (let i = 0; i < KEY_BYTES; i += 8) { // 4 words
    if (load<u64>(a + <usize>i) != load<u64>(b + <usize>i)) return false;
  }
  return true;
}

/** The next use stamp. A u32 does not wrap in practice (one use a second for 136
 *  years), and a wrap would only blur the LRU order, never a decision. */
@inline function nextStamp(): u32 {
  stamp++;
  return stamp;
}

/** Forgets every wallet's tables; slots from issuerKeys on serve wallets (init). */
export function walletKeysReset(issuerKeys: i32): void {
  first = issuerKeys;
  pending = false;
  stamp = 0;
  for (let s = 0; s < REGISTERED_KEYS_MAX; s++) setStamp(s, 0);
}

/** True iff the key at pk has tables, without counting it as a use (walletKeySlot does). */
export function walletKeyHasTables(pk: usize): bool {
  for (let s = first; s < REGISTERED_KEYS_MAX; s++) { // ≤ REGISTERED_KEYS_MAX slots
    if (stampAt(s) != 0 && sameKey(keyAt(s), pk)) return true;
  }
  return false;
}

/** The registered slot holding the key at pk (and marks it used), or −1. */
export function walletKeySlot(pk: usize): i32 {
  for (let s = first; s < REGISTERED_KEYS_MAX; s++) { // ≤ REGISTERED_KEYS_MAX slots
    if (stampAt(s) != 0 && sameKey(keyAt(s), pk)) {
      setStamp(s, nextStamp());
      return s;
    }
  }
  return -1;
}

/** Queues the key at pk for tables (it has just verified a signature in a plain verify). */
export function walletKeyAdmit(pk: usize): void {
  if (first >= REGISTERED_KEYS_MAX) return;
  copyKey(pendingKey, pk);
  pending = true;
}

/** The slot to build into: an empty one, else the least recently used. */
function victim(): i32 {
  let best = first;
  for (let s = first; s < REGISTERED_KEYS_MAX; s++) {
    if (stampAt(s) == 0) return s;
    if (stampAt(s) < stampAt(best)) best = s;
  }
  return best;
}

/** One piece of idle work: builds the queued key's tables. Returns 1 when it built (or
 *  tried to build) some, 0 when nothing was waiting. */
export function walletKeysIdle(): i32 {
  if (!pending) return 0;
  pending = false;
  if (walletKeySlot(pendingKey) >= 0) return 0;
  const s = victim();
  setStamp(s, 0); // empty while rebuilt: a failed build leaves it empty
  if (ed25519RegisterKey(s, pendingKey) != 0) return 1;
  copyKey(keyAt(s), pendingKey);
  setStamp(s, nextStamp());
  return 1;
}

/** Wallet keys with tables now (a probe for tests). */
export function walletKeysHeld(): i32 {
  let n = 0;
  for (let s = first; s < REGISTERED_KEYS_MAX; s++) if (stampAt(s) != 0) n++;
  return n;
}
