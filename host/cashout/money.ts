// Money on the cash-out path: integer minor units only, never floating-point arithmetic.
// Like clearing (docs/CLEARING.md §1) amounts are safe non-negative integers (`number`)
// so JSON stays plain; products that could pass 2^53 (fee percentages) use bigint inside.
// The currency table and the formats are host/money's (one for the whole product); this
// module keeps cash-out's stricter rules: stored currencies are exact alphabetic codes
// (flags normalise "eur"/"978" before they get here) and amounts are never negative.
import {
  CURRENCIES as TABLE, formatDecimal, MoneyError, parseAmount, supportedCodes, type Currency,
} from "../money/index.ts";

export { MoneyError };
export type CurrencyInfo = Currency;

/** The currencies cash-out supports (host/money/currencies.ts, ISO 4217). */
export const CURRENCIES: readonly CurrencyInfo[] = TABLE;

/** Largest amount one cash-out may carry: 10^15 minor units is below 2^53 and keeps every
 *  sum of a payout file within xs:decimal totalDigits 18. */
export const AMOUNT_MINOR_MAX = 1_000_000_000_000_000;

/** Exact match only: "EUR" or 978, never "eur" (what is stored must be canonical). */
export function currency(code: string | number): CurrencyInfo {
  const c = CURRENCIES.find((x) => x.alpha === code || x.numeric === code);
  if (c === undefined) {
    throw new MoneyError(`unsupported currency '${code}' (supported: ${supportedCodes()})`);
  }
  return c;
}

export function exponentOf(code: string | number): number {
  return currency(code).exponent;
}

/** Validates an amount in minor units coming from outside (JSON, flags, the database). */
export function checkMinor(amount: number, what: string): number {
  if (!Number.isSafeInteger(amount) || amount < 0 || amount > AMOUNT_MINOR_MAX) {
    throw new MoneyError(`${what} must be a whole number of minor units in `
      + `0..${AMOUNT_MINOR_MAX}, got ${String(amount)}`);
  }
  return amount;
}

/** 12345 EUR → "123.45"; 5 JPY → "5"; 5 KWD → "0.005" (files: no grouping, no code). */
export function formatMinor(amount: number | bigint, code: string | number): string {
  if (BigInt(amount) < 0n) throw new MoneyError(`negative amount ${amount}`);
  return formatDecimal(amount, currency(code).alpha);
}

/** "123.45" EUR → 12345. Refuses more decimals than the currency has (no silent rounding
 *  of money someone typed), signs, exponents and thousands separators. */
export function parseMajor(text: string, code: string | number): number {
  const v = parseAmount(text, currency(code).alpha);
  if (v > BigInt(AMOUNT_MINOR_MAX)) {
    throw new MoneyError(`'${text}' exceeds the largest supported amount`);
  }
  return Number(v);
}
