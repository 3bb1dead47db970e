// Databases are opened on purpose (docs/CLEARING.md "Opening a database"): a data
// directory that does not exist is an error unless its creation was asked for (`offtap
// clear init`, `--create`), so a mistyped --db never becomes a new, empty database; a file,
// or a folder that is not a PGlite data directory, is refused before PGlite touches it.
import { existsSync, readdirSync, statSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { isStale, readHolder } from "./lock.ts";

/** The file initdb writes first in a PostgreSQL (PGlite) data directory. */
export const PG_VERSION_FILE = "PG_VERSION";

/** A --db path that cannot be opened as asked; the message says what to do. */
export class DbPathError extends Error {
  constructor(readonly dir: string, message: string) {
    super(message);
    this.name = "DbPathError";
  }
}

/** Files that may sit in a folder about to become a database: offtap's own. */
const PRE_INIT_FILES = new Set(["offtap.lock", "api-secret", "api-tokens.json"]);

/** Does a live process (other than this one) hold DIR's lock? */
function heldByOther(dir: string): boolean {
  const h = readHolder(dir);
  return h !== undefined && !isStale(h) && !(h.pid === process.pid && h.host === hostname());
}

/** Is DIR an existing PGlite data directory? */
export function isDataDir(dir: string): boolean {
  return existsSync(join(dir, PG_VERSION_FILE));
}

/**
 * Checks a PGlite data directory before it is opened. `create` false: DIR must be a data
 * directory already. `create` true: DIR may also be missing or empty (it becomes one).
 * Throws DbPathError otherwise.
 */
export function checkDataDir(dir: string, create: boolean): void {
  const init = `create one with 'offtap clear init --db ${dir}' or pass --create`;
  if (!existsSync(dir)) {
    if (create) return;
    throw new DbPathError(dir, `no clearing database at ${dir} (${init})`);
  }
  const st = statSync(dir);
  if (!st.isDirectory()) {
    throw new DbPathError(dir, `${dir} is a file, not a clearing database directory ` +
      "(give the folder 'offtap clear init' made)");
  }
  if (isDataDir(dir)) return;
  const names = readdirSync(dir).filter((n) => !PRE_INIT_FILES.has(n));
  if (names.length === 0) {
    // Another process holds it (creating it, perhaps): the lock refuses with its name.
    if (create || heldByOther(dir)) return;
    throw new DbPathError(dir, `no clearing database at ${dir}: the folder is empty (${init})`);
  }
  throw new DbPathError(dir, `${dir} is not a clearing database (no ${PG_VERSION_FILE} among ` +
    `its ${names.length} entries; give the folder 'offtap clear init' made, or a new one)`);
}
