// Bench section: how long `offtap` takes to start, beside a bare `node -e 0` in the same
// rounds (interleaved, so the machine's load hits both alike). Goal: `offtap --help` within
// 2× of bare Node (issue 15): the top-level help loads no command module and no TypeScript
// loader. `offtap ledger --help` shows the cost of one command through the loader.
// Printed after the main report and written to build/bench-startup.json;
// `node --import tsx tools/bench/startup.ts [--quick] [--rounds N]` runs it alone.
import { spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { repoRoot } from "../../host/firmware/paths.ts";

export const GOAL_HELP_VS_NODE = 2.0;
const ROUNDS = 21;
const ROUNDS_QUICK = 5;
const ROUNDS_MAX = 1000;

interface Subject { readonly name: string; readonly args: readonly string[] }

const OFFTAP = path.join(repoRoot, "bin", "offtap.mjs");
const SUBJECTS: readonly Subject[] = [
  { name: "node -e 0", args: ["-e", "0"] },
  { name: "offtap --help", args: [OFFTAP, "--help"] },
  { name: "offtap ledger --help", args: [OFFTAP, "ledger", "--help"] },
];

export interface StartupRow { name: string; medianMs: number; minMs: number; vsNode: number }
export interface StartupResult { rounds: number; rows: StartupRow[]; goal: number; met: boolean }

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? 0 : s[Math.floor(s.length / 2)]!;
}

/** Wall-clock milliseconds of one run; a failed run is an error, not a figure. */
function timeOnce(s: Subject): number {
  const t0 = performance.now();
  const stdio = ["ignore", "pipe", "pipe"] as const;
  const r = spawnSync(process.execPath, s.args, { cwd: repoRoot, stdio: [...stdio] });
  const ms = performance.now() - t0;
  if (r.status !== 0) throw new Error(`${s.name} exited ${r.status}: ${String(r.stderr).trim()}`);
  return ms;
}

export function benchStartup(rounds: number): StartupResult {
  const times: number[][] = SUBJECTS.map(() => []);
  for (const s of SUBJECTS) timeOnce(s); // warm the file cache and tsx's transform cache
  for (let r = 0; r < rounds; r++) {
    SUBJECTS.forEach((s, i) => { times[i]!.push(timeOnce(s)); });
  }
  const nodeMs = median(times[0]!);
  const rows = SUBJECTS.map((s, i) => {
    const m = median(times[i]!);
    return { name: s.name, medianMs: m, minMs: Math.min(...times[i]!), vsNode: m / nodeMs };
  });
  return { rounds, rows, goal: GOAL_HELP_VS_NODE, met: rows[1]!.vsNode <= GOAL_HELP_VS_NODE };
}

export function formatStartup(r: StartupResult): string {
  const lines = [`start-up (wall clock, median of ${r.rounds} interleaved rounds)`,
    `  ${"command".padEnd(22)} ${"median".padStart(9)} ${"min".padStart(9)}  vs node -e 0`];
  for (const row of r.rows) {
    lines.push(`  ${row.name.padEnd(22)} ${row.medianMs.toFixed(0).padStart(6)} ms ` +
      `${row.minMs.toFixed(0).padStart(6)} ms  ${row.vsNode.toFixed(2)}×`);
  }
  const help = r.rows[1]!;
  lines.push(`  goal: offtap --help ≤ ${r.goal}× node -e 0: ${r.met ? "met" : "NOT met"} ` +
    `(${help.vsNode.toFixed(2)}×)`);
  return lines.join("\n");
}

/** Runs the section, prints it (unless json) and writes build/bench-startup.json. */
export function startupBenchSection(quick: boolean, json: boolean, rounds?: number): boolean {
  try {
    const r = benchStartup(rounds ?? (quick ? ROUNDS_QUICK : ROUNDS));
    const out = path.join(repoRoot, "build", "bench-startup.json");
    mkdirSync(path.dirname(out), { recursive: true });
    writeFileSync(out, `${JSON.stringify(r, null, 2)}\n`);
    if (!json) {
      process.stdout.write(`\n${formatStartup(r)}\n\nwrote ${path.relative(process.cwd(), out)}\n`);
    }
    return true;
  } catch (e) {
    process.stderr.write(`bench: start-up: ${(e as Error).message}\n`);
    return false;
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const at = process.argv.indexOf("--rounds");
  const rounds = at < 0 ? undefined : Number(process.argv[at + 1]);
  if (rounds !== undefined && !(Number.isInteger(rounds) && rounds >= 1 && rounds <= ROUNDS_MAX)) {
    process.stderr.write(`bench: --rounds takes a whole number from 1 to ${ROUNDS_MAX}\n`);
    process.exit(2);
  }
  const ok = startupBenchSection(process.argv.includes("--quick"), false, rounds);
  process.exitCode = ok ? 0 : 1;
}
