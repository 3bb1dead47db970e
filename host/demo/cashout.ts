// The demo's cash-out act: the metro operator, identity verified by compliance, with a
// bank account it proved it controls and an authenticator app enrolled, cashes out part
// of its settled balance: quote (fee shown first), request (amount held), TOTP second
// factor (held transfers posted), payout file (pain.001 + CSV) for the bank.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { CashoutService, Cashout, Quote, PayoutFile, Result } from "../cashout/index.ts";
import { base32Decode, totp } from "../cashout/totp.ts";

export const DEMO_OWNER = {
  id: "metro",
  kind: "operator" as const,
  subject: "metro",
  legalName: "Metro Transit Ltd",
  // The ISO 13616 example IBAN and a matching BIC: valid check digits, no real account.
  iban: "DE89370400440532013000",
  bic: "COBADEFFXXX",
  currency: "EUR",
};
export const DEMO_DEBTOR = {
  name: "offtap Clearing Services",
  iban: "DE02120300000000202051",
  bic: "BYLADEM1001",
};

export interface EnrolledOwner {
  ownerId: string;
  bankAccountId: string;
  totpSecret: Uint8Array;
}

function must<T>(r: Result<T>, what: string): T {
  if (!r.ok) throw new Error(`${what}: ${r.error} ${r.message}`);
  return r.value;
}

/** Registers the demo's owner: KYC verified by someone else, bank account verified with its
 *  one-time code, TOTP enrolled and activated. `now` is the service's clock (ms), which
 *  `advance` moves on: a TOTP time step is accepted once, so activation and the first
 *  confirmation must lie in different 30-second steps. */
export async function enrolDemoOwner(
  svc: CashoutService,
  now: () => number,
  advance: (ms: number) => void,
): Promise<EnrolledOwner> {
  const o = DEMO_OWNER;
  must(
    await svc.addOwner(
      { id: o.id, kind: o.kind, subject: o.subject, legalName: o.legalName },
      "operator:onboarding",
    ),
    "add owner",
  );
  must(
    await svc.setKyc(o.id, "verified", "operator:compliance", "KYC-2026-0042"),
    "verify identity",
  );
  const added = must(
    await svc.addBankAccount(
      o.id,
      { iban: o.iban, bic: o.bic, holderName: o.legalName, currency: o.currency },
      `owner:${o.id}`,
    ),
    "add bank account",
  );
  must(
    await svc.verifyBankAccount(added.account.id, added.confirmationCode, `owner:${o.id}`),
    "verify bank account",
  );
  const enrolled = must(await svc.enrollTotp(o.id, `owner:${o.id}`), "enrol TOTP");
  const secret = base32Decode(enrolled.secret);
  must(
    await svc.activateTotp(o.id, totp(secret, Math.floor(now() / 1000)), `owner:${o.id}`),
    "activate TOTP",
  );
  advance(30_000);
  must(await svc.setDebtor(DEMO_DEBTOR, "operator:treasury"), "set debtor");
  return { ownerId: o.id, bankAccountId: added.account.id, totpSecret: secret };
}

export interface CashoutAct {
  quote: Quote;
  requested: Cashout;
  confirmed: Cashout;
  exported: Cashout;
  payout: PayoutFile;
  /** The second factor the demo computed as the owner's authenticator app would. */
  totpCode: string;
  /** Where the payout files were written. */
  files: { pain001: string; csv: string };
}

/** The payout files the demo writes into its output folder. */
export const DEMO_PAYOUT_FILES = {
  pain001: "demo-payout.pain001.xml",
  csv: "demo-payout.csv",
} as const;

/** Quote, request, confirm with the owner's TOTP, export the payout file into `outDir`. */
export async function cashOut(
  svc: CashoutService,
  owner: EnrolledOwner,
  grossMinor: number,
  now: () => number,
  advance: (ms: number) => void,
  outDir: string,
): Promise<CashoutAct> {
  const actor = `owner:${owner.ownerId}`;
  const quote = must(
    await svc.quote(owner.ownerId, grossMinor, DEMO_OWNER.currency, actor),
    "quote",
  );
  if (!quote.payable) throw new Error(`quote refused: ${quote.refusals.join(", ")}`);
  const requested = must(
    await svc.request(
      { ownerId: owner.ownerId, bankAccountId: owner.bankAccountId, quoteId: quote.id },
      actor,
    ),
    "request",
  );
  advance(5_000); // the owner reads the code off the authenticator
  const totpCode = totp(owner.totpSecret, Math.floor(now() / 1000));
  const confirmed = must(await svc.confirm(requested.id, totpCode, actor), "confirm");
  const payout = must(await svc.export("operator:treasury"), "export payouts");
  const exported = (await svc.cashout(requested.id))!;
  mkdirSync(outDir, { recursive: true });
  const files = {
    pain001: join(outDir, DEMO_PAYOUT_FILES.pain001),
    csv: join(outDir, DEMO_PAYOUT_FILES.csv),
  };
  writeFileSync(files.pain001, payout.xml);
  writeFileSync(files.csv, payout.csv);
  return { quote, requested, confirmed, exported, payout, totpCode, files };
}
