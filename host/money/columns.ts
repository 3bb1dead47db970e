// Amount columns in text tables: "1,234.00 EUR" ends in a code, which the CLI's table
// renderer takes for text and aligns left; amounts must line up on the right so their
// decimal points do. Padding them here first keeps the renderer untouched.

/** Pads the cells of `columns` (indices) on the left to the column's widest cell, header
 *  included. Returns new rows; the header row (rows[0]) is left as it is. */
export function alignRight(rows: readonly (readonly string[])[],
  columns: readonly number[]): string[][] {
  const out = rows.map((r) => [...r]);
  for (const col of columns) {
    const width = Math.max(...out.map((r) => (r[col] ?? "").length));
    for (const row of out.slice(1)) {
      if (row[col] !== undefined) row[col] = row[col]!.padStart(width);
    }
  }
  return out;
}
