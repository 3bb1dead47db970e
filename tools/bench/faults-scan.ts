// A scan over power-cut campaigns that differ in everything `make bench-faults` keeps
// fixed: ledger and deny-partition size, program page, taps, settlement cadence (none
// until the end included), deny-update cadence, cuts per run (1 … 9) and transient read
// flips (0 … 5 %). Each seed draws one campaign of --runs runs over every fault kind and
// prints one line; a failing campaign prints its first violations with the options that
// replay them (runPowerCut with onlyRun). Exit 0 when every campaign held every invariant,
// 1 when one did not, 2 on a usage error. docs/LEDGER.md, "Campaigns", has the figures.
import path from "node:path";
import { parseArgs } from "node:util";
import { runPowerCut, type PowerCutOptions } from "../../host/ledger/powercut.ts";

const USAGE = `Usage: node --import tsx tools/bench/faults-scan.ts [options]

Options:
  --from S       first campaign seed (default 1)
  --to S         last campaign seed (default 100)
  --runs N       runs per campaign (default 200)
  --firmware F   the .wasm to test (default build/offtap.wasm)
  -h, --help     show this help`;

function usage(message: string): never {
  process.stderr.write(`faults-scan: ${message}\n\n${USAGE}\n`);
  process.exit(2);
}

function whole(name: string, v: string | undefined, fallback: number): number {
  if (v === undefined) return fallback;
  if (!/^\d+$/.test(v) || Number(v) < 1) usage(`--${name} takes a positive whole number`);
  return Number(v);
}

/** A well-mixed 32-bit value for draw k of campaign `seed`. */
function draw(seed: number, k: number): number {
  let x = (seed * 2654435761 + k * 40503 + 12345) >>> 0;
  x ^= x >>> 13;
  x = Math.imul(x, 0x5bd1e995) >>> 0;
  x ^= x >>> 15;
  return x >>> 0;
}

function pick<T>(xs: readonly T[], seed: number, k: number): T {
  return xs[draw(seed, k) % xs.length]!;
}

/** The campaign of one seed. Ledgers of 2 … 6 sectors of 4 KiB, deny partitions of 2 or
 *  4 sectors (two slots), pages of 256 or 512 bytes. */
export function scanCampaign(seed: number, runs: number, wasmPath?: string): PowerCutOptions {
  return {
    taps: pick([25, 40, 60, 80], seed, 1), seed, exportEvery: pick([0, 3, 5, 9], seed, 2),
    readFlipRate: pick([0, 0.005, 0.01, 0.03, 0.05], seed, 3), faults: "all",
    cuts: pick([1, 2, 4, 6, 9], seed, 4), denyEvery: pick([0, 2, 3, 7], seed, 5),
    mode: { kind: "random", count: runs },
    geometry: {
      ledgerBytes: pick([2, 3, 4, 5, 6, 3], seed, 6) * 4096, sectorBytes: 4096,
      pageBytes: pick([256, 256, 512], seed, 7), denyBytes: pick([2, 4], seed, 8) * 4096,
    },
    ...(wasmPath ? { wasmPath } : {}),
  };
}

function describe(o: PowerCutOptions): string {
  const g = o.geometry;
  return `taps ${o.taps}, settle ${o.exportEvery || "at the end"}, deny every `
    + `${o.denyEvery || "never"}, ${g.ledgerBytes / 4096} sectors, page ${g.pageBytes}, `
    + `deny ${g.denyBytes / 4096} sectors, ${o.cuts} cuts, read flips ${o.readFlipRate}`;
}

function main(): void {
  let values;
  try {
    ({ values } = parseArgs({ args: process.argv.slice(2), options: {
      from: { type: "string" }, to: { type: "string" }, runs: { type: "string" },
      firmware: { type: "string" }, help: { type: "boolean", short: "h" },
    } }));
  } catch (e) {
    usage(e instanceof Error ? e.message : String(e));
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  const from = whole("from", values.from, 1);
  const to = whole("to", values.to, 100);
  const runs = whole("runs", values.runs, 200);
  if (to < from) usage("--to is below --from");
  let failed = 0;
  let total = 0;
  for (let seed = from; seed <= to; seed++) {
    const o = scanCampaign(seed, runs, values.firmware);
    const r = runPowerCut(o);
    total += r.cutPoints;
    const v = r.violations;
    process.stdout.write(`seed ${seed} (${describe(o)}): ${v.length} violations\n`);
    if (v.length === 0) continue;
    failed++;
    for (const x of v.slice(0, 3)) {
      process.stdout.write(`  run ${x.run} (${x.kind}): ${x.message}; last cut: ${x.lastCut}\n`);
    }
    const replay = { ...o, onlyRun: v[0]!.run };
    process.stdout.write(`  replay: runPowerCut(${JSON.stringify(replay)})\n`);
  }
  process.stdout.write(`${to - from + 1} campaigns, ${total} runs: ${failed} failed\n`);
  process.exitCode = failed === 0 ? 0 : 1;
}

const self = path.resolve(new URL(import.meta.url).pathname);
if (process.argv[1] && path.resolve(process.argv[1]) === self) main();
