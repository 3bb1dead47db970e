// The price of durability (docs/CLEARING.md "Durability"): clearing ingest in payments/s
// with commits synced to disk beside the same ingest without fsync, on embedded PGlite (a
// data directory) and on a PostgreSQL server (fsync=on vs a second server with fsync=off).
// Uploads as readers send them: one signed batch of 10 payments per ingest call, so every
// upload is one durable commit before its acknowledgement. Wall-clock time: syncing is I/O.
// `node --import tsx tools/bench/durability.ts [PAYMENTS]` prints the figures alone;
// `make bench` prints them after the main table and writes build/bench-durability.json.
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { Clearing } from "../../host/clearing/index.ts";
import { craftUploads, type CraftedUploads } from "../../host/clearing/craft-uploads.ts";
import { repoRoot } from "../../host/firmware/paths.ts";

const READERS = 4;
const PAYMENTS_PER_UPLOAD = 10;
const SERVER_SCRIPT = join(repoRoot, "tools/db/test-server.sh");

export interface DurabilityBenchRow {
  engine: string;
  durablePaymentsPerSecond: number | null;
  unsafePaymentsPerSecond: number | null;
  /** durable ÷ unsafe: the share of throughput kept with durability on. */
  ratio: number | null;
  note: string;
}

async function ingestAll(c: Clearing, w: CraftedUploads): Promise<number> {
  await c.registerIssuerKey(1, w.issuer.publicKey);
  for (const r of w.readers) {
    const spec = { readerId: r.hex, devicePublicKey: r.key.publicKey, operatorId: "bench" };
    await c.registerReader(spec);
  }
  const t0 = performance.now();
  let settled = 0;
  for (const u of w.uploads) settled += (await c.ingest(u.bytes)).settled;
  const seconds = (performance.now() - t0) / 1000;
  if (settled !== w.payments) throw new Error(`settled ${settled} of ${w.payments}`);
  if (!(await c.checkInvariants()).ok) throw new Error("balances do not sum to zero");
  return w.payments / seconds;
}

async function pglite(w: CraftedUploads, unsafe: boolean): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), "offtap-bench-durable-"));
  try {
    const dataDir = join(dir, "db");
    const c = await Clearing.open({ dataDir, databaseUrl: null, unsafeNoFsync: unsafe });
    try { return await ingestAll(c, w); } finally { await c.close(); }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A fresh database on the server at `url`, dropped afterwards. */
async function server(url: string, w: CraftedUploads, unsafe: boolean): Promise<number> {
  const name = `offtap_bench_${randomBytes(6).toString("hex")}`;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
    const u = new URL(url);
    u.pathname = `/${name}`;
    const c = await Clearing.open({ databaseUrl: u.toString(), unsafeNoFsync: unsafe });
    try { return await ingestAll(c, w); } finally { await c.close(); }
  } finally {
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
  }
}

/** A throwaway server with fsync=off (tools/db/test-server.sh); undefined if it cannot start. */
function startUnsafeServer(): { url: string; stop: () => void } | undefined {
  try {
    const out = execFileSync("bash", [SERVER_SCRIPT, "start", "--fsync=off"], {
      encoding: "utf8", stdio: ["ignore", "pipe", "ignore"],
    });
    const url = /DATABASE_URL=(\S+)/.exec(out)?.[1];
    const dir = /OFFTAP_PG_DIR=(\S+)/.exec(out)?.[1];
    if (url === undefined || dir === undefined) return undefined;
    return { url, stop: () => { execFileSync("bash", [SERVER_SCRIPT, "stop", dir]); } };
  } catch {
    return undefined;
  }
}

function row(
  engine: string, on: number | null, off: number | null, note: string,
): DurabilityBenchRow {
  const ratio = on !== null && off !== null ? on / off : null;
  return { engine, durablePaymentsPerSecond: on, unsafePaymentsPerSecond: off, ratio, note };
}

export async function benchDurability(
  o: { payments?: number } = {},
): Promise<DurabilityBenchRow[]> {
  const w = craftUploads(o.payments ?? 5_000, READERS, PAYMENTS_PER_UPLOAD);
  const rows = [row("PGlite (data directory)", await pglite(w, false), await pglite(w, true),
    "durable: fsync per commit; off: PGlite as shipped (-F)")];
  const url = process.env["DATABASE_URL"];
  const unsafe = startUnsafeServer();
  try {
    const on = url ? await server(url, w, false).catch(() => null) : null;
    const off = unsafe ? await server(unsafe.url, w, true) : null;
    const note = url ? "fsync=on server vs a second server with fsync=off" : "DATABASE_URL unset";
    rows.push(row("PostgreSQL server", on, off, note));
  } finally {
    unsafe?.stop();
  }
  return rows;
}

function fmt(v: number | null, digits = 0): string {
  return v === null ? "—" : v.toFixed(digits);
}

export function formatDurability(rows: DurabilityBenchRow[], payments: number): string {
  const head = `clearing ingest with durability on and off (${payments} payments, `
    + `${PAYMENTS_PER_UPLOAD} per upload, payments/s, wall clock)`;
  const cells = (r: DurabilityBenchRow): string[] => [
    fmt(r.durablePaymentsPerSecond), fmt(r.unsafePaymentsPerSecond), `${fmt(r.ratio, 2)}×`,
  ];
  const line = (engine: string, c: string[], note: string): string =>
    `  ${engine.padEnd(26)} ${c.map((x) => x.padStart(9)).join(" ")}  ${note}`.trimEnd();
  const lines = rows.map((r) => line(r.engine, cells(r), r.note));
  return [head, line("engine", ["durable", "no fsync", "ratio"], ""), ...lines].join("\n");
}

/** `make bench`: prints the table and writes build/bench-durability.json. */
export async function reportDurability(quick: boolean): Promise<void> {
  const payments = quick ? 500 : 5_000;
  try {
    const rows = await benchDurability({ payments });
    mkdirSync(join(repoRoot, "build"), { recursive: true });
    const date = new Date().toISOString();
    const json = { schema: "offtap-bench-durability/1", date, payments, rows };
    const out = join(repoRoot, "build", "bench-durability.json");
    writeFileSync(out, `${JSON.stringify(json, null, 2)}\n`);
    const table = formatDurability(rows, payments);
    process.stdout.write(`\n${table}\n\nwrote build/bench-durability.json\n`);
  } catch (e) {
    process.stderr.write(`bench: durability: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exitCode = 1;
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const payments = Number(process.argv[2] ?? 5_000);
  console.log(formatDurability(await benchDurability({ payments }), payments));
}
