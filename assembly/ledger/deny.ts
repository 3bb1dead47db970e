// Deny list, issuer-key revocations and vouched certificates (docs/LEDGER.md §7): two
// slots A/B in the deny partition, newest valid version wins, signed by the operator key,
// searched on flash.
import { FLASH_CHUNK_BYTES, FLASH_READ_RETRIES } from "../limits";
import { ed25519VerifyBegin, ed25519VerifyUpdate, ed25519VerifyEnd } from "../crypto/verify";
import {
  OK, ERR_NOT_CONFIGURED, ERR_BAD_ARGUMENT, ERR_BAD_FORMAT, ERR_BAD_SIGNATURE, ERR_STALE_VERSION,
  ERR_VERIFY,
} from "./status";
import { crc32, crc32Begin, crc32Update, crc32End } from "./crc32";
import {
  flashRead, flashErase, flashIsBlank, flashProgramVerified, flashComplete, flashEquals, ZEROS,
  copyBytes,
  PARTITION_DENY,
} from "./flash";
import { configured, denyBytes, sectorBytes, denyMaxAgeSeconds, operatorKeyPtr } from "./config";

const LIST_MAGIC: u32 = 0x4C44544F; // "OTDL"
const TRAILER_MAGIC: u32 = 0x4344544F; // "OTDC"
/** Header bytes of format 1; format 2 adds the vouched certificate count at offset 24. */
const LIST_HEADER_BYTES: i32 = 24;
const LIST_HEADER_V2_BYTES: i32 = 28;
const TRAILER_BYTES: i32 = 16;
/** Two trailer copies end a slot (§7): copy 0 at slot end − 32, copy 1 at slot end − 16
 *  (where version 1 kept its only trailer). A new image must end before copy 0. */
const TRAILERS_BYTES: i32 = 2 * TRAILER_BYTES;
/** The version floor (§7) before the trailers: written into a slot right after it is
 *  erased, it keeps the installed version known while only one copy of the list exists. */
const FLOOR_MAGIC: u32 = 0x4644544F; // "OTDF"
const FLOORS_BYTES: i32 = 2 * TRAILER_BYTES;
const TAIL_BYTES: i32 = TRAILERS_BYTES + FLOORS_BYTES;
const SIG_BYTES: i32 = 64;
const ID_BYTES: i32 = 16;
const KEY_ID_BYTES: i32 = 8;
const CERT_HASH_BYTES: i32 = 16;

const chunk: usize = memory.data(FLASH_CHUNK_BYTES, 16);
const small: usize = memory.data(64, 16);
const sig: usize = memory.data(SIG_BYTES, 16);

let installedSlot: i32 = -1;
let installedVersion: u32 = 0;
let installedIssuedAt: u32 = 0;
let walletCount: u32 = 0;
let keyCount: u32 = 0;
let certCount: u32 = 0;
/** Header bytes of the installed list (24 or 28: its format). */
let headerBytes: i32 = LIST_HEADER_BYTES;
let pendingSlot: i32 = -1;
let pendingLen: i32 = 0;

@inline function slotBytes(): i32 { return denyBytes >> 1; }
@inline function slotBase(slot: i32): i32 { return slot * slotBytes(); }

/** CRC-32 of len bytes of the deny partition from offset, stored at out; OK or a negative
 *  board status. */
function crcOfRange(offset: i32, len: i32, out: usize, header: usize = 0): i32 {
  let c = crc32Begin();
  for (let done = 0; done < len; done += FLASH_CHUNK_BYTES) {
    const n = min(len - done, FLASH_CHUNK_BYTES);
    const r = flashRead(PARTITION_DENY, offset + done, chunk, n);
    if (r < 0) return r;
    // The list header is kept from the very read the CRC covers: a weak cell must not
    // give the header one value for the CRC and another when it is used.
    // An image holds at least a format-1 header and a signature, so 28 bytes are there.
    if (done == 0 && header != 0) copyBytes(header, chunk, LIST_HEADER_V2_BYTES);
    c = crc32Update(c, chunk, n);
  }
  store<u32>(out, crc32End(c));
  return OK;
}

/** The list header of each slot as its last CRC check read it. */
const heads: usize = memory.data(2 * LIST_HEADER_V2_BYTES, 8);
@inline function headerOf(slot: i32): usize {
  return heads + <usize>(slot * LIST_HEADER_V2_BYTES);
}

/** Length and CRC of the image of the last slot slotVersion found valid. */
let validLen: i32 = 0;
let validCrc: u32 = 0;

@inline function trailerAt(slot: i32, copy: i32): i32 {
  return slotBase(slot) + slotBytes() - TRAILERS_BYTES + copy * TRAILER_BYTES;
}

/** 1 when trailer copy `copy` of slot is committed (magic, length range, a marker with
 *  2+ of its 32 bits at 0) and the image matches its CRC; 0 when not; < 0 a status. Its
 *  16 bytes are left at small + 48. */
function trailerValid(slot: i32, copy: i32): i32 {
  const t = small + 48;
  const r = flashRead(PARTITION_DENY, trailerAt(slot, copy), t, TRAILER_BYTES);
  if (r < 0) return r;
  const len = load<i32>(t, 4);
  if (load<u32>(t) != TRAILER_MAGIC || 32 - <i32>popcnt(load<u32>(t, 12)) < 2) return 0;
  if (len < LIST_HEADER_BYTES + SIG_BYTES || len > slotBytes() - TRAILER_BYTES) return 0;
  const c = crcOfRange(slotBase(slot), len, small + 32, headerOf(slot));
  if (c < 0) return c;
  return load<u32>(small, 32) == load<u32>(t, 8) ? 1 : 0;
}

/** Writes trailer copy `copy` of slot (magic, validLen, validCrc, then the marker) as a
 *  completion: over an erased copy, or one a cut left with a subset of these bits. */
function writeTrailer(slot: i32, copy: i32): i32 {
  const t = small + 48;
  store<u32>(t, TRAILER_MAGIC);
  store<i32>(t, validLen, 4);
  store<u32>(t, validCrc, 8);
  store<u32>(t, 0, 12);
  if (flashEquals(PARTITION_DENY, trailerAt(slot, copy), t, TRAILER_BYTES) == 1) return OK;
  const r = flashComplete(PARTITION_DENY, trailerAt(slot, copy), t, 12);
  return r < 0 ? r : flashComplete(PARTITION_DENY, trailerAt(slot, copy) + 12, ZEROS, 4);
}

/** Version of a valid slot's list (its header left in `small`, length and CRC in
 *  validLen/validCrc), or 0. Write-back (§7): both trailer copies are completed and their
 *  markers made solid, so the next boot judges the slot the same way. */
function slotVersion(slot: i32): u32 {
  for (let attempt = 0; attempt <= FLASH_READ_RETRIES; attempt++) {
    let good = -1;
    for (let copy = 1; copy >= 0 && good < 0; copy--) {
      const r = trailerValid(slot, copy);
      if (r < 0) return 0;
      if (r == 1) good = copy;
    }
    if (good < 0) continue;
    validLen = load<i32>(small + 48, 4);
    validCrc = load<u32>(small + 48, 8);
    // A version-1 image may run into copy 0's bytes: then it keeps its one trailer.
    if (validLen <= slotBytes() - TRAILERS_BYTES) {
      writeTrailer(slot, 0);
      writeTrailer(slot, 1);
    } else if (load<u32>(small + 48, 12) != 0) {
      flashComplete(PARTITION_DENY, trailerAt(slot, 1) + 12, ZEROS, 4);
    }
    const h = headerOf(slot);
    if (load<u32>(h) != LIST_MAGIC) return 0;
    return load<u32>(h, 8);
  }
  return 0;
}

/** Floor 0 is programmed right after the slot is erased; floor 1 into a slot holding the
 *  installed list right before the other slot is erased (that erase is the window). */
@inline function floorAt(slot: i32, which: i32): i32 {
  return slotBase(slot) + slotBytes() - TAIL_BYTES + which * TRAILER_BYTES;
}

/** Programs a version floor (when it is still blank: a floor is written once per erase). */
function writeFloor(slot: i32, which: i32, version: u32): i32 {
  const blank = flashIsBlank(PARTITION_DENY, floorAt(slot, which), TRAILER_BYTES);
  if (blank <= 0) return blank;
  const f = small + 48;
  store<u32>(f, FLOOR_MAGIC);
  store<u32>(f, version, 4);
  store<u32>(f, 0, 8);
  store<u32>(f, crc32(f, 12), 12);
  return flashProgramVerified(PARTITION_DENY, floorAt(slot, which), f, TRAILER_BYTES);
}

/** Version floor `which` of a slot, 0 when it is not valid. A floor that reads neither
 *  valid nor blank is read again, up to FLASH_READ_RETRIES more times: one flipped bit in
 *  the read of the only floor at the installed version would let recovery take an older
 *  copy (§7, "Never backwards"). */
function floorValue(slot: i32, which: i32): u32 {
  const f = small + 48;
  for (let attempt = 0; attempt <= FLASH_READ_RETRIES; attempt++) {
    if (flashRead(PARTITION_DENY, floorAt(slot, which), f, TRAILER_BYTES) < 0) continue;
    if (load<u32>(f) == FLOOR_MAGIC && crc32(f, 12) == load<u32>(f, 12)) return load<u32>(f, 4);
    const blank = load<u64>(f) & load<u64>(f, 8);
    if (blank == 0xffffffffffffffff) return 0;
  }
  return 0;
}

/** The highest valid version floor of a slot, 0 when none is valid. */
function floorOf(slot: i32): u32 {
  const a = floorValue(slot, 0);
  const b = floorValue(slot, 1);
  return a > b ? a : b;
}

/** Erases slot `to` after leaving the installed version in both slots' floors (§7). With
 *  no usable list (from < 0) the version lives only in floors: the other slot gets it in
 *  its floor 1 too, when that place is still blank. */
function eraseOther(from: i32, to: i32): i32 {
  const keep = from >= 0 ? from : 1 - to;
  if (installedVersion > 0) writeFloor(keep, 1, installedVersion);
  const r = eraseSlot(to);
  return r < 0 ? r : writeFloor(to, 0, installedVersion);
}

/** Makes slot `to` a copy of the valid list in slot `from` (image, then both trailers,
 *  markers last), so that the installed list is held twice (§7). Needs validLen/validCrc
 *  of `from`. */
function copySlot(from: i32, to: i32): i32 {
  const src = slotBase(from);
  const dst = slotBase(to);
  let r = eraseOther(from, to);
  if (r < 0) return r;
  for (let done = 0; done < validLen; done += FLASH_CHUNK_BYTES) {
    const n = min(validLen - done, FLASH_CHUNK_BYTES);
    r = flashRead(PARTITION_DENY, src + done, chunk, n);
    if (r < 0) return r;
    r = flashProgramVerified(PARTITION_DENY, dst + done, chunk, n);
    if (r < 0) return r;
  }
  r = writeTrailer(to, 0);
  return r < 0 ? r : writeTrailer(to, 1);
}

/** Erases every sector of a slot and checks it blank. */
function eraseSlot(slot: i32): i32 {
  const base = slotBase(slot);
  for (let off = 0; off < slotBytes(); off += sectorBytes) {
    const r = flashErase(PARTITION_DENY, base + off);
    if (r < 0) return r;
  }
  const blank = flashIsBlank(PARTITION_DENY, base, slotBytes());
  if (blank < 0) return blank;
  return blank == 0 ? ERR_VERIFY : OK;
}

/** Finds the installed list (the valid slot with the higher version) and writes it back
 *  into the other slot when that one does not hold the same version (§7). */
export function denyLoad(): void {
  installedSlot = -1;
  installedVersion = 0;
  endSession(OK);
  if (!configured || denyBytes == 0) return;
  const v0 = slotVersion(0);
  const len0 = validLen;
  const crc0 = validCrc;
  const v1 = slotVersion(1);
  let slot = v1 > v0 ? 1 : v0 > 0 ? 0 : -1;
  // Equal versions: prefer the slot that kept the list while the other was last erased
  // (its floor 1): an erase cut short can leave the old copy readable but weak.
  if (slot == 0 && v1 == v0 && floorValue(1, 1) >= v1 && floorValue(0, 1) < v0) slot = 1;
  if (slot == 0) {
    validLen = len0; // copySlot below copies the chosen slot's image
    validCrc = crc0;
  }
  const floor0 = floorOf(0);
  const floor1 = floorOf(1);
  const floor = floor1 > floor0 ? floor1 : floor0;
  if (slot < 0 || (slot == 0 ? v0 : v1) < floor) {
    // Only one copy existed (an update or a write-back in progress) and it was lost: the
    // version does not go back; no list is usable until a newer one is installed.
    installedVersion = floor;
    installedIssuedAt = 0;
    return;
  }
  installedVersion = slot == 0 ? v0 : v1;
  if (v0 != v1) copySlot(slot, 1 - slot);
  // The header as the CRC check read it: judged once, used as judged.
  const h = headerOf(slot);
  installedSlot = slot;
  installedIssuedAt = load<u32>(h, 12);
  walletCount = load<u32>(h, 16);
  keyCount = load<u32>(h, 20);
  // The format was checked when the list was committed (commitSlot).
  const v2 = load<u16>(h, 4) == 2;
  certCount = v2 ? load<u32>(h, 24) : 0;
  headerBytes = v2 ? LIST_HEADER_V2_BYTES : LIST_HEADER_BYTES;
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
  if (len < LIST_HEADER_BYTES + SIG_BYTES || len > slotBytes() - TAIL_BYTES) {
    return ERR_BAD_ARGUMENT;
  }
  let slot = installedSlot == 0 ? 1 : 0;
  // No usable list, its version kept by a floor (§7, "Never backwards"): erase the slot
  // that does not hold that floor, or the update would erase the version's only record.
  if (installedSlot < 0 && installedVersion > 0 && floorOf(0) >= installedVersion) slot = 1;
  const r = eraseOther(installedSlot, slot);
  if (r < 0) return r;
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

/** CRC-32 of the image the last signatureOk read (valid when it answered 1). */
let signedCrc: u32 = 0;

/** Signature over the image (all but its last 64 bytes), streamed from flash; the CRC of
 *  the whole image is taken from the same reads (signedCrc), so the trailer commits
 *  exactly the bytes whose signature verified. */
function signatureOk(base: i32, signedLen: i32): i32 {
  let r = flashRead(PARTITION_DENY, base + signedLen, sig, SIG_BYTES);
  if (r < 0) return r;
  if (ed25519VerifyBegin(operatorKeyPtr(), sig) != 0) return 0;
  let c = crc32Begin();
  for (let done = 0; done < signedLen; done += FLASH_CHUNK_BYTES) {
    const n = min(signedLen - done, FLASH_CHUNK_BYTES);
    r = flashRead(PARTITION_DENY, base + done, chunk, n);
    if (r < 0) return r;
    ed25519VerifyUpdate(chunk, n);
    c = crc32Update(c, chunk, n);
  }
  signedCrc = crc32End(crc32Update(c, sig, SIG_BYTES));
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

@inline function isRefusal(r: i32): bool {
  return r == ERR_BAD_FORMAT || r == ERR_BAD_SIGNATURE || r == ERR_STALE_VERSION;
}

/** What a refusing pass saw: its status, the CRC of the header it read and, when the
 *  signature pass ran, the CRC of the image it streamed. A bad image gives the same print
 *  on every pass; reads that differ from pass to pass do not. */
function refusalPrint(r: i32, slot: i32): u32 {
  return crc32(headerOf(slot), LIST_HEADER_V2_BYTES) ^ signedCrc ^ <u32>r;
}

/** Checks the image written into slot (len bytes) and commits it. A refusal may come from
 *  a transient read error (a flipped bit in a read, not in the cells): the checks are run
 *  again, up to FLASH_READ_RETRIES more times, before it stands. A bad image is refused on
 *  every pass, alike; a good one read wrong once passes on the next. Refusals that saw
 *  different bytes on every pass are the flash's, not the list's: ERR_VERIFY. */
function commitSlot(slot: i32, pendingLen: i32): i32 {
  let r = OK;
  let firstPrint: u32 = 0;
  let alike = true;
  for (let attempt = 0; attempt <= FLASH_READ_RETRIES; attempt++) {
    r = checkImage(slot, pendingLen);
    if (!isRefusal(r)) break;
    const print = refusalPrint(r, slot);
    if (attempt == 0) firstPrint = print;
    else if (print != firstPrint) alike = false;
  }
  if (isRefusal(r) && !alike) return ERR_VERIFY;
  if (r != OK) return r;
  validLen = pendingLen;
  validCrc = signedCrc;
  r = writeTrailer(slot, 0); // its marker commits the list; copy 1 is its redundancy
  if (r < 0) return r;
  writeTrailer(slot, 1);
  const version = load<u32>(headerOf(slot), 8);
  denyLoad();
  return installedVersion == version ? OK : ERR_VERIFY;
}

/** One pass of the commit checks over the image in slot: layout, counts, version above
 *  the installed one, signature (which also takes the CRC), sort order. OK leaves the
 *  header in headerOf(slot) and the CRC in signedCrc. */
function checkImage(slot: i32, pendingLen: i32): i32 {
  const base = slotBase(slot);
  const h = headerOf(slot);
  signedCrc = 0;
  let r = flashRead(PARTITION_DENY, base, h, LIST_HEADER_V2_BYTES);
  if (r < 0) return r;
  const version = load<u32>(h, 8);
  const w = load<u32>(h, 16);
  const k = load<u32>(h, 20);
  const format = load<u16>(h, 4);
  if (load<u32>(h) != LIST_MAGIC || format < 1 || format > 2) return ERR_BAD_FORMAT;
  const header = format == 2 ? LIST_HEADER_V2_BYTES : LIST_HEADER_BYTES;
  const n = format == 2 ? load<u32>(h, 24) : 0;
  // Each section is at most a slot long, and each offset is checked against the image
  // (itself shorter than a slot) before the next is added: no sum below can overflow.
  const wide = <u32>(slotBytes() / ID_BYTES);
  if (w > wide || n > wide || k > <u32>(slotBytes() / KEY_ID_BYTES)) return ERR_BAD_FORMAT;
  const keysAt = header + <i32>w * ID_BYTES;
  if (keysAt > pendingLen) return ERR_BAD_FORMAT;
  const certsAt = keysAt + <i32>k * KEY_ID_BYTES;
  if (certsAt > pendingLen) return ERR_BAD_FORMAT;
  const signedLen = certsAt + <i32>n * CERT_HASH_BYTES;
  if (signedLen + SIG_BYTES != pendingLen) return ERR_BAD_FORMAT;
  if (version <= installedVersion) return ERR_STALE_VERSION;
  r = signatureOk(base, signedLen);
  if (r < 0) return r;
  if (r == 0) return ERR_BAD_SIGNATURE;
  r = ascending(base + header, w, ID_BYTES);
  if (r <= 0) return r < 0 ? r : ERR_BAD_FORMAT;
  r = ascending(base + keysAt, k, KEY_ID_BYTES);
  if (r <= 0) return r < 0 ? r : ERR_BAD_FORMAT;
  r = ascending(base + certsAt, n, CERT_HASH_BYTES);
  return r <= 0 ? (r < 0 ? r : ERR_BAD_FORMAT) : OK;
}

/** Where the last searchOnce that did not find its key ended: the key's place in order. */
let searchAt: u32 = 0;

/** One binary search of `count` sorted ids of `size` bytes on flash: 1 found, 0 not (its
 *  place left in searchAt), < 0 a board status. */
function searchOnce(offset: i32, count: u32, size: i32, key: usize): i32 {
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
  searchAt = lo;
  return 0;
}

/** Reads the id at `at` into small twice: 1 when both reads agree (a transient read error
 *  flips a bit in one read, not the same bit in two), 0 when they differ, < 0 a status. */
function readTwice(at: i32, size: i32): i32 {
  let r = flashRead(PARTITION_DENY, at, small, size);
  if (r < 0) return r;
  r = flashRead(PARTITION_DENY, at, small + 32, size);
  if (r < 0) return r;
  return compareBytes(small, small + 32, size) == 0 ? 1 : 0;
}

/** 1 when the ids either side of place `at` read (twice, again) below and above key. */
function brackets(offset: i32, count: u32, size: i32, key: usize, at: u32): i32 {
  if (at > 0) {
    const r = readTwice(offset + <i32>(at - 1) * size, size);
    if (r <= 0) return r;
    if (compareBytes(small, key, size) >= 0) return 0;
  }
  if (at < count) {
    const r = readTwice(offset + <i32>at * size, size);
    if (r <= 0) return r;
    if (compareBytes(small, key, size) <= 0) return 0;
  }
  return 1;
}

/** Binary search of `count` sorted ids of `size` bytes on flash: 1 found, 0 not, < 0 a
 *  status. "Not found" is a safety answer (a wallet let through), so it stands only when
 *  two searches end at the same place and, each time, the two ids at that place, each
 *  read twice alike, bracket the key: a transient read error that sent a search the
 *  wrong way cannot leave such a bracket (the ids are sorted) unless the same bit flips
 *  in both reads of the key's own id, and then the other search does not agree. Searches
 *  run again up to FLASH_READ_RETRIES more times; no confirmed answer is ERR_VERIFY. */
function search(offset: i32, count: u32, size: i32, key: usize): i32 {
  let bracketed: i64 = -1; // the place of the one search so far that ended bracketed
  for (let attempt = 0; attempt <= FLASH_READ_RETRIES + 1; attempt++) {
    const r = searchOnce(offset, count, size, key);
    if (r != 0) return r;
    const b = brackets(offset, count, size, key, searchAt);
    if (b < 0) return b;
    if (b == 0) continue;
    if (bracketed == <i64>searchAt) return 0;
    bracketed = <i64>searchAt;
  }
  return ERR_VERIFY;
}

/** No usable copy of a list whose version is known (§7): everyone is denied. */
@inline function lost(): bool { return installedSlot < 0 && installedVersion > 0; }

export function denyContains(walletId: usize): i32 {
  if (lost()) return 1;
  if (installedSlot < 0) return 0;
  return search(slotBase(installedSlot) + headerBytes, walletCount, ID_BYTES, walletId);
}

export function denyKeyRevoked(keyId: usize): i32 {
  if (lost()) return 1;
  if (installedSlot < 0) return 0;
  const at = slotBase(installedSlot) + headerBytes + <i32>walletCount * ID_BYTES;
  return search(at, keyCount, KEY_ID_BYTES, keyId);
}

/** 1 when the installed list vouches for this 16-byte certHash, else 0: no usable list,
 *  or a flash error, is 0 too (the caller then checks the certificate's signature). */
export function denyCertVouched(certHash: usize): i32 {
  if (installedSlot < 0 || certCount == 0) return 0;
  const at = slotBase(installedSlot) + headerBytes + <i32>walletCount * ID_BYTES
    + <i32>keyCount * KEY_ID_BYTES;
  return search(at, certCount, CERT_HASH_BYTES, certHash) == 1 ? 1 : 0;
}

/** 1 when no list is installed or it is older than the configured maximum age at now. */
export function denyIsStale(now: u32): i32 {
  if (installedSlot < 0) return 1;
  if (now > installedIssuedAt && now - installedIssuedAt > denyMaxAgeSeconds) return 1;
  return 0;
}

export function denyVersion(): u32 { return installedVersion; }
export function denyIssuedAt(): u32 { return installedIssuedAt; }
