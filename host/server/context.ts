// What the route handlers share: the clearing service, the cash-out port, and the
// authentication of a request. Handlers see cash-out only through CashoutPort, a small
// JSON-shaped view of host/cashout/ (adapter in cashout-port.ts), so the API's wire
// format is decided here and not by storage types.
import type { IncomingMessage } from "node:http";
import type { Clearing } from "../clearing/index.ts";
import type { Principal } from "./auth.ts";

export interface BankAccountView {
  id: string;
  holder: string;
  iban: string;
  verified: boolean;
}

export interface OwnerView {
  id: string;
  name: string;
  kind: string;
  verified: boolean;
  currency: string;
  /** The clearing account the owner cashes out from. */
  accountId: string;
  /** Set when the owner is an operator/merchant: whose reader payments are theirs. */
  operatorId: string | undefined;
  bankAccounts: BankAccountView[];
  /** Two-step confirmation is possible only once a TOTP secret is enrolled. */
  totpEnrolled: boolean;
}

export interface QuoteView {
  ownerId: string;
  currency: string;
  gross: number;
  fee: number;
  net: number;
  percentBps: number;
  percentPart: number;
  fixed: number;
  feeMin: number;
  feeMax: number;
  clampedTo: "min" | "max" | null;
  amountMin: number;
  amountMax: number;
  available: number;
  dailyLimit: number;
  dailyUsed: number;
  /** Why this amount cannot be cashed out now (below minimum, over the daily limit, …); null when it can. */
  refusal: string | null;
}

export interface CashoutView {
  id: string;
  ownerId: string;
  bankAccountId: string;
  currency: string;
  gross: number;
  fee: number;
  net: number;
  status: string;
  timeline: { status: string; at: string; note: string }[];
  /** Wrong second-factor codes left before a requested cash-out is cancelled; else null. */
  confirmTriesLeft: number | null;
}

/** An expected refusal from cash-out (limits, wrong code, unverified owner): answered as 4xx. */
export class CashoutRefused extends Error {
  constructor(
    readonly status: 400 | 403 | 404 | 409 | 422 | 429,
    message: string,
    readonly code: string,
    /** Extra fields of the error object (`triesLeft` after a wrong second-factor code). */
    readonly detail: Record<string, number> = {},
  ) {
    super(message);
  }
}

export interface CashoutPort {
  owner(ownerId: string): Promise<OwnerView | undefined>;
  owners(): Promise<OwnerView[]>;
  quote(ownerId: string, gross: number): Promise<QuoteView>;
  request(ownerId: string, gross: number, bankAccountId: string | undefined): Promise<CashoutView>;
  confirm(ownerId: string, cashoutId: string, code: string): Promise<CashoutView>;
  cancel(ownerId: string, cashoutId: string): Promise<CashoutView>;
  get(cashoutId: string): Promise<CashoutView | undefined>;
  list(ownerId: string | undefined, limit: number): Promise<CashoutView[]>;
}

/** The clock the server's own times (cash-out timelines, expiry) follow, and its name, so
 *  the dashboard can say which clock a time is on: "wall" for a real installation,
 *  "demo" when `offtap demo --serve` continues the demo's simulated time. */
export interface ServerClock {
  name: "wall" | "demo";
  now(): number;
}

export const WALL_CLOCK: ServerClock = { name: "wall", now: () => Date.now() };

export interface ServerContext {
  clearing: Clearing;
  clock: ServerClock;
  cashout: CashoutPort | undefined;
  auth(req: IncomingMessage): Principal;
  ownerAccountIds(ownerId: string): Promise<Set<string>>;
  ownerOperatorId(ownerId: string): Promise<string | undefined>;
}
