// Money flags on the command line: `--currency EUR|eur|978` and `--amount 123.45` (major
// units, the currency's decimals). Failures are usage errors (exit 2) naming what is valid.
import { UsageError } from "../cli/command.ts";
import { DEFAULT_CURRENCY, type Currency } from "./currencies.ts";
import { currency, MoneyError } from "./currency.ts";
import { parseAmountMinor } from "./amount.ts";

/** Help text for a --currency flag, one line. */
export const CURRENCY_FLAG_HELP = "ISO 4217 code, alphabetic or numeric (EUR or 978)";

/** `--NAME CODE` → the currency; absent → `fallback` (default EUR). */
export function currencyFlag(name: string, value: string | undefined,
  fallback: string = DEFAULT_CURRENCY): Currency {
  try {
    return currency(value ?? fallback);
  } catch (e) {
    if (e instanceof MoneyError) throw new UsageError(`--${name}: ${e.message}`);
    throw e;
  }
}

/** `--NAME 123.45` in major units of `cur` → minor units, at most `maxMinor`. */
export function amountFlag(name: string, value: string, cur: Currency, maxMinor: number): number {
  try {
    return parseAmountMinor(value, cur.alpha, maxMinor);
  } catch (e) {
    if (e instanceof MoneyError) throw new UsageError(`--${name}: ${e.message}`);
    throw e;
  }
}
