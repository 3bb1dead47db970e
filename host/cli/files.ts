// Output files of every command: checked before the work starts (a typo in --out must not
// cost a 20-second build) and never replacing an existing file unless the user said --force.
// Failures are UsageErrors naming the file and what to do (exit 2).
import { mkdirSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { UsageError } from "./command.ts";

export interface OutputOptions {
  /** Replace an existing file (the command's --force). */
  readonly force: boolean;
  /** The flag that named the file, for messages (default --out). */
  readonly flag?: string;
}

function kindOf(file: string): "file" | "folder" | "other" | undefined {
  try {
    const st = statSync(file);
    return st.isDirectory() ? "folder" : st.isFile() ? "file" : "other";
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw e;
  }
}

/** Checks that `file` may be written: not a folder, its folder exists, and it does not exist
 *  yet unless `force`. Call it before the work that produces the content. True when the
 *  path is a device or pipe (written to, never replaced). */
export function checkOutput(file: string, o: OutputOptions): boolean {
  const flag = o.flag ?? "--out";
  if (file.trim() === "") throw new UsageError(`${flag} needs a file name`);
  const kind = kindOf(file);
  if (kind === "folder") {
    throw new UsageError(`${flag} ${file} is a folder`, `give a file name, e.g. ${
      path.join(file, "out")}`);
  }
  if (kind !== undefined && kind !== "file") {
    // Devices and pipes (/dev/stdout, a FIFO) are written to, never replaced.
    return true;
  }
  if (kind === "file" && !o.force) {
    throw new UsageError(`${file} already exists`, "choose another name, or add --force to " +
      "replace it");
  }
  const dir = path.dirname(path.resolve(file));
  const dirKind = kindOf(dir);
  if (dirKind === undefined) {
    throw new UsageError(`cannot write ${file}: no folder ${path.dirname(file)}`,
      "create it first or choose another path");
  }
  if (dirKind !== "folder") {
    throw new UsageError(`cannot write ${file}: ${path.dirname(file)} is not a folder`,
      "choose another path");
  }
  return false;
}

/** Writes `data` to `file` after checkOutput's checks; without `force`, the file is created
 *  exclusively (O_EXCL) so a file that appeared meanwhile is not replaced either. */
export function writeOutput(file: string, data: string | Uint8Array, o: OutputOptions): void {
  const stream = checkOutput(file, o);
  writeFileSync(file, data, { flag: o.force || stream ? "w" : "wx" });
}

/** Checks a folder that output files go into: it may not exist yet (it is created, with its
 *  parents), but it may not be a file. Returns the folder. */
export function outputFolder(dir: string, flag = "--out"): string {
  if (dir.trim() === "") throw new UsageError(`${flag} needs a folder name`);
  const kind = kindOf(dir);
  if (kind !== undefined && kind !== "folder") {
    throw new UsageError(`${flag} ${dir} is a file, not a folder`,
      "give a folder for the output files; it is created if missing");
  }
  try {
    mkdirSync(dir, { recursive: true });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? "error";
    throw new UsageError(`cannot create folder ${dir} (${code})`, "choose another path");
  }
  return dir;
}

/** The error for a key file that could not be created: keys are never replaced, not even
 *  with --force (a lost key cannot be made again). */
export function keyFileError(file: string, e: unknown): UsageError {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === "EEXIST") {
    return new UsageError(`${file} already exists`, "a key file is never replaced: choose " +
      "another name, or move the old key away first");
  }
  if (code === "ENOENT") return new UsageError(`cannot create ${file}: no such folder`,
    "create the folder first or choose another path");
  return new UsageError(`cannot create ${file}: ${(e as Error).message}`, "check the path");
}
