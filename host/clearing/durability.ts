// Durability before acknowledgement (docs/CLEARING.md "Durability"). A reader erases its
// flash once clearing acknowledges a batch, so a commit must be on disk before any
// acknowledgement, deny list or cash-out answer that depends on it leaves the process.
//
// PGlite as shipped starts PostgreSQL with `-F` (fsync=off), and its Emscripten NODEFS
// has no fsync at all: fsync() returns success without touching the disk, fdatasync() is a
// no-op. This module starts PGlite with fsync on and wal_sync_method=fsync, and gives NODEFS
// a real fsync, so PostgreSQL's own WAL protocol (flush at commit, sync data files at
// checkpoint, fsync directories on create and rename) reaches the disk.
// On a PostgreSQL server it checks fsync and synchronous_commit at start-up.
import { closeSync, fsyncSync, openSync, readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { NodeFS } from "@electric-sql/pglite/nodefs";
import { PGlite } from "@electric-sql/pglite";

/** Sees PGlite's file I/O: the power-cut simulation (test/host/durability-powercut.test.ts)
 *  keeps what was synced and drops the rest. Called synchronously, on the OS descriptor. */
export interface StorageObserver {
  /** After each write; `bytes` is a view into PGlite's memory (copy it to keep it). */
  written?(fd: number, bytes: Uint8Array, position: number): void;
  /** After each fsync that reached the OS. */
  synced?(fd: number): void;
}

/** Emscripten's errno for EIO: PostgreSQL PANICs on a failed fsync rather than lie. */
const WASI_EIO = 29;
/** fsync-walking a new data directory stops here: a fresh cluster has ~1,000 entries. */
export const SYNC_TREE_ENTRIES_MAX = 100_000;

interface NodefsStream { nfd: number }
type WriteOp = (s: NodefsStream, b: Uint8Array, off: number, len: number, pos: number) => number;
interface EmscriptenModule {
  NODEFS: { stream_ops: { fsync?: (stream: NodefsStream) => number; write: WriteOp } };
}

/** NodeFS whose fsync reaches the disk. */
export class DurableNodeFS extends NodeFS {
  /** fsync calls forwarded to the OS since the database opened. */
  syncCount = 0;
  constructor(dataDir: string, private readonly observer?: StorageObserver) {
    super(dataDir);
  }

  override async init(
    pg: PGlite,
    opts: Parameters<NodeFS["init"]>[1],
  ): ReturnType<NodeFS["init"]> {
    const r = await super.init(pg, opts);
    const preRun = r.emscriptenOpts.preRun ?? [];
    const install = (mod: unknown): void => {
      const ops = (mod as EmscriptenModule).NODEFS.stream_ops;
      ops.fsync = (stream) => this.sync(stream.nfd);
      const written = this.observer?.written;
      if (written === undefined) return;
      const write = ops.write;
      ops.write = (stream, buffer, offset, length, position) => {
        const n = write(stream, buffer, offset, length, position);
        written(stream.nfd, buffer.subarray(offset, offset + n), position);
        return n;
      };
    };
    return { emscriptenOpts: { ...r.emscriptenOpts, preRun: [install, ...preRun] } };
  }

  private sync(fd: number): number {
    try {
      fsyncSync(fd);
    } catch {
      return WASI_EIO;
    }
    this.syncCount++;
    this.observer?.synced?.(fd);
    return 0;
  }
}

/** PGlite's start parameters without `-F`, and fsync() for the WAL (fdatasync is a no-op). */
export function durableStartParams(): string[] {
  const params = PGlite.defaultStartParams.filter((p) => p !== "-F");
  const settings = ["fsync=on", "wal_sync_method=fsync", "synchronous_commit=on"];
  return [...params, ...settings.flatMap((s) => ["-c", s])];
}

function syncPath(path: string, observer?: StorageObserver): void {
  const fd = openSync(path, "r");
  try {
    fsyncSync(fd);
    observer?.synced?.(fd);
  } finally {
    closeSync(fd);
  }
}

/** fsyncs every file and directory under `root`, children before parents, then root's
 *  parent: initdb writes a new cluster without syncing it. */
export function syncTree(root: string, observer?: StorageObserver): number {
  const dirs: string[] = [root];
  const files: string[] = [];
  for (let i = 0; i < dirs.length; i++) {
    if (dirs.length + files.length > SYNC_TREE_ENTRIES_MAX) {
      throw new Error(`${root} holds more than ${SYNC_TREE_ENTRIES_MAX} entries`);
    }
    for (const e of readdirSync(dirs[i]!, { withFileTypes: true })) {
      const p = join(dirs[i]!, e.name);
      if (e.isDirectory()) dirs.push(p);
      else if (e.isFile()) files.push(p);
    }
  }
  for (const f of files) syncPath(f, observer);
  for (const d of dirs.reverse()) syncPath(d, observer);
  syncPath(dirname(root), observer);
  return files.length + dirs.length + 1;
}

// ---- the settings in force -----------------------------------------------------------

export interface DurabilitySettings {
  engine: "pglite" | "server";
  /** Where commits go: a directory, "memory", or the server. */
  location: string;
  fsync: string;
  synchronousCommit: string;
  walSyncMethod: string;
  fullPageWrites: string;
  /** PGlite only: fsync() reaches the OS (offtap's NodeFS), measured on a probe commit. */
  syncsPerCommit?: number;
  /** The operator chose to run without fsync (--unsafe-no-fsync). */
  unsafeAccepted: boolean;
}

export interface DurabilityVerdict {
  ok: boolean;
  /** What makes it unsafe, one line each. */
  problems: string[];
  /** Facts the operator should know (what a power cut loses). */
  notes: string[];
}

/** synchronous_commit values that flush the commit record locally before COMMIT returns. */
const FLUSHING_COMMIT = new Set(["on", "local", "remote_write", "remote_apply"]);

export function judge(s: DurabilitySettings): DurabilityVerdict {
  const problems: string[] = [];
  const notes: string[] = [];
  if (s.location === "memory") {
    notes.push("in memory: nothing survives the process (tests and demos only)");
    return { ok: true, problems, notes };
  }
  if (s.fsync !== "on") problems.push("fsync is off: a power cut can lose or corrupt commits");
  if (!FLUSHING_COMMIT.has(s.synchronousCommit)) {
    const v = s.synchronousCommit;
    problems.push(`synchronous_commit=${v}: COMMIT returns before the disk has it`);
  }
  if (s.engine === "pglite" && s.fsync === "on" && (s.syncsPerCommit ?? 0) < 1) {
    problems.push("fsync does not reach the disk (no sync observed on a probe commit)");
  }
  if (s.fullPageWrites !== "on") notes.push("full_page_writes=off: torn pages are not repaired");
  if (s.engine === "server") {
    notes.push("the server's disk must honour flushes (no volatile write cache)");
  }
  if (problems.length > 0 && s.unsafeAccepted) {
    notes.push("running anyway: --unsafe-no-fsync (a power cut may lose acknowledged data)");
    return { ok: true, problems, notes };
  }
  return { ok: problems.length === 0, problems, notes };
}

/** Unsafe durability refused at start-up (fsync=off on a server, and so on). */
export class UnsafeDurabilityError extends Error {
  constructor(readonly verdict: DurabilityVerdict, where: string) {
    super(`${where}: ${verdict.problems.join("; ")}`);
    this.name = "UnsafeDurabilityError";
  }
}

/** OFFTAP_UNSAFE_NO_FSYNC=1 is the environment's form of --unsafe-no-fsync. */
export function unsafeFromEnv(): boolean {
  return process.env["OFFTAP_UNSAFE_NO_FSYNC"] === "1";
}
