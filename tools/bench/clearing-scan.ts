// Campaigns against clearing, the way the ledger's faults-scan attacks the reader: each
// seed draws one campaign of a mode and prints one line.
//   readers  honest readers on the real firmware, uploads out of order, read flips, bit
//            rot and power cuts (tools/bench/clearing-scan/readers.ts);
//   rogue    a merchant writing its readers' ledgers itself (clearing-scan/rogue.ts);
//   concurrent  three clearing instances ingesting at once (clearing-scan/concurrent.ts;
//            PostgreSQL only).
// The first two run on PGlite and, when DATABASE_URL names a PostgreSQL server, again on
// a database of their own there; the two must give the same answers, line for line. Exit 0
// when every campaign held, 1 when one did not, 2 on a usage error. docs/CLEARING.md,
// "Campaigns", has the figures.
import { parseArgs } from "node:util";
import { freshDb, Transcript, type ScanEngine } from "./clearing-scan/engines.ts";
import { readersCampaign, type ReadersOptions } from "./clearing-scan/readers.ts";
import { roguePlan, rogueCampaign, type RoguePlan } from "./clearing-scan/rogue.ts";
import { concurrentCampaign } from "./clearing-scan/concurrent.ts";

export type ScanMode = "readers" | "rogue" | "concurrent";
export const SCAN_MODES: readonly ScanMode[] = ["readers", "rogue", "concurrent"];

const USAGE = `Usage: node --import tsx tools/bench/clearing-scan.ts [options]

Options:
  --from S       first campaign seed (default 1)
  --to S         last campaign seed (default 50)
  --mode M       readers, rogue, concurrent or all (default all; concurrent needs
                 DATABASE_URL and is left out of all without it)
  --flips P      readers: probability of a flipped bit per flash read (default 0.01)
  --no-rot       readers: no bit rot in the ledgers
  --no-cuts      readers: no power cuts
  -h, --help     show this help

With DATABASE_URL set (and the data key the server needs, OFFTAP_DATA_KEY_FILE or
OFFTAP_DATA_KEY), every campaign also runs on the PostgreSQL server.`;

/** One campaign on one engine: the problems found and the transcript. A rogue campaign's
 *  plan is drawn once per seed (crafted records carry random challenges and keys). */
async function runOn(
  engine: ScanEngine,
  seed: number,
  mode: ScanMode,
  o: ReadersOptions,
  plan: RoguePlan | undefined,
): Promise<{ problems: string[]; t: Transcript }> {
  const t = new Transcript();
  const { db, drop } = await freshDb(engine, process.env["DATABASE_URL"]);
  try {
    const problems = mode !== "rogue"
      ? await readersCampaign(seed, db, o, t)
      : await rogueCampaign(plan ?? roguePlan(seed), db, t);
    return { problems, t };
  } finally {
    await drop();
  }
}

/** The problems of campaign `seed` of `mode` on every engine there is, and where the
 *  engines disagree. Empty when the campaign held. */
export async function scanClearing(
  seed: number,
  mode: ScanMode,
  o: ReadersOptions = { readFlipRate: 0.01, rot: true, cuts: true },
): Promise<string[]> {
  if (mode === "concurrent") {
    const t = new Transcript();
    const { db, url, drop } = await freshDb("server", process.env["DATABASE_URL"]);
    try {
      return await concurrentCampaign(seed, db, url!, t);
    } finally {
      await drop();
    }
  }
  const plan = mode === "rogue" ? roguePlan(seed) : undefined;
  const lite = await runOn("pglite", seed, mode, o, plan);
  if (process.env["DATABASE_URL"] === undefined) return lite.problems;
  const server = await runOn("server", seed, mode, o, plan);
  const diff = Transcript.diff(lite.t, server.t);
  return [
    ...lite.problems.map((p) => `pglite: ${p}`),
    ...server.problems.map((p) => `server: ${p}`),
    ...(diff === undefined ? [] : [`the engines disagree at ${diff}`]),
  ];
}

function usage(message: string): never {
  process.stderr.write(`clearing-scan: ${message}\n\n${USAGE}\n`);
  process.exit(2);
}

function whole(name: string, v: string | undefined, fallback: number): number {
  if (v === undefined) return fallback;
  if (!/^\d+$/.test(v) || Number(v) < 1) usage(`--${name} takes a positive whole number`);
  return Number(v);
}

async function main(): Promise<void> {
  let a;
  try {
    a = parseArgs({
      options: {
        from: { type: "string" }, to: { type: "string" }, mode: { type: "string" },
        flips: { type: "string" }, "no-rot": { type: "boolean" }, "no-cuts": { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
      strict: true,
    }).values;
  } catch (e) {
    usage((e as Error).message);
  }
  if (a.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const from = whole("from", a.from, 1);
  const to = whole("to", a.to, 50);
  if (to < from) usage("--to is below --from");
  const modeArg = a.mode ?? "all";
  if (modeArg !== "all" && !SCAN_MODES.includes(modeArg as ScanMode)) {
    usage(`--mode is readers, rogue, concurrent or all, not ${modeArg}`);
  }
  const server = process.env["DATABASE_URL"] !== undefined;
  if (modeArg === "concurrent" && !server) usage("--mode concurrent needs DATABASE_URL");
  const modes = modeArg !== "all"
    ? [modeArg as ScanMode]
    : SCAN_MODES.filter((m) => server || m !== "concurrent");
  const flips = a.flips === undefined ? 0.01 : Number(a.flips);
  if (!(flips >= 0 && flips < 1)) usage("--flips takes a probability from 0 to below 1");
  const o: ReadersOptions = {
    readFlipRate: flips, rot: a["no-rot"] !== true, cuts: a["no-cuts"] !== true,
  };
  let failed = 0;
  for (let seed = from; seed <= to; seed++) {
    for (const mode of modes) {
      const t0 = Date.now();
      const problems = await scanClearing(seed, mode, o);
      if (problems.length > 0) failed++;
      const verdict = problems.length === 0 ? "held" : problems.join(" | ");
      process.stdout.write(`seed ${seed} ${mode}: ${verdict} (${Date.now() - t0} ms)\n`);
    }
  }
  const total = (to - from + 1) * modes.length;
  process.stdout.write(`${total} campaigns, ${failed} failed\n`);
  process.exitCode = failed > 0 ? 1 : 0;
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
