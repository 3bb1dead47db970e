// Looking currencies up by ISO 4217 code (alphabetic or numeric), for flags, JSON and the
// database (clearing stores the numeric code, cash-out the alphabetic one).
import { CURRENCIES, type Currency } from "./currencies.ts";

/** An expected failure of money input (unknown currency, malformed amount): the CLI turns
 *  it into a usage error, the server into a 400. */
export class MoneyError extends Error {}

const BY_ALPHA = new Map(CURRENCIES.map((x) => [x.alpha, x]));
const BY_NUMERIC = new Map(CURRENCIES.map((x) => [x.numeric, x]));

/** "EUR, USD, …": the codes to name in an error message. */
export function supportedCodes(): string {
  return CURRENCIES.map((x) => `${x.alpha} (${x.numeric})`).join(", ");
}

/** The currency for a code, or undefined. Accepts "EUR", "eur", " EUR ", 978, "978" and
 *  "040"-style zero-padded numeric codes. */
export function findCurrency(code: string | number): Currency | undefined {
  if (typeof code === "number") return BY_NUMERIC.get(code);
  const t = code.trim();
  if (/^\d{1,3}$/.test(t)) return BY_NUMERIC.get(Number(t));
  if (/^[A-Za-z]{3}$/.test(t)) return BY_ALPHA.get(t.toUpperCase());
  return undefined;
}

/** The currency for a code; an unknown code is a MoneyError naming the valid ones. */
export function currency(code: string | number): Currency {
  const found = findCurrency(code);
  if (found === undefined) {
    throw new MoneyError(`unsupported currency '${String(code).trim()}' `
      + `(supported ISO 4217 codes: ${supportedCodes()})`);
  }
  return found;
}

/** The ISO alphabetic code for a stored code; a numeric code outside the table is shown as
 *  its three digits (still a string, so JSON's `currency` field has one type). */
export function currencyLabel(code: string | number): string {
  const found = findCurrency(code);
  if (found !== undefined) return found.alpha;
  return typeof code === "number" ? String(code).padStart(3, "0") : code;
}
