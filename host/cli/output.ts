// Terminal output helpers: colour and progress only when a person is watching.
import process from "node:process";

/** The part of a stream the colour decision looks at. */
export interface StreamLike { readonly isTTY?: boolean }

/** Colour on a stream only when that stream is a terminal, NO_COLOR is unset or empty
 *  (no-color.org: any non-empty value turns colour off) and TERM is not `dumb`. Each stream
 *  decides for itself: `offtap … 2> err.log` on a terminal colours stdout, not the file. */
export function colourFor(stream: StreamLike, env: NodeJS.ProcessEnv = process.env): boolean {
  if (stream.isTTY !== true) return false;
  const noColour = env["NO_COLOR"];
  if (noColour !== undefined && noColour !== "") return false;
  return env["TERM"] !== "dumb";
}

type Paint = (text: string) => string;

const painter = (stream: StreamLike, code: number): Paint => (text: string): string =>
  colourFor(stream) ? `\u001b[${code}m${text}\u001b[0m` : text;

/** Painters for standard output (what console.log writes). */
export const green = painter(process.stdout, 32);
export const red = painter(process.stdout, 31);
export const yellow = painter(process.stdout, 33);
export const bold = painter(process.stdout, 1);
export const dim = painter(process.stdout, 2);

/** Painters for standard error (what console.error writes), decided by stderr itself. */
export const stderrPaint = {
  green: painter(process.stderr, 32),
  red: painter(process.stderr, 31),
  yellow: painter(process.stderr, 33),
  bold: painter(process.stderr, 1),
  dim: painter(process.stderr, 2),
} as const;

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
    const bar = `${"#".repeat(filled)}${"-".repeat(widthChars - filled)}`;
    process.stderr.write(`\r${this.label} [${bar}] ${pct}% ${done}/${this.total}`);
  }

  finish(): void {
    if (this.enabled) process.stderr.write("\r\u001b[K");
  }
}

/** Numbers (with an optional unit, marker or ISO currency code: `1,234.00 EUR`) align right;
 *  text aligns left. */
function isNumeric(cell: string): boolean {
  // eslint-disable-next-line no-control-regex
  const plain = cell.replace(/\u001b\[[0-9;]*m/g, "");
  return /^[#~≈+-]?[\d.,]+\s*(%|ms|µs|s|×|x|\/s|B|KiB|MB\/s|[A-Z]{3})?$/.test(plain);
}

/** Renders rows as an aligned text table (first row = header). */
export function table(rows: readonly (readonly string[])[]): string {
  const widths: number[] = [];
  for (const row of rows) {
    row.forEach((cell, i) => { widths[i] = Math.max(widths[i] ?? 0, cell.length); });
  }
  const pad = (cell: string, i: number): string =>
    (isNumeric(cell) ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!));
  return rows
    .map((row, r) => {
      const line = row.map(pad).join("  ");
      return r === 0 ? bold(line) : line;
    })
    .join("\n");
}
