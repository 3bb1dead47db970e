// The benchmark's result as data (written to build/bench.json) and as a text table.
import type { Clock, Series } from "./measure.ts";
import type { Wasm3Result } from "./wasm3.ts";
import type { Wasm3TapResult } from "./wasm3-tap.ts";
import type { SimBenchResult } from "./sim.ts";
import type { LedgerFormatsResult } from "./ledger.ts";
import { clearingTable, type ClearingBenchResult } from "./clearing.ts";

/** A sub-benchmark's result, or why it failed (the others still run and are reported). */
export type Outcome<T> = { ok: true; result: T } | { ok: false; error: string };

export interface Row {
  name: string;
  unit: "ops/s" | "MB/s";
  median: number;
  min: number;
  max: number;
  samples: number[];
  /** offtap's median divided by this row's median (> 1: offtap is faster); null on offtap's own row. */
  offtapRatio: number | null;
  /** Same, for offtap's registered-key verify (verify table only). */
  offtapRegisteredRatio?: number | null;
}

export interface Goal {
  goal: string;
  value: number | null;
  unit: string;
  target: number;
  /** true/false when measured; null when the figure was not measured. */
  met: boolean | null;
}

export interface BenchReport {
  schema: "offtap-bench/1";
  date: string;
  node: string;
  cpu: string;
  options: { rounds: number; warmupRounds: number; roundMs: number; clock: Clock; quick: boolean };
  fixtures: { signatures: number; messageBytes: number };
  verify: Row[];
  sign: Row[];
  sha512: { messageBytes: number; rows: Row[] }[];
  wasm: {
    file: string;
    sizeBytes: number;
    sizeBytesMax: number;
    memoryPagesInitial: number | null;
    memoryPagesMax: number | null;
  };
  wasm3: Wasm3Result | null;
  wasm3Note: string | null;
  /** Whole taps and ledger recovery under WASM3 via build/taprunner.wasm (tools/bench/wasm3-tap.ts); null when no runtime was given. */
  wasm3Tap: Outcome<Wasm3TapResult> | null;
  /** End-to-end taps through the desktop simulator with the real firmware (tools/bench/sim.ts). */
  simulator: Outcome<SimBenchResult>;
  /** Flash ledger figures through the real firmware, format 1 beside the build
   *  (tools/bench/ledger.ts). */
  ledger: Outcome<LedgerFormatsResult>;
  /** Clearing ingest: payments verified and settled per second (tools/bench/clearing.ts). */
  clearing: Outcome<ClearingBenchResult>;
  goals: Goal[];
}

export function rows(
  series: readonly Series[],
  unit: Row["unit"],
  scale: number,
  offtap: string,
  registered?: string,
): Row[] {
  const find = (name: string): Series => {
    const s = series.find((x) => x.name === name);
    if (!s) throw new Error(`no series named ${name}`);
    return s;
  };
  const base = find(offtap).median;
  const reg = registered === undefined ? undefined : find(registered).median;
  return series.map((s) => {
    const own = s.name === offtap || s.name === registered;
    const row: Row = {
      name: s.name,
      unit,
      median: s.median * scale,
      min: s.min * scale,
      max: s.max * scale,
      samples: s.samples.map((v) => v * scale),
      offtapRatio: own ? null : base / s.median,
    };
    if (reg !== undefined) row.offtapRegisteredRatio = own ? null : reg / s.median;
    return row;
  });
}

const num = (v: number, digits = 0): string =>
  v.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
const ratio = (v: number | null | undefined): string =>
  v === null || v === undefined ? "—" : `${num(v, 2)}×`;
const pad = (s: string, n: number): string => (s.length >= n ? s : s + " ".repeat(n - s.length));
const lpad = (s: string, n: number): string => (s.length >= n ? s : " ".repeat(n - s.length) + s);

function table(title: string, rs: readonly Row[], valueHeader: string, digits: number): string[] {
  const withReg = rs.some((r) => r.offtapRegisteredRatio !== undefined);
  const out = [
    title,
    `  ${pad("implementation", 28)}${lpad(valueHeader, 12)}${lpad("min–max", 22)}${lpad("offtap ÷ it", 14)}${withReg ? lpad("offtap reg ÷ it", 17) : ""}`,
  ];
  for (const r of rs) {
    out.push(
      `  ${pad(r.name, 28)}${lpad(num(r.median, digits), 12)}${lpad(`${num(r.min, digits)}–${num(r.max, digits)}`, 22)}` +
        `${lpad(ratio(r.offtapRatio), 14)}${withReg ? lpad(ratio(r.offtapRegisteredRatio), 17) : ""}`,
    );
  }
  return out;
}

function wasm3Lines(r: BenchReport): string[] {
  if (r.wasm3 === null)
    return ["WASM3 (device interpreter, desktop core)", `  ${r.wasm3Note ?? "not measured"}`];
  const w = r.wasm3;
  const line = (label: string, f: Wasm3Result["verify"]): string =>
    `  ${pad(label, 28)}${lpad(num(f.msPerOp, 3), 12)} ms/op   (${f.lines} lines per run, ${f.workRunMs.length} runs)`;
  return [
    `WASM3 (${w.version ?? w.runtime}; build/selftest.wasm line protocol: median run − median empty run, ÷ lines; ${w.clock === "cpu" ? "runtime CPU time" : "wall time"})`,
    line("verify", w.verify),
    line("registered-key verify", w.verifyRegistered),
    line("sign", w.sign),
  ];
}

function wasm3TapLines(r: BenchReport): string[] {
  const head =
    "WASM3 whole taps (build/taprunner.wasm: the firmware's reader and ledger on a scripted board; median run − median set-up-only run, ÷ taps)";
  const o = r.wasm3Tap;
  if (o === null) return [head, `  ${r.wasm3Note ?? "not measured"}`];
  if (!o.ok) return [head, `  failed: ${o.error}`];
  const t = o.result;
  const out = [
    head,
    `  ${pad("accepted tap (distinct wallets)", 32)}${lpad(num(t.msPerTap, 3), 8)} ms/tap   (${t.taps} taps per run, ${t.workRunMs.length} runs, ${t.clock === "cpu" ? "runtime CPU time" : "wall time"})`,
    `  ${pad("accepted tap (certificate cached)", 32)}${lpad(num(t.msPerTapCachedCert, 3), 8)} ms/tap   (one wallet, same runs)`,
  ];
  if (t.recovery !== null) {
    const v = t.recovery;
    out.push(
      `  ${pad(`recovery, full ${num(v.ledgerBytes / 1024)} KiB ledger`, 32)}${lpad(num(v.msPerRecovery, 3), 8)} ms        (${v.records} records; ${v.recoveries} re-inits per run)`,
    );
  }
  return out;
}

function simLines(o: Outcome<SimBenchResult>): string[] {
  const head =
    "Simulator (offtap sim: whole taps with the real firmware, one core; one run, wall time)";
  if (!o.ok) return [head, `  failed: ${o.error}`];
  const r = o.result;
  return [
    head,
    `  ${num(r.tapsPerSecond)} taps/s over ${num(r.taps)} taps, ${r.wallets} wallets, seed ${r.seed} (${num(r.accepted)} accepted)`,
    `  per tap: ${num(r.tapCallMicros, 1)} µs in tap() = ${num(r.readerFirmwareMicros, 1)} µs reader firmware + ${num(r.walletSignMicros, 1)} µs ` +
      `simulated phone signature; ${num(r.simulatorOverheadMicros, 1)} µs simulator around it`,
  ];
}

export function ledgerLines(o: Outcome<LedgerFormatsResult>): string[] {
  const head =
    "Ledger (flash log through the real firmware, docs/LEDGER.md; " + "one run each, wall time)";
  if (!o.ok) return [head, `  failed: ${o.error}`];
  const { v1, current: c } = o.result;
  const row = (label: string, a: string, b: string): string =>
    `  ${pad(label, 34)}${lpad(a, 18)}${lpad(b, 18)}`;
  const both = (f: (r: typeof c) => string): [string, string] => [f(v1), f(c)];
  return [
    head,
    row("", `format ${v1.ledgerFormat} (kept)`, `format ${c.ledgerFormat} (build)`),
    row("appends/s (V8)", ...both((r) => num(r.appendsPerSecond))),
    row("bytes programmed per tap", ...both((r) => num(r.bytesProgrammedPerTap, 1))),
    row("record bytes per tap", ...both((r) => num(r.recordBytesPerTap, 1))),
    row("write amplification", ...both((r) => num(r.writeAmplification, 3))),
    row("erases per 1,000 taps", ...both((r) => num(r.erasesPer1000Taps, 1))),
    row("recovery, full partition (V8), ms", ...both((r) => num(r.recoveryMsFullPartition, 2))),
    row("records at recovery", ...both((r) => num(r.recordsAtRecovery))),
    row(
      "recovery, full 16 KiB (WASM3), ms",
      ...both((r) => (r.wasm3Recovery ? num(r.wasm3Recovery.ms, 3) : "not measured")),
    ),
    row("endurance, years", ...both((r) => num(r.enduranceYears, 1))),
    `  over ${num(c.taps)} taps settled every 200; endurance at ${num(c.tapsPerDay)} taps/day, ` +
      `${num(c.eraseCyclesPerSector)} erase cycles × ${c.sectors} sectors`,
  ];
}

function clearingLines(o: Outcome<ClearingBenchResult>): string[] {
  const head =
    "Clearing ingest (payments verified under the strict policy and settled into accounts; " +
    "wall time; one thread vs 1 verify worker vs the default pool)";
  if (!o.ok) return [head, `  failed: ${o.error}`];
  return [
    head,
    ...clearingTable(o.result),
    ...(o.result.breakdown.length < 2
      ? ["  PostgreSQL server: not measured (DATABASE_URL unset)"]
      : []),
  ];
}

export function formatReport(r: BenchReport): string {
  const o = r.options;
  const out: string[] = [
    `offtap benchmark — ${r.date}, node ${r.node}, ${r.cpu}`,
    `medians of ${o.rounds} interleaved rounds of ~${o.roundMs} ms ${o.clock === "cpu" ? "process CPU time" : "wall time"} ` +
      `(after ${o.warmupRounds} warm-up)${o.quick ? ", QUICK run: figures are rough" : ""}`,
    "",
    ...table(
      `Ed25519 verify (${r.fixtures.signatures} signatures over ${r.fixtures.messageBytes}-byte messages)`,
      r.verify,
      "verify/s",
      0,
    ),
    "",
    ...table("Ed25519 sign (same keys and messages)", r.sign, "sign/s", 0),
  ];
  for (const s of r.sha512)
    out.push("", ...table(`SHA-512, ${num(s.messageBytes)}-byte messages`, s.rows, "MB/s", 1));
  const w = r.wasm;
  out.push(
    "",
    "Firmware image",
    `  ${w.file}: ${num(w.sizeBytes)} bytes = ${num((100 * w.sizeBytes) / w.sizeBytesMax, 1)} % of the ${num(w.sizeBytesMax)}-byte limit; ` +
      `memory ${w.memoryPagesInitial ?? "?"} pages initial / ${w.memoryPagesMax ?? "none"} max`,
  );
  out.push(
    "",
    ...wasm3Lines(r),
    "",
    ...wasm3TapLines(r),
    "",
    ...simLines(r.simulator),
    "",
    ...ledgerLines(r.ledger),
    "",
    ...clearingLines(r.clearing),
    "",
    "Goals (BRIEF.md; printed, not asserted)",
  );
  const goalWidth = Math.max(...r.goals.map((g) => g.goal.length)) + 2;
  for (const g of r.goals) {
    const digits = g.unit === "×" ? 2 : g.unit === "ms" ? 3 : 0;
    const value = g.value === null ? "not measured" : `${num(g.value, digits)} ${g.unit}`;
    const verdict = g.met === null ? "" : g.met ? "met" : "NOT met";
    out.push(`  ${pad(g.goal, goalWidth)}${lpad(value, 18)}   ${verdict}`);
  }
  return out.join("\n");
}
