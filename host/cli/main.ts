// `offtap` — the host's front door. Each command lives in host/cli/commands/ and is
// registered in the table below.
import type { Command } from "./command.ts";
import { EXIT_FAILED, EXIT_OK, EXIT_USAGE, UsageError } from "./command.ts";
import { knownFailure } from "./failures.ts";
import { command as demo } from "./commands/demo.ts";
import { command as vectors } from "./commands/vectors.ts";
import { command as tap } from "./commands/tap.ts";
import { command as sim } from "./commands/sim.ts";
import { command as issuer } from "./commands/issuer.ts";
import { command as ledger } from "./commands/ledger.ts";
import { command as clear } from "./commands/clear.ts";
import { command as history } from "./commands/history.ts";
import { command as serve } from "./commands/serve.ts";
import { command as image } from "./commands/image.ts";
import { command as cashout } from "./commands/cashout.ts";
import { command as flash } from "./commands/flash.ts";
import { command as nfc } from "./commands/nfc.ts";
import { command as wallet } from "./commands/wallet.ts";
import { command as reader } from "./commands/reader.ts";
import { command as tokens } from "./commands/tokens.ts";

const commands: readonly Command[] = [
  demo, tap, sim, issuer, ledger, vectors, serve, tokens, image, clear, history, cashout, flash,
  nfc, reader, wallet,
];

function usage(): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  const lines = commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`);
  return [
    "usage: offtap <command> [options]",
    "",
    "Firmware and tooling for offline NFC micropayment readers.",
    "",
    "commands:",
    ...lines,
    "",
    "Run `offtap <command> --help` for a command's options.",
    "Exit codes: 0 success, 1 the work found a problem, 2 usage or input error.",
  ].join("\n");
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    console.log(usage());
    return name === undefined ? EXIT_USAGE : EXIT_OK;
  }
  if (name === "--version") {
    console.log("offtap 0.1.0");
    return EXIT_OK;
  }
  const cmd = commands.find((c) => c.name === name);
  if (cmd === undefined) {
    console.error(`offtap: unknown command '${name}'\n\n${usage()}`);
    return EXIT_USAGE;
  }
  try {
    return await cmd.run(rest);
  } catch (err) {
    if (err instanceof UsageError) {
      console.error(`offtap ${name}: ${err.message}\nRun \`offtap ${name} --help\` for usage.`);
      return EXIT_USAGE;
    }
    const failure = knownFailure(err);
    if (failure !== undefined) {
      console.error(`offtap ${name}: ${failure}`);
      return EXIT_FAILED;
    }
    throw err;
  }
}
