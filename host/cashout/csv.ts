// RFC 4180 CSV: CRLF line ends, a header row, fields quoted when they hold a comma, a
// quote, CR or LF, with inner quotes doubled. Also a reader for tests and round trips.

export function csvField(value: string): string {
  const safe = neutralizeFormula(value);
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

/** A cell a spreadsheet would run as a formula (=, +, -, @, tab or CR first: OWASP "CSV
 *  injection") gets a leading apostrophe, which spreadsheets show as text. Plain numbers,
 *  negative ones included, stay numbers. */
export function neutralizeFormula(value: string): string {
  if (!/^[=+\-@\t\r]/.test(value) || /^[-+]?\d+(\.\d+)?$/.test(value)) return value;
  return `'${value}`;
}

export function toCsv(header: readonly string[], rows: readonly (readonly string[])[]): string {
  for (const r of rows) if (r.length !== header.length) throw new RangeError(`row has ${r.length} fields, header ${header.length}`);
  return [header, ...rows].map((r) => r.map(csvField).join(",") + "\r\n").join("");
}

/** Parses RFC 4180 text into rows of fields (the header is row 0). */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = "";
  let i = 0;
  let quoted = false;
  while (i < text.length) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') { field += '"'; i += 2; continue; }
      if (ch === '"') { quoted = false; i++; continue; }
      field += ch; i++; continue;
    }
    if (ch === '"' && field === "") { quoted = true; i++; continue; }
    if (ch === ",") { row.push(field); field = ""; i++; continue; }
    if (ch === "\r" && text[i + 1] === "\n") { row.push(field); rows.push(row); row = []; field = ""; i += 2; continue; }
    if (ch === '"' || ch === "\r" || ch === "\n") throw new SyntaxError(`CSV: unexpected ${JSON.stringify(ch)} at offset ${i}`);
    field += ch; i++;
  }
  if (quoted) throw new SyntaxError("CSV: unterminated quoted field");
  if (field !== "" || row.length > 0) { row.push(field); rows.push(row); }
  return rows;
}
