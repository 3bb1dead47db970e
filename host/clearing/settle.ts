// Settlement and double-spend detection (docs/CLEARING.md §7), in bulk: look up what is
// known about the candidates' keys, decide each payment in memory in upload order, then
// write payments, conflicts, denials, certificate totals and transfers in a few statements.
import { csvList, num, type Tx } from "./db.ts";
import { accountIds, ensureIssuerAccounts, ensureOperatorAccount, postBulk } from "./accounts.ts";
import type { VerifiedRecord } from "./verify.ts";
import { ensureRiskHoldAccount, riskHoldAccount } from "./risk-holds.ts";
import type { BatchOutcome, DoubleSpend, IngestReport, Reader } from "./types.ts";

export interface Candidate {
  record: VerifiedRecord;
  reader: Reader;
  seq: number;
  outcome: BatchOutcome;
}

interface Known {
  authSha: string;
}
interface Cert {
  cap: number;
  spent: number;
  /** Reader time of the latest payment settled under it (0: none yet, or stored before
   *  migration 006); what orders the deny list's vouched certificates (outputs.ts). */
  lastSeen: number;
  dirty: boolean;
  /** Already a row of `certificates` (else inserted by storeCerts from `record`). */
  stored: boolean;
  record: VerifiedRecord;
}
interface Move {
  id: string;
  debit: string;
  credit: string;
  amount: number;
  code: string;
  ref: string;
}

const keyOf = (w: string, c: number): string => `${w}:${c}`;

async function loadKnown(tx: Tx, cs: Candidate[]): Promise<Map<string, Known>> {
  const rows = await tx.query(
    `SELECT p.wallet_id, p.counter, p.auth_sha FROM payments p
     JOIN unnest(string_to_array($1, ','), string_to_array($2, ',')::bigint[]) AS k(w, c)
       ON p.wallet_id = k.w AND p.counter = k.c`,
    [csvList(cs.map((c) => c.record.walletIdHex)), csvList(cs.map((c) => c.record.counter))],
  );
  return new Map(
    rows.map((r) => [
      keyOf(String(r["wallet_id"]), num(r["counter"])),
      { authSha: String(r["auth_sha"]) },
    ]),
  );
}

/** The candidates' certificates: stored ones with what was spent under them, new ones at
 *  0 (written with their totals by storeCerts, before the payments that reference them). */
async function loadCerts(tx: Tx, cs: Candidate[]): Promise<Map<string, Cert>> {
  const uniq = new Map(cs.map((c) => [c.record.certHashHex, c.record]));
  const rows = await tx.query(
    `SELECT cert_hash, offline_cap, spent, last_seen FROM certificates
     WHERE cert_hash = ANY(string_to_array($1, ','))`,
    [csvList([...uniq.keys()])],
  );
  const out = new Map<string, Cert>();
  for (const r of rows) {
    const h = String(r["cert_hash"]);
    const record = uniq.get(h)!;
    out.set(h, {
      cap: num(r["offline_cap"]),
      spent: num(r["spent"]),
      lastSeen: r["last_seen"] === null ? 0 : num(r["last_seen"]),
      dirty: false,
      stored: true,
      record,
    });
  }
  for (const [h, record] of uniq) {
    if (!out.has(h))
      out.set(h, {
        cap: record.offlineCap,
        spent: 0,
        lastSeen: 0,
        dirty: false,
        stored: false,
        record,
      });
  }
  return out;
}

/** storeCerts' one statement, over comma-separated columns $1 … $8: cert_hash, wallet_id,
 *  issuer_key_id, offline_cap, currency, spent, valid_until, last_seen (exported for
 *  tools/bench/clearing-certs.ts, which measures it). */
export const STORE_CERTS_SQL =
  `INSERT INTO certificates (cert_hash, wallet_id, issuer_key_id, offline_cap, currency, spent,
     valid_until, last_seen)
   SELECT * FROM unnest(string_to_array($1, ','), string_to_array($2, ','),
     string_to_array($3, ',')::bigint[], string_to_array($4, ',')::bigint[],
     string_to_array($5, ',')::integer[], string_to_array($6, ',')::bigint[],
     string_to_array($7, ',')::bigint[], string_to_array($8, ',')::bigint[])
   ON CONFLICT (cert_hash) DO UPDATE SET spent = EXCLUDED.spent,
     valid_until = EXCLUDED.valid_until, last_seen = EXCLUDED.last_seen
     WHERE certificates.spent <> EXCLUDED.spent`;

/** One statement: new certificates inserted with their totals, changed totals updated,
 *  with the validity end and the latest payment's time the deny list's vouching needs (a
 *  row from before migration 006 gets both when a payment under it settles again). */
async function storeCerts(tx: Tx, certs: Map<string, Cert>): Promise<void> {
  const rows = [...certs.entries()].filter(([, c]) => !c.stored || c.dirty);
  if (rows.length === 0) return;
  const rs = rows.map(([, c]) => c.record);
  await tx.query(
    STORE_CERTS_SQL,
    [
      csvList(rows.map(([h]) => h)),
      csvList(rs.map((r) => r.walletIdHex)),
      csvList(rs.map((r) => r.issuerKeyId)),
      csvList(rows.map(([, c]) => c.cap)),
      csvList(rs.map((r) => r.currency)),
      csvList(rows.map(([, c]) => c.spent)),
      csvList(rs.map((r) => r.validUntil)),
      csvList(rows.map(([, c]) => c.lastSeen)),
    ],
  );
}

async function loadDenied(tx: Tx, cs: Candidate[]): Promise<Set<string>> {
  const rows = await tx.query(
    "SELECT wallet_id FROM deny_wallets WHERE wallet_id = ANY(string_to_array($1, ','))",
    [csvList([...new Set(cs.map((c) => c.record.walletIdHex))])],
  );
  return new Set(rows.map((r) => String(r["wallet_id"])));
}

interface Plan {
  payments: { c: Candidate; excess: number }[];
  conflicts: { c: Candidate; kind: DoubleSpend["kind"]; excess: number }[];
  deny: Map<string, string>;
  moves: Move[];
  holds: { transferId: string; c: Candidate; amount: number }[];
}

/** Decides every candidate in order; pure except for the maps it updates. */
function plan(
  cs: Candidate[],
  known: Map<string, Known>,
  certs: Map<string, Cert>,
  denied: Set<string>,
  report: IngestReport,
): Plan {
  const p: Plan = { payments: [], conflicts: [], deny: new Map(), moves: [], holds: [] };
  for (const c of cs) {
    const r = c.record;
    const k = keyOf(r.walletIdHex, r.counter);
    const cur = r.currency;
    const operator = accountIds.operator(c.reader.operatorId, cur);
    // Issuer-risk money waits in the operator's risk-hold account (docs/CLEARING.md §7a).
    const riskHold = riskHoldAccount(c.reader.operatorId, cur);
    const prior = known.get(k);
    if (prior !== undefined && prior.authSha === r.authShaHex) {
      report.duplicates++;
      c.outcome.duplicates++;
      continue;
    }
    if (prior !== undefined) {
      // The same counter with other content: a double spend. Paid in good faith, all of it
      // from offline risk.
      p.conflicts.push({ c, kind: "counter_reuse", excess: r.amount });
      p.moves.push({
        id: `pay:${r.walletIdHex}:${r.counter}:${c.reader.readerId}:${c.seq}`,
        debit: accountIds.issuerRisk(r.issuerKeyId, cur),
        credit: riskHold,
        amount: r.amount,
        code: "payment_excess",
        ref: k,
      });
      p.holds.push({ transferId: p.moves[p.moves.length - 1]!.id, c, amount: r.amount });
      if (!denied.has(r.walletIdHex)) p.deny.set(r.walletIdHex, `counter ${r.counter} spent twice`);
      denied.add(r.walletIdHex);
    } else {
      known.set(k, { authSha: r.authShaHex });
      const cert = certs.get(r.certHashHex)!;
      const within = Math.max(0, Math.min(r.amount, cert.cap - cert.spent));
      const excess = r.amount - within;
      cert.spent += r.amount;
      cert.lastSeen = Math.max(cert.lastSeen, r.time);
      cert.dirty = true;
      p.payments.push({ c, excess });
      if (within > 0)
        p.moves.push({
          id: `pay:${r.walletIdHex}:${r.counter}`,
          debit: accountIds.issuerFloat(r.issuerKeyId, cur),
          credit: operator,
          amount: within,
          code: "payment",
          ref: k,
        });
      if (excess > 0) {
        p.moves.push({
          id: `pay:${r.walletIdHex}:${r.counter}:excess`,
          debit: accountIds.issuerRisk(r.issuerKeyId, cur),
          credit: riskHold,
          amount: excess,
          code: "payment_excess",
          ref: k,
        });
        p.holds.push({ transferId: `pay:${r.walletIdHex}:${r.counter}:excess`, c, amount: excess });
        p.conflicts.push({ c, kind: "over_cap", excess });
        if (!denied.has(r.walletIdHex))
          p.deny.set(r.walletIdHex, `spend past the cap of certificate ${r.certHashHex}`);
        denied.add(r.walletIdHex);
      } else if (denied.has(r.walletIdHex)) {
        p.conflicts.push({ c, kind: "denied_wallet", excess: 0 });
      }
      report.settled++;
      report.settledAmount += r.amount;
      c.outcome.settled++;
    }
  }
  return p;
}

async function ensureAccounts(tx: Tx, cs: Candidate[]): Promise<void> {
  const issuers = new Set(cs.map((c) => `${c.record.issuerKeyId}:${c.record.currency}`));
  for (const s of issuers) {
    const [k, cur] = s.split(":").map(Number);
    await ensureIssuerAccounts(tx, k!, cur!);
  }
  const ops = new Set(cs.map((c) => `${c.reader.currency}:${c.reader.operatorId}`));
  for (const s of ops) {
    const i = s.indexOf(":");
    await ensureOperatorAccount(tx, s.slice(i + 1), Number(s.slice(0, i)));
    await ensureRiskHoldAccount(tx, s.slice(i + 1), Number(s.slice(0, i)));
  }
}

async function write(tx: Tx, p: Plan, certs: Map<string, Cert>, nowS: number): Promise<void> {
  await storeCerts(tx, certs); // before the payments that reference them
  const pays = p.payments;
  if (pays.length > 0) {
    await tx.query(
      `INSERT INTO payments (wallet_id, counter, reader_id, seq, auth_sha, amount, excess, time,
         cert_hash, issuer_key_id, currency, operator_id, status)
       SELECT * FROM unnest(string_to_array($1, ','), string_to_array($2, ',')::bigint[],
         string_to_array($3, ','), string_to_array($4, ',')::bigint[], string_to_array($5, ','),
         string_to_array($6, ',')::bigint[], string_to_array($7, ',')::bigint[],
         string_to_array($8, ',')::bigint[], string_to_array($9, ','),
         string_to_array($10, ',')::bigint[], string_to_array($11, ',')::integer[],
         string_to_array($12, ','), string_to_array($13, ','))`,
      [
        csvList(pays.map((x) => x.c.record.walletIdHex)),
        csvList(pays.map((x) => x.c.record.counter)),
        csvList(pays.map((x) => x.c.reader.readerId)),
        csvList(pays.map((x) => x.c.seq)),
        csvList(pays.map((x) => x.c.record.authShaHex)),
        csvList(pays.map((x) => x.c.record.amount)),
        csvList(pays.map((x) => x.excess)),
        csvList(pays.map((x) => x.c.record.time)),
        csvList(pays.map((x) => x.c.record.certHashHex)),
        csvList(pays.map((x) => x.c.record.issuerKeyId)),
        csvList(pays.map((x) => x.c.record.currency)),
        csvList(pays.map((x) => x.c.reader.operatorId)), // registry.ts: no commas
        csvList(pays.map((x) => (x.excess > 0 ? "excess" : "settled"))),
      ],
    );
  }
  const cf = p.conflicts;
  if (cf.length > 0) {
    await tx.query(
      `INSERT INTO payment_conflicts (wallet_id, counter, kind, reader_id, seq, auth_sha, amount,
         excess, issuer_key_id)
       SELECT * FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[], $5::bigint[],
         $6::text[], $7::bigint[], $8::bigint[], $9::bigint[]) ON CONFLICT DO NOTHING`,
      [
        cf.map((x) => x.c.record.walletIdHex),
        cf.map((x) => x.c.record.counter),
        cf.map((x) => x.kind),
        cf.map((x) => x.c.reader.readerId),
        cf.map((x) => x.c.seq),
        cf.map((x) => x.c.record.authShaHex),
        cf.map((x) => x.c.record.amount),
        cf.map((x) => x.excess),
        cf.map((x) => x.c.record.issuerKeyId),
      ],
    );
  }
  if (p.deny.size > 0) {
    await tx.query(
      `INSERT INTO deny_wallets (wallet_id, reason)
       SELECT * FROM unnest($1::text[], $2::text[]) ON CONFLICT DO NOTHING`,
      [[...p.deny.keys()], [...p.deny.values()]],
    );
  }

  await postBulk(tx, p.moves);
  const h = p.holds;
  if (h.length > 0) {
    await tx.query(
      `INSERT INTO risk_holds (transfer_id, operator_id, reader_id, currency, amount, booked_at)
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::integer[], $5::bigint[],
         $6::bigint[])`,
      [
        h.map((x) => x.transferId),
        h.map((x) => x.c.reader.operatorId),
        h.map((x) => x.c.reader.readerId),
        h.map((x) => x.c.record.currency),
        h.map((x) => x.amount),
        h.map(() => nowS),
      ],
    );
  }
}

export async function settle(
  tx: Tx,
  cs: Candidate[],
  report: IngestReport,
  nowS: number,
): Promise<void> {
  if (cs.length === 0) return;
  const known = await loadKnown(tx, cs);
  const certs = await loadCerts(tx, cs);
  const denied = await loadDenied(tx, cs);
  await ensureAccounts(tx, cs);
  const p = plan(cs, known, certs, denied, report);
  await write(tx, p, certs, nowS);
  for (const x of p.conflicts) {
    if (x.kind === "denied_wallet") continue;
    const r = x.c.record;
    report.doubleSpends.push({
      walletId: r.walletIdHex,
      counter: r.counter,
      kind: x.kind,
      readerId: x.c.reader.readerId,
      seq: x.c.seq,
      excess: x.excess,
      issuerKeyId: r.issuerKeyId,
    });
  }
  report.newlyDenied.push(...p.deny.keys());
}
