// One money, currency and time format for every command, file and API (README "Money,
// currencies and times"): amounts are integer minor units inside and in JSON; people see
// "1,234,567.00 EUR"; currencies are ISO 4217 codes; times are ISO 8601 UTC.
export { CURRENCIES, DEFAULT_CURRENCY, type Currency } from "./currencies.ts";
export { currency, currencyLabel, findCurrency, MoneyError, supportedCodes } from "./currency.ts";
export {
  AMOUNT_INTEGER_DIGITS_MAX, formatBasisPoints, formatDecimal, formatMoney, parseAmount,
  parseAmountMinor,
} from "./amount.ts";
export { isoFromUnixSeconds, isoTime, UNIX_SECONDS_U32_MAX } from "./time.ts";
export { alignRight } from "./columns.ts";
