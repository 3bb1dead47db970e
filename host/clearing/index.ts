// The clearing service (docs/CLEARING.md): readers' batches in, settled payments into
// double-entry accounts, double spends caught, acknowledgements and deny lists out.
// Cash-out and the HTTP API are built on this class; everything they need is here.
import { Ed25519Key } from "../issuer/ed25519.ts";
import type { FirmwareCrypto } from "../firmware/crypto.ts";
import { openDb, type Db, type OpenDbOptions } from "./db.ts";
import { migrate } from "./migrate.ts";
import { makePrivate, privateUmask } from "./private-dir.ts";
import { checkDataDir } from "./db-path.ts";
import { VerifyPool, verifyWorkersDefault } from "./verify-pool.ts";
import * as ledger from "./accounts.ts";
import * as registry from "./registry.ts";
import * as queries from "./queries.ts";
import {
  decideReader,
  ingest,
  POOL_RECORDS_MIN,
  type DecisionResult,
  type ReaderDecision,
} from "./ingest.ts";
import {
  releaseRiskHolds,
  riskHolds,
  setRiskLimit,
  RISK_HOLD_S_DEFAULT,
  type RiskHold,
  type RiskPolicy,
  type RiskRelease,
} from "./risk-holds.ts";
import type { SuspectReader } from "./queries.ts";
import { acknowledgement, denyList } from "./outputs.ts";
import {
  DENY_SLOT_BYTES_DEFAULT,
  VOUCH_REFRESH_S_DEFAULT,
  denySlotBytesProblem,
} from "./vouch.ts";
import { RecordVerifier } from "./verify.ts";
import { historyCsv, type HistoryOptions } from "./history.ts";
import { serviceKeys } from "./keys.ts";
import { bindSealer, holdsSealed, loadSealer, resealAll, sealerOf, type Sealer } from "./sealed.ts";
import type {
  Account,
  AccountSpec,
  Conflict,
  DenyListImage,
  HeldBatch,
  IngestOptions,
  IngestReport,
  InvariantReport,
  Payment,
  Reader,
  ReaderSpec,
  Transfer,
  TransferResult,
  TransferSpec,
} from "./types.ts";

export * from "./types.ts";
export { openDb, type Db, type Tx, type OpenDbOptions } from "./db.ts";
export { DbPathError, checkDataDir, isDataDir } from "./db-path.ts";
export { accountIds } from "./accounts.ts";
export {
  DENY_SLOT_BYTES_DEFAULT,
  DENY_SLOT_BYTES_MAX,
  DENY_SLOT_BYTES_MIN,
  VOUCH_REFRESH_S_DEFAULT,
  denySlotBytesProblem,
} from "./vouch.ts";
export { riskHoldAccount, RISK_HOLD_S_DEFAULT, RISK_LIMIT_DEFAULT } from "./risk-holds.ts";
export type { RiskHold, RiskRelease } from "./risk-holds.ts";
export type { DecisionResult, ReaderDecision } from "./ingest.ts";
export type { SuspectReader } from "./queries.ts";
export { DataKeyError, Sealer, loadSealer, resealAll, sealerOf } from "./sealed.ts";

export interface ClearingOptions extends OpenDbOptions {
  /** An open database (wins over the OpenDbOptions). */
  db?: Db;
  /** Signs acknowledgements; the readers' configured clearing public key. Default: stored in
   *  the database (created once). */
  clearingKey?: Ed25519Key;
  /** Signs deny lists; the readers' configured operator public key. Default: stored in the
   *  database (created once). */
  operatorKey?: Ed25519Key;
  /** Seals secrets at rest. Default: loadSealer (OFFTAP_DATA_KEY_FILE, OFFTAP_DATA_KEY, or
   *  the embedded database's key file beside its directory). */
  sealer?: Sealer;
  /** The strict verifier (the firmware's). Default: loads build/offtap.wasm. */
  crypto?: FirmwareCrypto;
  /** Unix seconds; the deny list's issuedAt and issuer revocation checks. */
  now?: () => number;
  /** Seconds issuer-risk money waits before it can reach an operator (docs/CLEARING.md §7a). */
  riskHoldS?: number;
  /** Signature-checking worker threads for big uploads (§9); 0: this thread only.
   *  Default: one per core. */
  verifyWorkers?: number;
  /** Uploads of fewer records verify on this thread (default POOL_RECORDS_MIN). */
  verifyPoolRecordsMin?: number;
  /** The readers' deny-list slot in bytes (half their deny partition; the smallest in the
   *  fleet): bounds how many certificates the list vouches for (docs/CLEARING.md §8).
   *  Default DENY_SLOT_BYTES_DEFAULT (16,384); a multiple of 1,024. */
  denySlotBytes?: number;
  /** A change of the vouched certificates alone issues a new deny-list version at most
   *  once per this many seconds (default VOUCH_REFRESH_S_DEFAULT, 3,600). */
  vouchRefreshS?: number;
}

/** The deny-list options, checked before anything is opened (a bug in the caller). */
function vouchingOf(o: ClearingOptions): { denySlotBytes: number; vouchRefreshS: number } {
  const denySlotBytes = o.denySlotBytes ?? DENY_SLOT_BYTES_DEFAULT;
  const problem = denySlotBytesProblem(denySlotBytes);
  if (problem !== undefined) throw new RangeError(`denySlotBytes ${denySlotBytes} ${problem}`);
  const vouchRefreshS = o.vouchRefreshS ?? VOUCH_REFRESH_S_DEFAULT;
  if (!Number.isInteger(vouchRefreshS) || vouchRefreshS < 0)
    throw new RangeError(`vouchRefreshS must be a whole number of seconds ≥ 0`);
  return { denySlotBytes, vouchRefreshS };
}

/** How often ingest re-applies private modes to new database files (a sweep is ~1,100 lstat). */
export const PRIVATE_SWEEP_MS = 10_000;

export class Clearing {
  private constructor(
    readonly db: Db,
    readonly clearingKey: Ed25519Key,
    readonly operatorKey: Ed25519Key,
    readonly sealer: Sealer,
    private readonly verifier: RecordVerifier,
    private readonly now: () => number,
    private readonly risk: RiskPolicy,
    private readonly vouching: { denySlotBytes: number; vouchRefreshS: number },
  ) {}

  /** Opens (and migrates) the database: DATABASE_URL → server; `dataDir` → PGlite on disk;
   *  else PGlite in memory. */
  static async open(o: ClearingOptions = {}): Promise<Clearing> {
    const vouching = vouchingOf(o);
    // The data directory and every file the database writes in it are private (§1).
    const url = o.databaseUrl === null ? undefined : (o.databaseUrl ?? process.env["DATABASE_URL"]);
    const privateDir =
      o.db === undefined && o.dataDir !== undefined && (url === undefined || url === "")
        ? o.dataDir
        : undefined;
    if (privateDir !== undefined) {
      // Before anything creates the directory: a mistyped --db is an error (./db-path.ts).
      if (o.create !== undefined) checkDataDir(privateDir, o.create);
      privateUmask();
      makePrivate(privateDir);
    }
    const embedded = url === undefined || url === "";
    const db = o.db ?? (await openDb(o));
    let keys;
    let sealer: Sealer;
    try {
      // After opening, so a server that is not durable is refused for that first.
      sealer =
        o.sealer ??
        sealerOf(db) ??
        loadSealer(
          o.db !== undefined
            ? o.db.label === "PGlite (memory)"
              ? { memory: true }
              : {}
            : !embedded
              ? {}
              : o.dataDir === undefined
                ? { memory: true }
                : { dataDir: o.dataDir, sealedData: await holdsSealed(db) },
        );
      bindSealer(db, sealer);
      await migrate(db);
      await resealAll(db, sealer, false); // clear-text seeds from before sealing
      keys = await serviceKeys(db, sealer, o.clearingKey, o.operatorKey);
    } catch (err) {
      // A wrong data key (or a failed migration) leaves no open database or lock behind.
      if (o.db === undefined) await db.close().catch(() => undefined);
      throw err;
    }
    const now = o.now ?? ((): number => Math.floor(Date.now() / 1000));
    const risk = { holdS: o.riskHoldS ?? RISK_HOLD_S_DEFAULT };
    // PGlite creates its files 0666 whatever the umask; the directory is 0700 from the
    // start, so nobody else can reach them, and sweeps bring them to 0600 (§1).
    if (privateDir !== undefined) makePrivate(privateDir);
    const c = new Clearing(
      db,
      keys.clearing,
      keys.operator,
      sealer,
      new RecordVerifier(o.crypto),
      now,
      risk,
      vouching,
    );
    c.privateDir = privateDir;
    c.verifyWorkers = o.verifyWorkers ?? verifyWorkersDefault();
    c.poolRecordsMin = o.verifyPoolRecordsMin ?? POOL_RECORDS_MIN;
    return c;
  }

  private privateDir: string | undefined;
  private verifyWorkers = 0;
  private poolRecordsMin = POOL_RECORDS_MIN;
  private verifyPool: VerifyPool | undefined;

  /** Started on the first big upload, so opening clearing starts no thread. */
  private pool = (): VerifyPool => {
    this.verifyPool ??= new VerifyPool(this.verifyWorkers);
    return this.verifyPool;
  };
  private privateSweptMs = Date.now();

  /** Signatures checked in worker threads since open (§9). */
  get signaturesCheckedInWorkers(): number {
    return this.verifyPool?.checked ?? 0;
  }

  async close(): Promise<void> {
    await this.verifyPool?.close();
    await this.db.close();
    if (this.privateDir !== undefined) makePrivate(this.privateDir);
  }

  /** Re-applies 0700/0600 to the embedded database's files, at most every PRIVATE_SWEEP_MS. */
  private sweepPrivate(): void {
    if (this.privateDir === undefined || Date.now() - this.privateSweptMs < PRIVATE_SWEEP_MS)
      return;
    this.privateSweptMs = Date.now();
    makePrivate(this.privateDir);
  }

  // ---- registry -------------------------------------------------------------------
  registerIssuerKey(keyId: number, publicKey: Uint8Array | string): Promise<void> {
    return registry.registerIssuerKey(this.db, keyId, publicKey);
  }
  /** From `atUnix` on (reader time), payments under this key are refused; it goes on the
   *  deny list. */
  revokeIssuerKey(keyId: number, atUnix: number): Promise<void> {
    return registry.revokeIssuerKey(this.db, keyId, atUnix);
  }
  registerReader(spec: ReaderSpec): Promise<Reader> {
    return registry.registerReader(this.db, spec);
  }
  reader(readerId: Uint8Array | string): Promise<Reader | undefined> {
    return registry.getReader(this.db, readerId);
  }
  readers(): Promise<Reader[]> {
    return registry.listReaders(this.db);
  }

  // ---- ingest and outputs -----------------------------------------------------------
  /** One or more batches back to back (a batch file). Idempotent. Throws only on
   *  undecodable bytes. */
  async ingest(bytes: Uint8Array, o: IngestOptions = {}): Promise<IngestReport> {
    const report = await ingest(
      this.db,
      this.verifier,
      bytes,
      o,
      this.now,
      this.risk,
      this.verifyWorkers > 0 ? this.pool : undefined,
      this.poolRecordsMin,
    );
    this.sweepPrivate();
    return report;
  }

  // ---- risk model (docs/CLEARING.md §7a) -----------------------------------------------
  /** Readers that are suspect or rejected, with the evidence against each. */
  suspectReaders(): Promise<SuspectReader[]> {
    return queries.suspectReaders(this.db);
  }
  /** The operator's decision on a suspect reader: release (process its held batches) or reject. */
  decideReader(
    readerId: Uint8Array | string,
    decision: ReaderDecision,
    note = "",
  ): Promise<DecisionResult> {
    return decideReader(
      this.db,
      this.verifier,
      registry.readerIdHex(readerId),
      decision,
      note,
      this.now(),
    );
  }
  /** Moves due issuer-risk holds to their operators, within each operator's limit. */
  releaseRiskHolds(): Promise<RiskRelease> {
    return releaseRiskHolds(this.db, this.now(), this.risk);
  }
  riskHolds(): Promise<RiskHold[]> {
    return riskHolds(this.db);
  }
  /** The most issuer-risk money an operator may ever receive (minor units); false if unknown. */
  setRiskLimit(operatorId: string, limitMinor: number): Promise<boolean> {
    return setRiskLimit(this.db, operatorId, limitMinor);
  }
  /** The signed 124-byte OTK1 acknowledgement of everything processed; undefined when
   *  nothing is. */
  acknowledgement(readerId: Uint8Array | string): Promise<Uint8Array | undefined> {
    return acknowledgement(this.db, this.clearingKey, readerId);
  }
  /** The current signed deny list; a new version when denied wallets or revoked keys
   *  changed (or the last is below minVersion), or when only the vouched certificates did
   *  and the last is vouchRefreshS old (docs/CLEARING.md §8). */
  denyList(o: { minVersion?: number } = {}): Promise<DenyListImage> {
    return denyList(this.db, this.operatorKey, this.now, {
      minVersion: o.minVersion ?? 1,
      ...this.vouching,
    });
  }
  /** Puts a wallet on the deny list by hand (lost phone, fraud report). */
  denyWallet(walletId: Uint8Array | string, reason: string): Promise<void> {
    return registry.denyWallet(this.db, walletId, reason);
  }

  // ---- accounts (docs/CLEARING.md §3) ---------------------------------------------
  /** Creates the account, or checks an existing one has the same code, currency and flags. */
  createAccount(spec: AccountSpec): Promise<Account> {
    return ledger.createAccount(this.db, spec);
  }
  account(id: string): Promise<Account | undefined> {
    return ledger.getAccount(this.db, id);
  }
  accounts(filter: { code?: string; currency?: number } = {}): Promise<Account[]> {
    return ledger.listAccounts(this.db, filter);
  }
  createTransfer(t: TransferSpec): Promise<TransferResult> {
    return ledger.createTransfer(this.db, t);
  }
  /** Each in its own transaction, in order (a failed one does not stop the others). */
  createTransfers(ts: TransferSpec[]): Promise<TransferResult[]> {
    return ledger.createTransfers(this.db, ts);
  }
  postPending(id: string, pendingId: string, amount?: number): Promise<TransferResult> {
    return ledger.createTransfer(this.db, {
      id,
      pendingId,
      kind: "post_pending",
      debitAccount: "",
      creditAccount: "",
      code: "",
      ...(amount === undefined ? {} : { amount }),
    });
  }
  voidPending(id: string, pendingId: string): Promise<TransferResult> {
    return ledger.createTransfer(this.db, {
      id,
      pendingId,
      kind: "void_pending",
      debitAccount: "",
      creditAccount: "",
      code: "",
    });
  }
  transfer(id: string): Promise<Transfer | undefined> {
    return ledger.getTransfer(this.db, id);
  }
  transfers(filter: { account?: string; code?: string; limit?: number } = {}): Promise<Transfer[]> {
    return ledger.listTransfers(this.db, filter);
  }
  /** The issuer deposits float at clearing: bank → issuer float. */
  fundIssuer(
    transferId: string,
    issuerKeyId: number,
    currency: number,
    amount: number,
  ): Promise<TransferResult> {
    return ledger.fundIssuer(this.db, transferId, issuerKeyId, currency, amount);
  }
  /** Recomputes every balance from the transfers; sums must be zero. */
  checkInvariants(): Promise<InvariantReport> {
    return ledger.checkInvariants(this.db);
  }

  // ---- views ------------------------------------------------------------------------
  payments(o: queries.PaymentFilter = {}): Promise<Payment[]> {
    return queries.payments(this.db, o);
  }
  paymentCount(o: queries.PaymentFilter = {}): Promise<number> {
    return queries.paymentCount(this.db, o);
  }
  heldBatches(): Promise<HeldBatch[]> {
    return queries.heldBatches(this.db);
  }
  conflicts(): Promise<Conflict[]> {
    return queries.conflicts(this.db);
  }
  rejectedRecords(): Promise<
    { readerId: string; seq: number; reason: number; reasonName: string }[]
  > {
    return queries.rejectedRecords(this.db);
  }
  deniedWallets(): Promise<{ walletId: string; reason: string; since: string }[]> {
    return queries.deniedWallets(this.db);
  }
  /** RFC 4180 CSV of settled payments and every transfer. */
  historyCsv(o: HistoryOptions = {}): Promise<string> {
    return historyCsv(this.db, o);
  }
}
