// Expected failures every command reports the same way: one line saying what went wrong and
// what to do, with the exit code that says whose fault it is (2: the command line or an input
// the user named; 1: the work or its environment found a problem). Anything else that is
// thrown is a bug and keeps its stack.
import { join } from "node:path";
import { DbLockedError, LOCK_FILE_NAME } from "../clearing/lock.ts";
import { UnsafeDurabilityError } from "../clearing/durability.ts";
import { CommandFailure, EXIT_FAILED, EXIT_USAGE, UsageError } from "./command.ts";

export interface Failure {
  readonly message: string;
  /** What to do about it; undefined when the message already says it. */
  readonly hint: string | undefined;
  readonly exit: number;
  /** A stable machine name (Node's error code, a refusal rule), for --json. */
  readonly code: string | undefined;
}

/** The failure a thrown value stands for, or undefined for a bug. `help` names the command's
 *  help, the default hint of a usage error. */
export function knownFailure(err: unknown, help: string): Failure | undefined {
  if (err instanceof UsageError) {
    // A message that ends in its own "(what to do)" gives the hint.
    const own = err.hint === undefined ? /^(.*\S)\s*\(([^()]*)\)$/s.exec(err.message) : null;
    if (own !== null) return { message: own[1]!, hint: own[2]!, exit: EXIT_USAGE, code: "usage" };
    const hint = err.hint ?? `see ${help}`;
    return { message: err.message, hint, exit: EXIT_USAGE, code: "usage" };
  }
  if (err instanceof CommandFailure) {
    return { message: err.message, hint: err.hint, exit: EXIT_FAILED, code: err.code };
  }
  if (err instanceof DbLockedError) {
    const lockFile = join(err.dir, LOCK_FILE_NAME);
    const serving = /\bserve\b/.test(err.holder.command);
    const hint = serving
      ? "use the running server's HTTP API, or stop it first"
      : `wait for it to finish or stop it; if that process is gone, delete ${lockFile}`;
    return { message: err.message, hint, exit: EXIT_FAILED, code: "db_locked" };
  }
  if (err instanceof UnsafeDurabilityError) {
    const hint = "set fsync=on and synchronous_commit=on in postgresql.conf; " +
      "for throwaway data only: --unsafe-no-fsync or OFFTAP_UNSAFE_NO_FSYNC=1";
    return { message: err.message, hint, exit: EXIT_FAILED, code: "unsafe_durability" };
  }
  if (err instanceof SyntaxError && /JSON/.test(err.message)) {
    // JSON.parse of a file the user named; commands that know the file say which.
    const hint = "check the file you named: it must be valid JSON";
    return { message: `not valid JSON: ${err.message}`, hint, exit: EXIT_USAGE, code: "json" };
  }
  return nodeFailure(err);
}

interface NodeError extends Error {
  code?: string;
  path?: string;
  dest?: string;
  syscall?: string;
  address?: string;
  port?: number;
  hostname?: string;
}

function isNodeError(err: unknown): err is NodeError {
  return err instanceof Error && typeof (err as NodeError).code === "string";
}

/** What a file-system or network error means to the person who typed the command. */
function nodeFailure(err: unknown): Failure | undefined {
  if (!isNodeError(err)) return undefined;
  const code = err.code!;
  const file = err.path ?? "";
  const usage = (message: string, hint: string): Failure =>
    ({ message, hint, exit: EXIT_USAGE, code });
  const failed = (message: string, hint: string): Failure =>
    ({ message, hint, exit: EXIT_FAILED, code });
  const port = err.port === undefined ? "" : `:${err.port}`;
  switch (code) {
    case "ENOENT":
      // The firmware and its test builds are made by `make build`, not named by the user.
      if (/(^|\/)build\/[^/]+\.wasm$/.test(file)) {
        return usage(`no firmware build at ${file}`, "run `make build` first");
      }
      return usage(`no such file or folder: ${file}`, "check the path");
    case "EISDIR":
      return usage(`${file} is a folder, not a file`, "give a file name");
    case "ENOTDIR":
      return usage(`${file}: a part of this path is a file, not a folder`, "check the path");
    case "EACCES":
    case "EPERM":
      return usage(`permission denied: ${file}`, "check the file's and its folder's permissions");
    case "EEXIST":
      if (err.syscall === "mkdir") {
        return usage(`${file} is a file, not a folder`, "give a folder path");
      }
      return usage(`${file} already exists`, "choose another name, or add --force to replace it");
    case "EROFS":
      return usage(`${file} is on a read-only file system`, "write somewhere else");
    case "ENOSPC":
      return failed(`no space left on the device writing ${file}`, "free some space");
    case "EADDRINUSE":
      return usage(`address ${err.address ?? ""}${port} is already in use`,
        "stop the other server or choose another --port; 0 picks a free one");
    case "EADDRNOTAVAIL":
      return usage(`cannot listen on ${err.address ?? "that address"}: not an address of ` +
        "this machine", "give one of its addresses with --host, e.g. 127.0.0.1");
    case "ENOTFOUND":
    case "EAI_AGAIN":
      return usage(`no such host: ${err.hostname ?? ""}`, "check the host name given with " +
        "--host or in DATABASE_URL, or give an IP address such as 127.0.0.1");
    case "ECONNREFUSED":
      return failed(`connection refused by ${err.address ?? ""}${port}`,
        "is the server running? check DATABASE_URL or the address");
    default:
      return undefined;
  }
}

/** The error for a file that is not a batch file (truncated, wrong format): exit 2 in every
 *  command that reads batches ('ledger verify', 'clear ingest'). */
export function malformedBatch(file: string, e: Error): UsageError {
  return new UsageError(`${file} is not a batch file: ${e.message}`,
    "export it again from the reader; a truncated copy cannot be read");
}
