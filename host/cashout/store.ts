// Rows in, typed values out: the cash-out tables' mappers and the two append-only
// writers (timeline events and audit entries). No decisions are made here.
import type { Sealer, Tx } from "../clearing/index.ts";
import type { FeeSchedule } from "./fees.ts";
import type { AuditEntry, BankAccount, Cashout, CashoutState, Owner, TimelineEntry } from "./types.ts";

type Row = Record<string, unknown>;

/** BIGINT/INTEGER columns come back as number (PGlite) or string (pg). */
export function n(v: unknown): number {
  const x = typeof v === "number" ? v : Number(v);
  if (!Number.isSafeInteger(x)) throw new RangeError(`database value ${String(v)} is not a safe integer`);
  return x;
}

export function iso(v: unknown): string {
  return v instanceof Date ? v.toISOString() : new Date(String(v)).toISOString();
}

const isoOrNull = (v: unknown): string | null => (v === null || v === undefined ? null : iso(v));
const strOrNull = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));

export function toOwner(r: Row): Owner {
  return {
    id: String(r["id"]), kind: String(r["kind"]) as Owner["kind"], subject: String(r["subject"]), legalName: String(r["legal_name"]),
    kyc: {
      state: String(r["kyc_state"]) as Owner["kyc"]["state"], reference: strOrNull(r["kyc_reference"]),
      verifiedBy: strOrNull(r["kyc_verified_by"]), verifiedAt: isoOrNull(r["kyc_verified_at"]),
    },
    totpActive: r["totp_active"] === true, createdAt: iso(r["created_at"]),
  };
}

/** Opens a sealed bank-account column (docs/CASHOUT.md "Secrets at rest"). */
export function bankDetail(sealer: Sealer, r: Row, column: string, id = String(r["id"])): string {
  return sealer.open(String(r[column]), "cashout_bank_accounts", column, id);
}

export function toBankAccount(r: Row, sealer: Sealer): BankAccount {
  return {
    id: String(r["id"]), ownerId: String(r["owner_id"]), iban: bankDetail(sealer, r, "iban"),
    bic: bankDetail(sealer, r, "bic"), holderName: bankDetail(sealer, r, "holder_name"),
    currency: String(r["currency"]), state: String(r["state"]) as BankAccount["state"],
    verifiedBy: strOrNull(r["verified_by"]), verifiedAt: isoOrNull(r["verified_at"]), createdAt: iso(r["created_at"]),
  };
}

export function toSchedule(r: Row): FeeSchedule {
  return {
    currency: String(r["currency"]), percentBps: n(r["percent_bps"]), fixedMinor: n(r["fixed_minor"]),
    feeMinMinor: n(r["fee_min_minor"]), feeMaxMinor: n(r["fee_max_minor"]), amountMinMinor: n(r["amount_min_minor"]),
    amountMaxMinor: n(r["amount_max_minor"]), dailyLimitMinor: n(r["daily_limit_minor"]), dailyCountMax: n(r["daily_count_max"]),
  };
}

export function toCashout(r: Row, timeline: TimelineEntry[]): Cashout {
  return {
    id: String(r["id"]), ownerId: String(r["owner_id"]), bankAccountId: String(r["bank_account_id"]),
    clearingAccount: String(r["clearing_account"]), currency: String(r["currency"]),
    grossMinor: n(r["gross_minor"]), feeMinor: n(r["fee_minor"]), netMinor: n(r["net_minor"]), quoteId: strOrNull(r["quote_id"]),
    state: String(r["state"]) as CashoutState, confirmAttempts: n(r["confirm_attempts"]),
    payoutFileId: strOrNull(r["payout_file_id"]), bankRef: strOrNull(r["bank_ref"]), failureReason: strOrNull(r["failure_reason"]),
    createdAt: iso(r["created_at"]), expiresAt: iso(r["expires_at"]), updatedAt: iso(r["updated_at"]), timeline,
  };
}

export function toAudit(r: Row): AuditEntry {
  const d = r["detail"];
  return {
    seq: n(r["seq"]), at: iso(r["at"]), actor: String(r["actor"]), action: String(r["action"]),
    decision: String(r["decision"]) as AuditEntry["decision"], ownerId: strOrNull(r["owner_id"]),
    cashoutId: strOrNull(r["cashout_id"]), reason: String(r["reason"]),
    detail: (typeof d === "string" ? JSON.parse(d) : d) as Record<string, unknown>,
  };
}

export async function timeline(tx: Tx, cashoutId: string): Promise<TimelineEntry[]> {
  const rows = await tx.query("SELECT state, at, actor, detail FROM cashout_events WHERE cashout_id = $1 ORDER BY seq", [cashoutId]);
  return rows.map((r) => ({ state: String(r["state"]) as CashoutState, at: iso(r["at"]), actor: String(r["actor"]), detail: String(r["detail"]) }));
}

export async function loadCashout(tx: Tx, id: string, lock = false): Promise<Cashout | undefined> {
  const rows = await tx.query(`SELECT * FROM cashouts WHERE id = $1${lock ? " FOR UPDATE" : ""}`, [id]);
  return rows[0] === undefined ? undefined : toCashout(rows[0], await timeline(tx, id));
}

export async function loadOwnerRow(tx: Tx, id: string, lock = false): Promise<Row | undefined> {
  return (await tx.query(`SELECT * FROM cashout_owners WHERE id = $1${lock ? " FOR UPDATE" : ""}`, [id]))[0];
}

/** Moves a cash-out to `state` and appends the timeline entry, in the caller's transaction. */
export async function setState(tx: Tx, id: string, state: CashoutState, actor: string, atIso: string, detail = "", extra: Record<string, string | null> = {}): Promise<void> {
  const cols = Object.keys(extra);
  const sets = cols.map((c, i) => `, ${c} = $${i + 4}`).join("");
  await tx.query(`UPDATE cashouts SET state = $2, updated_at = $3::timestamptz${sets} WHERE id = $1`, [id, state, atIso, ...cols.map((c) => extra[c]!)]);
  await tx.query("INSERT INTO cashout_events (cashout_id, state, actor, at, detail) VALUES ($1, $2, $3, $4::timestamptz, $5)", [id, state, actor, atIso, detail]);
}

export interface AuditInput {
  actor: string;
  action: string;
  decision: "ok" | "refused";
  ownerId?: string | null;
  cashoutId?: string | null;
  reason?: string;
  detail?: Record<string, unknown>;
}

export async function audit(tx: Tx, atIso: string, a: AuditInput): Promise<void> {
  await tx.query(
    "INSERT INTO cashout_audit (at, actor, action, decision, owner_id, cashout_id, reason, detail) VALUES ($1::timestamptz, $2, $3, $4, $5, $6, $7, $8::jsonb)",
    [atIso, a.actor, a.action, a.decision, a.ownerId ?? null, a.cashoutId ?? null, a.reason ?? "", JSON.stringify(a.detail ?? {})],
  );
}
