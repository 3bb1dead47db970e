// The ledger's RAM state, rebuilt by recovery (docs/LEDGER.md §3) and advanced by
// appends and acknowledgements. Static memory only.
import { LEDGER_SECTORS_MAX, LEDGER_SLOT_BYTES } from "../limits";
import { LINK_BYTES } from "./format";

/** Per sector: the format version of its valid header (1 or 2), 0 = free (blank, torn,
 *  void or unknown). */
export const secState: usize = memory.data(LEDGER_SECTORS_MAX, 4);
/** Per sector: 1 = bad (could not be erased or its header programmed, §4), this boot. */
export const secBad: usize = memory.data(LEDGER_SECTORS_MAX, 4);
/** Per sector u32: first sequence, last committed sequence (first − 1 if none), erase count. */
export const secFirst: usize = memory.data(LEDGER_SECTORS_MAX * 4, 4);
export const secLast: usize = memory.data(LEDGER_SECTORS_MAX * 4, 4);
export const secErase: usize = memory.data(LEDGER_SECTORS_MAX * 4, 4);
/** Per sector u32: the highest acknowledged sequence its valid header or marks hold (0 for
 *  a free sector). A sector holding more than the newest one is an acknowledgement's only
 *  durable place and is never erased (docs/LEDGER.md §2.2, "Marks in an older sector"). */
export const secHeld: usize = memory.data(LEDGER_SECTORS_MAX * 4, 4);

/** Slot image being read or built (one slot). */
export const slotBuf: usize = memory.data(LEDGER_SLOT_BYTES, 16);
/** Sector header image being read or built: both copies (v2), 128 bytes. */
export const headerBuf: usize = memory.data(128, 16);
/** Chain head: link of the last committed record. */
export const head: usize = memory.data(LINK_BYTES, 16);

export let recovered = false;
export let nextSeq: u32 = 1;
export let ackedSeq: u32 = 0;
/** Sector holding the newest header (-1 before the first sector is opened). */
export let newest: i32 = -1;
/** Next slot to try in the newest sector. */
export let writeSlot: i32 = 0;
/** writeSlot came from recovery, not from an erase by this boot: it may hold weak
 *  cells of a cut program, so the next append voids it (docs/LEDGER.md §3). */
export let writeUnproven = false;
/** Recovery found the last record unreadable, so the chain head is zeros (§2.4): the next
 *  append reads that record again before it chains from zeros (§3). */
export let headLost = false;
/** Next acknowledgement mark to try in the newest sector. */
export let marksUsed: i32 = 0;
export let maxErase: u32 = 0;
export let maxGeneration: u32 = 0;
/** Recovery findings: slots with no valid commit, and sequence numbers lost to rot. */
export let tornSlots: i32 = 0;
export let corruptRecords: i32 = 0;
export let anomalies: i32 = 0;

@inline export function getU32(table: usize, i: i32): u32 {
  return load<u32>(table + (<usize>i << 2));
}
@inline export function setU32(table: usize, i: i32, v: u32): void {
  store<u32>(table + (<usize>i << 2), v);
}
@inline export function isValid(s: i32): bool { return load<u8>(secState + <usize>s) != 0; }
/** Format version of sector s's header, 0 when free. */
@inline export function version(s: i32): i32 { return <i32>load<u8>(secState + <usize>s); }
@inline export function setVersion(s: i32, v: i32): void { store<u8>(secState + <usize>s, <u8>v); }
@inline export function isBad(s: i32): bool { return load<u8>(secBad + <usize>s) != 0; }
export function setBad(s: i32): void { store<u8>(secBad + <usize>s, 1); }
/** Sector s holds an acknowledgement as a mark copy or header field (a = that value). */
export function noteHeld(s: i32, a: u32): void {
  if (a > getU32(secHeld, s)) setU32(secHeld, s, a);
}
/** Sector s (not the newest) holds an acknowledgement the newest sector does not. */
export function carriesAck(s: i32): bool {
  return newest >= 0 && s != newest && getU32(secHeld, s) > getU32(secHeld, newest);
}
export function clearBad(): void {
  for (let s = 0; s < LEDGER_SECTORS_MAX; s++) store<u8>(secBad + <usize>s, 0);
}

export function setRecovered(v: bool): void { recovered = v; }
export function setNextSeq(v: u32): void { nextSeq = v; }
export function setAckedSeq(v: u32): void { ackedSeq = v; }
export function setNewest(v: i32): void { newest = v; }
export function setWriteSlot(v: i32): void { writeSlot = v; }
export function setWriteUnproven(v: bool): void { writeUnproven = v; }
export function setHeadLost(v: bool): void { headLost = v; }
export function setMarksUsed(v: i32): void { marksUsed = v; }
export function setMaxErase(v: u32): void { maxErase = v; }
export function setMaxGeneration(v: u32): void { maxGeneration = v; }
export function resetFindings(): void { tornSlots = 0; corruptRecords = 0; anomalies = 0; }
export function addTorn(): void { tornSlots++; }
export function addCorrupt(n: i32): void { corruptRecords += n; }
export function addAnomaly(): void { anomalies++; }
