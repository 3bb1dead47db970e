// `offtap sim` — many taps over a population of simulated wallets through the real
// firmware: a summary of decisions by reason and the simulator's throughput.
import { randomBytes } from "node:crypto";
import type { Command } from "../command.ts";
import { EXIT_FAILED, EXIT_OK, UsageError } from "../command.ts";
import { parse, intFlag } from "../args.ts";
import { Progress, bold, green, red } from "../output.ts";
import { runSim } from "../../sim/population.ts";
import { Reason, reasonInfo } from "../../protocol/index.ts";
import { BoardError, loadBoard } from "../../boards/index.ts";
import { setSimulatedBoard, type SimWorld } from "../../sim/world.ts";
import { keptWorldOptions, newIssuerKeyIds, saveState, type KeptReader } from "../../sim/state.ts";
import { keptBoard, openKept, releaseKept, stateLine } from "./state-flags.ts";

const HELP = `usage: offtap sim [--taps N] [--wallets M] [--seed S] [--misbehaving P] [--kiosk]
                 [--board ID] [--state DIR] [--json]

Runs N taps at one simulated reader (build/offtap.wasm on the simulated board) over a
population of M wallets: mostly honest, a seeded share misbehaving (bad certificates,
replays, lies, vanishing, garbage), honest phones sometimes pulled away before the
receipt and tapping again. Clearing acknowledges the ledger as it fills and the
operator pushes a fresh deny list daily. Prints decisions by reason and taps/s.

options:
  --taps N         taps to run (default 10000)
  --wallets M      wallets in the population (default 100)
  --seed S         one seed for wallets, faults, clock and randomness (default 1)
  --misbehaving P  percentage of wallets that misbehave, 0-100 (default 10)
  --kiosk          kiosk mode (amounts vary per tap) instead of gate mode
  --board ID       simulate board boards/ID.json: its partitions, mode, fare and limits
  --state DIR      keep the reader in DIR (docs/STATE.md): its flash (the real ledger),
                   keys, provisioning, clock and deny list. The first use creates DIR;
                   later runs continue that reader with a new day's riders. Nothing
                   acknowledges its ledger: export it with 'offtap ledger export --state'
  --json           print {"taps","accepted","declined",…,"tapsPerSecond","seed"} as JSON
  --help           show this help

Exit codes: 0 the run held its invariants (every acceptance charged once, the ledger
holds exactly the accepted payments), 1 it did not (the seed is printed), 2 usage error.`;

function randomSeed(): number {
  return randomBytes(4).readUInt32LE(0) || 1;
}

/** What --json says about a kept reader. */
function stateJson(saved: KeptReader, kept: KeptReader | undefined): object {
  return {
    dir: saved.dir,
    created: kept === undefined,
    readerId: saved.facts.readerId,
    runs: saved.run.runs,
    taps: saved.run.taps,
  };
}

/** Names and meanings left-aligned, numbers right-aligned. */
function decisionTable(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  const right = new Set([1, 2, 3]);
  return rows
    .map((r, ri) => {
      const line = r
        .map((c, i) => (right.has(i) ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
        .join("  ")
        .trimEnd();
      return ri === 0 ? bold(line) : line;
    })
    .join("\n");
}

export const command: Command = {
  name: "sim",
  summary: "simulate many taps over a wallet population and summarise the decisions",
  async run(argv) {
    const { values } = parse(argv, {
      taps: { type: "string" },
      wallets: { type: "string" },
      seed: { type: "string" },
      misbehaving: { type: "string" },
      kiosk: { type: "boolean" },
      json: { type: "boolean" },
      help: { type: "boolean" },
      board: { type: "string" },
      state: { type: "string" },
    });
    if (values.help) {
      console.log(HELP);
      return EXIT_OK;
    }
    const taps = intFlag("taps", values.taps, 10_000, 100_000_000);
    const wallets = intFlag("wallets", values.wallets, 100, 1_000_000);
    const kept = values.state === undefined ? undefined : openKept(values.state);
    // A new kept reader gets keys of its own (a random seed, kept) unless --seed is given.
    const fresh = values.state !== undefined && kept === undefined ? randomSeed() : 1;
    const seed = intFlag("seed", values.seed, kept?.facts.seed ?? fresh, 0xffffffff);
    const pct = intFlag("misbehaving", values.misbehaving, 10, 100);
    if (taps < 1 || wallets < 1) throw new UsageError("--taps and --wallets must be at least 1");
    let board;
    try {
      board = values.board === undefined ? undefined : loadBoard(values.board);
    } catch (e) {
      throw new UsageError((e as BoardError).message);
    }
    if (kept !== undefined) board = keptBoard(kept, values.board, values.kiosk === true);
    if (board !== undefined && values.kiosk && board.mode !== "kiosk")
      throw new UsageError(`--kiosk contradicts board ${board.id}, a ${board.mode}`);
    setSimulatedBoard(board);
    const mode = kept?.facts.mode ?? (values.kiosk ? "kiosk" : (board?.mode ?? "gate"));
    let saved: KeptReader | undefined;
    const save =
      values.state === undefined
        ? undefined
        : (w: SimWorld): void => {
            saved = saveState(values.state!, w, {
              previous: kept,
              board: board?.id ?? null,
              seed,
              taps,
            });
            releaseKept(values.state);
          };
    const progress = new Progress("taps", taps);
    const s = await runSim({
      taps,
      wallets,
      seed,
      misbehavingShare: pct / 100,
      mode,
      onProgress: (d) => progress.update(d),
      ...(kept !== undefined
        ? { world: keptWorldOptions(kept) }
        : save === undefined
          ? {}
          : { world: { issuerKeyIds: newIssuerKeyIds(String(seed)) } }),
      ...(save === undefined
        ? {}
        : {
            runLabel: `run-${(kept?.run.runs ?? 0) + 1}`,
            acknowledge: false,
            afterRun: save,
          }),
    });
    progress.finish();
    if (values.json) {
      const state = saved === undefined ? {} : { state: stateJson(saved, kept) };
      console.log(JSON.stringify({ ...s, ...state }));
    } else {
      if (saved !== undefined) console.log(stateLine(saved, kept));
      const rows = Object.entries(s.byDecision).map(([name, n]) => {
        const code = Reason[name as keyof typeof Reason];
        return [
          name,
          String(code ?? "?"),
          String(n),
          `${((100 * n) / s.taps).toFixed(2)} %`,
          reasonInfo(code ?? -1)?.description ?? "",
        ];
      });
      console.log(
        bold(
          `offtap sim — ${s.taps} taps, ${s.wallets} wallets (${s.misbehavingWallets} misbehaving), seed ${s.seed}`,
        ),
      );
      console.log("");
      console.log(decisionTable([["decision", "code", "taps", "share", "meaning"], ...rows]));
      console.log("");
      console.log(
        `accepted           ${s.accepted} of ${s.taps} (${((100 * s.accepted) / s.taps).toFixed(1)} %)`,
      );
      console.log(
        `throughput         ${bold(s.tapsPerSecond.toFixed(0))} taps/s on this host (${s.elapsedSeconds.toFixed(2)} s)`,
      );
      console.log(`firmware per tap   ${s.firmwareMicrosPerTap.toFixed(0)} µs (inside tap(), V8)`);
      console.log(
        `radio time per tap ${s.simulatedMsPerTap.toFixed(1)} ms simulated mean, ${s.simulatedMsMax} ms max`,
      );
      console.log(
        `ledger             ${s.ledgerRecords} records, ${s.acknowledgements} acknowledgements`,
      );
      console.log(`recertifications   ${s.recertifications} wallets went online at their cap`);
      console.log(
        `counter reuses     ${s.counterReusesAccepted} accepted (double spends only clearing can see)`,
      );
      console.log(`charged once       ${s.chargedOnce ? green("yes") : red("NO")}`);
    }
    if (!s.chargedOnce) {
      console.error(
        `offtap sim: invariant broken (a payment charged twice or the ledger disagrees); replay with --seed ${seed} --taps ${taps} --wallets ${wallets}`,
      );
      return EXIT_FAILED;
    }
    return EXIT_OK;
  },
};
