// What one vector run produced, whatever the engine: a case per vector (a crypto test or
// a whole recorded tape), grouped by file. The text, JSON and JUnit reports read these.
export interface CaseResult {
  /** Stable id inside its file: the tcId, or the tape id. */
  id: string;
  /** Human name: "tcId 63: <comment>", "tape accepted: <comment>". */
  name: string;
  passed: boolean;
  /** Why it failed, one line. */
  message?: string;
  /** More lines (runner output, every mismatch). */
  detail?: string;
  /** Crypto failures only: what the file expected and what the engine said. */
  expected?: string;
  got?: string;
  comment?: string;
  tcId?: number;
  /** Wall seconds spent on this case (a batch's time shared evenly when run as one). */
  seconds: number;
}

export interface FileResult {
  file: string;
  kind: "crypto" | "tap";
  engine: string;
  cases: CaseResult[];
  seconds: number;
  /** Set when the engine could not run the file at all (runtime missing, port closed). */
  error?: string;
}

export function totals(files: readonly FileResult[]): { total: number; passed: number; failed: number; errors: number } {
  let total = 0;
  let passed = 0;
  let errors = 0;
  for (const f of files) {
    total += f.cases.length;
    passed += f.cases.filter((c) => c.passed).length;
    if (f.error !== undefined) errors++;
  }
  return { total, passed, failed: total - passed, errors };
}
