// Amounts are integers of minor units (cents, yen, fils) everywhere: never floating point.
// Numbers must be safe integers; sums that could pass 2^53 use bigint. This module turns
// them into text for people ("1,234,567.00 EUR"), plain decimals for files ("1234567.00")
// and back from what people type ("123.45").
import { currency, findCurrency, MoneyError } from "./currency.ts";

/** Digits of the integer part a typed amount may have: 10^15 minor units of a 0-decimal
 *  currency still fits a safe integer (2^53 ≈ 9.007 × 10^15). */
export const AMOUNT_INTEGER_DIGITS_MAX = 15;

/** Grouping separator of human output: a comma every three digits, as in "1,234,567.00". */
const GROUP_SEPARATOR = ",";

function toBig(minor: number | bigint): bigint {
  if (typeof minor === "number" && !Number.isSafeInteger(minor)) {
    throw new TypeError(`an amount in minor units must be a safe integer, got ${minor}`);
  }
  return BigInt(minor);
}

function group(digits: string): string {
  let out = "";
  for (let i = 0; i < digits.length; i++) {
    if (i > 0 && (digits.length - i) % 3 === 0) out += GROUP_SEPARATOR;
    out += digits[i];
  }
  return out;
}

interface Parts { neg: boolean; int: string; frac: string }

function split(minor: number | bigint, exponent: number): Parts {
  const v = toBig(minor);
  const neg = v < 0n;
  const digits = (neg ? -v : v).toString().padStart(exponent + 1, "0");
  if (exponent === 0) return { neg, int: digits, frac: "" };
  return { neg, int: digits.slice(0, -exponent), frac: digits.slice(-exponent) };
}

/** Minor units as a plain decimal for files and machines: 123456 EUR → "1234.56",
 *  -5 EUR → "-0.05", 5 JPY → "5", 5 KWD → "0.005". No grouping, no code. */
export function formatDecimal(minor: number | bigint, code: string | number): string {
  const { neg, int, frac } = split(minor, currency(code).exponent);
  return `${neg ? "-" : ""}${int}${frac === "" ? "" : `.${frac}`}`;
}

/** Minor units for people: 123456700 EUR → "1,234,567.00 EUR", -1250 → "-12.50 EUR",
 *  1234 JPY → "1,234 JPY". A numeric code outside the table cannot be given decimals, so
 *  it is shown honestly as minor units: "123456 minor units (currency 999)". */
export function formatMoney(minor: number | bigint, code: string | number): string {
  const cur = findCurrency(code);
  if (cur === undefined) return `${toBig(minor)} minor units (currency ${String(code)})`;
  const { neg, int, frac } = split(minor, cur.exponent);
  return `${neg ? "-" : ""}${group(int)}${frac === "" ? "" : `.${frac}`} ${cur.alpha}`;
}

/** What a person typed, in major units, as minor units: "123.45" EUR → 12345n, "5" JPY →
 *  5n. Refused: signs, more decimals than the currency has (no silent rounding of money),
 *  commas of any kind ("1,2" is 1.2 in half of Europe and 12 in the other half), exponents,
 *  spaces inside, and more than AMOUNT_INTEGER_DIGITS_MAX integer digits. */
export function parseAmount(text: string, code: string | number): bigint {
  const cur = currency(code);
  const t = text.trim();
  if (t.includes(",")) {
    throw new MoneyError(`'${text}' contains a comma: write the amount with a '.' before `
      + `the decimals and no thousands separator, e.g. 1234.50`);
  }
  const m = /^(\d+)(?:\.(\d+))?$/.exec(t);
  if (m === null) {
    const decimals = cur.exponent === 0 ? "no decimals" : `up to ${cur.exponent} decimals`;
    throw new MoneyError(`'${text}' is not an amount (digits, ${decimals}, e.g. `
      + `${cur.exponent === 0 ? "1234" : `1234.${"5".repeat(cur.exponent)}`})`);
  }
  const int = m[1]!, frac = m[2] ?? "";
  if (frac.length > cur.exponent) {
    throw new MoneyError(`'${text}' has ${frac.length} decimals; ${cur.alpha} has `
      + `${cur.exponent} (amounts are never rounded)`);
  }
  if (int.replace(/^0+(?=\d)/, "").length > AMOUNT_INTEGER_DIGITS_MAX) {
    throw new MoneyError(`'${text}' is too large`);
  }
  return BigInt(int) * 10n ** BigInt(cur.exponent) + BigInt(frac.padEnd(cur.exponent, "0") || "0");
}

/** parseAmount as a safe integer, refused above `maxMinor`. */
export function parseAmountMinor(text: string, code: string | number, maxMinor: number): number {
  const v = parseAmount(text, code);
  if (v > BigInt(maxMinor)) {
    throw new MoneyError(`'${text}' exceeds the largest amount, ${formatMoney(maxMinor, code)}`);
  }
  return Number(v);
}

/** Basis points as a percentage for people, in integers only: 150 → "1.50 %". */
export function formatBasisPoints(bps: number): string {
  if (!Number.isSafeInteger(bps) || bps < 0) {
    throw new TypeError(`basis points must be a non-negative integer, got ${bps}`);
  }
  return `${Math.floor(bps / 100)}.${String(bps % 100).padStart(2, "0")} %`;
}
