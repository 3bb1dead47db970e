// The EPC SEPA Credit Transfer profile of pain.001 (EPC132-08 implementation guidelines):
// which transfers are SEPA (EUR to an account in a SEPA country), the restricted Latin
// character set with transliteration, and the 70-character name limit. Dates in files
// are calendar dates that exist.

/** Countries and territories of the SEPA schemes' geographical scope (EPC409-09), by the
 *  ISO 3166 code an IBAN starts with. */
export const SEPA_COUNTRIES: ReadonlySet<string> = new Set([
  "AT",
  "BE",
  "BG",
  "HR",
  "CY",
  "CZ",
  "DK",
  "EE",
  "FI",
  "FR",
  "DE",
  "GR",
  "HU",
  "IE",
  "IT",
  "LV",
  "LT",
  "LU",
  "MT",
  "NL",
  "PL",
  "PT",
  "RO",
  "SK",
  "SI",
  "ES",
  "SE",
  "IS",
  "LI",
  "NO",
  "CH",
  "GB",
  "SM",
  "VA",
  "MC",
  "AD",
  "GI",
  "GG",
  "JE",
  "IM",
  "PM",
  "GF",
  "GP",
  "MQ",
  "RE",
  "YT",
  "BL",
  "MF",
  "AX",
  "AL",
  "MD",
  "ME",
  "MK",
]);
/** EPC: names (Nm) at most 70 characters, unstructured remittance at most 140. */
export const EPC_NAME_CHARS_MAX = 70;
export const EPC_REMITTANCE_CHARS_MAX = 140;

/** A SEPA credit transfer: euro to an IBAN of a SEPA country. */
export function isSepaTransfer(currency: string, iban: string): boolean {
  return (
    currency === "EUR" && SEPA_COUNTRIES.has(iban.replace(/\s+/g, "").slice(0, 2).toUpperCase())
  );
}

const SPECIAL: Readonly<Record<string, string>> = {
  ß: "ss",
  Æ: "AE",
  æ: "ae",
  Ø: "O",
  ø: "o",
  Œ: "OE",
  œ: "oe",
  Ł: "L",
  ł: "l",
  Đ: "D",
  đ: "d",
  Þ: "TH",
  þ: "th",
  Ð: "D",
  ð: "d",
  ı: "i",
  "&": "+",
  "\u2018": "'",
  "\u2019": "'",
  "\u201c": "'",
  "\u201d": "'",
  "\u2013": "-",
  "\u2014": "-",
};
/** The EPC basic character set: a-z A-Z 0-9 / - ? : ( ) . , ' + and space. */
const EPC_ALLOWED = /[A-Za-z0-9/\-?:().,'+ ]/;

/** Transliterates to the EPC set (diacritics dropped, ß → ss, & → +, anything else "."),
 *  collapses spaces, and cuts to `max` characters. */
export function epcText(s: string, max: number): string {
  const out = [...s.normalize("NFKD")]
    .filter((c) => !/\p{M}/u.test(c))
    .map((c) => SPECIAL[c] ?? (EPC_ALLOWED.test(c) ? c : /\s/.test(c) ? " " : "."))
    .join("")
    .replace(/ {2,}/g, " ")
    .trim();
  return [...out].slice(0, max).join("").trim();
}

/** YYYY-MM-DD that names a real day (2026-02-31 does not). */
export function isCalendarDate(s: string): boolean {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s);
  if (m === null) return false;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const t = new Date(Date.UTC(y, mo - 1, d));
  return t.getUTCFullYear() === y && t.getUTCMonth() === mo - 1 && t.getUTCDate() === d;
}
