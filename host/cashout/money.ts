// Money on the cash-out path: integer minor units only, never floating-point arithmetic.
// Like clearing (docs/CLEARING.md §1) amounts are safe non-negative integers (`number`)
// so JSON stays plain; products that could pass 2^53 (fee percentages) use bigint inside.
// Amounts cross every text boundary (CLI, XML, CSV) as decimal strings made here from
// minor units with the currency's ISO 4217 exponent, and are parsed back here.

export interface CurrencyInfo {
  readonly alpha: string;
  /** ISO 4217 numeric code: clearing's account currency. */
  readonly numeric: number;
  /** ISO 4217 minor unit (digits after the decimal point). */
  readonly exponent: number;
}

/** The currencies cash-out supports (ISO 4217). A currency not here is refused at the
 *  edge rather than guessed. */
export const CURRENCIES: readonly CurrencyInfo[] = Object.freeze([
  { alpha: "EUR", numeric: 978, exponent: 2 }, { alpha: "USD", numeric: 840, exponent: 2 },
  { alpha: "GBP", numeric: 826, exponent: 2 }, { alpha: "CHF", numeric: 756, exponent: 2 },
  { alpha: "SEK", numeric: 752, exponent: 2 }, { alpha: "NOK", numeric: 578, exponent: 2 },
  { alpha: "DKK", numeric: 208, exponent: 2 }, { alpha: "PLN", numeric: 985, exponent: 2 },
  { alpha: "CZK", numeric: 203, exponent: 2 }, { alpha: "HUF", numeric: 348, exponent: 2 },
  { alpha: "RON", numeric: 946, exponent: 2 }, { alpha: "ISK", numeric: 352, exponent: 0 },
  { alpha: "JPY", numeric: 392, exponent: 0 }, { alpha: "KWD", numeric: 414, exponent: 3 },
  { alpha: "BHD", numeric: 48, exponent: 3 }, { alpha: "JOD", numeric: 400, exponent: 3 },
]);

/** Largest amount one cash-out may carry: 10^15 minor units is below 2^53 and keeps every
 *  sum of a payout file within xs:decimal totalDigits 18. */
export const AMOUNT_MINOR_MAX = 1_000_000_000_000_000;

export class MoneyError extends Error {}

export function currency(code: string | number): CurrencyInfo {
  const c = CURRENCIES.find((x) => x.alpha === code || x.numeric === code);
  if (c === undefined) throw new MoneyError(`unsupported currency '${code}' (supported: ${CURRENCIES.map((x) => x.alpha).join(", ")})`);
  return c;
}

export function exponentOf(code: string | number): number {
  return currency(code).exponent;
}

/** Validates an amount in minor units coming from outside (JSON, flags, the database). */
export function checkMinor(amount: number, what: string): number {
  if (!Number.isSafeInteger(amount) || amount < 0 || amount > AMOUNT_MINOR_MAX) {
    throw new MoneyError(`${what} must be a whole number of minor units in 0..${AMOUNT_MINOR_MAX}, got ${String(amount)}`);
  }
  return amount;
}

/** 12345 EUR → "123.45"; 5 JPY → "5"; 5 KWD → "0.005". */
export function formatMinor(amount: number | bigint, code: string | number): string {
  const v = BigInt(amount);
  if (v < 0n) throw new MoneyError(`negative amount ${v}`);
  const e = exponentOf(code);
  if (e === 0) return v.toString();
  const digits = v.toString().padStart(e + 1, "0");
  return `${digits.slice(0, -e)}.${digits.slice(-e)}`;
}

/** "123.45" EUR → 12345. Refuses more decimals than the currency has (no silent rounding
 *  of money someone typed), signs, exponents and thousands separators. */
export function parseMajor(text: string, code: string | number): number {
  const e = exponentOf(code);
  const m = /^(\d{1,16})(?:\.(\d+))?$/.exec(text.trim());
  if (m === null) throw new MoneyError(`'${text}' is not an amount (digits, optional '.' and up to ${e} decimals)`);
  const frac = m[2] ?? "";
  if (frac.length > e) throw new MoneyError(`'${text}' has more than ${e} decimals for ${currency(code).alpha}`);
  const v = BigInt(m[1]!) * 10n ** BigInt(e) + BigInt(frac.padEnd(e, "0") || "0");
  if (v > BigInt(AMOUNT_MINOR_MAX)) throw new MoneyError(`'${text}' exceeds the largest supported amount`);
  return Number(v);
}
