// The scripted board of build/taprunner.wasm: the same functions boards/ABI.md lists as
// imports, answered from the script instead of hardware (assembly/board/reader.ts and
// assembly/ledger/flash.ts call these when built with SCRIPTED_BOARD). The radio plays
// queued exchanges and checks that each C-APDU the firmware sends is the recorded one;
// the RNG plays queued bytes; the clock is set by the script and advanced by radio time.
import {
  TAPRUNNER_EXCHANGES_MAX, TAPRUNNER_CAPDU_BYTES_MAX, TAPRUNNER_RAPDU_BYTES_MAX,
  TAPRUNNER_RANDOM_FILLS_MAX, TAPRUNNER_RANDOM_BYTES_MAX, TAPRUNNER_SIGNALS_MAX,
} from "../limits";
import { outText, outDecimal, outLine } from "../selftest/out";
import { ERR_BOUNDS, ERR_IO } from "./flash";
// The flash functions live in ./flash.ts (the asconfig aliases point there).

const ERR_TIMEOUT: i32 = -4;
const ERR_OVERFLOW: i32 = -6;

// ---- queued exchanges -----------------------------------------------------------
// Each slot: C-APDU length, its bytes; R-APDU bytes (length = status when status ≥ 0);
// the transceive result (status) and radio milliseconds.
const capdus: usize = memory.data(TAPRUNNER_EXCHANGES_MAX * TAPRUNNER_CAPDU_BYTES_MAX, 4);
const capduLens: usize = memory.data(TAPRUNNER_EXCHANGES_MAX * 4, 4);
const rapdus: usize = memory.data(TAPRUNNER_EXCHANGES_MAX * TAPRUNNER_RAPDU_BYTES_MAX, 4);
const statuses: usize = memory.data(TAPRUNNER_EXCHANGES_MAX * 4, 4);
const elapsed: usize = memory.data(TAPRUNNER_EXCHANGES_MAX * 4, 4);
export let exchangesQueued: i32 = 0;
export let exchangesUsed: i32 = 0;

const randoms: usize = memory.data(TAPRUNNER_RANDOM_FILLS_MAX * TAPRUNNER_RANDOM_BYTES_MAX, 4);
const randomLens: usize = memory.data(TAPRUNNER_RANDOM_FILLS_MAX * 4, 4);
export let randomsQueued: i32 = 0;
export let randomsUsed: i32 = 0;
let failRandom: bool = false;

const signalKinds: usize = memory.data(TAPRUNNER_SIGNALS_MAX * 4, 4);
const signalValues: usize = memory.data(TAPRUNNER_SIGNALS_MAX * 4, 4);
export let signalCount: i32 = 0;
/** Disagreements with the script during the current tap (each printed as a `mismatch` line). */
export let mismatches: i32 = 0;

/** Wall clock in milliseconds (so radio time moves it, as on the simulator's board). */
let unixMs: u64 = 0;
let bootMs: u32 = 0;

@inline function at4(table: usize, i: i32): usize { return table + (<usize>i << 2); }

/** The bytes of queued exchange i's C-APDU / R-APDU. */
export function capduAt(i: i32): usize { return capdus + <usize>(i * TAPRUNNER_CAPDU_BYTES_MAX); }
export function rapduAt(i: i32): usize { return rapdus + <usize>(i * TAPRUNNER_RAPDU_BYTES_MAX); }
export function randomAt(i: i32): usize { return randoms + <usize>(i * TAPRUNNER_RANDOM_BYTES_MAX); }

/** Completes queueing exchange `exchangesQueued` (its bytes already written in place). */
export function queueExchange(capduLen: i32, status: i32, ms: i32): void {
  store<i32>(at4(capduLens, exchangesQueued), capduLen);
  store<i32>(at4(statuses, exchangesQueued), status);
  store<i32>(at4(elapsed, exchangesQueued), ms);
  exchangesQueued++;
}

export function queueRandom(len: i32): void {
  store<i32>(at4(randomLens, randomsQueued), len);
  randomsQueued++;
}

export function setFailRandom(v: bool): void { failRandom = v; }
export function setUnixSeconds(s: u32): void { unixMs = <u64>s * 1000; }

/** Starts a tap's record: signals and mismatches of the previous tap are dropped. */
export function beginTap(): void {
  signalCount = 0;
  mismatches = 0;
  exchangesUsed = 0;
  randomsUsed = 0;
}

/** Ends a tap: the queues are emptied for the next one. */
export function endTap(): void {
  exchangesQueued = 0;
  randomsQueued = 0;
  failRandom = false;
}

export function signalKindAt(i: i32): i32 { return load<i32>(at4(signalKinds, i)); }
export function signalValueAt(i: i32): i32 { return load<i32>(at4(signalValues, i)); }

/** Prints `mismatch <what> <n>` and counts it. */
export function mismatch(what: string, n: i32): void {
  mismatches++;
  outText("mismatch ");
  outText(what);
  outText(" ");
  outDecimal(<u32>n);
  outLine();
}

@inline function memoryOk(ptr: usize, len: i32): bool {
  return len >= 0 && <u64>ptr + <u64>len <= (<u64>memory.size() << 16);
}

function sameBytes(a: usize, b: usize, len: i32): bool {
  for (let i = 0; i < len; i++) if (load<u8>(a + <usize>i) != load<u8>(b + <usize>i)) return false;
  return true;
}

export function nfcTransceive(tx: usize, txLen: i32, rx: usize, rxCap: i32, timeoutMs: i32): i32 {
  if (!memoryOk(tx, txLen) || !memoryOk(rx, rxCap) || timeoutMs < 0) return ERR_BOUNDS;
  const i = exchangesUsed;
  if (i >= exchangesQueued) {
    mismatch("exchange-not-in-script", i + 1);
    return ERR_TIMEOUT;
  }
  exchangesUsed++;
  const n = load<i32>(at4(capduLens, i));
  if (n != txLen || !sameBytes(tx, capduAt(i), n)) mismatch("capdu-differs", i + 1);
  const ms = load<i32>(at4(elapsed, i));
  unixMs += <u64>ms;
  bootMs += <u32>ms;
  const status = load<i32>(at4(statuses, i));
  if (status < 0) return status;
  if (status > rxCap) return ERR_OVERFLOW;
  const src = rapduAt(i);
  for (let k = 0; k < status; k++) store<u8>(rx + <usize>k, load<u8>(src + <usize>k));
  return status;
}

export function clockUnixSeconds(): u32 { return <u32>(unixMs / 1000); }
export function clockMillis(): u32 { return bootMs; }

export function randomFill(ptr: usize, len: i32): i32 {
  if (!memoryOk(ptr, len)) return ERR_BOUNDS;
  if (failRandom) return ERR_IO;
  const i = randomsUsed;
  if (i >= randomsQueued || load<i32>(at4(randomLens, i)) != len) {
    mismatch("random-not-in-script", i + 1);
    for (let k = 0; k < len; k++) store<u8>(ptr + <usize>k, 0);
    return 0;
  }
  randomsUsed++;
  const src = randomAt(i);
  for (let k = 0; k < len; k++) store<u8>(ptr + <usize>k, load<u8>(src + <usize>k));
  return 0;
}

export function signal(kind: i32, value: i32): void {
  if (signalCount >= TAPRUNNER_SIGNALS_MAX) return;
  store<i32>(at4(signalKinds, signalCount), kind);
  store<i32>(at4(signalValues, signalCount), value);
  signalCount++;
}

/** Log text is not part of a tap's result; the scripted board drops it. */
export function log(level: i32, ptr: usize, len: i32): void {}
