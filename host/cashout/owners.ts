// Owners, identity verification (KYC state), bank accounts with a confirmation step, and
// second-factor enrolment. Only a verified owner with a verified account and an active
// second factor can ever cash out (flow.ts checks all three again at request and confirm).
import { createHash, randomBytes, randomInt, timingSafeEqual } from "node:crypto";
import type { Tx } from "../clearing/index.ts";
import { validateIban, validateBic, namesMatch } from "./iban.ts";
import { currency as currencyInfo, MoneyError } from "./money.ts";
import {
  base32Decode,
  base32Encode,
  matchTotp,
  newTotpSecret,
  otpauthUri,
  type TotpParams,
} from "./totp.ts";
import { audit, bankDetail, loadOwnerRow, toBankAccount, toOwner } from "./store.ts";
import { nowIso, validId, validText, type Ctx } from "./context.ts";
import {
  ok,
  err,
  type BankAccount,
  type KycState,
  type Owner,
  type OwnerKind,
  type Result,
} from "./types.ts";

export interface OwnerSpec {
  id: string;
  kind: OwnerKind;
  subject: string;
  legalName: string;
}

const KINDS: readonly OwnerKind[] = ["operator", "merchant", "wallet_holder"];

export async function addOwner(ctx: Ctx, spec: OwnerSpec, actor: string): Promise<Result<Owner>> {
  if (!validId(spec.id))
    return err("INPUT_INVALID", "owner id: 1..64 of letters, digits, '.', '_', ':', '-'");
  if (!KINDS.includes(spec.kind))
    return err("INPUT_INVALID", `owner kind must be one of ${KINDS.join(", ")}`);
  if (!validText(spec.subject))
    return err("INPUT_INVALID", "subject (operator id or wallet id) is required");
  if (spec.kind === "wallet_holder" && !/^[0-9a-f]{2,64}$/.test(spec.subject))
    return err("INPUT_INVALID", "a wallet holder's subject is the wallet id in lower-case hex");
  if (!validText(spec.legalName, 140)) return err("INPUT_INVALID", "legal name: 1..140 characters");
  if (!validText(actor)) return err("INPUT_INVALID", "actor is required");
  return ctx.db.transaction(async (tx) => {
    const at = nowIso(ctx);
    // An operator and a merchant with one subject share clearing account operator:<subject>:
    // it has one owner (docs/CASHOUT.md §1).
    const holder = (
      await tx.query(
        `SELECT id, kind FROM cashout_owners WHERE subject = $1 AND id <> $2
       AND (kind = 'wallet_holder') = ($3 = 'wallet_holder')`,
        [spec.subject, spec.id, spec.kind],
      )
    )[0];
    if (holder !== undefined) {
      await audit(tx, at, {
        actor,
        action: "owner.add",
        decision: "refused",
        ownerId: spec.id,
        reason: "OWNER_EXISTS",
      });
      return err<Owner>(
        "OWNER_EXISTS",
        `the clearing account of ${spec.kind} ${spec.subject} already belongs to owner ${String(holder["id"])} ` +
          `(${String(holder["kind"])}); one account has one owner`,
      );
    }
    const rows = await tx.query(
      `INSERT INTO cashout_owners (id, kind, subject, legal_name, created_at) VALUES ($1, $2, $3, $4, $5::timestamptz)
       ON CONFLICT DO NOTHING RETURNING *`,
      [spec.id, spec.kind, spec.subject, spec.legalName, at],
    );
    if (rows[0] === undefined) {
      const prior = await loadOwnerRow(tx, spec.id);
      if (
        prior !== undefined &&
        prior["kind"] === spec.kind &&
        prior["subject"] === spec.subject &&
        prior["legal_name"] === spec.legalName
      )
        return ok(toOwner(prior));
      return err<Owner>(
        "OWNER_EXISTS",
        `an owner with id ${spec.id} or for ${spec.kind} ${spec.subject} already exists`,
      );
    }
    await audit(tx, at, {
      actor,
      action: "owner.add",
      decision: "ok",
      ownerId: spec.id,
      detail: { kind: spec.kind, subject: spec.subject, legalName: spec.legalName },
    });
    return ok(toOwner(rows[0]));
  });
}

export async function getOwner(ctx: Ctx, id: string): Promise<Owner | undefined> {
  const r = await loadOwnerRow(ctx.db, id);
  return r === undefined ? undefined : toOwner(r);
}

export async function listOwners(ctx: Ctx): Promise<Owner[]> {
  return (await ctx.db.query("SELECT * FROM cashout_owners ORDER BY id")).map(toOwner);
}

/** Records the identity-verification state. Verification is done by someone other than the
 *  owner (an actor "owner:<id>" cannot verify itself); who and when are kept. */
export async function setKyc(
  ctx: Ctx,
  ownerId: string,
  state: KycState,
  actor: string,
  reference?: string,
): Promise<Result<Owner>> {
  if (!["unverified", "pending", "verified"].includes(state))
    return err("INPUT_INVALID", "KYC state must be unverified, pending or verified");
  if (!validText(actor)) return err("INPUT_INVALID", "actor is required");
  if (reference !== undefined && !validText(reference, 140))
    return err("INPUT_INVALID", "reference: 1..140 characters");
  return ctx.db.transaction(async (tx) => {
    const at = nowIso(ctx);
    const row = await loadOwnerRow(tx, ownerId, true);
    if (row === undefined) return err<Owner>("NOT_FOUND", `no owner ${ownerId}`);
    if (state === "verified" && actor === `owner:${ownerId}`) {
      await audit(tx, at, {
        actor,
        action: "kyc.set",
        decision: "refused",
        ownerId,
        reason: "KYC_SELF_VERIFICATION",
        detail: { state },
      });
      return err<Owner>("KYC_SELF_VERIFICATION", "an owner cannot verify its own identity");
    }
    const verified = state === "verified";
    const rows = await tx.query(
      `UPDATE cashout_owners SET kyc_state = $2, kyc_reference = $3, kyc_verified_by = $4, kyc_verified_at = $5::timestamptz
       WHERE id = $1 RETURNING *`,
      [ownerId, state, reference ?? null, verified ? actor : null, verified ? at : null],
    );
    await audit(tx, at, {
      actor,
      action: "kyc.set",
      decision: "ok",
      ownerId,
      detail: { from: row["kyc_state"], to: state, reference: reference ?? null },
    });
    return ok(toOwner(rows[0]!));
  });
}

/** The audit trail keeps the country and the last 4 characters of an IBAN, no more. */
export function maskIban(iban: string): string {
  return `${iban.slice(0, 2)}…${iban.slice(-4)}`;
}

export interface BankAccountSpec {
  iban: string;
  bic: string;
  holderName: string;
  currency: string;
}

const sha256 = (s: string): string => createHash("sha256").update(s).digest("hex");

/** Adds an account in state `unverified` and returns its one-time confirmation code. In
 *  production the code travels out of band (e.g. in the remittance text of a one-cent
 *  transfer to that account), proving the owner controls it; here the caller delivers it. */
export async function addBankAccount(
  ctx: Ctx,
  ownerId: string,
  spec: BankAccountSpec,
  actor: string,
): Promise<Result<{ account: BankAccount; confirmationCode: string }>> {
  if (!validText(actor)) return err("INPUT_INVALID", "actor is required");
  const iban = validateIban(spec.iban);
  if (!iban.ok) return err("IBAN_INVALID", iban.message);
  const bic = validateBic(spec.bic);
  if (!bic.ok) return err("BIC_INVALID", bic.message);
  if (!validText(spec.holderName, 140))
    return err("INPUT_INVALID", "account holder name: 1..140 characters");
  try {
    currencyInfo(spec.currency);
  } catch (e) {
    return err("INPUT_INVALID", (e as MoneyError).message);
  }
  const id = `ba_${randomBytes(8).toString("hex")}`;
  const code = String(randomInt(0, 100_000_000)).padStart(8, "0");
  return ctx.db.transaction(async (tx) => {
    const at = nowIso(ctx);
    const owner = await loadOwnerRow(tx, ownerId, true);
    if (owner === undefined)
      return err<{ account: BankAccount; confirmationCode: string }>(
        "NOT_FOUND",
        `no owner ${ownerId}`,
      );
    if (!namesMatch(spec.holderName, String(owner["legal_name"]))) {
      await audit(tx, at, {
        actor,
        action: "account.add",
        decision: "refused",
        ownerId,
        reason: "NAME_MISMATCH",
        detail: { holderName: spec.holderName, legalName: owner["legal_name"] },
      });
      return err<{ account: BankAccount; confirmationCode: string }>(
        "NAME_MISMATCH",
        `account holder '${spec.holderName}' does not match the owner's legal name '${String(owner["legal_name"])}'`,
      );
    }
    // Sealed values do not compare in SQL: the owner's row is locked (loadOwnerRow) and its
    // few accounts opened to refuse a duplicate.
    const mine = await tx.query(
      "SELECT * FROM cashout_bank_accounts WHERE owner_id = $1 AND currency = $2",
      [ownerId, spec.currency],
    );
    if (mine.some((r) => bankDetail(ctx.sealer, r, "iban") === iban.iban)) {
      return err<{ account: BankAccount; confirmationCode: string }>(
        "INPUT_INVALID",
        `owner ${ownerId} already has ${iban.iban} for ${spec.currency}`,
      );
    }
    const seal = (column: string, v: string): string =>
      ctx.sealer.seal(v, "cashout_bank_accounts", column, id);
    const rows = await tx.query(
      `INSERT INTO cashout_bank_accounts (id, owner_id, iban, bic, holder_name, currency, state,
         confirm_code_sha, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, 'unverified', $7, $8::timestamptz) RETURNING *`,
      [
        id,
        ownerId,
        seal("iban", iban.iban),
        seal("bic", bic.bic),
        seal("holder_name", spec.holderName),
        spec.currency,
        sha256(`${id}:${code}`),
        at,
      ],
    );
    await audit(tx, at, {
      actor,
      action: "account.add",
      decision: "ok",
      ownerId,
      detail: { accountId: id, iban: maskIban(iban.iban), bic: bic.bic, currency: spec.currency },
    });
    return ok({ account: toBankAccount(rows[0]!, ctx.sealer), confirmationCode: code });
  });
}

/** The confirmation step: the right code verifies the account; too many wrong ones disable it. */
export async function verifyBankAccount(
  ctx: Ctx,
  accountId: string,
  code: string,
  actor: string,
): Promise<Result<BankAccount>> {
  if (!validText(actor)) return err("INPUT_INVALID", "actor is required");
  return ctx.db.transaction(async (tx) => {
    const at = nowIso(ctx);
    const r = (
      await tx.query("SELECT * FROM cashout_bank_accounts WHERE id = $1 FOR UPDATE", [accountId])
    )[0];
    if (r === undefined) return err<BankAccount>("NOT_FOUND", `no bank account ${accountId}`);
    const ownerId = String(r["owner_id"]);
    if (r["state"] === "verified") return ok(toBankAccount(r, ctx.sealer));
    if (r["state"] === "disabled")
      return err<BankAccount>(
        "ACCOUNT_DISABLED",
        "this account was disabled after too many wrong codes; add it again",
      );
    const want = Buffer.from(String(r["confirm_code_sha"]), "hex");
    const got = Buffer.from(sha256(`${accountId}:${code}`), "hex");
    if (!timingSafeEqual(want, got)) {
      const attempts = Number(r["confirm_attempts"]) + 1;
      const disable = attempts >= ctx.config.accountCodeAttemptsMax;
      await tx.query(
        "UPDATE cashout_bank_accounts SET confirm_attempts = $2, state = $3 WHERE id = $1",
        [accountId, attempts, disable ? "disabled" : "unverified"],
      );
      await audit(tx, at, {
        actor,
        action: "account.verify",
        decision: "refused",
        ownerId,
        reason: disable ? "TOO_MANY_ATTEMPTS" : "CODE_INVALID",
        detail: { accountId, attempts },
      });
      return err<BankAccount>(
        disable ? "TOO_MANY_ATTEMPTS" : "CODE_INVALID",
        disable ? "too many wrong codes: account disabled" : "wrong confirmation code",
      );
    }
    const rows = await tx.query(
      "UPDATE cashout_bank_accounts SET state = 'verified', verified_by = $2, verified_at = $3::timestamptz WHERE id = $1 RETURNING *",
      [accountId, actor, at],
    );
    await audit(tx, at, {
      actor,
      action: "account.verify",
      decision: "ok",
      ownerId,
      detail: { accountId },
    });
    return ok(toBankAccount(rows[0]!, ctx.sealer));
  });
}

export async function listBankAccounts(ctx: Ctx, ownerId: string): Promise<BankAccount[]> {
  const rows = await ctx.db.query(
    "SELECT * FROM cashout_bank_accounts WHERE owner_id = $1 ORDER BY created_at, id",
    [ownerId],
  );
  return rows.map((r) => toBankAccount(r, ctx.sealer));
}

export function totpParamsOf(row: Record<string, unknown>): TotpParams {
  return {
    algorithm: String(row["totp_algorithm"]) as TotpParams["algorithm"],
    digits: Number(row["totp_digits"]),
    stepSeconds: Number(row["totp_step_s"]),
    windowSteps: 1,
  };
}

/** A new secret (inactive until a first code proves the app has it). Re-enrolling replaces
 *  the secret and deactivates the second factor until activated again. */
export async function enrollTotp(
  ctx: Ctx,
  ownerId: string,
  actor: string,
): Promise<Result<{ secret: string; uri: string }>> {
  if (!validText(actor)) return err("INPUT_INVALID", "actor is required");
  const secret = newTotpSecret();
  const p = ctx.config.totp;
  return ctx.db.transaction(async (tx) => {
    const at = nowIso(ctx);
    const rows = await tx.query(
      `UPDATE cashout_owners SET totp_secret = $2, totp_algorithm = $3, totp_digits = $4, totp_step_s = $5, totp_active = false
       WHERE id = $1 RETURNING id`,
      [
        ownerId,
        ctx.sealer.seal(base32Encode(secret), "cashout_owners", "totp_secret", ownerId),
        p.algorithm,
        p.digits,
        p.stepSeconds,
      ],
    );
    if (rows[0] === undefined)
      return err<{ secret: string; uri: string }>("NOT_FOUND", `no owner ${ownerId}`);
    await audit(tx, at, {
      actor,
      action: "totp.enroll",
      decision: "ok",
      ownerId,
      detail: { algorithm: p.algorithm, digits: p.digits, period: p.stepSeconds },
    });
    return ok({
      secret: base32Encode(secret),
      uri: otpauthUri(secret, ctx.config.totpIssuer, ownerId, p),
    });
  });
}

/** Checks a code against the owner's secret inside the caller's transaction, with the
 *  owner row locked; a step is accepted once (the highest accepted step is stored). */
/** A wrong code and a code already used answer the same ("invalid"): a guesser must not
 *  learn which of its guesses were real codes. Each counts toward the owner's lockout,
 *  across all its cash-outs; while blocked, no code is even checked. The caller's
 *  transaction must commit on refusal (refusals are values), so the count persists.
 *  A code that is not the owner's number of digits is a typing slip, not a guess: it is
 *  refused as "format" before anything is checked or counted (spaces are ignored, as
 *  authenticator apps show "123 456"). */
/** One message per outcome, the same for a wrong code and a used one. */
export const TOTP_REFUSAL = {
  invalid: "wrong or already used code; wait for the next code",
  blocked:
    "too many wrong codes: the second factor is blocked for a while or until the operator unblocks it",
} as const;

export type TotpVerdict = "ok" | "invalid" | "blocked" | "not_enrolled" | "format";

export interface TotpCheck {
  verdict: TotpVerdict;
  /** Codes the owner may still get wrong before the second factor is blocked. */
  triesLeft: number;
  /** The owner's code length (for the "format" message). */
  digits: number;
}

/** The code as typed, without the spaces authenticator apps put in the middle. */
export function normaliseTotpCode(code: string): string {
  return code.replace(/\s+/g, "");
}

/** "the code is 6 digits; this one is not (not counted as a try)". */
export function totpFormatMessage(digits: number): string {
  return `the code is ${digits} digits; this one is not (not counted as a try)`;
}

/** "wrong or already used code; … (4 tries left)". */
export function triesLeftText(n: number): string {
  return `${n} ${n === 1 ? "try" : "tries"} left`;
}

export async function consumeTotp(
  tx: Tx,
  ctx: Ctx,
  row: Record<string, unknown>,
  typed: string,
): Promise<TotpCheck> {
  const max = ctx.config.totpFailuresMax;
  const params = totpParamsOf(row);
  const digits = params.digits;
  if (row["totp_secret"] === null || row["totp_secret"] === undefined) {
    return { verdict: "not_enrolled", triesLeft: max, digits };
  }
  const code = normaliseTotpCode(typed);
  const id = row["id"] as string;
  const blockedUntil =
    row["totp_blocked_until"] === null ? null : Number(row["totp_blocked_until"]);
  const now = ctx.now();
  if (blockedUntil !== null && now < blockedUntil) {
    return { verdict: "blocked", triesLeft: 0, digits };
  }
  const failures = blockedUntil === null ? Number(row["totp_failures"]) : 0; // a block served resets
  if (!new RegExp(`^\\d{${digits}}$`).test(code)) {
    return { verdict: "format", triesLeft: Math.max(0, max - failures), digits };
  }
  const secret = ctx.sealer.open(String(row["totp_secret"]), "cashout_owners", "totp_secret", id);
  const step = matchTotp(base32Decode(secret), code, Math.floor(now / 1000), params);
  const used =
    step === null
      ? []
      : await tx.query(
          `UPDATE cashout_owners SET totp_last_step = $2, totp_failures = 0, totp_blocked_until = NULL
     WHERE id = $1 AND totp_last_step < $2 RETURNING id`,
          [id, step],
        );
  if (used.length === 1) return { verdict: "ok", triesLeft: max, digits };
  const next = failures + 1;
  const block = next >= max ? now + ctx.config.totpBlockS * 1000 : null;
  await tx.query(
    "UPDATE cashout_owners SET totp_failures = $2, totp_blocked_until = $3 WHERE id = $1",
    [id, block === null ? next : 0, block],
  );
  return block === null
    ? { verdict: "invalid", triesLeft: max - next, digits }
    : { verdict: "blocked", triesLeft: 0, digits };
}

/** The operator lifts a second-factor block before its time (after checking with the owner). */
export async function unblockTotp(
  ctx: Ctx,
  ownerId: string,
  actor: string,
): Promise<Result<Owner>> {
  if (!validText(actor)) return err("INPUT_INVALID", "actor is required");
  return ctx.db.transaction(async (tx) => {
    const rows = await tx.query(
      "UPDATE cashout_owners SET totp_failures = 0, totp_blocked_until = NULL WHERE id = $1 RETURNING *",
      [ownerId],
    );
    if (rows.length === 0) return err<Owner>("NOT_FOUND", `no owner ${ownerId}`);
    await audit(tx, nowIso(ctx), { actor, action: "totp.unblock", decision: "ok", ownerId });
    return ok(toOwner(rows[0]!));
  });
}

export async function activateTotp(
  ctx: Ctx,
  ownerId: string,
  code: string,
  actor: string,
): Promise<Result<Owner>> {
  if (!validText(actor)) return err("INPUT_INVALID", "actor is required");
  return ctx.db.transaction(async (tx) => {
    const at = nowIso(ctx);
    const row = await loadOwnerRow(tx, ownerId, true);
    if (row === undefined) return err<Owner>("NOT_FOUND", `no owner ${ownerId}`);
    const check = await consumeTotp(tx, ctx, row, code);
    const v = check.verdict;
    if (v === "format") return err<Owner>("TOTP_FORMAT", totpFormatMessage(check.digits));
    if (v !== "ok") {
      const code2 =
        v === "not_enrolled"
          ? "TOTP_NOT_ACTIVE"
          : v === "blocked"
            ? "TOTP_BLOCKED"
            : "TOTP_INVALID";
      await audit(tx, at, {
        actor,
        action: "totp.activate",
        decision: "refused",
        ownerId,
        reason: code2,
      });
      if (v === "not_enrolled") return err<Owner>(code2, "enrol a second factor first");
      const text =
        v === "invalid"
          ? `${TOTP_REFUSAL.invalid} (${triesLeftText(check.triesLeft)})`
          : TOTP_REFUSAL.blocked;
      return err<Owner>(code2, text, { triesLeft: check.triesLeft });
    }
    const rows = await tx.query(
      "UPDATE cashout_owners SET totp_active = true WHERE id = $1 RETURNING *",
      [ownerId],
    );
    await audit(tx, at, { actor, action: "totp.activate", decision: "ok", ownerId });
    return ok(toOwner(rows[0]!));
  });
}
