// Per-wallet index in RAM (docs/LEDGER.md §6): wallet id → last counter and the
// sequence of its last record. Bounded; when full the least recently appended wallet
// is evicted. Linear scans: 256 entries × two u64 compares is cheap even interpreted.
import { LEDGER_WALLET_INDEX_MAX } from "../limits";

const ENTRY_BYTES: i32 = 24; // id[16], counter u32, seq u32
const table: usize = memory.data(LEDGER_WALLET_INDEX_MAX * ENTRY_BYTES, 8);
let count: i32 = 0;

@inline function entry(i: i32): usize { return table + <usize>(i * ENTRY_BYTES); }

export function indexClear(): void { count = 0; }
export function indexCount(): i32 { return count; }

/** Entry number of the wallet, or -1. */
export function indexFind(walletId: usize): i32 {
  const a = load<u64>(walletId);
  const b = load<u64>(walletId, 8);
  for (let i = 0; i < count; i++) {
    const e = entry(i);
    if (load<u64>(e) == a && load<u64>(e, 8) == b) return i;
  }
  return -1;
}

function oldest(): i32 {
  let best = 0;
  let bestSeq = load<u32>(entry(0), 20);
  for (let i = 1; i < count; i++) {
    const s = load<u32>(entry(i), 20);
    if (s < bestSeq) { best = i; bestSeq = s; }
  }
  return best;
}

export function indexUpdate(walletId: usize, counter: u32, seq: u32): void {
  let i = indexFind(walletId);
  if (i < 0) {
    if (count < LEDGER_WALLET_INDEX_MAX) i = count++;
    else i = oldest();
    const e = entry(i);
    store<u64>(e, load<u64>(walletId));
    store<u64>(e, load<u64>(walletId, 8), 8);
  }
  store<u32>(entry(i), counter, 16);
  store<u32>(entry(i), seq, 20);
}

export function indexCounter(i: i32): u32 { return load<u32>(entry(i), 16); }
export function indexSeq(i: i32): u32 { return load<u32>(entry(i), 20); }
