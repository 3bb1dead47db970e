// Failures of the environment (not of the command line) that every command reports the
// same way: one line saying what is wrong and what to do, exit 1. Anything else that is
// thrown is a bug and keeps its stack.
import { join } from "node:path";
import { DbLockedError, LOCK_FILE_NAME } from "../clearing/lock.ts";
import { UnsafeDurabilityError } from "../clearing/durability.ts";

/** The one-line message for a known failure, or undefined for a bug. */
export function knownFailure(err: unknown): string | undefined {
  if (err instanceof DbLockedError) {
    const lockFile = join(err.dir, LOCK_FILE_NAME);
    const serving = /\bserve\b/.test(err.holder.command);
    const hint = serving
      ? "use the running server's HTTP API, or stop it first"
      : `wait for it to finish or stop it; if that process is gone, delete ${lockFile}`;
    return `${err.message} (${hint})`;
  }
  if (err instanceof UnsafeDurabilityError) {
    return `${err.message} (set fsync=on and synchronous_commit=on in postgresql.conf; ` +
      "for throwaway data only: --unsafe-no-fsync or OFFTAP_UNSAFE_NO_FSYNC=1)";
  }
  return undefined;
}
