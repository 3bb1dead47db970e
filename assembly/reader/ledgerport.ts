// The reader's view of the ledger (docs/LEDGER.md): the few calls a tap needs, through
// the ledger's own exports, in one place.
import { ioBuffer } from "../io";
import { CONFIG_BYTES, denyBytes } from "../ledger/config";
import { ERR_LEDGER_FULL } from "../ledger/status";
import {
  ledgerConfigure as configure, ledgerRecover as recover, ledgerAppend,
  ledgerFindWallet as findWallet,
  ledgerReadRecord as readRecord, ledgerChainHead, ledgerDenyContains, ledgerDenyKeyRevoked,
  ledgerDenyIsStale, ledgerDenyCertVouched, ledgerSignalMark, ledgerSignalState,
} from "../ledger/exports";
import { LEDGER_FULL, LEDGER_ERROR } from "./codes";

/** Size of the ledger configuration block this build's ledger expects. */
export function ledgerConfigBytes(): i32 { return CONFIG_BYTES; }

export function ledgerConfigure(p: usize, len: i32): i32 { return configure(p, len); }
/** Rebuilds the ledger and deny-list state from flash. */
export function ledgerRecover(): i32 { return recover(); }

/** Appends a payment record; returns its sequence (> 0) or a ledger status (< 0). */
export function ledgerAppendPayment(
  walletId: usize, counter: u32, amount: u32, timeS: u32, body: usize, bodyLen: i32,
): i32 {
  return ledgerAppend(walletId, counter, <u64>amount, timeS, body, bodyLen);
}

/** A failed append as a decline: full is its own reason, everything else is a fault. */
export function appendDecision(status: i32): i32 {
  return status == ERR_LEDGER_FULL ? LEDGER_FULL : LEDGER_ERROR;
}

const found: usize = memory.data(8, 8);
const link: usize = memory.data(32, 16);

/** Looks the wallet up in the ledger's index; true when it has a record here. */
export function ledgerFindWallet(walletId: usize): bool {
  return findWallet(walletId, found) == 1;
}
@inline export function lastFoundCounter(): u32 { return load<u32>(found); }
@inline export function lastFoundSequence(): u32 { return load<u32>(found, 4); }

/** Reads record seq; returns its content length (> 0) with the content at
 *  ledgerRecordPtr() (the I/O buffer, which a tap does not otherwise use), or a ledger
 *  status (< 0). */
export function ledgerReadRecord(seq: u32): i32 { return readRecord(seq); }
@inline export function ledgerRecordPtr(): usize { return ioBuffer; }

/** The chain head: after a successful append, the new record's hash link (32 bytes). */
export function ledgerChainHeadPtr(): usize {
  ledgerChainHead(link);
  return link;
}

// Deny list (docs/LEDGER.md §7). Each lookup answers 1 (yes), 0 (no) or a negative
// flash status. A reader provisioned without a deny-list partition (size 0) has no
// list to be stale and no one to deny: checks 2 and 5 pass.
export function ledgerIssuerRevoked(keyId8: usize): i32 {
  return denyBytes == 0 ? 0 : ledgerDenyKeyRevoked(keyId8);
}
export function ledgerDenyStale(nowS: u32): i32 {
  return denyBytes == 0 ? 0 : ledgerDenyIsStale(nowS);
}
export function ledgerWalletDenied(walletId: usize): i32 {
  return denyBytes == 0 ? 0 : ledgerDenyContains(walletId);
}
/** 1 when clearing vouches for this certHash in the installed list (§7, format 2): its
 *  issuer signature was verified there. 0 otherwise, never an error. */
export function ledgerCertVouched(certHash: usize): i32 {
  return denyBytes == 0 ? 0 : ledgerDenyCertVouched(certHash);
}

// Signal marks (docs/PROTOCOL.md, "Gate openings"): the gate opens at most once per
// record, and the mark that says so is durable before the gate is told anything.
/** Marks record seq signalled: 0 when the mark is durable, a ledger status (< 0) else. */
export function ledgerMarkSignalled(seq: u32): i32 { return ledgerSignalMark(seq); }
/** 1 when record seq was signalled, 0 when not, a ledger status (< 0) on a fault. */
export function ledgerWasSignalled(seq: u32): i32 { return ledgerSignalState(seq); }
