// The currencies offtap supports, by ISO 4217 alphabetic code, numeric code and minor unit
// (the number of decimals). Source: ISO 4217 "List One — Current currency & funds code
// list" as published by SIX Financial Information (the ISO 4217 maintenance agency),
// columns "Alphabetic Code", "Numeric Code" and "Minor unit". A currency not in this table
// is refused at every edge rather than guessed: adding one is a one-line change here.

export interface Currency {
  /** ISO 4217 alphabetic code, e.g. "EUR": what people read and type. */
  readonly alpha: string;
  /** ISO 4217 numeric code, e.g. 978: what wallet certificates and readers carry. */
  readonly numeric: number;
  /** ISO 4217 minor unit: digits after the decimal point (EUR 2, JPY 0, KWD 3). */
  readonly exponent: number;
  /** English name, for help texts. */
  readonly name: string;
}

function c(alpha: string, numeric: number, exponent: number, name: string): Currency {
  return Object.freeze({ alpha, numeric, exponent, name });
}

/** Sorted by alphabetic code within each group; the first six are the ones the README and
 *  the demo use. */
export const CURRENCIES: readonly Currency[] = Object.freeze([
  c("EUR", 978, 2, "Euro"),
  c("USD", 840, 2, "US Dollar"),
  c("GBP", 826, 2, "Pound Sterling"),
  c("CHF", 756, 2, "Swiss Franc"),
  c("SEK", 752, 2, "Swedish Krona"),
  c("JPY", 392, 0, "Yen"),
  c("BHD", 48, 3, "Bahraini Dinar"),
  c("CZK", 203, 2, "Czech Koruna"),
  c("DKK", 208, 2, "Danish Krone"),
  c("HUF", 348, 2, "Forint"),
  c("ISK", 352, 0, "Iceland Krona"),
  c("JOD", 400, 3, "Jordanian Dinar"),
  c("KWD", 414, 3, "Kuwaiti Dinar"),
  c("NOK", 578, 2, "Norwegian Krone"),
  c("PLN", 985, 2, "Zloty"),
  c("RON", 946, 2, "Romanian Leu"),
]);

/** The default currency of every command that takes --currency. */
export const DEFAULT_CURRENCY = "EUR";

/** The largest minor unit in the table: bounds the digits a parsed fraction may have. */
export const EXPONENT_MAX = 3;
