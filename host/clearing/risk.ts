// The reader side of the risk model (docs/CLEARING.md §7a): records that an honest reader,
// running its documented checks (docs/PROTOCOL.md "Reader checks"), could never have
// written are evidence against the reader — its device key signed them. Such records are
// not paid, and the reader turns suspect: its later batches wait for an operator.
import { Reason } from "../protocol/index.ts";
import { csvList, num, type Tx } from "./db.ts";
import type { LedgerRecord } from "../ledger/format.ts";
import type { RecordCheck } from "./verify.ts";
import type { EvidenceKind, Reader, ReaderEvidence } from "./types.ts";

/** Rejection reasons that the reader's own checks always decide the same way as clearing:
 *  a record carrying one was written by a reader that skipped a check. ISSUER_UNKNOWN and
 *  ISSUER_REVOKED are left out: they depend on what clearing's registry and the reader's
 *  deny list knew, which may differ honestly. */
const READER_CHECKED: ReadonlySet<number> = new Set([
  Reason.MALFORMED,
  Reason.UNSUPPORTED_VERSION,
  Reason.CERT_SIGNATURE_INVALID,
  Reason.CERT_NOT_YET_VALID,
  Reason.CERT_EXPIRED,
  Reason.CURRENCY_MISMATCH,
  Reason.AMOUNT_OUT_OF_LIMITS,
  Reason.READER_ID_MISMATCH,
  Reason.AMOUNT_MISMATCH,
  Reason.AUTH_SIGNATURE_INVALID,
  Reason.OVER_OFFLINE_CAP,
]);

interface WalletAtReader {
  counter: number;
  seq: number;
}

/** What clearing knows a reader recorded: per wallet its highest counter (and where), per
 *  certificate the sum of amounts. Loaded per batch for the batch's keys, written back in
 *  bulk when the group's transaction flushes. */
export class ReaderStates {
  private readonly wallets = new Map<string, WalletAtReader>();
  /** `reader:wallet` keys looked up already (found or not). */
  private readonly walletsLoaded = new Set<string>();
  private readonly certs = new Map<string, number>();
  private readonly listedAt = new Map<string, number | null>();
  private readonly dirtyWallets = new Set<string>();
  private readonly dirtyCerts = new Set<string>();

  /** Loads the state of many readers' keys in three statements (a group's batches at once,
   *  instead of three statements per batch); keys already loaded are skipped. */
  async loadMany(
    tx: Tx,
    keys: { readerId: string; walletIds: string[]; certHashes: string[] }[],
  ): Promise<void> {
    const wr: string[] = [], ww: string[] = [], cr: string[] = [], ch: string[] = [];
    const seenC = new Set<string>();
    for (const k of keys) {
      for (const id of k.walletIds) {
        const key = `${k.readerId}:${id}`;
        if (this.walletsLoaded.has(key)) continue;
        this.walletsLoaded.add(key);
        wr.push(k.readerId);
        ww.push(id);
      }
      for (const h of k.certHashes) {
        const key = `${k.readerId}:${h}`;
        if (this.certs.has(key) || seenC.has(key)) continue;
        seenC.add(key);
        cr.push(k.readerId);
        ch.push(h);
      }
    }
    if (ww.length > 0) await this.loadWallets(tx, wr, ww);
    if (ch.length > 0) {
      const rows = await tx.query(
        `SELECT s.reader_id, s.cert_hash, s.spent FROM reader_certs s
         JOIN unnest(string_to_array($1, ','), string_to_array($2, ',')) AS k(r, h)
           ON s.reader_id = k.r AND s.cert_hash = k.h`,
        [csvList(cr), csvList(ch)],
      );
      ch.forEach((h, i) => this.certs.set(`${cr[i]!}:${h}`, 0));
      for (const r of rows) {
        this.certs.set(`${String(r["reader_id"])}:${String(r["cert_hash"])}`, num(r["spent"]));
      }
    }
  }

  private async loadWallets(tx: Tx, readers: string[], walletIds: string[]): Promise<void> {
    const rows = await tx.query(
      `SELECT s.reader_id, s.wallet_id, s.counter, s.seq FROM reader_wallets s
       JOIN unnest(string_to_array($1, ','), string_to_array($2, ',')) AS k(r, w)
         ON s.reader_id = k.r AND s.wallet_id = k.w`,
      [csvList(readers), csvList(walletIds)],
    );
    for (const r of rows) {
      this.wallets.set(`${String(r["reader_id"])}:${String(r["wallet_id"])}`, {
        counter: num(r["counter"]),
        seq: num(r["seq"]),
      });
    }
    const ids = [...new Set(walletIds)].filter((id) => !this.listedAt.has(id));
    if (ids.length === 0) return;
    const denied = await tx.query(
      `SELECT wallet_id, listed_at FROM deny_wallets
       WHERE wallet_id = ANY(string_to_array($1, ','))`,
      [csvList(ids)],
    );
    for (const id of ids) this.listedAt.set(id, null);
    for (const r of denied) {
      const listed = r["listed_at"] === null ? null : num(r["listed_at"]);
      this.listedAt.set(String(r["wallet_id"]), listed);
    }
  }

  /** Loads one reader's keys (a no-op for keys loadMany already brought in). */
  load(tx: Tx, readerId: string, walletIds: string[], certHashes: string[]): Promise<void> {
    return this.loadMany(tx, [{ readerId, walletIds, certHashes }]);
  }

  /** Judges one batch's records in order against the reader's state, and records them
   *  in that state (a reader writes every record it accepts, paid or not). */
  judge(reader: Reader, checks: { r: LedgerRecord; v: RecordCheck }[]): ReaderEvidence[] {
    const found: ReaderEvidence[] = [];
    for (const { r, v } of checks) {
      // Built only for evidence: most records have none.
      const base = (): { readerId: string; seq: number; counter: number; amount: string } => ({
        readerId: reader.readerId,
        seq: r.seq,
        counter: r.counter,
        amount: r.amount.toString(),
      });
      if (!v.ok) {
        if (READER_CHECKED.has(v.reason)) {
          found.push({
            ...base(),
            walletId: Buffer.from(r.walletId).toString("hex"),
            kind: "failed_reader_check",
            detail: `a record failing the reader's own check (reason ${v.reason})`,
          });
        }
        continue;
      }
      const e = this.judgeVerified(reader, r, v.walletIdHex, v.certHashHex, v.offlineCap, v.amount);
      if (e !== undefined) found.push({ ...base(), walletId: v.walletIdHex, ...e });
    }
    return found;
  }

  private judgeVerified(
    reader: Reader,
    r: LedgerRecord,
    wallet: string,
    cert: string,
    cap: number,
    amount: number,
  ): { kind: EvidenceKind; detail: string } | undefined {
    const wk = `${reader.readerId}:${wallet}`,
      ck = `${reader.readerId}:${cert}`;
    // Check 11 is against the reader's wallet index, which holds only records still in its
    // flash: one at or below the last acknowledgement may be gone, and with it the memory.
    const stored = this.wallets.get(wk);
    const live = stored !== undefined && stored.seq > reader.ackedSeq ? stored : undefined;
    const spent = this.certs.get(ck) ?? 0;
    if (live === undefined || r.counter > live.counter) {
      this.wallets.set(wk, { counter: r.counter, seq: r.seq });
      this.dirtyWallets.add(wk);
    }
    this.certs.set(ck, spent + amount);
    this.dirtyCerts.add(ck);
    if (live !== undefined && r.counter <= live.counter) {
      return {
        kind: "counter_not_increasing",
        detail: `counter ${r.counter} after counter ${live.counter} at sequence ${live.seq}`,
      };
    }
    if (spent + amount > cap) {
      return {
        kind: "over_cap_at_reader",
        detail: `${spent + amount} spent at this reader under a certificate capped at ${cap}`,
      };
    }
    const listed = this.listedAt.get(wallet) ?? null;
    if (
      reader.denyMaxAgeS !== null &&
      listed !== null &&
      r.time > listed + reader.denyMaxAgeS + reader.driftToleranceS
    ) {
      return {
        kind: "denied_at_reader",
        detail:
          `time ${r.time}: every deny list a non-stale reader could hold (listed from ${listed},` +
          ` maximum age ${reader.denyMaxAgeS} s) names this wallet`,
      };
    }
    return undefined;
  }

  /** Writes the changed per-reader state (one statement per table). */
  async flush(tx: Tx): Promise<void> {
    const ws = [...this.dirtyWallets].map((k) => [k, this.wallets.get(k)!] as const);
    if (ws.length > 0) {
      await tx.query(
        `INSERT INTO reader_wallets (reader_id, wallet_id, counter, seq)
         SELECT * FROM unnest(string_to_array($1, ','), string_to_array($2, ','),
           string_to_array($3, ',')::bigint[], string_to_array($4, ',')::bigint[])
         ON CONFLICT (reader_id, wallet_id)
         DO UPDATE SET counter = EXCLUDED.counter, seq = EXCLUDED.seq`,
        [
          csvList(ws.map(([k]) => k.split(":")[0]!)),
          csvList(ws.map(([k]) => k.split(":")[1]!)),
          csvList(ws.map(([, w]) => w.counter)),
          csvList(ws.map(([, w]) => w.seq)),
        ],
      );
    }
    const cs = [...this.dirtyCerts].map((k) => [k, this.certs.get(k)!] as const);
    if (cs.length > 0) {
      await tx.query(
        `INSERT INTO reader_certs (reader_id, cert_hash, spent)
         SELECT * FROM unnest(string_to_array($1, ','), string_to_array($2, ','),
           string_to_array($3, ',')::bigint[])
         ON CONFLICT (reader_id, cert_hash) DO UPDATE SET spent = EXCLUDED.spent`,
        [
          csvList(cs.map(([k]) => k.split(":")[0]!)),
          csvList(cs.map(([k]) => k.split(":")[1]!)),
          csvList(cs.map(([, s]) => s)),
        ],
      );
    }
    this.dirtyWallets.clear();
    this.dirtyCerts.clear();
  }
}

/** Stores the evidence and turns the reader suspect (unless an operator rejected it). */
export async function markSuspect(
  tx: Tx,
  reader: Reader,
  evidence: ReaderEvidence[],
): Promise<void> {
  await tx.query(
    `INSERT INTO reader_evidence (reader_id, seq, kind, wallet_id, counter, amount, detail)
     SELECT * FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[], $5::bigint[],
       $6::numeric[], $7::text[]) ON CONFLICT DO NOTHING`,
    [
      evidence.map((e) => e.readerId),
      evidence.map((e) => e.seq),
      evidence.map((e) => e.kind),
      evidence.map((e) => e.walletId),
      evidence.map((e) => e.counter),
      evidence.map((e) => e.amount),
      evidence.map((e) => e.detail),
    ],
  );
  if (reader.status !== "active") return;
  const first = evidence[0]!;
  reader.status = "suspect";
  reader.statusReason =
    `${first.kind} at sequence ${first.seq}: ${first.detail}` +
    (evidence.length > 1 ? ` (and ${evidence.length - 1} more)` : "");
  await tx.query("UPDATE readers SET status = 'suspect', status_reason = $2 WHERE reader_id = $1", [
    reader.readerId,
    reader.statusReason,
  ]);
}
