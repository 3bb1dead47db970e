/** One `offtap <name> …` command. `run` returns the process exit code:
 *  0 success, 1 the work ran and found a problem (failing vector, invariant broken),
 *  2 usage or input error (bad flag, unreadable file). */
export interface Command {
  readonly name: string;
  readonly summary: string;
  /** Help texts: "" for the command, one per subcommand that has its own. When present, the
   *  dispatcher answers `-h`/`--help` (anywhere before `--`) and `offtap help CMD [SUB]` from
   *  it without running the command. */
  readonly help?: Readonly<Record<string, string>>;
  run(argv: string[]): Promise<number>;
}

export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;

/** Thrown for bad command lines and unusable inputs (missing file, folder for a file, bad
 *  value): the dispatcher prints `offtap <command>: <message> (<hint>)` and exits with
 *  EXIT_USAGE. Without a hint, the command's help is named as what to do. A message that
 *  already ends in a parenthesised hint is printed as it is. */
export class UsageError extends Error {
  constructor(message: string, readonly hint?: string) {
    super(message);
  }
}

/** Thrown when the work ran and found a problem that ends the command: printed as one line
 *  like UsageError, exit EXIT_FAILED. `code` is a stable machine name for --json. */
export class CommandFailure extends Error {
  constructor(message: string, readonly hint?: string, readonly code?: string) {
    super(message);
  }
}
