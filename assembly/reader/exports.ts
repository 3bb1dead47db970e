// The reader's exports (boards/ABI.md): the board calls abiVersion once at load, init
// with the provisioning block, then tap for every card in the field. The probes below
// are read-only and serve the simulator and the tests.
import { clockMillis } from "../board/reader";
import { readerInit } from "./init";
import { runTap, receiptPtr, receiptLength, receiptWasDelivered } from "./tap";
import { walletKeysIdle, walletKeysHeld } from "./walletkeys";

/** The device ABI version this firmware speaks (boards/ABI.md). */
const ABI_VERSION: i32 = 1;

let lastElapsedMs: u32 = 0;

export function abiVersion(): i32 { return ABI_VERSION; }

/** Provisions the reader from len bytes at config (docs/CONFIG.md); 0 or a status. */
export function init(config: usize, len: i32): i32 { return readerInit(config, len); }

/** Runs one tap exchange to its end; returns its decision code (docs/PROTOCOL.md). */
export function tap(amount: i32): i32 {
  const startMs = clockMillis();
  const code = runTap(amount); // gives the decision's signals itself
  lastElapsedMs = clockMillis() - startMs; // u32 arithmetic: correct across the wrap
  return code;
}

/** Work that waits for the time between taps (boards/ABI.md): builds at most one
 *  returning wallet's key tables per call. 1 when it did some (call again while no card
 *  is in the field), 0 when nothing is left. Never needed for a correct decision. */
export function idle(): i32 { return walletKeysIdle(); }

/** Wallet keys that have precomputed verify tables now (a probe). */
export function walletKeyTables(): i32 { return walletKeysHeld(); }

/** The last tap's receipt (46 bytes, docs/PROTOCOL.md): valid when lastReceiptLen() > 0,
 *  i.e. after ACCEPTED, ALREADY_ACCEPTED or ALREADY_USED. */
export function lastReceiptPtr(): usize { return receiptPtr(); }
export function lastReceiptLen(): i32 { return receiptLength(); }
/** 1 when the wallet answered the last RECEIPT with 90 00. */
export function lastReceiptDelivered(): i32 { return receiptWasDelivered() ? 1 : 0; }
/** Board milliseconds the last tap took, from entry to its decision and signals. */
export function lastTapElapsedMs(): u32 { return lastElapsedMs; }

/**
 * How far above __heap_base memory has ever been written: the offset (relative to
 * __heap_base) one past the highest non-zero byte there, 0 when all of it is still zero.
 * Every buffer of the firmware is static (below __heap_base) and the stub runtime keeps
 * its bump pointer private, so this reads the evidence instead: any allocation writes
 * its block header above __heap_base and would make this non-zero. A scan, allocation-
 * free and off the tap path (a probe for tests and diagnostics).
 */
export function heapTop(): usize {
  const base = __heap_base;
  let p = <usize>memory.size() << 16; // loop bound: at most (2 pages − __heap_base) steps
  while (p > base) {
    if (load<u8>(p - 1) != 0) return p - base;
    p--;
  }
  return 0;
}
