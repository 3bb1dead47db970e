// `offtap ledger powercut`: the power-loss suite with the NOR fault model from the
// command line (docs/LEDGER.md §10.1 and "Fault model").
import { EXIT_OK, EXIT_FAILED, UsageError } from "../command.ts";
import { parse, intFlag } from "../args.ts";
import { Progress, table, green, red } from "../output.ts";
import {
  runPowerCut, powerCutOk, FAULT_KINDS, type PowerCutReport, type PowerCutOptions,
} from "../../ledger/powercut.ts";
import type { FaultSelection } from "../../ledger/powercut-faults.ts";

export const POWERCUT_HELP = `\
usage: offtap ledger powercut --taps N (--exhaustive | --random K) [options]

Runs a workload of N taps (exports and acknowledgements every --export-every taps,
deny-list updates every --deny-every taps) through build/offtap.wasm on simulated NOR
flash, cutting power at program/erase points with the chosen faults, rebooting,
recovering and checking after every reboot: every accepted tap present exactly once,
nothing unaccepted reported, exports never stuck, no trap, chain verifies, sequence
numbers never reused, acknowledgement and deny-list version never backwards.

  --taps N            taps in the workload (required)
  --exhaustive        one run per program/erase point: the first cut of run k is at point k
  --random K          K runs (K >= 1), the first cut of each at a seeded point
  --seed S            workload, keys and fault seed (default 1)
  --faults KIND       clean | partial | weak | rot | wear | all (default clean):
                        clean    a cut program keeps a byte prefix, a cut erase a prefix
                        partial  a cut leaves any subset of its bits (none, one, prefix,
                                 random, all but one, all); torn erases of every shape
                        weak     as partial, plus cells that read at random until rewritten
                        rot      one persistent bit flip per run in a header, mark, commit,
                                 record or deny-list region (rotating through them)
                        wear     a sector (often sector 0) whose programs/erases fail
                        all      the five kinds in turn, run by run
  --cuts N            power cuts per run (default 1); later cuts often hit the first
                      writes after a reboot, recovery's own included
  --deny-every N      install a new signed deny list every N taps (default 0 = never)
  --export-every N    settle with clearing after every N taps (default 5; 0 = only at the end)
  --sectors N         ledger partition size in 4 KiB sectors (default 4: small, so it wraps)
  --read-flips P      also flip one bit in a read with probability P (transient read errors)
  --run K             replay run K of the campaign alone (as printed by a failure)
  --firmware FILE     the .wasm to test (default build/offtap.wasm)
  --json              print the report as JSON (per-fault counts under "faults")
Exit 1 on any invariant violation (the replay command is printed); 2 on a usage error.`;

const OPTIONS = {
  taps: { type: "string" }, exhaustive: { type: "boolean" }, random: { type: "string" },
  seed: { type: "string" }, faults: { type: "string" }, cuts: { type: "string" },
  "deny-every": { type: "string" }, "export-every": { type: "string" },
  sectors: { type: "string" }, "read-flips": { type: "string" }, run: { type: "string" },
  firmware: { type: "string" }, json: { type: "boolean" },
} as const;

const SELECTIONS: readonly string[] = [...FAULT_KINDS, "all"];
/** Deny-list partition of the suite: two 4 KiB slots, the smallest the format allows. */
const DENY_BYTES = 2 * 4096;

type Values = ReturnType<typeof parse<typeof OPTIONS>>["values"];

function optionsFrom(values: Values): PowerCutOptions {
  if (values.taps === undefined) throw new UsageError("--taps is required");
  if ((values.exhaustive ? 1 : 0) + (values.random !== undefined ? 1 : 0) !== 1) {
    throw new UsageError("give exactly one of --exhaustive or --random K");
  }
  const taps = intFlag("taps", values.taps, 0, 100_000);
  if (taps < 1) throw new UsageError("--taps must be at least 1");
  const flips = values["read-flips"] === undefined ? 0 : Number(values["read-flips"]);
  if (!(flips >= 0 && flips < 1)) {
    throw new UsageError("--read-flips takes a probability in [0, 1)");
  }
  const faults = values.faults ?? "clean";
  if (!SELECTIONS.includes(faults)) {
    throw new UsageError(`--faults takes one of ${SELECTIONS.join("|")}, got '${faults}'`);
  }
  const cuts = intFlag("cuts", values.cuts, 1, 64);
  if (cuts < 1) throw new UsageError("--cuts must be at least 1");
  const sectors = intFlag("sectors", values.sectors, 4, 256);
  if (sectors < 2) throw new UsageError("--sectors must be at least 2");
  const count = intFlag("random", values.random, 0, 1_000_000);
  if (values.random !== undefined && count < 1) {
    throw new UsageError("--random must be at least 1 (runs to make)");
  }
  const denyEvery = intFlag("deny-every", values["deny-every"], 0, 100_000);
  return {
    taps, seed: intFlag("seed", values.seed, 1, 0xffffffff), readFlipRate: flips,
    mode: values.exhaustive ? { kind: "exhaustive" } : { kind: "random", count },
    faults: faults as FaultSelection, cuts, denyEvery,
    exportEvery: intFlag("export-every", values["export-every"], 5, 100_000),
    onlyRun: values.run === undefined ? undefined : intFlag("run", values.run, 0),
    wasmPath: values.firmware,
    geometry: {
      ledgerBytes: sectors * 4096, sectorBytes: 4096, pageBytes: 256,
      denyBytes: denyEvery > 0 ? DENY_BYTES : 0,
    },
  };
}

export async function powercut(argv: string[]): Promise<number> {
  const { values } = parse(argv, OPTIONS);
  const o = optionsFrom(values);
  let bar: Progress | undefined;
  let report: PowerCutReport;
  try {
    report = runPowerCut({
      ...o,
      onProgress: (done, total) => {
        bar ??= new Progress("power-cut runs", total);
        bar.update(done);
      },
    });
  } catch (e) {
    if (e instanceof RangeError) throw new UsageError(e.message);
    throw e;
  }
  bar?.finish();
  const ok = powerCutOk(report);
  if (values.json) console.log(JSON.stringify(jsonReport(report, ok, argv)));
  else printPowerCut(report, ok, argv);
  return ok ? EXIT_OK : EXIT_FAILED;
}

/** The command line that replays the first failing run alone. */
function replayLine(r: PowerCutReport, argv: string[]): string | undefined {
  const first = r.violations[0];
  if (!first) return undefined;
  const keep: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "--json") continue;
    if (a === "--run" || a === "--seed") { i++; continue; }
    if (a.startsWith("--run=") || a.startsWith("--seed=")) continue;
    keep.push(a);
  }
  const run = first.run >= 0 ? ` --run ${first.run}` : "";
  return `npx offtap ledger powercut ${keep.join(" ")} --seed ${r.seed}${run}`;
}

function jsonReport(r: PowerCutReport, ok: boolean, argv: string[]): object {
  return {
    ok, cutPoints: r.cutPoints, reboots: r.reboots, acceptedTaps: r.acceptedTaps,
    lost: r.lost, duplicated: r.duplicated, stuckExports: r.stuckExports, chainOk: r.chainOk,
    traps: r.traps, denyBackwards: r.denyBackwards, ackBackwards: r.ackBackwards,
    seqReused: r.seqReused, signalRearmed: r.signalRearmed, signalled: r.signalled,
    cutsDuringRecovery: r.cutsDuringRecovery,
    unsignalledCommitted: r.unsignalledCommitted,
    declinedFull: r.declinedFull, declinedVerify: r.declinedVerify,
    rottedRecords: r.rottedRecords, rottedBits: r.rottedBits, weakReads: r.weakReads,
    wornFailures: r.wornFailures, denyInstalls: r.denyInstalls, denyListsLost: r.denyListsLost,
    faults: r.byFault, faultSelection: r.faults, cutsPerRun: r.cutsPerRun,
    opsPerRun: r.opsPerRun, seed: r.seed, taps: r.taps, replay: replayLine(r, argv) ?? null,
    violations: r.violations.slice(0, 50),
  };
}

function printPowerCut(r: PowerCutReport, ok: boolean, argv: string[]): void {
  console.log(table([
    ["figure", "value"],
    ["runs (cut points)", String(r.cutPoints)],
    ["cuts per run", String(r.cutsPerRun)],
    ["reboots (cuts inside recovery)", `${r.reboots} (${r.cutsDuringRecovery})`],
    ["accepted taps (all runs)", String(r.acceptedTaps)],
    ["committed but unsignalled", String(r.unsignalledCommitted)],
    ["declined: ledger full / verify", `${r.declinedFull} / ${r.declinedVerify}`],
    ["lost", String(r.lost)],
    ["duplicated", String(r.duplicated)],
    ["stuck exports", String(r.stuckExports)],
    ["traps", String(r.traps)],
    ["ack / deny version backwards", `${r.ackBackwards} / ${r.denyBackwards}`],
    ["sequence numbers reused", String(r.seqReused)],
    ["gate re-armed after reboot", `${r.signalRearmed} (of ${r.signalled} signalled)`],
    ["chain verifies", String(r.chainOk)],
  ]));
  const kinds = Object.entries(r.byFault);
  if (kinds.length > 0) {
    console.log(table([
      ["fault", "runs", "failed", "reboots", "lost", "dup", "stuck", "traps"],
      ...kinds.map(([k, f]) => [
        k, f.runs, f.failedRuns, f.reboots, f.lost, f.duplicated, f.stuckExports, f.traps,
      ].map(String)),
    ]));
  }
  for (const v of r.violations.slice(0, 20)) {
    const where = `run ${v.run} (${v.kind}, first cut at ${v.cutAtOp})`;
    console.log(red(`violation in ${where}: ${v.message}`));
  }
  if (!ok) console.log(red(`FAILED — replay: ${replayLine(r, argv) ?? `--seed ${r.seed}`}`));
  else {
    const what = `${r.cutPoints} runs, ${r.reboots} reboots`;
    console.log(green(`ok: ${what}, 0 lost, 0 duplicated, 0 stuck`));
  }
}
