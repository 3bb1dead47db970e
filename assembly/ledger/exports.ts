// The ledger's firmware exports (docs/LEDGER.md). Pointers are offsets into linear
// memory, normally into the I/O buffer; results are sequence numbers, lengths or
// status codes (status.ts).
import { ioBuffer } from "../io";
import { LEDGER_BODY_BYTES_MAX } from "../limits";
import { configure } from "./config";
import { recover } from "./recover";
import { append } from "./append";
import { exportBatch, acknowledge } from "./batch";
import { locateRecord } from "./walk";
import { copyBytes } from "./flash";
import { contentBytes, LINK_BYTES } from "./format";
import { indexFind, indexCounter, indexSeq, indexCount } from "./windex";
import * as st from "./state";
import * as deny from "./deny";
import { sectorCount } from "./config";
import { signalMark, signalState } from "./signal";

/** Installs the configuration block (docs/LEDGER.md §1); the ledger is unusable until
 *  ledgerRecover() runs again, whatever the outcome. */
export function ledgerConfigure(ptr: usize, len: i32): i32 {
  st.setRecovered(false);
  st.clearBad();
  return configure(ptr, len);
}

/** Scans flash and rebuilds the ledger and deny-list state; run once per boot after configure. */
export function ledgerRecover(): i32 {
  const r = recover();
  deny.denyLoad();
  return r;
}

export function ledgerAppend(walletId: usize, counter: u32, amount: u64, time: u32, body: usize,
  bodyLen: i32): i32 {
  return append(walletId, counter, amount, time, body, bodyLen);
}

export function ledgerBodyBytesMax(): i32 { return LEDGER_BODY_BYTES_MAX; }
export function ledgerNextSeq(): u32 { return st.nextSeq; }
export function ledgerAckedSeq(): u32 { return st.ackedSeq; }
export function ledgerChainHead(out: usize): void { copyBytes(out, st.head, LINK_BYTES); }

/** Copies record seq's content (docs/LEDGER.md §2.3, bytes 0 … 71+b) into the I/O
 *  buffer; returns its length or ERR_NOT_FOUND / ERR_CORRUPT. */
export function ledgerReadRecord(seq: u32): i32 {
  const r = locateRecord(seq);
  if (r < 0) return r;
  const n = contentBytes(st.slotBuf);
  copyBytes(ioBuffer, st.slotBuf, n);
  return n;
}

/** 1 and (u32 last counter, u32 last sequence) at out when the wallet is indexed, else 0. */
export function ledgerFindWallet(walletId: usize, out: usize): i32 {
  const i = indexFind(walletId);
  if (i < 0) return 0;
  store<u32>(out, indexCounter(i));
  store<u32>(out, indexSeq(i), 4);
  return 1;
}
export function ledgerIndexedWallets(): i32 { return indexCount(); }

/** Sectors the next appends may still use (free or fully acknowledged), newest excluded. */
export function ledgerReusableSectors(): i32 {
  let n = 0;
  for (let s = 0; s < sectorCount; s++) {
    if (s == st.newest || st.isBad(s)) continue;
    if (!st.isValid(s) || st.getU32(st.secLast, s) <= st.ackedSeq) n++;
  }
  return n;
}
/** Sectors found bad (could not be erased or headed) during this boot (§4). */
export function ledgerBadSectors(): i32 {
  let n = 0;
  for (let s = 0; s < sectorCount; s++) if (st.isBad(s)) n++;
  return n;
}
export function ledgerTornSlots(): i32 { return st.tornSlots; }
export function ledgerCorruptRecords(): i32 { return st.corruptRecords; }

/** Durably marks record seq as signalled (the reader showed accept / opened the gate for
 *  it). Idempotent: marking twice is OK. Returns OK (0) or a negative ledger status. */
export function ledgerSignalMark(seq: u32): i32 { return signalMark(seq); }
/** 1 = record seq is marked signalled, 0 = not marked, < 0 = ledger status
 *  (ERR_NOT_FOUND for no such unacknowledged record, ERR_CORRUPT, …). */
export function ledgerSignalState(seq: u32): i32 { return signalState(seq); }

export function ledgerExport(fromSeq: u32, maxRecords: i32): i32 {
  return exportBatch(fromSeq, maxRecords);
}
export function ledgerAcknowledge(ptr: usize, len: i32): i32 { return acknowledge(ptr, len); }

export function ledgerDenyBegin(len: i32): i32 { return deny.denyBegin(len); }
export function ledgerDenyWrite(offset: i32, ptr: usize, len: i32): i32 {
  return deny.denyWrite(offset, ptr, len);
}
export function ledgerDenyCommit(): i32 { return deny.denyCommit(); }
/** Ends a deny-list update session without committing (a refused write does this). */
export function ledgerDenyEndSession(): void { deny.endSession(0); }
export function ledgerDenyContains(walletId: usize): i32 { return deny.denyContains(walletId); }
export function ledgerDenyKeyRevoked(keyId: usize): i32 { return deny.denyKeyRevoked(keyId); }
export function ledgerDenyIsStale(now: u32): i32 { return deny.denyIsStale(now); }
export function ledgerDenyVersion(): u32 { return deny.denyVersion(); }
/** 1 when the installed list vouches for the 16-byte certHash (format 2), else 0. */
export function ledgerDenyCertVouched(certHash: usize): i32 {
  return deny.denyCertVouched(certHash);
}
