// Tap vectors as tap scripts (docs/TAPRUNNER.md): a recorded tape (host/sim/tape.ts,
// test/vectors/protocol/exchanges.json) becomes the line script build/taprunner.wasm and a
// board in test mode (boards/TESTMODE.md) run, and their output lines become a verdict.
import type { Tape, TapeStep } from "../sim/tape.ts";
import { reasonName } from "../protocol/index.ts";

/** A line of output the runner must print for the script to pass, with what it means. */
export interface ExpectedResult {
  /** Index of the tape step this checks. */
  step: number;
  /** What the step was, for messages: "init", "deny list", "tap 3 (ACCEPTED)". */
  label: string;
}

export interface TapScript {
  /** The script, LF-terminated lines. */
  text: string;
  /** One entry per `expect` line, in order. */
  expects: ExpectedResult[];
}

const PARTITION_LEDGER = 0;
const PARTITION_DENY = 1;
const PARTITION_CONFIG = 2;

/** Signals as the runner prints them: "kind:value" joined by commas, "-" for none. */
export function signalsText(signals: readonly (readonly [number, number])[]): string {
  return signals.length === 0 ? "-" : signals.map(([k, v]) => `${k}:${v}`).join(",");
}

function tapLines(step: Extract<TapeStep, { op: "tap" }>): string[] {
  const out = [`time ${step.unixSeconds}`, `fail-programs ${step.flashProgramFailures}`];
  if (step.randomFails) out.push("fail-random");
  for (const r of step.random) out.push(`random ${r}`);
  for (const x of step.exchanges) {
    out.push(
      x.response === null
        ? `nfc-error ${x.command} ${x.status} ${x.elapsedMs}`
        : `rapdu ${x.command} ${x.response} ${x.elapsedMs}`,
    );
  }
  out.push(
    `tap ${step.amount}`,
    `expect ${step.decision} ${step.receipt ?? "-"} ${signalsText(step.signals)}`,
  );
  return out;
}

/** Converts a tape to a tap script; deny-list images go in program-page-sized pieces, as
 *  the simulator installs them. */
export function tapeToScript(tape: Tape): TapScript {
  const g = tape.geometry;
  const lines = [
    `# tape ${tape.id}: ${tape.comment.replace(/[\r\n]+/g, " ")}`,
    `partition ${PARTITION_LEDGER} ${g.ledgerBytes} ${g.sectorBytes} ${g.pageBytes}`,
  ];
  if (g.denyBytes > 0)
    lines.push(`partition ${PARTITION_DENY} ${g.denyBytes} ${g.sectorBytes} ${g.pageBytes}`);
  lines.push(
    `partition ${PARTITION_CONFIG} ${g.configBytes} ${g.sectorBytes} ${g.pageBytes}`,
    `time ${tape.startUnixSeconds}`,
  );
  const expects: ExpectedResult[] = [];
  let taps = 0;
  tape.steps.forEach((step, i) => {
    if (step.op === "init") {
      lines.push(`init ${step.config}`, `expect ${step.expect}`);
      expects.push({ step: i, label: "init" });
    } else if (step.op === "denyList") {
      const chunkHex = g.pageBytes * 2;
      lines.push(`deny-begin ${step.image.length / 2}`);
      for (let at = 0; at < step.image.length; at += chunkHex)
        lines.push(`deny-data ${step.image.slice(at, at + chunkHex)}`);
      lines.push("deny-commit", `expect ${step.expect}`);
      expects.push({ step: i, label: "deny list" });
    } else if (step.op === "idle") {
      lines.push("idle");
    } else {
      taps++;
      lines.push(...tapLines(step));
      expects.push({ step: i, label: `tap ${taps} (${step.reason})` });
    }
  });
  return { text: `${lines.join("\n")}\n`, expects };
}

export interface TapeVerdict {
  passed: boolean;
  /** Why not, one line per problem. */
  problems: string[];
  taps: number;
}

/** Judges a runner's output for a script: every expect must print `pass`, no `mismatch`
 *  or `error` line may appear, the summary must be there and the exit code must be 0. */
export function judgeTapOutput(
  script: TapScript,
  lines: readonly string[],
  exitCode: number,
): TapeVerdict {
  const problems: string[] = [];
  let e = 0;
  let last = "";
  let taps = 0;
  for (const line of lines) {
    if (line.startsWith("tap ")) {
      taps++;
      last = line;
      const code = Number(line.split(" ")[1]);
      last = `${line.split(" receipt")[0]} (${reasonName(code)})`;
    } else if (line === "pass" || line.startsWith("fail")) {
      const what = script.expects[e]?.label ?? `expect ${e + 1}`;
      if (line !== "pass")
        problems.push(`${what}: ${line}${last ? ` — runner printed ${last}` : ""}`);
      e++;
    } else if (line.startsWith("mismatch ")) {
      problems.push(`${script.expects[e]?.label ?? "tap"}: ${line}`);
    } else if (line.startsWith("error")) {
      problems.push(`runner: ${line}`);
    } else if (line.startsWith("init ") || line.startsWith("deny ")) {
      last = line;
    }
  }
  if (e !== script.expects.length)
    problems.push(`runner answered ${e} of ${script.expects.length} expectations`);
  if (!lines.some((l) => l.startsWith("done ")))
    problems.push("runner printed no summary line (it stopped early)");
  if (exitCode !== 0 && problems.length === 0) problems.push(`runner exited with ${exitCode}`);
  return { passed: problems.length === 0 && exitCode === 0, problems, taps };
}
