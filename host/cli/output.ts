// Terminal output helpers: colour and progress only when a person is watching.
import process from "node:process";

const useColour = (stream: NodeJS.WriteStream): boolean =>
  stream.isTTY === true && process.env["NO_COLOR"] === undefined && process.env["TERM"] !== "dumb";

const paint = (code: number) => (text: string): string =>
  useColour(process.stdout) ? `\u001b[${code}m${text}\u001b[0m` : text;

export const green = paint(32);
export const red = paint(31);
export const yellow = paint(33);
export const bold = paint(1);
export const dim = paint(2);

/** A one-line progress bar on stderr, drawn only on a TTY; silent in CI and pipes. */
export class Progress {
  private readonly enabled: boolean;
  private lastDrawMs = 0;

  constructor(private readonly label: string, private readonly total: number) {
    this.enabled = process.stderr.isTTY === true && total > 0;
  }

  update(done: number): void {
    if (!this.enabled) return;
    const now = Date.now();
    if (done < this.total && now - this.lastDrawMs < 100) return;
    this.lastDrawMs = now;
    const widthChars = 30;
    const filled = Math.round((done / this.total) * widthChars);
    const pct = ((done / this.total) * 100).toFixed(0).padStart(3);
    process.stderr.write(`\r${this.label} [${"#".repeat(filled)}${"-".repeat(widthChars - filled)}] ${pct}% ${done}/${this.total}`);
  }

  finish(): void {
    if (this.enabled) process.stderr.write("\r\u001b[K");
  }
}

/** Numbers (with an optional unit or marker) align right; text aligns left. */
function isNumeric(cell: string): boolean {
  // eslint-disable-next-line no-control-regex
  const plain = cell.replace(/\u001b\[[0-9;]*m/g, "");
  return /^[#~≈+-]?[\d.,]+\s*(%|ms|µs|s|×|x|\/s|B|KiB|MB\/s)?$/.test(plain);
}

/** Renders rows as an aligned text table (first row = header). */
export function table(rows: readonly (readonly string[])[]): string {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => { widths[i] = Math.max(widths[i] ?? 0, cell.length); });
  return rows
    .map((row, r) => {
      const line = row.map((cell, i) => (isNumeric(cell) ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!))).join("  ");
      return r === 0 ? bold(line) : line;
    })
    .join("\n");
}
