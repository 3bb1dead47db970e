// The tap-script commands of build/taprunner.wasm (docs/TAPRUNNER.md). Set-up lines queue
// what the scripted board will answer; `init`, `deny-commit` and `tap` run the firmware
// and print one result line; `expect` compares the last result and prints pass or fail.
import { IO_BUFFER_BYTES, REGISTERED_KEYS_MAX, TAPRUNNER_CAPDU_BYTES_MAX, TAPRUNNER_RAPDU_BYTES_MAX,
  TAPRUNNER_EXCHANGES_MAX, TAPRUNNER_RANDOM_FILLS_MAX, TAPRUNNER_RANDOM_BYTES_MAX,
  TAPRUNNER_SIGNALS_MAX } from "../limits";
import { ioBuffer } from "../io";
import { init, tap, idle, lastReceiptPtr, lastReceiptLen } from "../reader/exports";
import { ledgerDenyBegin, ledgerDenyWrite, ledgerDenyCommit } from "../ledger/exports";
import { outText, outByte, outDecimal, outHex, outLine } from "../selftest/out";
import { exitWith } from "../selftest/wasi";
import * as board from "./board";
import { declarePartition, setFailPrograms, storedBlocksUsed } from "./flash";
import {
  fieldCount, fieldIs, fieldIsDash, fieldPtr, fieldLen, hexField, decimalField, decimalValue, copy,
} from "./fields";
import { lineNumber } from "../selftest/lines";

/** sysexits.h EX_DATAERR: the script itself is wrong; the run stops at that line. */
export const EXIT_SCRIPT_ERROR: i32 = 65;
export const EXIT_FAILED: i32 = 1;

const RESULT_NONE: i32 = 0;
const RESULT_STATUS: i32 = 1;
const RESULT_TAP: i32 = 2;
let resultKind: i32 = RESULT_NONE;
let resultStatus: i32 = 0;
let resultMismatches: i32 = 0;
const RECEIPT_BYTES_MAX: i32 = 64;
const receipt: usize = memory.data(RECEIPT_BYTES_MAX, 4);
let receiptLen: i32 = 0;
/** "k:v" pairs joined by commas: at most 11 bytes each. */
const SIGNAL_TEXT_BYTES: i32 = TAPRUNNER_SIGNALS_MAX * 24;
const signalText: usize = memory.data(SIGNAL_TEXT_BYTES, 4);
let signalTextLen: i32 = 0;

let denyOffset: i32 = 0;
let denyStatus: i32 = 0;

export let taps: u32 = 0;
export let expects: u32 = 0;
export let failures: u32 = 0;
export let mismatchTotal: u32 = 0;

/** A line the runner cannot use: one `error` line naming it, and exit 65. */
export function scriptError(reason: string): void {
  outText("error line ");
  outDecimal(lineNumber);
  outText(": ");
  outText(reason);
  outLine();
  exitWith(EXIT_SCRIPT_ERROR);
}

function outSigned(v: i32): void {
  if (v < 0) { outByte(0x2d); outDecimal(<u32>(-v)); } else outDecimal(<u32>v);
}

/** Errors are terse (the data segment counts against the device's image size); the
 *  line number and docs/TAPRUNNER.md say the rest. */
function argCount(n: i32): void {
  if (fieldCount != n) scriptError("wrong field count");
}

function decimal(i: i32, lo: i64, hi: i64): i64 {
  if (!decimalField(i) || decimalValue < lo || decimalValue > hi) scriptError("bad number");
  return decimalValue;
}

function cmdPartition(): void {
  argCount(5);
  const id = <i32>decimal(1, 0, 2);
  const size = <i32>decimal(2, 1, 0x7FFFFFFF);
  const sector = <i32>decimal(3, 1, 0x7FFFFFFF);
  const page = <i32>decimal(4, 1, 0x7FFFFFFF);
  const r = declarePartition(id, size, sector, page);
  if (r == -1) scriptError("partition twice");
  if (r == -2) scriptError("bad geometry");
  if (r == -3) scriptError("flash map full");
}

function printStatus(word: string, st: i32): void {
  resultKind = RESULT_STATUS;
  resultStatus = st;
  outText(word);
  outByte(0x20);
  outSigned(st);
  outLine();
}

function cmdInit(): void {
  argCount(2);
  const n = hexField(1);
  if (n < 0 || n > IO_BUFFER_BYTES) scriptError("bad hex");
  copy(ioBuffer, fieldPtr(1), n);
  printStatus("init", init(ioBuffer, n));
}

function cmdDenyBegin(): void {
  argCount(2);
  denyOffset = 0;
  denyStatus = ledgerDenyBegin(<i32>decimal(1, 0, 0x7FFFFFFF));
}

function cmdDenyData(): void {
  argCount(2);
  const n = hexField(1);
  if (n < 0 || n > IO_BUFFER_BYTES) scriptError("bad hex");
  copy(ioBuffer, fieldPtr(1), n);
  // The first failing write is the install's status (the host helper stops there too).
  if (denyStatus >= 0) {
    const r = ledgerDenyWrite(denyOffset, ioBuffer, n);
    if (r < 0) denyStatus = r;
  }
  denyOffset += n;
}

function cmdDenyCommit(): void {
  argCount(1);
  printStatus("deny", denyStatus < 0 ? denyStatus : ledgerDenyCommit());
}

function cmdExchange(isError: bool): void {
  argCount(4);
  if (board.exchangesQueued >= TAPRUNNER_EXCHANGES_MAX) scriptError("queue full");
  const c = hexField(1);
  if (c < 0 || c > TAPRUNNER_CAPDU_BYTES_MAX) scriptError("bad hex");
  const i = board.exchangesQueued;
  copy(board.capduAt(i), fieldPtr(1), c);
  let status: i32;
  if (isError) {
    status = <i32>decimal(2, -2147483648, -1);
  } else {
    status = hexField(2);
    if (status < 2 || status > TAPRUNNER_RAPDU_BYTES_MAX) scriptError("bad hex");
    copy(board.rapduAt(i), fieldPtr(2), status);
  }
  const ms = <i32>decimal(3, 0, 3600000);
  board.queueExchange(c, status, ms);
}

function cmdRandom(): void {
  argCount(2);
  if (board.randomsQueued >= TAPRUNNER_RANDOM_FILLS_MAX) scriptError("queue full");
  const n = hexField(1);
  if (n < 1 || n > TAPRUNNER_RANDOM_BYTES_MAX) scriptError("bad hex");
  copy(board.randomAt(board.randomsQueued), fieldPtr(1), n);
  board.queueRandom(n);
}

function appendSignalText(c: u32): void {
  if (signalTextLen < SIGNAL_TEXT_BYTES) {
    store<u8>(signalText + <usize>signalTextLen, <u8>c);
    signalTextLen++;
  }
}

function appendSignalNumber(v: i32): void {
  if (v < 0) { appendSignalText(0x2d); v = -v; }
  let div: u32 = 1000000000;
  let started = false;
  for (let k = 0; k < 10; k++) {
    const d = <u32>v / div;
    if (d != 0 || started || div == 1) { appendSignalText(0x30 + d); started = true; }
    v = <i32>(<u32>v - d * div);
    div /= 10;
  }
}

function formatSignals(): void {
  signalTextLen = 0;
  if (board.signalCount == 0) { appendSignalText(0x2d); return; }
  for (let i = 0; i < board.signalCount; i++) {
    if (i > 0) appendSignalText(0x2c);
    appendSignalNumber(board.signalKindAt(i));
    appendSignalText(0x3a);
    appendSignalNumber(board.signalValueAt(i));
  }
}

function cmdTap(): void {
  argCount(2);
  const amount = <i32>decimal(1, 0, 0x7FFFFFFF);
  board.beginTap();
  const decision = tap(amount);
  if (board.exchangesUsed < board.exchangesQueued) {
    board.mismatch("exchanges-unsent", board.exchangesQueued - board.exchangesUsed);
  }
  if (board.randomsUsed < board.randomsQueued) {
    board.mismatch("random-unused", board.randomsQueued - board.randomsUsed);
  }
  board.endTap();
  taps++;
  resultKind = RESULT_TAP;
  resultStatus = decision;
  resultMismatches = board.mismatches;
  mismatchTotal += <u32>board.mismatches;
  receiptLen = min(lastReceiptLen(), RECEIPT_BYTES_MAX);
  copy(receipt, lastReceiptPtr(), receiptLen);
  formatSignals();
  outText("tap ");
  outSigned(decision);
  outText(" exchanges ");
  outDecimal(<u32>board.exchangesUsed);
  outText(" receipt ");
  if (receiptLen == 0) outByte(0x2d); else outHex(receipt, receiptLen);
  outText(" signals ");
  for (let i = 0; i < signalTextLen; i++) outByte(load<u8>(signalText + <usize>i));
  outLine();
}

function receiptMatches(i: i32): bool {
  if (fieldIsDash(i)) return receiptLen == 0;
  const n = hexField(i);
  if (n < 0) scriptError("bad hex");
  if (n != receiptLen) return false;
  for (let k = 0; k < n; k++) {
    if (load<u8>(fieldPtr(i) + <usize>k) != load<u8>(receipt + <usize>k)) return false;
  }
  return true;
}

function signalsMatch(i: i32): bool {
  if (fieldLen(i) != signalTextLen) return false;
  for (let k = 0; k < signalTextLen; k++) {
    if (load<u8>(fieldPtr(i) + <usize>k) != load<u8>(signalText + <usize>k)) return false;
  }
  return true;
}

function cmdExpect(): void {
  if (resultKind == RESULT_NONE) scriptError("nothing to expect");
  if (resultKind == RESULT_STATUS) argCount(2);
  else argCount(4);
  const want = <i32>decimal(1, -2147483648, 2147483647);
  const okValue = want == resultStatus;
  const okReceipt = resultKind != RESULT_TAP || receiptMatches(2);
  const okSignals = resultKind != RESULT_TAP || signalsMatch(3);
  const okScript = resultKind != RESULT_TAP || resultMismatches == 0;
  expects++;
  if (okValue && okReceipt && okSignals && okScript) { outText("pass"); outLine(); return; }
  failures++;
  outText("fail");
  if (!okValue) outText(resultKind == RESULT_TAP ? " decision" : " status");
  if (!okReceipt) outText(" receipt");
  if (!okSignals) outText(" signals");
  if (!okScript) outText(" exchanges");
  outLine();
}

function cmdTime(): void {
  argCount(2);
  board.setUnixSeconds(<u32>decimal(1, 0, 0xFFFFFFFF));
}

function cmdFailPrograms(): void {
  argCount(2);
  setFailPrograms(<i32>decimal(1, 0, 1000000));
}

/** The board's time between taps: idle() until it has nothing left (bounded by the
 *  registered-key slots, the most work idle can hold). */
function cmdIdle(): void {
  argCount(1);
  let n = 0;
  while (n < REGISTERED_KEYS_MAX && idle() != 0) n++;
  outText("idle ");
  outDecimal(n);
  outLine();
}

function cmdFailRandom(): void {
  argCount(1);
  board.setFailRandom(true);
}

/** Dispatches one split line (fieldCount ≥ 1). */
export function runCommand(): void {
  if (fieldIs(0, "tap")) return cmdTap();
  if (fieldIs(0, "rapdu")) return cmdExchange(false);
  if (fieldIs(0, "nfc-error")) return cmdExchange(true);
  if (fieldIs(0, "random")) return cmdRandom();
  if (fieldIs(0, "time")) return cmdTime();
  if (fieldIs(0, "idle")) return cmdIdle();
  if (fieldIs(0, "expect")) return cmdExpect();
  if (fieldIs(0, "fail-programs")) return cmdFailPrograms();
  if (fieldIs(0, "fail-random")) return cmdFailRandom();
  if (fieldIs(0, "init")) return cmdInit();
  if (fieldIs(0, "deny-begin")) return cmdDenyBegin();
  if (fieldIs(0, "deny-data")) return cmdDenyData();
  if (fieldIs(0, "deny-commit")) return cmdDenyCommit();
  if (fieldIs(0, "partition")) return cmdPartition();
  scriptError("unknown command");
}

/** The summary line at the end of input. */
export function printSummary(): void {
  outText("done taps ");
  outDecimal(taps);
  outText(" expects ");
  outDecimal(expects);
  outText(" failed ");
  outDecimal(failures);
  outText(" mismatches ");
  outDecimal(mismatchTotal);
  outText(" flash-blocks ");
  outDecimal(<u32>storedBlocksUsed());
  outLine();
}
