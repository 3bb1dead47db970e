// The ledger's view of the board's flash (boards/ABI.md): every program is preceded by
// a blank check and followed by a read-back compare (assertions in pairs), and split at
// program-page boundaries.
import { FLASH_CHUNK_BYTES, FLASH_READ_RETRIES } from "../limits";
import { OK, ERR_VERIFY } from "./status";

// The board's flash imports; build/taprunner.wasm uses the in-module scripted flash
// instead (compile-time aliases scriptedFlash*, see assembly/board/reader.ts).
@external("env", "flashRead")
declare function envFlashRead(partition: i32, offset: i32, ptr: usize, len: i32): i32;
@external("env", "flashProgram")
declare function envFlashProgram(partition: i32, offset: i32, ptr: usize, len: i32): i32;
@external("env", "flashErase")
declare function envFlashErase(partition: i32, offset: i32): i32;

@inline function boardFlashRead(partition: i32, offset: i32, ptr: usize, len: i32): i32 {
  // @ts-ignore: defined by the taprunner target only
  if (isDefined(scriptedFlashRead)) return scriptedFlashRead(partition, offset, ptr, len);
  return envFlashRead(partition, offset, ptr, len);
}
@inline function boardFlashProgram(partition: i32, offset: i32, ptr: usize, len: i32): i32 {
  // @ts-ignore: defined by the taprunner target only
  if (isDefined(scriptedFlashProgram)) return scriptedFlashProgram(partition, offset, ptr, len);
  return envFlashProgram(partition, offset, ptr, len);
}
@inline function boardFlashErase(partition: i32, offset: i32): i32 {
  // @ts-ignore: defined by the taprunner target only
  if (isDefined(scriptedFlashErase)) return scriptedFlashErase(partition, offset);
  return envFlashErase(partition, offset);
}

export const PARTITION_LEDGER: i32 = 0;
export const PARTITION_DENY: i32 = 1;

/** Program page of the board, set from the configuration (a power of two ≤ FLASH_CHUNK_BYTES). */
let pageBytes: i32 = 256;
const scratch: usize = memory.data(FLASH_CHUNK_BYTES, 16);

export function setPageBytes(n: i32): void { pageBytes = n; }

export function flashRead(partition: i32, offset: i32, ptr: usize, len: i32): i32 {
  return boardFlashRead(partition, offset, ptr, len);
}

export function flashErase(partition: i32, offset: i32): i32 {
  return boardFlashErase(partition, offset);
}

/** 1 when every byte of the range reads 0xFF, 0 when not, or a negative board status.
 *  A chunk that reads non-blank is re-read: a transient read error must not make the
 *  ledger skip good erased space or refuse an append. */
export function flashIsBlank(partition: i32, offset: i32, len: i32): i32 {
  let done = 0;
  while (done < len) {
    const n = min(len - done, FLASH_CHUNK_BYTES);
    let blank = false;
    for (let attempt = 0; attempt <= FLASH_READ_RETRIES && !blank; attempt++) {
      const st = boardFlashRead(partition, offset + done, scratch, n);
      if (st < 0) return st;
      blank = allOnes(scratch, n);
    }
    if (!blank) return 0;
    done += n;
  }
  return 1;
}

/** 1 when the flash range equals the bytes at src, 0 when not, or a negative status. */
export function flashEquals(partition: i32, offset: i32, src: usize, len: i32): i32 {
  let done = 0;
  while (done < len) {
    const n = min(len - done, FLASH_CHUNK_BYTES);
    const st = boardFlashRead(partition, offset + done, scratch, n);
    if (st < 0) return st;
    if (!bytesEqual(scratch, src + <usize>done, n)) return 0;
    done += n;
  }
  return 1;
}

/** Programs len bytes from src at offset: each page-bounded piece is checked blank
 *  first (never program a byte that is not erased) and compared after. A failed
 *  compare is re-read FLASH_READ_RETRIES times so a transient read error is not
 *  mistaken for a failed program. */
export function flashProgramVerified(partition: i32, offset: i32, src: usize, len: i32): i32 {
  let done = 0;
  while (done < len) {
    const at = offset + done;
    const n = min(len - done, pageBytes - (at & (pageBytes - 1)));
    const blank = flashIsBlank(partition, at, n);
    if (blank < 0) return blank;
    if (blank == 0) return ERR_VERIFY;
    const st = boardFlashProgram(partition, at, src + <usize>done, n);
    if (st < 0) return st;
    const same = flashEqualsRetry(partition, at, src + <usize>done, n);
    if (same < 0) return same;
    if (same == 0) return ERR_VERIFY;
    done += n;
  }
  return OK;
}

/** Sixteen zero bytes: the value every write-back of a word programs (static, never written). */
export const ZEROS: usize = memory.data(16, 16);

/** A completion (docs/LEDGER.md §2.7): programs len bytes (≤ 64) from src over a range
 *  that may already hold some of their zero bits, never asking a 0 bit to become 1, and
 *  reads them back; split at page boundaries like every program. ERR_VERIFY when the
 *  range holds a zero bit src does not have (that piece is not programmed) or the
 *  read-back never agrees. */
export function flashComplete(partition: i32, offset: i32, src: usize, len: i32): i32 {
  if (len <= 0 || len > 64) return ERR_VERIFY;
  let done = 0;
  while (done < len) {
    const at = offset + done;
    const n = min(len - done, pageBytes - (at & (pageBytes - 1)));
    const r = completePiece(partition, at, src + <usize>done, n);
    if (r < 0) return r;
    done += n;
  }
  return OK;
}

/** 1 when the range at offset holds no 0 bit where src has a 1 (completing it programs
 *  only zeros), 0 when it does, or a board status. A conflict is read again up to
 *  FLASH_READ_RETRIES times: a transient flip in this read must not cancel a write-back
 *  (a header copy B left blank for a later boot to find its copy A weak, §2.1). */
function completable(partition: i32, offset: i32, src: usize, len: i32): i32 {
  for (let attempt = 0; attempt <= FLASH_READ_RETRIES; attempt++) {
    const st = boardFlashRead(partition, offset, scratch, len);
    if (st < 0) return st;
    let ok = true;
    for (let i = 0; i < len; i++) {
      // A bit the target holds as 0 where src wants 1 cannot be programmed back.
      if ((~load<u8>(scratch + <usize>i) & load<u8>(src + <usize>i)) != 0) { ok = false; break; }
    }
    if (ok) return 1;
  }
  return 0;
}

function completePiece(partition: i32, offset: i32, src: usize, len: i32): i32 {
  const can = completable(partition, offset, src, len);
  if (can < 0) return can;
  if (can == 0) return ERR_VERIFY;
  // Programmed even when it already reads right: that is what makes weak bits solid.
  const p = boardFlashProgram(partition, offset, src, len);
  if (p < 0) return p;
  const same = flashEqualsRetry(partition, offset, src, len);
  if (same < 0) return same;
  return same == 0 ? ERR_VERIFY : OK;
}

export function flashEqualsRetry(partition: i32, offset: i32, src: usize, len: i32): i32 {
  let same = 0;
  for (let attempt = 0; attempt <= FLASH_READ_RETRIES && same == 0; attempt++) {
    same = flashEquals(partition, offset, src, len);
    if (same < 0) return same;
  }
  return same;
}

export function allOnes(p: usize, len: i32): bool {
  let i = 0;
  for (; i + 8 <= len; i += 8) if (load<u64>(p + <usize>i) != 0xFFFFFFFFFFFFFFFF) return false;
  for (; i < len; i++) if (load<u8>(p + <usize>i) != 0xFF) return false;
  return true;
}

export function bytesEqual(a: usize, b: usize, len: i32): bool {
  let i = 0;
  for (; i + 8 <= len; i += 8) if (load<u64>(a + <usize>i) != load<u64>(b + <usize>i)) return false;
  for (; i < len; i++) if (load<u8>(a + <usize>i) != load<u8>(b + <usize>i)) return false;
  return true;
}

export function copyBytes(dst: usize, src: usize, len: i32): void {
  // No bulk memory on the device profile: a plain loop (memory.copy is unavailable).
  for (let i = 0; i < len; i++) store<u8>(dst + <usize>i, load<u8>(src + <usize>i));
}

export function fillBytes(dst: usize, value: u8, len: i32): void {
  for (let i = 0; i < len; i++) store<u8>(dst + <usize>i, value);
}
