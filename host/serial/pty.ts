// A linked pseudo-terminal pair for tests: bytes written to one end come out of the other,
// like a USB-serial cable with a board on the far side. Made by Debian's `socat`, which owns
// both pty masters and copies between them; the two slave devices are reached through
// symlinks in a fresh temporary directory. socat keeps running when either side is closed
// and reopened, so one pair serves several open/close cycles.
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";

export interface PtyPair {
  /** Path of one end (a symlink to /dev/pts/N); the tool under test usually opens this one. */
  readonly hostPath: string;
  /** Path of the other end; the emulated device opens this one. */
  readonly devicePath: string;
  /** Stops socat and removes the links. Safe to call twice. */
  close(): Promise<void>;
}

export interface PtyPairOptions {
  /** How long to wait for socat to create both links before giving up. */
  readyTimeoutMs?: number;
  /** socat executable (default `socat` on PATH). */
  socatPath?: string;
  /** Where to put the host end's link instead of the temporary directory (e.g. a path
   *  given to `offtap flash emulate --port`); it must not exist yet and is removed on close. */
  hostLink?: string;
}

export class PtyUnavailableError extends Error {}

const READY_TIMEOUT_MS_DEFAULT = 5_000;
const READY_POLL_MS = 10;
const STOP_TIMEOUT_MS = 2_000;

/** Starts `socat pty,raw,echo=0,link=A pty,raw,echo=0,link=B` and resolves once both links
 *  exist. */
export async function openPtyPair(options: PtyPairOptions = {}): Promise<PtyPair> {
  const dir = mkdtempSync(join(tmpdir(), "offtap-pty-"));
  const hostPath = options.hostLink ?? join(dir, "host");
  if (options.hostLink !== undefined && existsSync(options.hostLink)) {
    rmSync(dir, { recursive: true, force: true });
    throw new PtyUnavailableError(`pseudo-terminal pair: ${options.hostLink} already exists`);
  }
  const devicePath = join(dir, "device");
  const socat = options.socatPath ?? "socat";
  // raw,echo=0: bytes pass through unchanged (no CR/LF mapping, no echo, no line editing),
  // which a binary protocol such as SLIP needs.
  const child = spawn(
    socat,
    ["-d", "-d", `pty,raw,echo=0,link=${hostPath}`, `pty,raw,echo=0,link=${devicePath}`],
    {
      stdio: ["ignore", "ignore", "pipe"],
    },
  );
  let stderr = "";
  child.stderr?.setEncoding("utf8");
  child.stderr?.on("data", (chunk: string) => {
    stderr = (stderr + chunk).slice(-4_000);
  });

  let exited = false;
  let spawnError: Error | undefined;
  child.once("exit", () => {
    exited = true;
  });
  child.once("error", (err) => {
    spawnError = err;
    exited = true;
  });

  const cleanupDir = (): void => {
    rmSync(dir, { recursive: true, force: true });
    if (options.hostLink !== undefined) rmSync(options.hostLink, { force: true });
  };
  const deadline = Date.now() + (options.readyTimeoutMs ?? READY_TIMEOUT_MS_DEFAULT);
  while (!(existsSync(hostPath) && existsSync(devicePath))) {
    if (exited || Date.now() > deadline) {
      if (!exited) child.kill("SIGTERM");
      cleanupDir();
      const why =
        spawnError !== undefined
          ? `cannot run '${socat}' (${spawnError.message}); install it with: apt-get install -y ` +
            `socat`
          : exited
            ? `socat exited early: ${stderr.trim() || "no message"}`
            : "socat did not create the pty links in time";
      throw new PtyUnavailableError(`pseudo-terminal pair: ${why}`);
    }
    await sleep(READY_POLL_MS);
  }

  // A test that crashes before close() must not leave socat running: stop it as this
  // process exits (only synchronous work is possible there).
  const onExit = (): void => {
    if (!exited) child.kill("SIGTERM");
    cleanupDir();
  };
  process.once("exit", onExit);

  let closed = false;
  return {
    hostPath,
    devicePath,
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      process.removeListener("exit", onExit);
      await stop(child, () => exited);
      cleanupDir();
    },
  };
}

async function stop(child: ChildProcess, hasExited: () => boolean): Promise<void> {
  if (hasExited()) return;
  const done = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill("SIGTERM");
  const timer = setTimeout(() => {
    if (!hasExited()) child.kill("SIGKILL");
  }, STOP_TIMEOUT_MS);
  await done;
  clearTimeout(timer);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
