// The ledger's board-facing exports (boards/ABI.md, docs/LEDGER.md): the functions of
// exports.ts with every pointer and length checked against the I/O buffer first (a
// pointer outside it is ERR_BOUNDS and nothing is read, written or programmed). The
// reader calls exports.ts directly with its own static buffers; boards call these.
import { inIo } from "../guard";
import { ERR_BOUNDS, ERR_BAD_FORMAT } from "./status";
import { CONFIG_BYTES } from "./config";
import { ACK_BYTES } from "./batch";
import * as x from "./exports";

export {
  ledgerRecover, ledgerBodyBytesMax, ledgerNextSeq, ledgerAckedSeq, ledgerReadRecord,
  ledgerIndexedWallets, ledgerReusableSectors, ledgerBadSectors, ledgerTornSlots,
  ledgerCorruptRecords, ledgerSignalMark, ledgerSignalState, ledgerExport, ledgerDenyBegin,
  ledgerDenyCommit, ledgerDenyIsStale, ledgerDenyVersion,
} from "./exports";

const WALLET_ID_BYTES: i32 = 16;
const KEY_ID_BYTES: i32 = 8;
const CERT_HASH_BYTES: i32 = 16;

/** Like every configure call, a refused one leaves the ledger unconfigured (§1). */
export function ledgerConfigure(ptr: usize, len: i32): i32 {
  if (len != CONFIG_BYTES) return x.ledgerConfigure(ptr, len); // refused on its length
  if (inIo(ptr, len)) return x.ledgerConfigure(ptr, len);
  x.ledgerConfigure(ptr, 0); // resets the state, reads nothing (length refused first)
  return ERR_BOUNDS;
}

export function ledgerAppend(walletId: usize, counter: u32, amount: u64, time: u32,
  body: usize, bodyLen: i32): i32 {
  if (!inIo(walletId, WALLET_ID_BYTES) || !inIo(body, bodyLen)) return ERR_BOUNDS;
  return x.ledgerAppend(walletId, counter, amount, time, body, bodyLen);
}

/** Writes the 32-byte chain head at out; does nothing when out is outside the I/O buffer. */
export function ledgerChainHead(out: usize): void {
  if (inIo(out, 32)) x.ledgerChainHead(out);
}

export function ledgerFindWallet(walletId: usize, out: usize): i32 {
  if (!inIo(walletId, WALLET_ID_BYTES) || !inIo(out, 8)) return ERR_BOUNDS;
  return x.ledgerFindWallet(walletId, out);
}

export function ledgerAcknowledge(ptr: usize, len: i32): i32 {
  if (len != ACK_BYTES) return ERR_BAD_FORMAT;
  if (!inIo(ptr, len)) return ERR_BOUNDS;
  return x.ledgerAcknowledge(ptr, len);
}

/** A write whose source is outside the I/O buffer is refused and ends the session. */
export function ledgerDenyWrite(offset: i32, ptr: usize, len: i32): i32 {
  if (!inIo(ptr, len)) {
    x.ledgerDenyEndSession();
    return ERR_BOUNDS;
  }
  return x.ledgerDenyWrite(offset, ptr, len);
}

export function ledgerDenyContains(walletId: usize): i32 {
  if (!inIo(walletId, WALLET_ID_BYTES)) return ERR_BOUNDS;
  return x.ledgerDenyContains(walletId);
}

export function ledgerDenyKeyRevoked(keyId: usize): i32 {
  if (!inIo(keyId, KEY_ID_BYTES)) return ERR_BOUNDS;
  return x.ledgerDenyKeyRevoked(keyId);
}

export function ledgerDenyCertVouched(certHash: usize): i32 {
  if (!inIo(certHash, CERT_HASH_BYTES)) return ERR_BOUNDS;
  return x.ledgerDenyCertVouched(certHash);
}
