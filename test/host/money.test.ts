// host/money: one currency table, one human format, one parser, one time format.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  CURRENCIES, currency, currencyLabel, findCurrency, formatBasisPoints, formatDecimal, formatMoney,
  isoFromUnixSeconds,
  isoTime, MoneyError, parseAmount, parseAmountMinor,
} from "../../host/money/index.ts";
import { amountFlag, currencyFlag } from "../../host/money/flags.ts";
import { UsageError } from "../../host/cli/command.ts";

test("currencies: alphabetic, lower case and numeric codes name the same currency", () => {
  for (const code of ["EUR", "eur", " Eur ", "978", 978]) assert.equal(currency(code).alpha, "EUR");
  assert.equal(currency("840").alpha, "USD");
  assert.equal(currency("GBP").numeric, 826);
  assert.equal(currency("chf").numeric, 756);
  assert.equal(currency(752).alpha, "SEK");
  assert.equal(currency("JPY").exponent, 0);
  assert.equal(currency("048").alpha, "BHD");
  assert.equal(currency("KWD").exponent, 3);
});

test("currencies: the table is consistent (unique codes, ISO shapes)", () => {
  const alphas = new Set(CURRENCIES.map((c) => c.alpha));
  const numerics = new Set(CURRENCIES.map((c) => c.numeric));
  assert.equal(alphas.size, CURRENCIES.length);
  assert.equal(numerics.size, CURRENCIES.length);
  for (const c of CURRENCIES) {
    assert.match(c.alpha, /^[A-Z]{3}$/);
    assert.ok(c.numeric >= 1 && c.numeric <= 999, c.alpha);
    assert.ok([0, 2, 3].includes(c.exponent), c.alpha);
  }
});

test("currencies: unknown codes are refused naming the valid ones", () => {
  for (const bad of ["XYZ", "EU", "EURO", "1000", "", 999, "9 7 8"]) {
    assert.throws(() => currency(bad), (e: unknown) => e instanceof MoneyError
      && /unsupported currency/.test(e.message) && /EUR \(978\)/.test(e.message), String(bad));
  }
  assert.equal(findCurrency("XYZ"), undefined);
  assert.equal(currencyLabel(978), "EUR");
  assert.equal(currencyLabel(5), "005");
});

test("formatMoney: grouping, the currency's decimals, the ISO code, negatives", () => {
  assert.equal(formatMoney(123456700, "EUR"), "1,234,567.00 EUR");
  assert.equal(formatMoney(0, "EUR"), "0.00 EUR");
  assert.equal(formatMoney(5, 978), "0.05 EUR");
  assert.equal(formatMoney(-1250, "EUR"), "-12.50 EUR");
  assert.equal(formatMoney(-5, "EUR"), "-0.05 EUR");
  assert.equal(formatMoney(99999, "USD"), "999.99 USD");
  assert.equal(formatMoney(100000, "USD"), "1,000.00 USD");
  assert.equal(formatMoney(1234, "JPY"), "1,234 JPY");
  assert.equal(formatMoney(-1234567, 392), "-1,234,567 JPY");
  assert.equal(formatMoney(1234567, "KWD"), "1,234.567 KWD");
  assert.equal(formatMoney(Number.MAX_SAFE_INTEGER, "EUR"), "90,071,992,547,409.91 EUR");
  assert.equal(formatMoney(10n ** 20n, "EUR"), "1,000,000,000,000,000,000.00 EUR");
  assert.equal(formatMoney(123456, 999), "123456 minor units (currency 999)");
  assert.throws(() => formatMoney(1.5, "EUR"), TypeError);
  assert.throws(() => formatMoney(Number.MAX_SAFE_INTEGER + 1, "EUR"), TypeError);
});

test("formatDecimal: plain decimals for files", () => {
  assert.equal(formatDecimal(123456700, "EUR"), "1234567.00");
  assert.equal(formatDecimal(-5, "EUR"), "-0.05");
  assert.equal(formatDecimal(0, "JPY"), "0");
  assert.equal(formatDecimal(5, "KWD"), "0.005");
  assert.throws(() => formatDecimal(1, 999), MoneyError);
});

test("parseAmount: major units to minor units, never rounded", () => {
  assert.equal(parseAmount("123.45", "EUR"), 12345n);
  assert.equal(parseAmount("123.4", "EUR"), 12340n);
  assert.equal(parseAmount("123", "eur"), 12300n);
  assert.equal(parseAmount("0", "EUR"), 0n);
  assert.equal(parseAmount("0.01", "EUR"), 1n);
  assert.equal(parseAmount(" 7 ", "JPY"), 7n);
  assert.equal(parseAmount("1.005", "KWD"), 1005n);
  assert.equal(parseAmount("999999999999999", "JPY"), 999999999999999n);
  assert.equal(parseAmountMinor("90071992547409.91", "EUR", Number.MAX_SAFE_INTEGER),
    Number.MAX_SAFE_INTEGER);
});

test("parseAmount: refusals (decimals, commas, signs, junk, size)", () => {
  const refused = (text: string, code: string, why: RegExp): void => {
    assert.throws(() => parseAmount(text, code),
      (e: unknown) => e instanceof MoneyError && why.test(e.message), `${text} ${code}`);
  };
  refused("1.234", "EUR", /3 decimals; EUR has 2/);
  refused("0.001", "EUR", /never rounded/);
  refused("1.5", "JPY", /JPY has 0/);
  refused("1,2", "EUR", /comma/);
  refused("1,234.00", "EUR", /comma/);
  for (const bad of ["-1", "+1", "1e3", "", " ", "1.", ".5", "0x10", "1 000", "NaN", "12a"]) {
    refused(bad, "EUR", /not an amount/);
  }
  refused("1000000000000000", "JPY", /too large/);
  assert.throws(() => parseAmount("1", "XYZ"), MoneyError);
  assert.throws(() => parseAmountMinor("100.01", "EUR", 10_000),
    /exceeds the largest amount, 100.00 EUR/);
});

test("formatBasisPoints: integer percentages", () => {
  assert.equal(formatBasisPoints(150), "1.50 %");
  assert.equal(formatBasisPoints(5), "0.05 %");
  assert.equal(formatBasisPoints(10_000), "100.00 %");
  assert.throws(() => formatBasisPoints(1.5), TypeError);
});

test("times: ISO 8601 UTC to the second", () => {
  assert.equal(isoFromUnixSeconds(0), "1970-01-01T00:00:00Z");
  assert.equal(isoFromUnixSeconds(1_796_504_640), "2026-12-05T21:04:00Z");
  assert.equal(isoFromUnixSeconds(0xffff_ffff), "2106-02-07T06:28:15Z");
  assert.equal(isoTime(new Date("2026-12-05T21:04:00.123Z")), "2026-12-05T21:04:00Z");
  assert.equal(isoTime("2026-12-05 21:04:00+00"), "2026-12-05T21:04:00Z");
  assert.equal(isoTime("not a time"), "not a time");
  assert.throws(() => isoFromUnixSeconds(-1), TypeError);
  assert.throws(() => isoFromUnixSeconds(1.5), TypeError);
});

test("flags: --currency and --amount errors are usage errors", () => {
  assert.equal(currencyFlag("currency", undefined).alpha, "EUR");
  assert.equal(currencyFlag("currency", "978").alpha, "EUR");
  assert.equal(currencyFlag("currency", "usd").alpha, "USD");
  assert.throws(() => currencyFlag("currency", "EURO"), (e: unknown) =>
    e instanceof UsageError && /^--currency: unsupported currency 'EURO'/.test(e.message));
  assert.equal(amountFlag("amount", "12.50", currency("EUR"), 10_000), 1250);
  assert.throws(() => amountFlag("amount", "12.505", currency("EUR"), 10_000),
    (e: unknown) => e instanceof UsageError
      && /^--amount: '12.505' has 3 decimals/.test(e.message));
});
