// The embedded database's directory is the service user's alone (docs/CLEARING.md §1):
// it holds every payment, the service keys' seeds and the cash-out owners' details, so
// neither group nor others may read or write anything in it, whatever the umask.
import { chmodSync, lstatSync, mkdirSync, readdirSync } from "node:fs";
import { join } from "node:path";

export const PRIVATE_DIR_MODE = 0o700;
export const PRIVATE_FILE_MODE = 0o600;
/** A PGlite directory holds ~1,100 files; the walk stops well beyond any real one. */
export const PRIVATE_WALK_ENTRIES_MAX = 200_000;

/** Files this process creates from now on are private (mask group and other). */
export function privateUmask(): void {
  process.umask(0o077);
}

/** Creates `dir` if needed and takes group/other permissions off it and everything in it
 *  (symlinks are left alone, never followed). Returns how many modes it changed. */
export function makePrivate(dir: string): number {
  mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
  let changed = 0;
  let seen = 0;
  const stack = [dir];
  while (stack.length > 0) {
    const path = stack.pop()!;
    if (++seen > PRIVATE_WALK_ENTRIES_MAX) {
      throw new Error(
        `${dir} has more than ${PRIVATE_WALK_ENTRIES_MAX} entries; is it a PGlite directory?`,
      );
    }
    const st = lstatSync(path);
    if (st.isSymbolicLink()) continue;
    const want = st.isDirectory() ? PRIVATE_DIR_MODE : PRIVATE_FILE_MODE;
    if ((st.mode & 0o777) !== (st.mode & want) || (st.mode & 0o077) !== 0) {
      chmodSync(path, st.mode & want);
      changed++;
    }
    if (st.isDirectory()) for (const e of readdirSync(path)) stack.push(join(path, e));
  }
  return changed;
}
