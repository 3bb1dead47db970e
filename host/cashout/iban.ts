// Bank account identifiers: IBAN (ISO 13616), BIC (ISO 9362) and account-holder name
// matching. Everything returns a result value; nothing here throws on bad input.

/** IBAN length per country, from the SWIFT IBAN Registry (the ISO 13616 registration
 *  authority's published list). A country not listed has no IBAN and is refused. */
export const IBAN_LENGTH: Readonly<Record<string, number>> = Object.freeze({
  AD: 24, AE: 23, AL: 28, AT: 20, AZ: 28, BA: 20, BE: 16, BG: 22, BH: 22, BI: 27, BR: 29,
  BY: 28, CH: 21, CR: 22, CY: 28, CZ: 24, DE: 22, DJ: 27, DK: 18, DO: 28, EE: 20, EG: 29,
  ES: 24, FI: 18, FK: 18, FO: 18, FR: 27, GB: 22, GE: 22, GI: 23, GL: 18, GR: 27, GT: 28,
  HN: 28, HR: 21, HU: 28, IE: 22, IL: 23, IQ: 23, IS: 26, IT: 27, JO: 30, KW: 30, KZ: 20,
  LB: 28, LC: 32, LI: 21, LT: 20, LU: 20, LV: 21, LY: 25, MC: 27, MD: 24, ME: 22, MK: 19,
  MN: 20, MR: 27, MT: 31, MU: 30, NI: 28, NL: 18, NO: 15, OM: 23, PK: 24, PL: 28, PS: 29,
  PT: 25, QA: 29, RO: 24, RS: 22, RU: 33, SA: 24, SC: 31, SD: 18, SE: 24, SI: 19, SK: 24,
  SM: 27, SO: 23, ST: 25, SV: 28, TL: 23, TN: 24, TR: 26, UA: 29, VA: 22, VG: 24, XK: 20,
  YE: 30,
});

export type IbanResult =
  | { ok: true; iban: string; country: string }
  | { ok: false; reason: "format" | "country" | "length" | "checksum"; message: string };

/** ISO 7064 MOD 97-10 over the rearranged IBAN (country + check digits moved to the end,
 *  letters A..Z as 10..35), computed piecewise so no big integers are needed. */
export function ibanMod97(iban: string): number {
  const rearranged = iban.slice(4) + iban.slice(0, 4);
  let rem = 0;
  for (const ch of rearranged) {
    const code = ch.charCodeAt(0);
    const v = code >= 65 ? code - 55 : code - 48;
    rem = v >= 10 ? (rem * 100 + v) % 97 : (rem * 10 + v) % 97;
  }
  return rem;
}

/** Accepts the electronic form or the print form (groups of four separated by spaces);
 *  returns the electronic form. Lower-case letters are refused in the country code only
 *  by upper-casing: ISO 13616 allows either case in input, banks store upper case. */
export function validateIban(input: string): IbanResult {
  const iban = input.replace(/ /g, "").toUpperCase();
  if (!/^[A-Z]{2}[0-9]{2}[A-Z0-9]{1,30}$/.test(iban)) {
    return { ok: false, reason: "format", message: "an IBAN is 2 letters, 2 check digits and up to 30 letters or digits" };
  }
  const country = iban.slice(0, 2);
  const expected = IBAN_LENGTH[country];
  if (expected === undefined) return { ok: false, reason: "country", message: `${country} does not use IBANs` };
  if (iban.length !== expected) {
    return { ok: false, reason: "length", message: `a ${country} IBAN has ${expected} characters, this one ${iban.length}` };
  }
  if (ibanMod97(iban) !== 1) return { ok: false, reason: "checksum", message: "the IBAN check digits do not match (mod-97 ≠ 1)" };
  return { ok: true, iban, country };
}

/** Print form: groups of four. */
export function formatIban(iban: string): string {
  return iban.replace(/(.{4})/g, "$1 ").trim();
}

/** ISO 9362 BIC: 4 (institution, letters or digits since 2014) + 2 (country, letters) +
 *  2 (location) + optional 3 (branch). The BIC country is not forced to equal the IBAN
 *  country: overseas territories and cross-border banks legitimately differ. */
export function validateBic(input: string): { ok: true; bic: string } | { ok: false; message: string } {
  const bic = input.replace(/ /g, "").toUpperCase();
  if (!/^[A-Z0-9]{4}[A-Z]{2}[A-Z0-9]{2}([A-Z0-9]{3})?$/.test(bic)) {
    return { ok: false, message: "a BIC is 8 or 11 characters: 4 bank, 2 country letters, 2 location, optional 3 branch" };
  }
  // Location code second character '0' marks a test BIC; never pay out to one.
  if (bic[7] === "0") return { ok: false, message: "test BICs (location code ending in 0) are not accepted for payouts" };
  return { ok: true, bic };
}

/** Names compared as banks print them: case, accents (ü → U, é → E), punctuation,
 *  spacing and word order do not matter; every word must be there and nothing more.
 *  Transliterations (ü → UE) are not guessed: such a name is a mismatch a person reviews. */
export function normalizeName(name: string): string {
  return name
    .normalize("NFKD")
    .replace(/\p{M}/gu, "")
    .toUpperCase()
    .replace(/[^\p{L}\p{N}]+/gu, " ")
    .trim()
    .split(" ")
    .filter((w) => w.length > 0)
    .sort()
    .join(" ");
}

export function namesMatch(a: string, b: string): boolean {
  const na = normalizeName(a);
  return na.length > 0 && na === normalizeName(b);
}
