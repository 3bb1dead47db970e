// Deny list and issuer-key revocations (docs/LEDGER.md §7): two slots A/B in the deny
// partition, newest valid version wins, signed by the operator key, searched on flash.
import { FLASH_CHUNK_BYTES, FLASH_READ_RETRIES } from "../limits";
import { ed25519VerifyBegin, ed25519VerifyUpdate, ed25519VerifyEnd } from "../crypto/verify";
import {
  OK, ERR_NOT_CONFIGURED, ERR_BAD_ARGUMENT, ERR_BAD_FORMAT, ERR_BAD_SIGNATURE, ERR_STALE_VERSION, ERR_VERIFY,
} from "./status";
import { crc32Begin, crc32Update, crc32End } from "./crc32";
import { flashRead, flashErase, flashIsBlank, flashProgramVerified, PARTITION_DENY } from "./flash";
import { configured, denyBytes, sectorBytes, denyMaxAgeSeconds, operatorKeyPtr } from "./config";

const LIST_MAGIC: u32 = 0x4C44544F; // "OTDL"
const TRAILER_MAGIC: u32 = 0x4344544F; // "OTDC"
const LIST_HEADER_BYTES: i32 = 24;
const TRAILER_BYTES: i32 = 16;
const SIG_BYTES: i32 = 64;
const ID_BYTES: i32 = 16;
const KEY_ID_BYTES: i32 = 8;

const chunk: usize = memory.data(FLASH_CHUNK_BYTES, 16);
const small: usize = memory.data(64, 16);
const sig: usize = memory.data(SIG_BYTES, 16);

let installedSlot: i32 = -1;
let installedVersion: u32 = 0;
let installedIssuedAt: u32 = 0;
let walletCount: u32 = 0;
let keyCount: u32 = 0;
let pendingSlot: i32 = -1;
let pendingLen: i32 = 0;

@inline function slotBytes(): i32 { return denyBytes >> 1; }
@inline function slotBase(slot: i32): i32 { return slot * slotBytes(); }

/** CRC-32 of len bytes of the deny partition from offset, or a negative status in the high bit's stead. */
function crcOfRange(offset: i32, len: i32, out: usize): i32 {
  let c = crc32Begin();
  for (let done = 0; done < len; done += FLASH_CHUNK_BYTES) {
    const n = min(len - done, FLASH_CHUNK_BYTES);
    const r = flashRead(PARTITION_DENY, offset + done, chunk, n);
    if (r < 0) return r;
    c = crc32Update(c, chunk, n);
  }
  store<u32>(out, crc32End(c));
  return OK;
}

/** Version of a valid slot's list (its header left in `small`), or 0. */
function slotVersion(slot: i32): u32 {
  const base = slotBase(slot);
  for (let attempt = 0; attempt <= FLASH_READ_RETRIES; attempt++) {
    if (flashRead(PARTITION_DENY, base + slotBytes() - TRAILER_BYTES, small, TRAILER_BYTES) < 0) return 0;
    const len = load<i32>(small, 4);
    if (load<u32>(small) != TRAILER_MAGIC || load<u32>(small, 12) != 0) continue;
    if (len < LIST_HEADER_BYTES + SIG_BYTES || len > slotBytes() - TRAILER_BYTES) continue;
    const want = load<u32>(small, 8);
    if (crcOfRange(base, len, small + 32) < 0 || load<u32>(small, 32) != want) continue;
    if (flashRead(PARTITION_DENY, base, small, LIST_HEADER_BYTES) < 0) return 0;
    if (load<u32>(small) != LIST_MAGIC) return 0;
    return load<u32>(small, 8);
  }
  return 0;
}

/** Finds the installed list at boot. */
export function denyLoad(): void {
  installedSlot = -1;
  installedVersion = 0;
  pendingSlot = -1;
  if (!configured || denyBytes == 0) return;
  for (let slot = 0; slot < 2; slot++) {
    const v = slotVersion(slot);
    if (v == 0 || v <= installedVersion) continue;
    installedSlot = slot;
    installedVersion = v;
    installedIssuedAt = load<u32>(small, 12);
    walletCount = load<u32>(small, 16);
    keyCount = load<u32>(small, 20);
  }
}

/** Ends the update session: every failure of begin, write or commit ends it, so a list
 *  is only ever committed from one begin and writes that all succeeded. */
export function endSession(status: i32): i32 {
  pendingSlot = -1;
  pendingLen = 0;
  return status;
}

export function denyBegin(len: i32): i32 {
  endSession(OK); // a new begin always ends the previous session, whatever follows
  if (!configured || denyBytes == 0) return ERR_NOT_CONFIGURED;
  if (len < LIST_HEADER_BYTES + SIG_BYTES || len > slotBytes() - TRAILER_BYTES) {
    return ERR_BAD_ARGUMENT;
  }
  const slot = installedSlot == 0 ? 1 : 0;
  const base = slotBase(slot);
  for (let off = 0; off < slotBytes(); off += sectorBytes) {
    const r = flashErase(PARTITION_DENY, base + off);
    if (r < 0) return r;
  }
  const blank = flashIsBlank(PARTITION_DENY, base, slotBytes());
  if (blank < 0) return blank;
  if (blank == 0) return ERR_VERIFY;
  pendingSlot = slot;
  pendingLen = len;
  return OK;
}

export function denyWrite(offset: i32, ptr: usize, len: i32): i32 {
  if (pendingSlot < 0) return ERR_NOT_CONFIGURED;
  // Overflow-safe: offset + len is never formed before both are known to be in range.
  if (offset < 0 || len < 0 || offset > pendingLen || len > pendingLen - offset) {
    return endSession(ERR_BAD_ARGUMENT);
  }
  const r = flashProgramVerified(PARTITION_DENY, slotBase(pendingSlot) + offset, ptr, len);
  return r < 0 ? endSession(r) : OK;
}

/** 1 when the ids of `count` entries of `size` bytes from offset are strictly ascending. */
function ascending(offset: i32, count: u32, size: i32): i32 {
  for (let i: u32 = 1; i < count; i++) {
    const r = flashRead(PARTITION_DENY, offset + <i32>(i - 1) * size, small, 2 * size);
    if (r < 0) return r;
    if (compareBytes(small, small + <usize>size, size) >= 0) return 0;
  }
  return 1;
}

function compareBytes(a: usize, b: usize, n: i32): i32 {
  for (let i = 0; i < n; i++) {
    const x = <i32>load<u8>(a + <usize>i);
    const y = <i32>load<u8>(b + <usize>i);
    if (x != y) return x - y;
  }
  return 0;
}

/** Signature over the image (all but its last 64 bytes), streamed from flash. */
function signatureOk(base: i32, signedLen: i32): i32 {
  let r = flashRead(PARTITION_DENY, base + signedLen, sig, SIG_BYTES);
  if (r < 0) return r;
  if (ed25519VerifyBegin(operatorKeyPtr(), sig) != 0) return 0;
  for (let done = 0; done < signedLen; done += FLASH_CHUNK_BYTES) {
    const n = min(signedLen - done, FLASH_CHUNK_BYTES);
    r = flashRead(PARTITION_DENY, base + done, chunk, n);
    if (r < 0) return r;
    ed25519VerifyUpdate(chunk, n);
  }
  return ed25519VerifyEnd() == 0 ? 1 : 0;
}

/** Checks the written image and commits it: trailer, then commit marker. */
export function denyCommit(): i32 {
  if (pendingSlot < 0) return ERR_NOT_CONFIGURED;
  const slot = pendingSlot;
  const len = pendingLen;
  endSession(OK); // one commit per session, whatever its outcome
  return commitSlot(slot, len);
}

/** Checks the image written into slot (len bytes) and commits it. */
function commitSlot(slot: i32, pendingLen: i32): i32 {
  const base = slotBase(slot);
  let r = flashRead(PARTITION_DENY, base, small, LIST_HEADER_BYTES);
  if (r < 0) return r;
  const version = load<u32>(small, 8);
  const w = load<u32>(small, 16);
  const k = load<u32>(small, 20);
  if (load<u32>(small) != LIST_MAGIC || load<u16>(small, 4) != 1) return ERR_BAD_FORMAT;
  const maxIds = <u32>(slotBytes() / ID_BYTES);
  if (w > maxIds || k > maxIds) return ERR_BAD_FORMAT;
  const signedLen = LIST_HEADER_BYTES + <i32>w * ID_BYTES + <i32>k * KEY_ID_BYTES;
  if (signedLen + SIG_BYTES != pendingLen) return ERR_BAD_FORMAT;
  if (version <= installedVersion) return ERR_STALE_VERSION;
  r = signatureOk(base, signedLen);
  if (r < 0) return r;
  if (r == 0) return ERR_BAD_SIGNATURE;
  r = ascending(base + LIST_HEADER_BYTES, w, ID_BYTES);
  if (r <= 0) return r < 0 ? r : ERR_BAD_FORMAT;
  r = ascending(base + LIST_HEADER_BYTES + <i32>w * ID_BYTES, k, KEY_ID_BYTES);
  if (r <= 0) return r < 0 ? r : ERR_BAD_FORMAT;
  r = crcOfRange(base, pendingLen, small + 32);
  if (r < 0) return r;
  store<u32>(small, TRAILER_MAGIC);
  store<i32>(small, pendingLen, 4);
  store<u32>(small, load<u32>(small, 32), 8);
  const trailerAt = base + slotBytes() - TRAILER_BYTES;
  r = flashProgramVerified(PARTITION_DENY, trailerAt, small, 12);
  if (r < 0) return r;
  store<u32>(small, 0, 12);
  r = flashProgramVerified(PARTITION_DENY, trailerAt + 12, small + 12, 4);
  if (r < 0) return r;
  denyLoad();
  return installedSlot == slot ? OK : ERR_VERIFY;
}

/** Binary search of `count` sorted ids of `size` bytes on flash: 1 found, 0 not, <0 status. */
function search(offset: i32, count: u32, size: i32, key: usize): i32 {
  let lo: u32 = 0;
  let hi = count;
  while (lo < hi) { // halves each step: ≤ 32 reads
    const mid = lo + ((hi - lo) >> 1);
    const r = flashRead(PARTITION_DENY, offset + <i32>mid * size, small, size);
    if (r < 0) return r;
    const c = compareBytes(small, key, size);
    if (c == 0) return 1;
    if (c < 0) lo = mid + 1; else hi = mid;
  }
  return 0;
}

export function denyContains(walletId: usize): i32 {
  if (installedSlot < 0) return 0;
  return search(slotBase(installedSlot) + LIST_HEADER_BYTES, walletCount, ID_BYTES, walletId);
}

export function denyKeyRevoked(keyId: usize): i32 {
  if (installedSlot < 0) return 0;
  const at = slotBase(installedSlot) + LIST_HEADER_BYTES + <i32>walletCount * ID_BYTES;
  return search(at, keyCount, KEY_ID_BYTES, keyId);
}

/** 1 when no list is installed or it is older than the configured maximum age at now. */
export function denyIsStale(now: u32): i32 {
  if (installedSlot < 0) return 1;
  if (now > installedIssuedAt && now - installedIssuedAt > denyMaxAgeSeconds) return 1;
  return 0;
}

export function denyVersion(): u32 { return installedVersion; }
export function denyIssuedAt(): u32 { return installedIssuedAt; }
