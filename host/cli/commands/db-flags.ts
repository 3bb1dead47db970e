// `--db DIR` and `--create` on the command line: a clearing database is opened on purpose
// (host/clearing/db-path.ts). A missing, file or foreign --db is an input error (exit 2);
// a directory in use by another process is refused by the lock (host/clearing/lock.ts).
import { UsageError } from "../command.ts";
import { DbPathError, checkDataDir } from "../../clearing/db-path.ts";

/** The help line every command with --db shows for --create. */
export const CREATE_HELP = "--create     create the database when --db names none yet " +
  "(else that is an error; see 'offtap clear init')";

/** Is a PostgreSQL server selected (then --db is not used)? */
export function serverSelected(): boolean {
  const url = process.env["DATABASE_URL"];
  return url !== undefined && url !== "";
}

/** Throws UsageError unless DIR is a clearing database (or may become one: `create`). */
export function needDataDir(dir: string, create: boolean): void {
  if (serverSelected()) return;
  try {
    checkDataDir(dir, create);
  } catch (e) {
    if (e instanceof DbPathError) throw new UsageError(e.message);
    throw e;
  }
}

/** Runs an open, turning a refused --db path into a UsageError. */
export async function opening<T>(open: () => Promise<T>): Promise<T> {
  try {
    return await open();
  } catch (e) {
    if (e instanceof DbPathError) throw new UsageError(e.message);
    throw e;
  }
}
