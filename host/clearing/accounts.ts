// Double-entry accounts in TigerBeetle's manner (docs/CLEARING.md §3): immutable
// transfers that debit one account and credit another, client ids that make retries
// idempotent, pending transfers posted or voided once, balances that always sum to zero.
import { csvList, num, type Db, type Row, type Tx } from "./db.ts";
import type {
  Account,
  AccountSpec,
  InvariantReport,
  Transfer,
  TransferError,
  TransferKind,
  TransferResult,
  TransferSpec,
} from "./types.ts";

export const ID_CHARS_MAX = 128;
export const LIST_LIMIT_MAX = 10_000;

/** The account ids clearing itself uses (docs/CLEARING.md §3). */
export const accountIds = {
  bank: (currency: number): string => `bank:${currency}`,
  issuerFloat: (keyId: number, currency: number): string => `issuer:${keyId}:float:${currency}`,
  issuerRisk: (keyId: number, currency: number): string => `issuer:${keyId}:risk:${currency}`,
  operator: (operatorId: string, currency: number): string => `operator:${operatorId}:${currency}`,
  fees: (currency: number): string => `fees:${currency}`,
  payouts: (currency: number): string => `payouts:${currency}`,
  walletHolder: (walletIdHex: string, currency: number): string =>
    `wallet:${walletIdHex}:${currency}`,
} as const;

function toAccount(r: Row): Account {
  const dp = num(r["debits_posted"]),
    cp = num(r["credits_posted"]),
    dpe = num(r["debits_pending"]);
  return {
    id: String(r["id"]),
    code: String(r["code"]),
    currency: num(r["currency"]),
    name: String(r["name"]),
    flags: { debitsMustNotExceedCredits: r["flag_dnec"] === true },
    debitsPending: dpe,
    debitsPosted: dp,
    creditsPending: num(r["credits_pending"]),
    creditsPosted: cp,
    balance: cp - dp,
    available: cp - dp - dpe,
  };
}

function toTransfer(r: Row): Transfer {
  const created = r["created_at"];
  return {
    id: String(r["id"]),
    debitAccount: String(r["debit_account"]),
    creditAccount: String(r["credit_account"]),
    amount: num(r["amount"]),
    code: String(r["code"]),
    ref: String(r["ref"]),
    kind: String(r["kind"]) as TransferKind,
    pendingId: r["pending_id"] === null ? null : String(r["pending_id"]),
    pendingState:
      r["pending_state"] === null ? null : (String(r["pending_state"]) as Transfer["pendingState"]),
    createdAt: created instanceof Date ? created.toISOString() : String(created),
  };
}

function validId(id: unknown): id is string {
  return typeof id === "string" && id.length >= 1 && id.length <= ID_CHARS_MAX;
}

export async function createAccount(db: Db | Tx, spec: AccountSpec): Promise<Account> {
  if (!validId(spec.id)) throw new RangeError(`account id must be 1…${ID_CHARS_MAX} characters`);
  if (!Number.isInteger(spec.currency) || spec.currency < 0 || spec.currency > 65535)
    throw new RangeError(`currency ${spec.currency} is not an ISO 4217 numeric code`);
  const dnec = spec.flags?.debitsMustNotExceedCredits === true;
  await db.query(
    `INSERT INTO accounts (id, code, currency, name, flag_dnec) VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (id) DO NOTHING`,
    [spec.id, spec.code, spec.currency, spec.name ?? "", dnec],
  );
  const a = await getAccount(db, spec.id);
  if (a === undefined) throw new Error(`account ${spec.id} vanished after insert`);
  if (
    a.code !== spec.code ||
    a.currency !== spec.currency ||
    a.flags.debitsMustNotExceedCredits !== dnec
  ) {
    throw new RangeError(`account ${spec.id} exists with a different code, currency or flags`);
  }
  return a;
}

export async function getAccount(db: Db | Tx, id: string): Promise<Account | undefined> {
  const rows = await db.query("SELECT * FROM accounts WHERE id = $1", [id]);
  return rows[0] === undefined ? undefined : toAccount(rows[0]);
}

export async function listAccounts(
  db: Db,
  f: { code?: string; currency?: number },
): Promise<Account[]> {
  const rows = await db.query(
    `SELECT * FROM accounts
     WHERE ($1::text IS NULL OR code = $1) AND ($2::integer IS NULL OR currency = $2) ORDER BY id`,
    [f.code ?? null, f.currency ?? null],
  );
  return rows.map(toAccount);
}

export async function getTransfer(db: Db | Tx, id: string): Promise<Transfer | undefined> {
  const rows = await db.query("SELECT * FROM transfers WHERE id = $1", [id]);
  return rows[0] === undefined ? undefined : toTransfer(rows[0]);
}

export async function listTransfers(
  db: Db,
  f: { account?: string; code?: string; limit?: number },
): Promise<Transfer[]> {
  const limit = Math.min(Math.max(1, f.limit ?? 1000), LIST_LIMIT_MAX);
  const rows = await db.query(
    `SELECT * FROM transfers WHERE ($1::text IS NULL OR debit_account = $1 OR credit_account = $1)
       AND ($2::text IS NULL OR code = $2) ORDER BY seq DESC LIMIT $3`,
    [f.account ?? null, f.code ?? null, limit],
  );
  return rows.map(toTransfer);
}

const fail = (id: string, error: TransferError, message: string): TransferResult => ({
  ok: false,
  id,
  error,
  message,
});

/** Does a retry carry the same content as the stored transfer? Fields a resolution leaves
 *  out are not compared. */
function sameContent(t: Transfer, s: TransferSpec): boolean {
  const kind = s.kind ?? "single";
  if (t.kind !== kind || (t.pendingId ?? undefined) !== s.pendingId) return false;
  if (kind === "post_pending" || kind === "void_pending")
    return s.amount === undefined || kind === "void_pending" || s.amount === t.amount;
  return (
    t.debitAccount === s.debitAccount &&
    t.creditAccount === s.creditAccount &&
    t.amount === s.amount &&
    t.code === s.code &&
    t.ref === (s.ref ?? "")
  );
}

async function lockAccounts(tx: Tx, ids: string[]): Promise<Map<string, Account>> {
  const sorted = [...new Set(ids)].sort();
  const rows = await tx.query(
    "SELECT * FROM accounts WHERE id = ANY($1::text[]) ORDER BY id FOR UPDATE",
    [sorted],
  );
  return new Map(rows.map((r) => [String(r["id"]), toAccount(r)]));
}

async function existing(tx: Tx, s: TransferSpec): Promise<TransferResult | undefined> {
  const t = await getTransfer(tx, s.id);
  if (t === undefined) return undefined;
  return sameContent(t, s)
    ? { ok: true, transfer: t, created: false }
    : fail(s.id, "EXISTS_WITH_DIFFERENT_CONTENT", `transfer ${s.id} exists with different content`);
}

async function insertTransfer(tx: Tx, t: Omit<Transfer, "createdAt">): Promise<Transfer> {
  const rows = await tx.query(
    `INSERT INTO transfers (id, debit_account, credit_account, amount, code, ref, kind,
       pending_id, pending_state)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING *`,
    [
      t.id,
      t.debitAccount,
      t.creditAccount,
      t.amount,
      t.code,
      t.ref,
      t.kind,
      t.pendingId,
      t.pendingState,
    ],
  );
  return toTransfer(rows[0]!);
}

async function bump(
  tx: Tx,
  id: string,
  column: "debits_pending" | "debits_posted" | "credits_pending" | "credits_posted",
  delta: number,
): Promise<void> {
  if (delta !== 0)
    await tx.query(`UPDATE accounts SET ${column} = ${column} + $2 WHERE id = $1`, [id, delta]);
}

/** single or pending: lock both accounts, check, insert, move the balances. */
async function applyNew(tx: Tx, s: TransferSpec): Promise<TransferResult> {
  const kind = s.kind ?? "single";
  const amount = s.amount ?? 0;
  if (!Number.isSafeInteger(amount) || amount <= 0)
    return fail(
      s.id,
      "AMOUNT_INVALID",
      `amount must be a positive whole number of minor units, got ${String(s.amount)}`,
    );
  if (s.debitAccount === s.creditAccount)
    return fail(s.id, "SAME_ACCOUNT", "debit and credit account are the same");
  const accts = await lockAccounts(tx, [s.debitAccount, s.creditAccount]);
  // After the locks: a concurrent retry of the same id has committed or not started.
  const again = await existing(tx, s);
  if (again) return again;
  const d = accts.get(s.debitAccount),
    c = accts.get(s.creditAccount);
  if (!d || !c)
    return fail(s.id, "ACCOUNT_NOT_FOUND", `no account ${!d ? s.debitAccount : s.creditAccount}`);
  if (d.currency !== c.currency)
    return fail(s.id, "CURRENCY_MISMATCH", `${d.id} is in ${d.currency}, ${c.id} in ${c.currency}`);
  if (
    d.flags.debitsMustNotExceedCredits &&
    d.debitsPending + d.debitsPosted + amount > d.creditsPosted
  ) {
    return fail(
      s.id,
      "EXCEEDS_CREDITS",
      `${d.id} has ${d.available} available, ${amount} requested`,
    );
  }
  const transfer = await insertTransfer(tx, {
    id: s.id,
    debitAccount: d.id,
    creditAccount: c.id,
    amount,
    code: s.code,
    ref: s.ref ?? "",
    kind,
    pendingId: null,
    pendingState: kind === "pending" ? "pending" : null,
  });
  const part = kind === "pending" ? "pending" : "posted";
  await bump(tx, d.id, `debits_${part}`, amount);
  await bump(tx, c.id, `credits_${part}`, amount);
  return { ok: true, transfer, created: true };
}

/** post_pending or void_pending: lock the pending transfer, then its accounts. */
async function applyResolution(tx: Tx, s: TransferSpec): Promise<TransferResult> {
  const kind = s.kind!;
  if (!validId(s.pendingId))
    return fail(s.id, "PENDING_NOT_FOUND", "a resolution needs the pending transfer's id");
  const rows = await tx.query("SELECT * FROM transfers WHERE id = $1 FOR UPDATE", [s.pendingId]);
  const again = await existing(tx, s);
  if (again) return again;
  if (rows[0] === undefined) return fail(s.id, "PENDING_NOT_FOUND", `no transfer ${s.pendingId}`);
  const p = toTransfer(rows[0]);
  if (p.kind !== "pending")
    return fail(s.id, "PENDING_NOT_FOUND", `transfer ${p.id} is not pending`);
  if (p.pendingState === "posted")
    return fail(s.id, "PENDING_ALREADY_POSTED", `pending transfer ${p.id} was already posted`);
  if (p.pendingState === "voided")
    return fail(s.id, "PENDING_ALREADY_VOIDED", `pending transfer ${p.id} was already voided`);
  if (
    (s.debitAccount !== "" && s.debitAccount !== p.debitAccount) ||
    (s.creditAccount !== "" && s.creditAccount !== p.creditAccount)
  ) {
    return fail(s.id, "PENDING_ACCOUNTS_MISMATCH", "accounts differ from the pending transfer's");
  }
  const amount = kind === "void_pending" ? p.amount : (s.amount ?? p.amount);
  if (!Number.isSafeInteger(amount) || amount <= 0)
    return fail(s.id, "AMOUNT_INVALID", `amount must be positive, got ${amount}`);
  if (amount > p.amount)
    return fail(s.id, "PENDING_AMOUNT_EXCEEDED", `${amount} exceeds the pending ${p.amount}`);
  await lockAccounts(tx, [p.debitAccount, p.creditAccount]);
  const transfer = await insertTransfer(tx, {
    id: s.id,
    debitAccount: p.debitAccount,
    creditAccount: p.creditAccount,
    amount,
    code: s.code || p.code,
    ref: s.ref ?? p.ref,
    kind,
    pendingId: p.id,
    pendingState: null,
  });
  await tx.query("UPDATE transfers SET pending_state = $2 WHERE id = $1", [
    p.id,
    kind === "post_pending" ? "posted" : "voided",
  ]);
  await bump(tx, p.debitAccount, "debits_pending", -p.amount);
  await bump(tx, p.creditAccount, "credits_pending", -p.amount);
  if (kind === "post_pending") {
    await bump(tx, p.debitAccount, "debits_posted", amount);
    await bump(tx, p.creditAccount, "credits_posted", amount);
  }
  return { ok: true, transfer, created: true };
}

/** Applies one transfer inside an open transaction (other modules compose it with their own
 *  rows). */
export async function applyTransfer(tx: Tx, s: TransferSpec): Promise<TransferResult> {
  if (!validId(s.id))
    return fail(String(s.id), "ID_INVALID", `transfer id must be 1…${ID_CHARS_MAX} characters`);
  const kind = s.kind ?? "single";
  return kind === "post_pending" || kind === "void_pending"
    ? applyResolution(tx, s)
    : applyNew(tx, s);
}

export function createTransfer(db: Db, s: TransferSpec): Promise<TransferResult> {
  return db.transaction((tx) => applyTransfer(tx, s));
}

export async function createTransfers(db: Db, ts: TransferSpec[]): Promise<TransferResult[]> {
  const out: TransferResult[] = [];
  for (const t of ts) out.push(await createTransfer(db, t));
  return out;
}

export async function fundIssuer(
  db: Db,
  transferId: string,
  keyId: number,
  currency: number,
  amount: number,
): Promise<TransferResult> {
  return db.transaction(async (tx) => {
    await ensureIssuerAccounts(tx, keyId, currency);
    return applyTransfer(tx, {
      id: transferId,
      debitAccount: accountIds.bank(currency),
      creditAccount: accountIds.issuerFloat(keyId, currency),
      amount,
      code: "issuer_funding",
      ref: `issuer:${keyId}`,
    });
  });
}

export async function ensureIssuerAccounts(tx: Tx, keyId: number, currency: number): Promise<void> {
  await createAccount(tx, {
    id: accountIds.bank(currency),
    code: "bank",
    currency,
    name: "settlement bank",
  });
  await createAccount(tx, {
    id: accountIds.issuerFloat(keyId, currency),
    code: "issuer_float",
    currency,
    name: `issuer ${keyId} float`,
  });
  await createAccount(tx, {
    id: accountIds.issuerRisk(keyId, currency),
    code: "issuer_risk",
    currency,
    name: `issuer ${keyId} offline risk`,
  });
}

export async function ensureOperatorAccount(
  tx: Tx,
  operatorId: string,
  currency: number,
): Promise<void> {
  await createAccount(tx, {
    id: accountIds.operator(operatorId, currency),
    code: "operator_settlement",
    currency,
    name: `operator ${operatorId}`,
    flags: { debitsMustNotExceedCredits: true },
  });
}

/** Posts many clearing transfers at once (ingest): new ids only, accounts that only gain
 *  credits or carry no flag. */
export async function postBulk(
  tx: Tx,
  ts: { id: string; debit: string; credit: string; amount: number; code: string; ref: string }[],
): Promise<void> {
  if (ts.length === 0) return;
  await tx.query(
    `INSERT INTO transfers (id, debit_account, credit_account, amount, code, ref, kind)
     SELECT id, d, c, a, code, ref, 'single'
     FROM unnest(string_to_array($1, ','), string_to_array($2, ','), string_to_array($3, ','),
       string_to_array($4, ',')::bigint[], string_to_array($5, ','), string_to_array($6, ','))
       AS t(id, d, c, a, code, ref)`,
    [
      // Hex, numbers, words and operator ids (registry.ts: no commas); csvList checks.
      csvList(ts.map((t) => t.id)),
      csvList(ts.map((t) => t.debit)),
      csvList(ts.map((t) => t.credit)),
      csvList(ts.map((t) => t.amount)),
      csvList(ts.map((t) => t.code)),
      csvList(ts.map((t) => t.ref)),
    ],
  );
  const delta = new Map<string, { d: number; c: number }>();
  for (const t of ts) {
    const dd = delta.get(t.debit) ?? { d: 0, c: 0 };
    dd.d += t.amount;
    delta.set(t.debit, dd);
    const cc = delta.get(t.credit) ?? { d: 0, c: 0 };
    cc.c += t.amount;
    delta.set(t.credit, cc);
  }
  const ids = [...delta.keys()].sort(); // the same lock order as lockAccounts
  await tx.query(
    `UPDATE accounts a
     SET debits_posted = a.debits_posted + x.d, credits_posted = a.credits_posted + x.c
     FROM (SELECT * FROM unnest($1::text[], $2::bigint[], $3::bigint[]) AS u(id, d, c)
       ORDER BY id) x
     WHERE a.id = x.id`,
    [ids, ids.map((i) => delta.get(i)!.d), ids.map((i) => delta.get(i)!.c)],
  );
}

/** Recomputes every balance from the transfers and checks the sums (docs/CLEARING.md §3). */
export async function checkInvariants(db: Db | Tx): Promise<InvariantReport> {
  const sums = (
    await db.query(
      `SELECT currency, sum(credits_posted - debits_posted) AS posted,
       sum(credits_pending - debits_pending) AS pending
     FROM accounts GROUP BY currency ORDER BY currency`,
    )
  ).map((r) => ({
    currency: num(r["currency"]),
    posted: num(r["posted"]),
    pending: num(r["pending"]),
  }));
  const mismatched = (
    await db.query(
      `WITH moves AS (
       SELECT debit_account AS id, amount AS dp, 0::bigint AS cp, 0::bigint AS dpe,
         0::bigint AS cpe
       FROM transfers WHERE kind IN ('single', 'post_pending')
       UNION ALL SELECT credit_account, 0, amount, 0, 0
       FROM transfers WHERE kind IN ('single', 'post_pending')
       UNION ALL SELECT debit_account, 0, 0, amount, 0
       FROM transfers WHERE kind = 'pending' AND pending_state = 'pending'
       UNION ALL SELECT credit_account, 0, 0, 0, amount
       FROM transfers WHERE kind = 'pending' AND pending_state = 'pending'),
     agg AS (SELECT id, sum(dp) dp, sum(cp) cp, sum(dpe) dpe, sum(cpe) cpe FROM moves GROUP BY id)
     SELECT a.id FROM accounts a LEFT JOIN agg ON agg.id = a.id
     WHERE coalesce(agg.dp, 0) <> a.debits_posted OR coalesce(agg.cp, 0) <> a.credits_posted
        OR coalesce(agg.dpe, 0) <> a.debits_pending OR coalesce(agg.cpe, 0) <> a.credits_pending
     ORDER BY a.id`,
    )
  ).map((r) => String(r["id"]));
  const overdrawn = (
    await db.query(
      `SELECT id FROM accounts
       WHERE flag_dnec AND debits_pending + debits_posted > credits_posted ORDER BY id`,
    )
  ).map((r) => String(r["id"]));
  const ok =
    sums.every((s) => s.posted === 0 && s.pending === 0) &&
    mismatched.length === 0 &&
    overdrawn.length === 0;
  return { ok, sums, mismatched, overdrawn };
}
