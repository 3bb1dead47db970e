// The issuer side of the risk model (docs/CLEARING.md §7a): money an issuer owes because a
// wallet spent past its cap across readers (or spent one counter twice) is booked at
// ingest into the operator's risk-hold account, not its settlement account. It moves to
// settlement — where cash-out can reach it — only after a holding period, while the
// reader that took it is still in good standing, and only as far as the operator's risk
// limit allows. Evidence found meanwhile stops it.
import { createAccount, postBulk } from "./accounts.ts";
import { num, type Db, type Tx } from "./db.ts";
import { INGEST_LOCK_KEY } from "./ingest-lock.ts";

/** Long enough for every reader of the installation to upload (and so for evidence
 *  against any of them to appear) before risk money can leave: one week. */
export const RISK_HOLD_S_DEFAULT = 7 * 24 * 3600;
/** What a new operator may receive from issuer risk in all, in minor units (100.00). */
export const RISK_LIMIT_DEFAULT = 10_000;
/** Holds released per run: bounds one transaction. */
export const RISK_RELEASE_MAX = 10_000;

export interface RiskPolicy {
  holdS: number;
}

export const riskHoldAccount = (operatorId: string, currency: number): string =>
  `riskhold:${operatorId}:${currency}`;

export async function ensureRiskHoldAccount(
  tx: Tx,
  operatorId: string,
  currency: number,
): Promise<void> {
  await createAccount(tx, {
    id: riskHoldAccount(operatorId, currency),
    code: "operator_risk_hold",
    currency,
    name: `issuer-risk money held for operator ${operatorId}`,
  });
}

export interface RiskHold {
  transferId: string;
  operatorId: string;
  readerId: string;
  currency: number;
  amount: number;
  bookedAt: number;
  state: "held" | "released";
  releasedAt: number | null;
}

export interface RiskRelease {
  released: number;
  amount: number;
  waiting: number;
}

/** Moves every hold that is due, from a reader in good standing, within the limit. */
export async function releaseRiskHolds(db: Db, nowS: number, p: RiskPolicy): Promise<RiskRelease> {
  return db.transaction(async (tx) => {
    await tx.query("SELECT pg_advisory_xact_lock($1)", [INGEST_LOCK_KEY]);
    const due = await tx.query(
      `SELECT h.transfer_id, h.operator_id, h.currency, h.amount FROM risk_holds h
       JOIN readers r ON r.reader_id = h.reader_id
       WHERE h.state = 'held' AND h.booked_at + $1 <= $2 AND r.status = 'active'
       ORDER BY h.booked_at, h.transfer_id LIMIT $3`,
      [p.holdS, nowS, RISK_RELEASE_MAX],
    );
    const out: RiskRelease = { released: 0, amount: 0, waiting: 0 };
    if (due.length === 0) return out;
    const room = new Map<string, number>();
    for (const r of await tx.query(
      `SELECT o.operator_id, o.risk_limit - coalesce(sum(h.amount), 0) AS room FROM operators o
       LEFT JOIN risk_holds h ON h.operator_id = o.operator_id AND h.state = 'released'
       GROUP BY o.operator_id, o.risk_limit`,
    )) {
      room.set(String(r["operator_id"]), num(r["room"]));
    }
    const moves: Parameters<typeof postBulk>[1] = [];
    for (const r of due) {
      const op = String(r["operator_id"]),
        amount = num(r["amount"]),
        cur = num(r["currency"]);
      const left = room.get(op) ?? 0;
      if (amount > left) {
        out.waiting++;
        continue;
      }
      room.set(op, left - amount);
      const id = String(r["transfer_id"]);
      moves.push({
        id: `risk-release:${id}`,
        debit: riskHoldAccount(op, cur),
        credit: `operator:${op}:${cur}`,
        amount,
        code: "risk_release",
        ref: id,
      });
      out.released++;
      out.amount += amount;
    }
    await postBulk(tx, moves);
    await tx.query(
      `UPDATE risk_holds SET state = 'released', released_at = $2
       WHERE transfer_id = ANY($1::text[])`,
      [moves.map((m) => m.ref), nowS],
    );
    return out;
  });
}

export async function setRiskLimit(
  db: Db,
  operatorId: string,
  limitMinor: number,
): Promise<boolean> {
  if (!Number.isSafeInteger(limitMinor) || limitMinor < 0) {
    throw new RangeError(`risk limit must be whole minor units ≥ 0, got ${limitMinor}`);
  }
  const rows = await db.query(
    "UPDATE operators SET risk_limit = $2 WHERE operator_id = $1 RETURNING 1",
    [operatorId, limitMinor],
  );
  return rows.length > 0;
}

export async function riskHolds(db: Db): Promise<RiskHold[]> {
  return (await db.query("SELECT * FROM risk_holds ORDER BY booked_at, transfer_id")).map((r) => ({
    transferId: String(r["transfer_id"]),
    operatorId: String(r["operator_id"]),
    readerId: String(r["reader_id"]),
    currency: num(r["currency"]),
    amount: num(r["amount"]),
    bookedAt: num(r["booked_at"]),
    state: String(r["state"]) as RiskHold["state"],
    releasedAt: r["released_at"] === null ? null : num(r["released_at"]),
  }));
}
