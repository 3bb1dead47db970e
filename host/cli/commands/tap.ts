// `offtap tap` — one tap through the real firmware on the simulated board, shown APDU by
// APDU with the decision, its reason and timings.
import type { Command } from "../command.ts";
import { CommandFailure, EXIT_FAILED, EXIT_OK, UsageError } from "../command.ts";
import { parse, intFlag } from "../args.ts";
import { bold, dim, green, red, yellow } from "../output.ts";
import { checkOutput, writeOutput } from "../files.ts";
import { randomBytes } from "node:crypto";
import { SCENARIOS, findScenario, type Scenario } from "../../sim/scenarios.ts";
import { keptWorldOptions, newIssuerKeyIds, saveState, type KeptReader } from "../../sim/state.ts";
import type { WorldOptions } from "../../sim/world.ts";
import { keptBoard, openKept, releaseKept, stateLine } from "./state-flags.ts";
import { TapeRecorder, type Tape } from "../../sim/tape.ts";
import { DEFAULT_START_UNIX_S, setSimulatedBoard } from "../../sim/world.ts";
import { BoardError, loadBoard } from "../../boards/index.ts";
import type { TapResult } from "../../sim/reader.ts";
import { parseNfcSpec, runThroughPn532 } from "../../nfc/session.ts";
import { LinkError } from "../../nfc/link.ts";
import type { ExchangeEvent, SignalEvent } from "../../sim/board.ts";
import { LED_NAMES, SIGNAL_KIND_NAMES, nfcStatusName } from "../../sim/abi.ts";
import { currencyLabel, formatMoney, isoFromUnixSeconds } from "../../money/index.ts";
import { amountFlag, currencyFlag } from "../../money/flags.ts";
import {
  type ExchangeStep,
  reasonInfo,
  reasonName,
  summarizeCommand,
  summarizeResponse,
  toHex,
  isAcceptance,
  type Receipt,
} from "../../protocol/index.ts";

/** Receipt outcomes (docs/PROTOCOL.md, "RECEIPT"). */
const OUTCOMES = [
  "accepted now",
  "already accepted (gate opened now)",
  "already used (gate stays shut)",
];

/** The receipt row of the transcript. */
function receiptLine(rc: Receipt | undefined): string {
  if (rc === undefined) return "none";
  const outcome = OUTCOMES[rc.outcome] ?? `outcome ${rc.outcome}`;
  return (
    `seq ${rc.sequence}, counter ${rc.counter}, ${formatMoney(rc.amount, rc.currency)} at ` +
    `${isoFromUnixSeconds(rc.readerTime)}, ${outcome}, record ${toHex(rc.recordHash)}`
  );
}

const HELP = `usage: offtap tap [--scenario NAME] [--seed S] [--board ID] [--amount A] [--state DIR]
                 [--json] [--record FILE]
       offtap tap --nfc pn532:PORT[:BAUD] [--scenario NAME] [--seed S] [--json]
       offtap tap --list

Runs one tap exchange through build/offtap.wasm on the simulated board (NFC field,
flash, clock, seeded RNG) and prints every APDU (C and R, hex, with a decoded summary),
the decision, its reason and timings. A scenario may tap a few times first to set the
situation up (a torn exchange before a re-tap, a used counter before a replay); those
taps are listed, and the last tap is shown in full.

options:
  --scenario NAME  what happens (default: accepted); --list shows them all
  --seed S         seed for keys, wallets, challenges and the clock (default 1)
  --board ID       simulate board boards/ID.json (partitions, mode, fare, limits);
                   a scenario's own settings (e.g. kiosk mode) still apply
  --amount A       a kiosk's tap: the amount it asks, in major units (12.34; default:
                   the scenario's, else 5.00); a gate charges its fare
  --state DIR      tap the reader kept in DIR (docs/STATE.md; created on first use, as
                   'offtap sim --state DIR' does): the tap lands in its real ledger
  --json           print the tap as JSON
  --record FILE    also write the run as a replayable tape (the format of
                   test/vectors/protocol/exchanges.json, one tape); an existing
                   FILE is not replaced without --force
  --force          replace an existing --record FILE
  --nfc pn532:PORT the tap of interest through a PN532 on PORT (a breakout, or
                   \`offtap nfc emulate --scenario NAME --seed S\`) instead of the
                   simulated field; the taps before it are replayed from the seed
  --list           list the scenarios and the decision each one expects
  --help           show this help

Exit codes: 0 the decision is the one docs/PROTOCOL.md prescribes for the scenario,
1 it is not (the seed is printed to replay it), 2 usage error.`;

/** The world options of a tap at a kept reader (or at the one this tap creates). */
function keptTapWorld(
  scenario: Scenario,
  kept: KeptReader | undefined,
  dir: string,
  seed: number,
): Partial<WorldOptions> {
  if (scenario.reconfigures) {
    throw new UsageError(
      `scenario ${scenario.name} sets up a reader of its own; ` + "run it without --state",
    );
  }
  if (kept === undefined) return { issuerKeyIds: newIssuerKeyIds(String(seed)) };
  if (scenario.mode !== undefined && scenario.mode !== kept.facts.mode) {
    throw new UsageError(
      `scenario ${scenario.name} needs a ${scenario.mode} reader; ` +
        `${dir} is a ${kept.facts.mode}`,
    );
  }
  return { ...keptWorldOptions(kept), mode: kept.facts.mode };
}

const STEPS: readonly ExchangeStep[] = ["SELECT", "PAY", "RECEIPT"];

function stepOf(x: ExchangeEvent, i: number): ExchangeStep {
  if (x.tx[1] === 0xa4) return "SELECT";
  if (x.tx[1] === 0x50) return "PAY";
  if (x.tx[1] === 0x52) return "RECEIPT";
  return STEPS[Math.min(i, 2)]!;
}

/** A kiosk has no gate (boards/: "a kiosk board ignores signal kind 0") and charges the
 *  amount asked: texts written for gates are said the kiosk's way. */
function kioskText(text: string): string {
  return text
    .replace("paid now; gate opens", "paid now; the kiosk shows it paid")
    .replace("whose gate never opened", "whose acceptance was never shown")
    .replace("the gate opens once", "shown paid once")
    .replace("(gate opened now)", "(shown paid now)")
    .replace("(gate stays shut)", "(not paid again)")
    .replace("pays the gate fare", "pays the amount asked");
}

/** The signals a kiosk acts on: its board ignores kind 0, the gate relay it has none of. */
function shownSignals(signals: SignalEvent[], kiosk: boolean): SignalEvent[] {
  return kiosk ? signals.filter((s) => s.kind !== 0) : signals;
}

function signalText(s: SignalEvent): string {
  const kind = SIGNAL_KIND_NAMES[s.kind] ?? `kind ${s.kind}`;
  if (s.kind === 1) return `led ${LED_NAMES[s.value] ?? s.value}`;
  if (s.kind === 2)
    return `buzzer ${s.value === 1 ? "accept" : s.value === 2 ? "decline" : s.value}`;
  if (s.kind === 3) return `display ${reasonName(s.value)}`;
  if (s.kind === 0) return `gate ${s.value === 1 ? "open" : s.value}`;
  return `${kind} ${s.value}`;
}

function exchangeJson(x: ExchangeEvent, i: number): object {
  const step = stepOf(x, i);
  return {
    step,
    command: toHex(x.tx),
    commandSummary: summarizeCommand(x.tx),
    response: x.rx === undefined ? null : toHex(x.rx),
    responseSummary: x.rx === undefined ? nfcStatusName(x.status) : summarizeResponse(step, x.rx),
    status: x.status,
    elapsedMs: x.elapsedMs,
  };
}

function resultJson(r: TapResult, kiosk: boolean): object {
  const description = reasonInfo(r.decision)?.description ?? "not in docs/PROTOCOL.md";
  return {
    decision: r.decision,
    reason: r.reason,
    description: kiosk ? kioskText(description) : description,
    accepted: r.accepted,
    exchanges: r.exchanges.map(exchangeJson),
    signals: shownSignals(r.signals, kiosk).map((s) => ({
      kind: SIGNAL_KIND_NAMES[s.kind] ?? s.kind,
      value: s.value,
      text: signalText(s),
    })),
    receipt:
      r.receiptBytes === undefined || r.receipt === undefined
        ? null
        : {
            bytes: toHex(r.receiptBytes),
            outcome: r.receipt.outcome,
            sequence: r.receipt.sequence,
            counter: r.receipt.counter,
            amount: r.receipt.amount,
            currency: currencyLabel(r.receipt.currency),
            readerTime: r.receipt.readerTime,
            readerTimeIso: isoFromUnixSeconds(r.receipt.readerTime),
            recordHash: toHex(r.receipt.recordHash),
          },
    timings: { simulatedMs: r.simulatedMs, firmwareMicros: Math.round(r.hostMicros) },
    logs: r.logs.map((l) => l.text),
  };
}

function printTap(r: TapResult, expected: string, kiosk: boolean): void {
  const say = (t: string): string => (kiosk ? kioskText(t) : t);
  for (const [i, x] of r.exchanges.entries()) {
    const step = stepOf(x, i);
    console.log(`${bold("→")} ${toHex(x.tx)}`);
    console.log(`  ${dim(summarizeCommand(x.tx))}`);
    if (x.rx === undefined) {
      const after = dim(`after ${x.elapsedMs} ms`);
      console.log(`${bold("←")} ${red(nfcStatusName(x.status))} ${after}`);
    } else {
      console.log(`${bold("←")} ${toHex(x.rx)}`);
      console.log(`  ${dim(summarizeResponse(step, x.rx))} ${dim(`(${x.elapsedMs} ms)`)}`);
    }
  }
  if (r.exchanges.length === 0) console.log(dim("(no APDU exchanged)"));
  const info = reasonInfo(r.decision);
  const verdict = isAcceptance(r.decision) ? green(r.reason) : red(r.reason);
  console.log("");
  const rows: [string, string][] = [
    ["decision", `${verdict} (${r.decision})`],
    ["reason", say(info?.description ?? "not in docs/PROTOCOL.md")],
    ["expected", r.reason === expected ? green(expected) : yellow(expected)],
    ["signals", shownSignals(r.signals, kiosk).map(signalText).join(", ") || "none"],
    ["receipt", say(receiptLine(r.receipt))],
    [
      "tap time",
      `${r.simulatedMs} ms simulated (radio), ` +
        `${(r.hostMicros / 1000).toFixed(2)} ms in the firmware on this host`,
    ],
  ];
  for (const [k, v] of rows) console.log(`${bold(k.padEnd(9))} ${v}`);
}

export const command: Command = {
  name: "tap",
  summary: "run one simulated tap through the firmware and show every APDU",
  async run(argv) {
    const { values } = parse(argv, {
      scenario: { type: "string" },
      seed: { type: "string" },
      json: { type: "boolean" },
      list: { type: "boolean" },
      help: { type: "boolean" },
      record: { type: "string" },
      board: { type: "string" },
      nfc: { type: "string" },
      force: { type: "boolean" },
      amount: { type: "string" },
      state: { type: "string" },
    });
    if (values.help) {
      console.log(HELP);
      return EXIT_OK;
    }
    if (values.list) {
      if (values.json)
        console.log(
          JSON.stringify(
            SCENARIOS.map((s) => ({
              name: s.name,
              expected: s.expected,
              description: s.description,
            })),
          ),
        );
      else {
        const w1 = Math.max(...SCENARIOS.map((s) => s.name.length));
        const w2 = Math.max(...SCENARIOS.map((s) => s.expected.length));
        console.log(bold(`${"scenario".padEnd(w1)}  ${"expected".padEnd(w2)}  what happens`));
        for (const s of SCENARIOS)
          console.log(`${s.name.padEnd(w1)}  ${s.expected.padEnd(w2)}  ${s.description}`);
      }
      return EXIT_OK;
    }
    const name = values.scenario ?? "accepted";
    const scenario = findScenario(name);
    if (scenario === undefined)
      throw new UsageError(`unknown scenario '${name}' (see offtap tap --list)`);
    const kept = values.state === undefined ? undefined : openKept(values.state);
    // A new kept reader gets keys of its own (a random seed, kept) unless --seed is given.
    const fresh =
      values.state !== undefined && kept === undefined ? randomBytes(4).readUInt32LE(0) || 1 : 1;
    const seed = intFlag("seed", values.seed, kept?.facts.seed ?? fresh, 0xffffffff);
    let board;
    try {
      board = values.board === undefined ? undefined : loadBoard(values.board);
    } catch (e) {
      throw new UsageError((e as BoardError).message);
    }
    if (kept !== undefined) board = keptBoard(kept, values.board, false);
    setSimulatedBoard(board);
    const tapCurrency = currencyFlag(
      "currency",
      String(kept?.facts.currency ?? board?.defaults.currency ?? 978),
    );
    const amount =
      values.amount === undefined
        ? undefined
        : amountFlag("amount", values.amount, tapCurrency, 0xffffffff);
    if (amount !== undefined && amount < 1) {
      throw new UsageError(`--amount is at least ${formatMoney(1, tapCurrency.numeric)}`);
    }
    const mode = kept?.facts.mode ?? scenario.mode ?? board?.mode ?? "gate";
    if (amount !== undefined && mode !== "kiosk") {
      throw new UsageError(
        "--amount is for a kiosk; a gate charges its fare " + "(use a kiosk --board)",
      );
    }
    const world =
      values.state === undefined ? undefined : keptTapWorld(scenario, kept, values.state, seed);
    if (values.record !== undefined && !scenario.tape) {
      throw new UsageError(
        `scenario ${scenario.name} cuts power or fails a program mid-tap, ` +
          "which a tape cannot replay (record another scenario)",
      );
    }
    const force = { force: values.force === true, flag: "--record" };
    if (values.record !== undefined) checkOutput(values.record, force);
    const recorder = values.record === undefined ? undefined : new TapeRecorder();
    const nfc = values.nfc === undefined ? undefined : parseNfcSpec(values.nfc);
    if (typeof nfc === "string") throw new UsageError(nfc);
    if (nfc !== undefined && recorder !== undefined) {
      throw new UsageError("--record and --nfc exclude each other");
    }
    if (world !== undefined && (nfc !== undefined || recorder !== undefined)) {
      throw new UsageError("--state taps the simulated field: drop --nfc and --record");
    }
    const runSeed = kept === undefined ? seed : `${seed}/tap-${kept.run.runs + 1}`;
    const run =
      nfc === undefined
        ? scenario.run(runSeed, {
            recorder,
            ...(world === undefined ? {} : { world }),
            ...(amount === undefined ? {} : { amount }),
          })
        : runThroughPn532(nfc, scenario, seed);
    if (!("result" in run)) {
      if (run instanceof LinkError) throw new UsageError(run.message);
      throw new CommandFailure(run.message, "check the PN532's wiring and port");
    }
    if (recorder !== undefined && values.record !== undefined) {
      const tape: Tape = {
        id: scenario.name,
        comment: `${scenario.description}; last tap expected ${scenario.expected}`,
        rngSeed: seed,
        geometry: run.world.config.geometry,
        startUnixSeconds: DEFAULT_START_UNIX_S,
        steps: recorder.steps,
      };
      writeOutput(values.record, JSON.stringify({ tapes: [tape] }, null, 1) + "\n", force);
    }
    const ok = run.result.reason === scenario.expected;
    const saved =
      values.state === undefined
        ? undefined
        : saveState(values.state, run.world, {
            previous: kept,
            board: board?.id ?? null,
            seed,
            taps: run.before.length + 1,
          });
    releaseKept(values.state);
    const kiosk = run.world.config.mode === "kiosk";
    if (values.json) {
      const state =
        saved === undefined
          ? {}
          : {
              state: {
                dir: saved.dir,
                created: kept === undefined,
                readerId: saved.facts.readerId,
                runs: saved.run.runs,
              },
            };
      console.log(
        JSON.stringify({
          scenario: scenario.name,
          seed,
          expected: scenario.expected,
          ok,
          before: run.before.map((b) => b.reason),
          ...resultJson(run.result, kiosk),
          ...state,
        }),
      );
    } else {
      if (saved !== undefined) console.log(stateLine(saved, kept));
      const c = run.world.config;
      const description = kiosk ? kioskText(scenario.description) : scenario.description;
      console.log(bold(`offtap tap — scenario ${scenario.name}: ${description}`));
      const asked = run.result.receipt?.amount ?? amount;
      const charge = kiosk
        ? `amount asked ${asked === undefined ? "per tap" : formatMoney(asked, c.currency)}`
        : `fare ${formatMoney(c.fare, c.currency)}`;
      console.log(
        dim(`seed ${seed}, reader ${toHex(run.world.readerId)}, ${c.mode} mode, ${charge}`),
      );
      if (run.before.length > 0)
        console.log(dim(`taps before: ${run.before.map((b) => b.reason).join(", ")}`));
      console.log("");
      printTap(run.result, scenario.expected, kiosk);
    }
    if (!ok)
      console.error(
        `offtap tap: decision ${run.result.reason} differs from the expected ` +
          `${scenario.expected}; replay with --scenario ${scenario.name} --seed ${seed}`,
      );
    return ok ? EXIT_OK : EXIT_FAILED;
  },
};
