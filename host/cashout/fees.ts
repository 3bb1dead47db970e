// The fee schedule and the fee calculator every quote shows before confirmation.
//
// Rule (docs/CASHOUT.md §Fees): for a gross amount G in minor units,
//   percentPart = round_half_up(G × percentBps / 10 000)      (integer arithmetic)
//   fee         = clamp(percentPart + fixed, feeMin, feeMax)
//   net         = G − fee, and a cash-out whose net would be < 1 minor unit is refused.
// Round half up on the fee means a fee of exactly x.5 minor units rounds to x+1, in the
// operator's favour by at most half a minor unit, and never produces a negative net.
import { exponentOf, checkMinor, AMOUNT_MINOR_MAX } from "./money.ts";
import { formatBasisPoints, formatMoney } from "../money/index.ts";

export interface FeeSchedule {
  readonly currency: string;
  /** Percentage part in basis points (1 bp = 0.01 %); 100..1000 is the field's 1–10 %. */
  readonly percentBps: number;
  readonly fixedMinor: number;
  readonly feeMinMinor: number;
  readonly feeMaxMinor: number;
  /** Smallest and largest single cash-out (gross). */
  readonly amountMinMinor: number;
  readonly amountMaxMinor: number;
  /** Per owner, over a rolling 24 h window (UTC instants; see docs/CASHOUT.md). */
  readonly dailyLimitMinor: number;
  readonly dailyCountMax: number;
}

/** Shipped defaults; operators replace them with `offtap cashout fees set`. Percent and
 *  bounds sit inside what cash-out services in this field charge (1–10 %, with minimum and
 *  maximum fees). */
export const DEFAULT_FEE_SCHEDULES: readonly FeeSchedule[] = Object.freeze([
  {
    currency: "EUR", percentBps: 150, fixedMinor: 25, feeMinMinor: 50, feeMaxMinor: 2_500,
    amountMinMinor: 1_000, amountMaxMinor: 1_000_000, dailyLimitMinor: 2_000_000, dailyCountMax: 5,
  },
  {
    currency: "USD", percentBps: 150, fixedMinor: 30, feeMinMinor: 50, feeMaxMinor: 2_500,
    amountMinMinor: 1_000, amountMaxMinor: 1_000_000, dailyLimitMinor: 2_000_000, dailyCountMax: 5,
  },
  {
    currency: "GBP", percentBps: 150, fixedMinor: 20, feeMinMinor: 50, feeMaxMinor: 2_000,
    amountMinMinor: 1_000, amountMaxMinor: 1_000_000, dailyLimitMinor: 2_000_000, dailyCountMax: 5,
  },
]);

export class FeeScheduleError extends Error {}

const BPS_MAX = 10_000;
/** Sanity bound on a schedule's daily count: a payout per owner every few minutes. */
const DAILY_COUNT_MAX = 1_000;

export function checkSchedule(s: FeeSchedule): FeeSchedule {
  exponentOf(s.currency);
  const bad = (msg: string): never => {
    throw new FeeScheduleError(`${s.currency} fee schedule: ${msg}`);
  };
  if (!Number.isInteger(s.percentBps) || s.percentBps < 0 || s.percentBps > BPS_MAX) {
    bad(`percentBps must be 0..${BPS_MAX}`);
  }
  for (const [k, v] of Object.entries({
    fixedMinor: s.fixedMinor, feeMinMinor: s.feeMinMinor, feeMaxMinor: s.feeMaxMinor,
    amountMinMinor: s.amountMinMinor, amountMaxMinor: s.amountMaxMinor,
    dailyLimitMinor: s.dailyLimitMinor,
  })) {
    if (!Number.isSafeInteger(v) || v < 0 || v > AMOUNT_MINOR_MAX) {
      bad(`${k} must be a whole number of minor units in 0..${AMOUNT_MINOR_MAX}`);
    }
  }
  if (s.feeMinMinor > s.feeMaxMinor) bad("feeMin exceeds feeMax");
  if (s.amountMinMinor < 1) bad("amountMin must be at least 1 minor unit");
  if (s.amountMinMinor > s.amountMaxMinor) bad("amountMin exceeds amountMax");
  if (s.amountMaxMinor > s.dailyLimitMinor) bad("amountMax exceeds the daily limit");
  const count = s.dailyCountMax;
  if (!Number.isInteger(count) || count < 1 || count > DAILY_COUNT_MAX) {
    bad(`dailyCountMax must be 1..${DAILY_COUNT_MAX}`);
  }
  return s;
}

export interface FeeBreakdown {
  readonly percentBps: number;
  readonly percentPartMinor: number;
  readonly fixedMinor: number;
  /** percentPart + fixed, before the minimum/maximum fee applies. */
  readonly unclampedMinor: number;
  /** Which bound set the fee, if any. */
  readonly clampedTo: "min" | "max" | null;
  readonly feeMinor: number;
}

/** round_half_up(a / b) for a ≥ 0, b > 0. */
export function divRoundHalfUp(a: bigint, b: bigint): bigint {
  return (2n * a + b) / (2n * b);
}

export function computeFee(grossMinor: number, s: FeeSchedule): FeeBreakdown {
  checkMinor(grossMinor, "gross");
  const product = BigInt(grossMinor) * BigInt(s.percentBps);
  const percentPartMinor = Number(divRoundHalfUp(product, 10_000n));
  const unclampedMinor = percentPartMinor + s.fixedMinor;
  let feeMinor = unclampedMinor;
  let clampedTo: FeeBreakdown["clampedTo"] = null;
  // Both ways (checkSchedule keeps feeMin ≤ feeMax): below the minimum the fee is raised
  // to it, above the maximum it is lowered to it.
  if (feeMinor < s.feeMinMinor) {
    feeMinor = s.feeMinMinor;
    clampedTo = "min";
  }
  if (feeMinor > s.feeMaxMinor) {
    feeMinor = s.feeMaxMinor;
    clampedTo = "max";
  }
  return {
    percentBps: s.percentBps, percentPartMinor, fixedMinor: s.fixedMinor, unclampedMinor,
    clampedTo, feeMinor,
  };
}

/** One line a person reads before confirming, e.g.
 *  "1.50 % + 0.25 EUR (fee at least 0.50 EUR, at most 25.00 EUR)". */
export function describeSchedule(s: FeeSchedule): string {
  const pct = formatBasisPoints(s.percentBps);
  const f = (v: number): string => formatMoney(v, s.currency);
  return `${pct} + ${f(s.fixedMinor)} (fee at least ${f(s.feeMinMinor)}, `
    + `at most ${f(s.feeMaxMinor)})`;
}

/** Why the fee is not percentage + fixed part: a fee below the schedule's minimum is
 *  raised to it, one above its maximum is lowered to it (computeFee clamps both ways). */
export function describeClamp(clampedTo: FeeBreakdown["clampedTo"]): string {
  if (clampedTo === "min") return "raised to the minimum fee";
  if (clampedTo === "max") return "lowered to the maximum fee";
  return "";
}
