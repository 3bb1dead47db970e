// The price of durability (docs/CLEARING.md "Durability"): clearing ingest in payments/s
// with commits synced to disk beside the same ingest without fsync, on embedded PGlite (a
// data directory) and on a PostgreSQL server (fsync=on vs a second server with fsync=off).
// Uploads as readers send them: one signed batch of 10 payments per ingest call, so every
// upload is one durable commit before its acknowledgement. Wall-clock time: syncing is I/O.
// Rounds alternate durable and unsafe; the figures are medians.
// `node --import tsx tools/bench/durability.ts [ROUNDS [PAYMENTS]]` prints the figures alone;
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
/** Rounds per mode; the figure is the median round. */
const ROUNDS = 5;
const PAYMENTS_PER_ROUND = 400;
const SERVER_SCRIPT = join(repoRoot, "tools/db/test-server.sh");

export interface DurabilityBenchRow {
  engine: string;
  durablePaymentsPerSecond: number | null;
  unsafePaymentsPerSecond: number | null;
  /** durable ÷ unsafe: the share of throughput kept with durability on. */
  ratio: number | null;
  note: string;
}

/** One round: new readers' uploads into an open database; payments/s (wall clock). */
async function round(c: Clearing, w: CraftedUploads): Promise<number> {
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
  return w.payments / seconds;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

interface Pair { durable: Clearing; unsafe: Clearing }

/** Rounds alternate durable and unsafe (and which goes first), so both see the same load. */
async function interleaved(p: Pair, rounds: number, perRound: number): Promise<[number, number]> {
  const on: number[] = [];
  const off: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const first = r % 2 === 0 ? "durable" : "unsafe";
    for (const mode of first === "durable" ? ["durable", "unsafe"] : ["unsafe", "durable"]) {
      const w = craftUploads(perRound, READERS, PAYMENTS_PER_UPLOAD, r * READERS);
      (mode === "durable" ? on : off).push(await round(p[mode as keyof Pair], w));
    }
  }
  for (const c of [p.durable, p.unsafe]) {
    if (!(await c.checkInvariants()).ok) throw new Error("balances do not sum to zero");
  }
  return [median(on), median(off)];
}

async function pglite(rounds: number, perRound: number): Promise<[number, number]> {
  const dir = mkdtempSync(join(tmpdir(), "offtap-bench-durable-"));
  const open = (name: string, unsafe: boolean): Promise<Clearing> =>
    Clearing.open({ dataDir: join(dir, name), databaseUrl: null, unsafeNoFsync: unsafe });
  try {
    const p = { durable: await open("on", false), unsafe: await open("off", true) };
    try {
      return await interleaved(p, rounds, perRound);
    } finally {
      await p.durable.close();
      await p.unsafe.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A fresh database on the server at `url`, dropped by the returned function. */
async function serverDb(url: string, unsafe: boolean): Promise<[Clearing, () => Promise<void>]> {
  const name = `offtap_bench_${randomBytes(6).toString("hex")}`;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  const u = new URL(url);
  u.pathname = `/${name}`;
  const c = await Clearing.open({ databaseUrl: u.toString(), unsafeNoFsync: unsafe });
  return [c, async () => {
    await c.close();
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
  }];
}

async function servers(onUrl: string, offUrl: string, rounds: number, perRound: number) {
  const [durable, dropOn] = await serverDb(onUrl, false);
  try {
    const [unsafe, dropOff] = await serverDb(offUrl, true);
    try {
      return await interleaved({ durable, unsafe }, rounds, perRound);
    } finally {
      await dropOff();
    }
  } finally {
    await dropOn();
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
  o: { rounds?: number; paymentsPerRound?: number } = {},
): Promise<DurabilityBenchRow[]> {
  const rounds = o.rounds ?? ROUNDS;
  const perRound = o.paymentsPerRound ?? PAYMENTS_PER_ROUND;
  const [on, off] = await pglite(rounds, perRound);
  const rows = [row("PGlite (data directory)", on, off, "off: PGlite as shipped (-F)")];
  const url = process.env["DATABASE_URL"];
  const unsafe = url ? startUnsafeServer() : undefined;
  try {
    if (url === undefined || url === "" || unsafe === undefined) {
      rows.push(row("PostgreSQL server", null, null, "DATABASE_URL unset or no PostgreSQL"));
    } else {
      const [son, soff] = await servers(url, unsafe.url, rounds, perRound);
      rows.push(row("PostgreSQL server", son, soff, "off: a second server, fsync=off"));
    }
  } finally {
    unsafe?.stop();
  }
  return rows;
}

function fmt(v: number | null, digits = 0): string {
  return v === null ? "—" : v.toFixed(digits);
}

export function formatDurability(
  rows: DurabilityBenchRow[], rounds: number, perRound: number,
): string {
  const head = `clearing ingest, durability on vs off: median of ${rounds} interleaved rounds of `
    + `${perRound} payments, ${PAYMENTS_PER_UPLOAD} per upload (payments/s, wall clock)`;
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
  const rounds = quick ? 3 : ROUNDS;
  const paymentsPerRound = quick ? 100 : PAYMENTS_PER_ROUND;
  try {
    const rows = await benchDurability({ rounds, paymentsPerRound });
    mkdirSync(join(repoRoot, "build"), { recursive: true });
    const date = new Date().toISOString();
    const json = { schema: "offtap-bench-durability/1", date, rounds, paymentsPerRound, rows };
    const out = join(repoRoot, "build", "bench-durability.json");
    writeFileSync(out, `${JSON.stringify(json, null, 2)}\n`);
    const table = formatDurability(rows, rounds, paymentsPerRound);
    process.stdout.write(`\n${table}\n\nwrote build/bench-durability.json\n`);
  } catch (e) {
    process.stderr.write(`bench: durability: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exitCode = 1;
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const rounds = Number(process.argv[2] ?? ROUNDS);
  const paymentsPerRound = Number(process.argv[3] ?? PAYMENTS_PER_ROUND);
  const rows = await benchDurability({ rounds, paymentsPerRound });
  console.log(formatDurability(rows, rounds, paymentsPerRound));
}
