// `make bench-faults`: the power-loss campaign at scale — at least 10,000 fault runs
// across every fault kind of the NOR model (docs/LEDGER.md, "Fault model"), through the
// real firmware, and the figures per fault kind: runs, cut points, reboots, lost,
// duplicated, stuck exports, traps, deny/ack backwards, sequence reuse. Prints a table
// and writes build/bench-faults.json. Exit 0 when every run held every invariant, 1 when
// some did not (the replay command of the first failure is printed), 2 on a usage error.
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { repoRoot } from "../../host/firmware/paths.ts";
import {
  runPowerCut, powerCutOk, FAULT_KINDS, type PowerCutReport, type FaultCounts,
} from "../../host/ledger/powercut.ts";
import { ledgerFormatOf } from "../../host/ledger/powercut-format.ts";
import type { FaultKind } from "../../host/ledger/powercut-faults.ts";

const USAGE = `Usage: node --import tsx tools/bench/faults.ts [options]   (or: make bench-faults)

Runs --runs power-cut runs (default 10,000) in campaigns of --per-campaign runs, each
campaign with its own workload seed, every fault kind in turn, 2 or 3 cuts per run
(alternating by campaign). Workloads:
  wrap  40 taps, settlement every 5, a deny-list update every 7, 4 ledger sectors (the
        log wraps); writes build/bench-faults.json
  fill  30 taps on 3 ledger sectors (21 record slots), a deny-list update every 4, one
        settlement after the taps: the ledger fills up and must take payments again once
        clearing acknowledges; writes build/bench-faults-fill.json
Prints the figures per fault kind.

Options:
  --workload W      wrap (default) or fill
  --runs N          fault runs in all (default 10000)
  --per-campaign N  runs per campaign (default 500)
  --seed S          seed of the first campaign (default 1; campaign k uses S + k)
  --firmware FILE   the .wasm to run (default build/offtap.wasm)
  --json            print the JSON report instead of the table
  -h, --help        show this help`;

interface Options {
  workload: WorkloadName;
  runs: number;
  perCampaign: number;
  seed: number;
  firmware?: string;
  json: boolean;
}

function usage(message: string): never {
  process.stderr.write(`bench-faults: ${message}\n\n${USAGE}\n`);
  process.exit(2);
}

function positive(name: string, v: string | undefined, fallback: number): number {
  if (v === undefined) return fallback;
  if (!/^\d+$/.test(v) || Number(v) < 1) {
    usage(`--${name} takes a positive whole number, got '${v}'`);
  }
  return Number(v);
}

function parse(argv: string[]): Options {
  let values;
  try {
    ({ values } = parseArgs({ args: argv, options: {
      runs: { type: "string" }, "per-campaign": { type: "string" }, seed: { type: "string" },
      workload: { type: "string" },
      firmware: { type: "string" }, json: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    } }));
  } catch (e) {
    usage(e instanceof Error ? e.message : String(e));
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  const workload = values.workload ?? "wrap";
  if (workload !== "wrap" && workload !== "fill") {
    usage(`--workload is wrap or fill, got '${workload}'`);
  }
  return {
    workload,
    runs: positive("runs", values.runs, 10_000),
    perCampaign: positive("per-campaign", values["per-campaign"], 500),
    seed: positive("seed", values.seed, 1),
    firmware: values.firmware,
    json: values.json ?? false,
  };
}

interface KindTotals extends FaultCounts { cutPoints: number }

export interface FaultBenchResult {
  firmware: string;
  workload: WorkloadName;
  ledgerFormat: number;
  runs: number;
  campaigns: number;
  reboots: number;
  acceptedTaps: number;
  unsignalledCommitted: number;
  lost: number;
  duplicated: number;
  stuckExports: number;
  traps: number;
  denyBackwards: number;
  ackBackwards: number;
  seqReused: number;
  signalRearmed: number;
  signalled: number;
  cutsDuringRecovery: number;
  rottedBits: number;
  rottedRecords: number;
  weakReads: number;
  wornFailures: number;
  denyInstalls: number;
  denyListsLost: number;
  failedRuns: number;
  chainOk: boolean;
  byFault: Record<FaultKind, KindTotals>;
  firstFailure: { replay: string; message: string } | null;
  seconds: number;
}

function emptyTotals(): KindTotals {
  return {
    runs: 0, cutPoints: 0, reboots: 0, lost: 0, duplicated: 0, stuckExports: 0, traps: 0,
    failedRuns: 0,
  };
}

type WorkloadName = "wrap" | "fill";
interface Workload { taps: number; exportEvery: number; denyEvery: number; sectors: number }
const WORKLOADS: Record<WorkloadName, Workload> = {
  wrap: { taps: 40, exportEvery: 5, denyEvery: 7, sectors: 4 },
  fill: { taps: 30, exportEvery: 0, denyEvery: 4, sectors: 3 },
};

function replayOf(w: Workload, r: PowerCutReport, count: number, cuts: number,
  run: number): string {
  return `npx offtap ledger powercut --taps ${w.taps} --export-every ${w.exportEvery} `
    + `--deny-every ${w.denyEvery} --sectors ${w.sectors} --faults all `
    + `--cuts ${cuts} --random ${count} --seed ${r.seed} --run ${run}`;
}

export function benchFaults(o: Options,
  onCampaign?: (done: number, total: number) => void): FaultBenchResult {
  const wasm = o.firmware ?? path.join(repoRoot, "build", "offtap.wasm");
  const t0 = process.hrtime.bigint();
  const byFault = Object.fromEntries(FAULT_KINDS.map((k) => [k, emptyTotals()])) as
    Record<FaultKind, KindTotals>;
  const w = WORKLOADS[o.workload];
  const res: FaultBenchResult = {
    firmware: path.relative(repoRoot, wasm), workload: o.workload,
    ledgerFormat: ledgerFormatOf(wasm), runs: 0,
    campaigns: 0, reboots: 0, acceptedTaps: 0, unsignalledCommitted: 0, lost: 0, duplicated: 0,
    stuckExports: 0, traps: 0, denyBackwards: 0, ackBackwards: 0, seqReused: 0,
    signalRearmed: 0, signalled: 0, cutsDuringRecovery: 0, rottedBits: 0,
    rottedRecords: 0, weakReads: 0, wornFailures: 0, denyInstalls: 0, denyListsLost: 0,
    failedRuns: 0,
    chainOk: true, byFault, firstFailure: null, seconds: 0,
  };
  const campaigns = Math.ceil(o.runs / o.perCampaign);
  for (let k = 0; k < campaigns; k++) {
    const count = Math.min(o.perCampaign, o.runs - res.runs);
    const cuts = 2 + (k % 2);
    const r = runPowerCut({
      taps: w.taps, seed: o.seed + k, exportEvery: w.exportEvery,
      denyEvery: w.denyEvery, faults: "all", cuts, mode: { kind: "random", count },
      wasmPath: wasm,
      geometry: {
        ledgerBytes: w.sectors * 4096, sectorBytes: 4096, pageBytes: 256, denyBytes: 8192,
      },
    });
    absorb(res, w, r, count, cuts);
    onCampaign?.(k + 1, campaigns);
  }
  res.seconds = Math.round(Number(process.hrtime.bigint() - t0) / 1e7) / 100;
  return res;
}

function absorb(res: FaultBenchResult, w: Workload, r: PowerCutReport, count: number,
  cuts: number): void {
  res.campaigns++;
  res.runs += r.cutPoints;
  const sums = ["reboots", "acceptedTaps", "unsignalledCommitted", "lost", "duplicated",
    "stuckExports", "traps", "denyBackwards", "ackBackwards", "seqReused", "signalRearmed",
    "signalled", "cutsDuringRecovery", "rottedBits", "rottedRecords", "weakReads",
    "wornFailures", "denyInstalls", "denyListsLost"] as const;
  for (const key of sums) {
    res[key] += r[key];
  }
  res.chainOk &&= r.chainOk;
  for (const k of FAULT_KINDS) {
    const f = r.byFault[k];
    if (!f) continue;
    const t = res.byFault[k];
    t.runs += f.runs;
    t.cutPoints += f.runs;
    t.reboots += f.reboots;
    t.lost += f.lost;
    t.duplicated += f.duplicated;
    t.stuckExports += f.stuckExports;
    t.traps += f.traps;
    t.failedRuns += f.failedRuns;
    res.failedRuns += f.failedRuns;
  }
  const first = r.violations.find((v) => v.run >= 0);
  if (!res.firstFailure && first) {
    const message = `${first.kind}: ${first.message}`;
    res.firstFailure = { replay: replayOf(w, r, count, cuts, first.run), message };
  }
  if (!powerCutOk(r) && !res.firstFailure && r.violations[0]) {
    res.firstFailure = {
      replay: replayOf(w, r, count, cuts, 0), message: r.violations[0].message,
    };
  }
}

function pad(s: string, n: number): string { return s.padEnd(n); }
function lpad(s: string, n: number): string { return s.padStart(n); }

export function formatFaults(r: FaultBenchResult): string {
  const w = WORKLOADS[r.workload];
  const cols = ["runs", "failed", "reboots", "lost", "dup", "stuck", "traps"] as const;
  const n = (x: number): string => x.toLocaleString("en-US");
  const line = (name: string, v: number[]): string =>
    pad(name, 10) + v.map((x) => lpad(n(x), 9)).join("");
  const out = [
    `Power-cut fault campaign — ${r.firmware} (ledger format ${r.ledgerFormat}), `
      + `${n(r.runs)} runs `
      + `in ${r.campaigns} campaigns, ${r.seconds} s`,
    `  workload ${r.workload}: ${w.taps} taps, `
      + (w.exportEvery > 0 ? `settle every ${w.exportEvery}` : "settle after the taps")
      + `, deny update every ${w.denyEvery}, ${w.sectors} sectors; 2–3 cuts per run`,
    "",
    pad("fault", 10) + cols.map((c) => lpad(c, 9)).join(""),
    ...FAULT_KINDS.map((k) => {
      const f = r.byFault[k];
      return line(k, [
        f.runs, f.failedRuns, f.reboots, f.lost, f.duplicated, f.stuckExports, f.traps,
      ]);
    }),
    line("all", [r.runs, r.failedRuns, r.reboots, r.lost, r.duplicated, r.stuckExports, r.traps]),
    "",
    `  accepted taps ${n(r.acceptedTaps)}; committed but unsignalled ${r.unsignalledCommitted}; `
      + `deny lists installed ${n(r.denyInstalls)}; found with no usable copy `
      + `(reader denies everyone) ${n(r.denyListsLost)}`,
    `  deny version backwards ${r.denyBackwards}; acknowledgement backwards ${r.ackBackwards}; `
      + `sequence numbers reused ${r.seqReused}; chain ${r.chainOk ? "ok" : "BROKEN"}`,
    `  gate openings (signal marks) ${n(r.signalled)}; re-armed by a reboot ${r.signalRearmed}; `
      + `cuts inside recovery ${n(r.cutsDuringRecovery)}`,
    `  injected: ${r.rottedBits} rotted bits (${r.rottedRecords} in unsettled records' own slots), `
      + `${n(r.weakReads)} weak reads, ${n(r.wornFailures)} worn-sector failures`,
  ];
  if (r.firstFailure) {
    const f = r.firstFailure;
    out.push("", `  first failure: ${f.message}`, `  replay: ${f.replay}`);
  }
  return out.join("\n");
}

function main(): void {
  const o = parse(process.argv.slice(2));
  const tty = process.stderr.isTTY;
  const res = benchFaults(o, (done, total) => {
    if (tty) process.stderr.write(`\rbench-faults: campaign ${done}/${total}`);
  });
  if (tty) process.stderr.write("\r\x1b[K");
  const name = o.workload === "wrap" ? "bench-faults.json" : `bench-faults-${o.workload}.json`;
  const out = path.join(repoRoot, "build", name);
  mkdirSync(path.dirname(out), { recursive: true });
  writeFileSync(out, `${JSON.stringify(res, null, 2)}\n`);
  const text = `${formatFaults(res)}\n\nwrote ${path.relative(process.cwd(), out)}\n`;
  process.stdout.write(o.json ? `${JSON.stringify(res, null, 2)}\n` : text);
  process.exitCode = res.failedRuns === 0 && res.chainOk ? 0 : 1;
}

const self = path.resolve(new URL(import.meta.url).pathname);
if (process.argv[1] && path.resolve(process.argv[1]) === self) main();
