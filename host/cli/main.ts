// `offtap` — the host's front door. The command table (names, summaries, subcommands) is
// host/cli/commands.mjs; each command's module in host/cli/commands/ is imported only when
// that command runs, so `offtap --help` and a mistyped name load none of them.
import type { Command } from "./command.ts";
import { EXIT_OK, EXIT_USAGE } from "./command.ts";
import { COMMANDS, VERSION, usage, type CommandInfo, type CommandName } from "./commands.mjs";
import { knownFailure, type Failure } from "./failures.ts";

type Loader = () => Promise<{ command: Command }>;

/** Each command's module, imported on first use. */
export const LOADERS: Readonly<Record<CommandName, Loader>> = {
  demo: () => import("./commands/demo.ts"),
  tap: () => import("./commands/tap.ts"),
  sim: () => import("./commands/sim.ts"),
  issuer: () => import("./commands/issuer.ts"),
  ledger: () => import("./commands/ledger.ts"),
  vectors: () => import("./commands/vectors.ts"),
  serve: () => import("./commands/serve.ts"),
  tokens: () => import("./commands/tokens.ts"),
  image: () => import("./commands/image.ts"),
  clear: () => import("./commands/clear.ts"),
  history: () => import("./commands/history.ts"),
  cashout: () => import("./commands/cashout.ts"),
  flash: () => import("./commands/flash.ts"),
  nfc: () => import("./commands/nfc.ts"),
  reader: () => import("./commands/reader.ts"),
  wallet: () => import("./commands/wallet.ts"),
};

export { COMMANDS };

/** The arguments before a `--` (after it, everything is an operand). */
function flagsOf(argv: readonly string[]): readonly string[] {
  const end = argv.indexOf("--");
  return end < 0 ? argv : argv.slice(0, end);
}

const wantsHelp = (argv: readonly string[]): boolean =>
  flagsOf(argv).some((a) => a === "-h" || a === "--help");

/** A command's subcommands: the table's and every one its help table names. */
export function subcommandsOf(info: CommandInfo, command: Command): string[] {
  const helped = Object.keys(command.help ?? {}).filter((k) => k !== "");
  return [...new Set([...info.subcommands, ...helped])];
}

/** The subcommand named by argv (its first word), if the command has one by that name. */
function subcommandOf(info: CommandInfo, command: Command, argv: readonly string[]):
  string | undefined {
  const first = argv[0];
  return first !== undefined && subcommandsOf(info, command).includes(first) ? first : undefined;
}

/** Line breaks inside a message (a JSON parser's excerpt, a validator's report) as spaces. */
const oneLine = (text: string): string => text.replace(/\s*\n\s*/g, " ").trim();

/** Prints a failure as one line (or, with --json, one JSON object) on stderr. */
export function reportFailure(label: string, failure: Failure, json: boolean): number {
  const f = { ...failure, message: oneLine(failure.message),
    hint: failure.hint === undefined ? undefined : oneLine(failure.hint) };
  if (json) {
    const error = { command: label, message: f.message, hint: f.hint ?? null, exit: f.exit,
      code: f.code ?? null };
    console.error(JSON.stringify({ error }));
  } else {
    console.error(`${label}: ${f.message}${f.hint === undefined ? "" : ` (${f.hint})`}`);
  }
  return f.exit;
}

/** Close names for a mistyped command: same first letters, or one letter off. */
function suggestion(name: string): string {
  const close = COMMANDS.filter((c) => c.name.startsWith(name.slice(0, 3)) ||
    name.startsWith(c.name.slice(0, 3)));
  return close.length === 0 ? "run offtap --help for the list"
    : `did you mean ${close.map((c) => c.name).join(" or ")}? offtap --help lists them`;
}

export async function main(argv: string[]): Promise<number> {
  const [first, ...rest] = argv;
  if (first === undefined || first === "--help" || first === "-h") {
    console.log(usage());
    return first === undefined ? EXIT_USAGE : EXIT_OK;
  }
  if (first === "--version") {
    console.log(`offtap ${VERSION}`);
    return EXIT_OK;
  }
  // `offtap help CMD [SUB]` is `offtap CMD [SUB] --help`.
  if (first === "help") return rest.length === 0 ? main(["--help"]) : main([...rest, "--help"]);
  const info = COMMANDS.find((c) => c.name === first);
  const json = flagsOf(rest).includes("--json");
  if (info === undefined) {
    const f: Failure = { message: `unknown command '${first}'`, hint: suggestion(first),
      exit: EXIT_USAGE, code: "usage" };
    return reportFailure("offtap", f, json);
  }
  const { command } = await LOADERS[info.name]();
  const sub = subcommandOf(info, command, rest);
  const label = sub === undefined ? `offtap ${info.name}` : `offtap ${info.name} ${sub}`;
  try {
    if (wantsHelp(rest)) {
      const text = command.help?.[sub ?? ""];
      if (text !== undefined) {
        console.log(text);
        return EXIT_OK;
      }
      // The command prints its own help; `-h` means `--help` everywhere.
      const end = rest.indexOf("--");
      const flags = flagsOf(rest).map((a) => (a === "-h" ? "--help" : a));
      return await command.run(end < 0 ? flags : [...flags, ...rest.slice(end)]);
    }
    return await command.run(rest);
  } catch (err) {
    const f = knownFailure(err, `${label} --help`);
    if (f === undefined) throw err;
    return reportFailure(label, f, json);
  }
}
