// Durability before acknowledgement (docs/CLEARING.md "Durability", issue 16) and one
// process per embedded database (issue 10, finding 8):
// - an strace of an ingest shows the WAL fsynced between each ingest and the signature of
//   its acknowledgement (and PGlite as shipped syncs nothing: the control);
// - a second process on a database directory is refused, naming the holder; stale locks
//   (dead pid, reused pid) are taken over;
// - a PostgreSQL server with fsync=off is refused unless the operator accepts it, and a
//   server default of synchronous_commit=off is overridden for offtap's sessions.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { openDb } from "../../host/clearing/db.ts";
import { UnsafeDurabilityError } from "../../host/clearing/durability.ts";
import {
  DbLockedError, LOCK_FILE_NAME, lockDir, processStartTicks, redactedCommand,
} from "../../host/clearing/lock.ts";
import { main } from "../../host/cli/main.ts";
import { CHILD, embeddedEnv, freshDb, runChild, writeWork } from "./durability-support.ts";

const STRACE = ["/usr/bin/strace", "/bin/strace"].find((p) => existsSync(p));
/** strace needs ptrace, which some containers forbid. */
function straceWorks(): boolean {
  try {
    execFileSync(STRACE!, ["-f", "-o", "/dev/null", "true"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}
const ROOT = join(import.meta.dirname, "..", "..");

interface TraceLine { kind: "sync" | "marker"; what: string; ok: boolean }

/** fsync/fdatasync calls (with the path strace -y resolves) and marker probes, in order. */
function parseTrace(text: string): TraceLine[] {
  const out: TraceLine[] = [];
  for (const line of text.split("\n")) {
    const sync = /\b(fsync|fdatasync)\(\d+<([^>]*)>\)\s*=\s*(-?\d+)/.exec(line);
    if (sync !== null) {
      out.push({ kind: "sync", what: sync[2]!, ok: sync[3] === "0" });
      continue;
    }
    const mark = /"\/offtap-trace-marker\/([a-z]+-\d+)"/.exec(line);
    if (mark !== null) out.push({ kind: "marker", what: mark[1]!, ok: true });
  }
  return out;
}

async function tracedIngest(unsafe: boolean): Promise<{ lines: TraceLine[]; acks: number }> {
  const dir = mkdtempSync(join(tmpdir(), "offtap-durable-trace-"));
  try {
    const w = writeWork(join(dir, "work"), 24, 2, 4);
    await freshDb(join(dir, "db"));
    const trace = join(dir, "trace.txt");
    const args = [
      "-f", "-y", "-qq", "-o", trace, "-e", "trace=fsync,fdatasync,access,faccessat,faccessat2",
      process.execPath, "--import", "tsx", CHILD, join(dir, "db"), join(dir, "work"),
    ];
    const env = embeddedEnv(unsafe ? { OFFTAP_UNSAFE_NO_FSYNC: "1" } : {});
    const r = await runChild(STRACE!, args, env);
    assert.equal(r.code, 0, r.stderr);
    const acks = r.stdout.split("\n").filter((l) => l.startsWith("ACK ")).length;
    assert.equal(acks, w.uploads.length);
    return { lines: parseTrace(readFileSync(trace, "utf8")), acks };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const noStrace = STRACE === undefined
  ? "strace not installed (make test-deps installs it)"
  : straceWorks() ? false : "strace cannot trace here (ptrace not permitted)";

test("every acknowledgement is signed after its ingest's commit reached the disk (strace)",
  { skip: noStrace }, async (t) => {
    const { lines, acks } = await tracedIngest(false);
    const at = (m: string): number => lines.findIndex((l) => l.kind === "marker" && l.what === m);
    const syncs = lines.filter((l) => l.kind === "sync");
    assert.ok(syncs.every((s) => s.ok), "every fsync succeeded");
    const perUpload: number[] = [];
    for (let i = 0; i < acks; i++) {
      const start = at(`ingest-${i}`);
      const signed = at(`ack-${i}`);
      assert.ok(start >= 0 && signed > start, `markers of upload ${i} traced in order`);
      const walSyncs = lines.slice(start, signed)
        .filter((l) => l.kind === "sync" && /\/pg_wal\/[0-9A-F]{24}$/.test(l.what));
      assert.ok(walSyncs.length >= 1, `upload ${i}: the WAL was fsynced before its ack was signed`);
      perUpload.push(walSyncs.length);
    }
    t.diagnostic(`${syncs.length} fsync calls for ${acks} acknowledged uploads; `
      + `WAL fsyncs between each ingest and its acknowledgement: ${perUpload.join(", ")}`);
  });

test("control: PGlite as shipped (fsync=off) syncs nothing during the same ingest",
  { skip: noStrace }, async () => {
    const { lines } = await tracedIngest(true);
    const start = lines.findIndex((l) => l.kind === "marker" && l.what === "ingest-0");
    assert.ok(start >= 0);
    const syncs = lines.slice(start).filter((l) => l.kind === "sync" && l.what.includes("/db/"));
    assert.equal(syncs.length, 0);
  });

// ---- one process per embedded database ------------------------------------------------

/** A child process that holds the lock of `dir` until killed; resolves once it holds it. */
function holdLock(dir: string): Promise<{ pid: number; kill: () => void }> {
  const code = `import { lockDir } from ${JSON.stringify(join(ROOT, "host/clearing/lock.ts"))};
lockDir(${JSON.stringify(dir)}); console.log("locked"); setInterval(() => {}, 1000);`;
  const p = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", code], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  return new Promise((resolve, reject) => {
    p.stdout.once("data", () => resolve({ pid: p.pid!, kill: () => p.kill("SIGKILL") }));
    p.once("exit", (c) => reject(new Error(`lock holder exited with ${String(c)}`)));
  });
}

async function cli(argv: string[]): Promise<{ code: number; err: string }> {
  const errors: string[] = [];
  const error = console.error;
  const log = console.log;
  console.error = (...a: unknown[]) => { errors.push(a.map(String).join(" ")); };
  console.log = () => {};
  try {
    return { code: await main(argv), err: errors.join("\n") };
  } finally {
    console.error = error;
    console.log = log;
  }
}

test("a second process on an embedded database is refused, naming the holder", async () => {
  const dir = mkdtempSync(join(tmpdir(), "offtap-durable-lock-"));
  const saved = process.env["DATABASE_URL"];
  delete process.env["DATABASE_URL"];
  try {
    const holder = await holdLock(dir);
    try {
      await assert.rejects(openDb({ dataDir: dir }), (e: unknown) =>
        e instanceof DbLockedError && e.holder.pid === holder.pid && e.holder.host === hostname());
      const r = await cli(["clear", "balances", "--db", dir]);
      assert.equal(r.code, 1);
      assert.match(r.err,
        new RegExp(`^offtap clear balances: database .* is in use by pid ${holder.pid} `));
      assert.equal(r.err.split("\n").length, 1, "one line");
      // Finding 8: a cash-out command beside a running holder is refused, not forked.
      const co = await cli(["cashout", "list", "--db", dir]);
      assert.equal(co.code, 1);
      assert.match(co.err, new RegExp(`in use by pid ${holder.pid} `));
    } finally {
      holder.kill();
    }
    await new Promise((r) => setTimeout(r, 200));
    // kill -9 left the lock file behind: its pid is gone, so the next opener takes over.
    assert.ok(existsSync(join(dir, LOCK_FILE_NAME)));
    const db = await openDb({ dataDir: dir });
    try {
      assert.equal(JSON.parse(readFileSync(join(dir, LOCK_FILE_NAME), "utf8")).pid, process.pid);
      assert.throws(() => lockDir(dir), DbLockedError, "the same process cannot open it twice");
    } finally {
      await db.close();
    }
    assert.ok(!existsSync(join(dir, LOCK_FILE_NAME)), "close releases the lock");
  } finally {
    if (saved !== undefined) process.env["DATABASE_URL"] = saved;
    rmSync(dir, { recursive: true, force: true });
  }
});

test("lock files name the holder without its secrets", () => {
  const argv = ["offtap", "cashout", "confirm", "--cashout", "c1", "--code", "123456", "--token=x"];
  const shown = "offtap cashout confirm --cashout c1 --code … --token=…";
  assert.equal(redactedCommand(argv), shown);
});

test("lock files: a reused pid is stale, another host's lock is not", () => {
  const dir = mkdtempSync(join(tmpdir(), "offtap-durable-lock2-"));
  try {
    const path = join(dir, LOCK_FILE_NAME);
    const base = { command: "offtap serve", since: "2026-01-01T00:00:00.000Z" };
    // This process's pid, but another start time: the holder died and its pid was reused.
    const ticks = String(Number(processStartTicks(process.pid)) + 1);
    const reused = { ...base, pid: process.pid, host: hostname(), startTicks: ticks };
    writeFileSync(path, JSON.stringify(reused));
    lockDir(dir).release();
    writeFileSync(path, JSON.stringify({ ...base, pid: 1, host: "elsewhere", startTicks: "" }));
    assert.throws(() => lockDir(dir), /in use by pid 1 on elsewhere \(offtap serve/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

// ---- PostgreSQL servers ----------------------------------------------------------------

const SERVER_URL = process.env["DATABASE_URL"];
const SCRIPT = join(ROOT, "tools/db/test-server.sh");

test("a PostgreSQL server with fsync=off is refused unless the operator accepts it", async (t) => {
  let started: string;
  try {
    started = execFileSync("bash", [SCRIPT, "start", "--fsync=off"], {
      encoding: "utf8", stdio: ["ignore", "pipe", "ignore"],
    });
  } catch {
    t.skip("no PostgreSQL binaries (make test-deps installs them)");
    return;
  }
  const url = /DATABASE_URL=(\S+)/.exec(started)![1]!;
  const pgDir = /OFFTAP_PG_DIR=(\S+)/.exec(started)![1]!;
  try {
    await assert.rejects(openDb({ databaseUrl: url }), (e: unknown) =>
      e instanceof UnsafeDurabilityError && /fsync is off/.test(e.message));
    const db = await openDb({ databaseUrl: url, unsafeNoFsync: true });
    assert.equal((await db.durability()).fsync, "off");
    await db.close();
    const saved = process.env["DATABASE_URL"];
    process.env["DATABASE_URL"] = url;
    try {
      const serve = await cli(["clear", "balances"]);
      assert.equal(serve.code, 1);
      assert.match(serve.err,
        /^offtap clear balances: the PostgreSQL server is not durable: fsync is off/);
      assert.equal((await cli(["clear", "doctor", "--json"])).code, 1);
    } finally {
      process.env["DATABASE_URL"] = saved;
      if (saved === undefined) delete process.env["DATABASE_URL"];
    }
  } finally {
    execFileSync("bash", [SCRIPT, "stop", pgDir]);
  }
});

test("a server defaulting to synchronous_commit=off still flushes offtap's commits",
  { skip: SERVER_URL ? false : "DATABASE_URL unset (make test starts a server)" }, async () => {
    const name = `offtap_durable_${process.pid}`;
    const admin = new pg.Client({ connectionString: SERVER_URL });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name}`);
    await admin.query(`ALTER DATABASE ${name} SET synchronous_commit = off`);
    try {
      const u = new URL(SERVER_URL!);
      u.pathname = `/${name}`;
      const db = await openDb({ databaseUrl: u.toString() });
      const s = await db.durability();
      await db.close();
      assert.equal(s.fsync, "on");
      assert.equal(s.synchronousCommit, "on");
    } finally {
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.end();
    }
  });
