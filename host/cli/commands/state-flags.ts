// `--state DIR` on the command line (docs/STATE.md): opening a kept reader, checking that
// the flags agree with it, and the line that says whether DIR was created or continued.
import { UsageError } from "../command.ts";
import { dim } from "../output.ts";
import { BoardError, loadBoard, type BoardProfile } from "../../boards/index.ts";
import { existsSync } from "node:fs";
import type { DirLock } from "../../clearing/lock.ts";
import {
  StateError, loadState, lockState, openOrNew, type KeptReader,
} from "../../sim/state.ts";

/** Locks this process holds on kept readers. One command runs at a time in a process, so
 *  a lock a finished (or failed) command left behind is released by the next opener. */
const held = new Map<string, DirLock>();

function lockKept(dir: string): void {
  held.get(dir)?.release();
  held.set(dir, lockState(dir));
}

/** Releases the lock on DIR (after the run's state is saved). */
export function releaseKept(dir: string | undefined): void {
  if (dir === undefined) return;
  held.get(dir)?.release();
  held.delete(dir);
}

/** The kept reader in DIR, locked against other processes (until releaseKept), or
 *  undefined when DIR is new (the run creates it). */
export function openKept(dir: string): KeptReader | undefined {
  try {
    lockKept(dir);
    return openOrNew(dir);
  } catch (e) {
    if (e instanceof StateError) throw new UsageError(e.message);
    throw e;
  }
}

/** The kept reader in DIR, which must exist (export, register), locked as openKept. */
export function needKept(dir: string, lock = true): KeptReader {
  try {
    if (!existsSync(dir)) return loadState(dir);
    if (lock) lockKept(dir);
    return loadState(dir);
  } catch (e) {
    if (e instanceof StateError) throw new UsageError(e.message);
    throw e;
  }
}

/** A kept reader stays the board and mode it was created as. */
export function keptBoard(k: KeptReader, board: string | undefined, kiosk: boolean):
  BoardProfile | undefined {
  const was = k.facts.board;
  if (board !== undefined && board !== was) {
    throw new UsageError(`${k.dir} is a reader on ${was === null ? "the default board" : was}; ` +
      "drop --board or use another --state folder");
  }
  if (kiosk && k.facts.mode !== "kiosk") {
    throw new UsageError(`${k.dir} is a ${k.facts.mode} reader; drop --kiosk or use another ` +
      "--state folder");
  }
  try {
    return was === null ? undefined : loadBoard(was);
  } catch (e) {
    throw new UsageError((e as BoardError).message);
  }
}

/** "created reader state DIR …" or "continued reader … (run N)". */
export function stateLine(saved: KeptReader, before: KeptReader | undefined): string {
  const f = saved.facts;
  const what = `${f.mode} reader ${f.readerId}`;
  if (before === undefined) {
    return dim(`created reader state ${saved.dir}: ${what}, keys and flash kept there ` +
      `(docs/STATE.md); register it with 'offtap clear reader add --state ${saved.dir} ` +
      "--operator NAME'");
  }
  return dim(`continued ${what} from ${saved.dir} (run ${saved.run.runs}, ` +
    `${saved.run.taps} taps in all)`);
}
