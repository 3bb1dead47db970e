/** One `offtap <name> …` command. `run` returns the process exit code:
 *  0 success, 1 the work ran and found a problem (failing vector, invariant broken),
 *  2 usage or input error (bad flag, unreadable file). */
export interface Command {
  readonly name: string;
  readonly summary: string;
  run(argv: string[]): Promise<number>;
}

export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;

/** Thrown for bad command lines; the dispatcher prints the message and exits with EXIT_USAGE. */
export class UsageError extends Error {}
