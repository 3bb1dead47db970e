// One process per embedded database (docs/CLEARING.md "Durability"). PGlite is PostgreSQL
// in this process's memory: two processes opening one data directory each run their own
// server on the same files, and one silently overwrites the other's commits. A lock file in
// the directory names its holder; a second opener gets a one-line error naming it.
import { closeSync, fsyncSync, openSync, readFileSync, unlinkSync, writeSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";

export const LOCK_FILE_NAME = "offtap.lock";
/** The holder's command line is cut to this many characters in the lock file and errors. */
export const LOCK_COMMAND_CHARS_MAX = 200;
/** Taking over a stale lock races with other openers; give up after this many rounds. */
const LOCK_ATTEMPTS_MAX = 3;

export interface LockHolder {
  pid: number;
  host: string;
  command: string;
  /** ISO time the lock was taken. */
  since: string;
  /** Kernel start time of the holder (/proc/PID/stat field 22); tells a reused pid apart. */
  startTicks: string;
}

/** The directory is locked by another live process (or one on another host). */
export class DbLockedError extends Error {
  constructor(readonly dir: string, readonly holder: LockHolder) {
    super(
      `database ${dir} is in use by pid ${holder.pid} on ${holder.host} ` +
      `(${holder.command}, since ${holder.since})`,
    );
    this.name = "DbLockedError";
  }
}

/** Field 22 of /proc/PID/stat, or "" where /proc is missing or the process is gone. */
export function processStartTicks(pid: number): string {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name (field 2) may hold spaces and parentheses: count after the last ")".
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return fields[19] ?? "";
  } catch {
    return "";
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** A holder on this host whose process is gone (or whose pid now names another process). */
export function isStale(h: LockHolder): boolean {
  if (h.host !== hostname()) return false;
  if (!alive(h.pid)) return true;
  const ticks = processStartTicks(h.pid);
  return h.startTicks !== "" && ticks !== "" && ticks !== h.startTicks;
}

function parseHolder(text: string): LockHolder | undefined {
  try {
    const v = JSON.parse(text) as Partial<LockHolder>;
    if (typeof v.pid !== "number" || typeof v.host !== "string") return undefined;
    return {
      pid: v.pid, host: v.host, command: String(v.command ?? ""),
      since: String(v.since ?? ""), startTicks: String(v.startTicks ?? ""),
    };
  } catch {
    return undefined;
  }
}

export function readHolder(dir: string): LockHolder | undefined {
  try {
    return parseHolder(readFileSync(join(dir, LOCK_FILE_NAME), "utf8"));
  } catch {
    return undefined;
  }
}

/** Flags whose values never go into the lock file (it is shown to other processes). */
const SECRET_FLAGS = /^--(code|secret|secret-file|token|password|passphrase)$/;

/** The command line with the values of secret-bearing flags replaced by "…". */
export function redactedCommand(argv: readonly string[]): string {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const eq = a.indexOf("=");
    if (eq > 0 && SECRET_FLAGS.test(a.slice(0, eq))) {
      out.push(`${a.slice(0, eq)}=…`);
    } else if (SECRET_FLAGS.test(a) && i + 1 < argv.length) {
      out.push(a, "…");
      i++;
    } else {
      out.push(a);
    }
  }
  return out.join(" ");
}

function me(): LockHolder {
  const command = redactedCommand(["offtap", ...process.argv.slice(2)]);
  return {
    pid: process.pid, host: hostname(), command: command.slice(0, LOCK_COMMAND_CHARS_MAX),
    since: new Date().toISOString(), startTicks: processStartTicks(process.pid),
  };
}

/** Creates the lock file only if none exists (O_EXCL); false when one does. */
function tryCreate(path: string, text: string): boolean {
  let fd: number;
  try {
    fd = openSync(path, "wx", 0o600);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw err;
  }
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  return true;
}

export interface DirLock {
  readonly holder: LockHolder;
  /** Removes the lock file if it is still ours. Idempotent. */
  release(): void;
}

/** Locks `dir` for this process, taking over a stale lock; throws DbLockedError when held. */
export function lockDir(dir: string): DirLock {
  const path = join(dir, LOCK_FILE_NAME);
  const holder = me();
  const text = `${JSON.stringify(holder)}\n`;
  for (let attempt = 0; attempt < LOCK_ATTEMPTS_MAX; attempt++) {
    if (tryCreate(path, text)) return ownedLock(path, holder, text);
    let found: string;
    try { found = readFileSync(path, "utf8"); } catch { continue; } // released meanwhile
    const other = parseHolder(found);
    // An unreadable lock file is a crash between create and write (the write is one call):
    // only this host's processes write here, so treat it as stale.
    if (other !== undefined && !isStale(other)) throw new DbLockedError(dir, other);
    // Re-read right before removing, so a lock another opener just took is not removed.
    try {
      if (readFileSync(path, "utf8") === found) unlinkSync(path);
    } catch { /* gone already */ }
  }
  const other = readHolder(dir);
  if (other !== undefined) throw new DbLockedError(dir, other);
  throw new Error(`could not lock ${dir} after ${LOCK_ATTEMPTS_MAX} attempts`);
}

function ownedLock(path: string, holder: LockHolder, text: string): DirLock {
  let held = true;
  const release = (): void => {
    if (!held) return;
    held = false;
    process.removeListener("exit", release);
    try {
      if (readFileSync(path, "utf8") === text) unlinkSync(path);
    } catch { /* removed by hand */ }
  };
  // A process that exits without closing its database (process.exit, an uncaught error)
  // leaves no lock behind; kill -9 and power cuts leave a stale one, detected by pid.
  process.on("exit", release);
  return { holder, release };
}
