// A cash-out installation for tests: clearing on a fresh database, an operator with a
// settled balance, a verified owner with a verified bank account and an active TOTP, and
// a clock the test moves.
import type { Clearing } from "../../host/clearing/index.ts";
import { accountIds } from "../../host/clearing/index.ts";
import { CashoutService, type CashoutOptions } from "../../host/cashout/index.ts";
import { base32Decode, totp } from "../../host/cashout/totp.ts";

export const EUR = 978;
export const T0 = Date.UTC(2026, 10, 21, 6, 0, 0);

export class Clock {
  constructor(public ms = T0) {}
  readonly now = (): number => this.ms;
  advance(seconds: number): void { this.ms += seconds * 1000; }
}

export function must<T>(r: { ok: true; value: T } | { ok: false; error: string; message: string }): T {
  if (!r.ok) throw new Error(`expected ok, got ${r.error}: ${r.message}`);
  return r.value;
}

let fundSeq = 0;

/** Pays `amount` of settled value to operator `operatorId` the way clearing does (issuer float → operator). */
export async function settle(c: Clearing, operatorId: string, amount: number): Promise<string> {
  const acct = accountIds.operator(operatorId, EUR);
  await c.createAccount({ id: acct, code: "operator_settlement", currency: EUR, name: operatorId, flags: { debitsMustNotExceedCredits: true } });
  const f = await c.fundIssuer(`test-fund-${++fundSeq}`, 1, EUR, amount);
  if (!f.ok) throw new Error(f.message);
  const p = await c.createTransfer({ id: `test-pay-${fundSeq}`, debitAccount: accountIds.issuerFloat(1, EUR), creditAccount: acct, amount, code: "payment", ref: "test" });
  if (!p.ok) throw new Error(p.message);
  return acct;
}

export interface Installation {
  svc: CashoutService;
  clock: Clock;
  ownerId: string;
  accountId: string;
  secret: Uint8Array;
  clearingAccount: string;
  /** The current TOTP code; moves the clock one step first so every call gets a fresh step. */
  nextCode(): string;
}

export async function install(c: Clearing, o: { balance?: number; operatorId?: string; options?: CashoutOptions } = {}): Promise<Installation> {
  const clock = new Clock();
  const svc = await CashoutService.open(c, { now: clock.now, ...o.options });
  const operatorId = o.operatorId ?? "acme";
  const clearingAccount = await settle(c, operatorId, o.balance ?? 500_000);
  const ownerId = `own-${operatorId}`;
  must(await svc.addOwner({ id: ownerId, kind: "operator", subject: operatorId, legalName: "ACME Transit GmbH" }, "operator:admin"));
  must(await svc.setKyc(ownerId, "verified", "kyc:alice", "passport check #1"));
  const added = must(await svc.addBankAccount(ownerId, { iban: "DE89 3704 0044 0532 0130 00", bic: "COBADEFFXXX", holderName: "acme transit gmbh", currency: "EUR" }, `owner:${ownerId}`));
  must(await svc.verifyBankAccount(added.account.id, added.confirmationCode, `owner:${ownerId}`));
  const enrolled = must(await svc.enrollTotp(ownerId, `owner:${ownerId}`));
  const secret = base32Decode(enrolled.secret);
  const nextCode = (): string => { clock.advance(30); return totp(secret, Math.floor(clock.ms / 1000)); };
  must(await svc.activateTotp(ownerId, nextCode(), `owner:${ownerId}`));
  must(await svc.setDebtor({ name: "Offtap Clearing AG", iban: "CH9300762011623852957", bic: "UBSWCHZH80A" }, "operator:admin"));
  return { svc, clock, ownerId, accountId: added.account.id, secret, clearingAccount, nextCode };
}
