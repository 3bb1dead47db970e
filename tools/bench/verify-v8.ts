// Verify in V8 only: offtap (build/offtap.wasm, or --wasm FILE) against libsodium-wrappers,
// with an optional --baseline FILE measured in the same interleaved rounds, so a change to
// the arithmetic is judged against the goal (≥ 1.0× libsodium) and against the firmware it
// replaces without running the whole `make bench`.
// Exit codes: 0 done, 1 a measurement failed, 2 usage error.
import { parseArgs } from "node:util";
import { FirmwareCrypto, loadCryptoExports } from "../../host/firmware/crypto.ts";
import { firmwarePath } from "../../host/firmware/paths.ts";
import { makeFixtures } from "./fixtures.ts";
import { measureInterleaved, type Subject } from "./measure.ts";
import { LIBSODIUM, OFFTAP, peersReady, verifySubjects } from "./peers.ts";

const USAGE = `usage: node --import tsx tools/bench/verify-v8.ts [--wasm FILE] [--baseline FILE]
                 [--rounds N] [--json]

Ed25519 verify per second in V8: offtap's firmware against libsodium-wrappers (and, with
--baseline, another build of the firmware in the same rounds). Medians of N rounds
(default 9) of process CPU time.

  --wasm FILE      the firmware to measure (default build/offtap.wasm)
  --baseline FILE  a second firmware build measured beside it (e.g. before a change)
  --rounds N       measured rounds (default 9)
  --json           print JSON instead of lines
  -h, --help       this help`;

const BASELINE = "offtap baseline (V8)";
const ROUND_MS = 200;

async function main(): Promise<number> {
  let values;
  try {
    values = parseArgs({
      options: {
        wasm: { type: "string" }, baseline: { type: "string" }, rounds: { type: "string" },
        json: { type: "boolean" }, help: { type: "boolean", short: "h" },
      },
    }).values;
  } catch (err) {
    process.stderr.write(`verify-v8: ${(err as Error).message}\n${USAGE}\n`);
    return 2;
  }
  if (values.help === true) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const rounds = values.rounds === undefined ? 9 : Number(values.rounds);
  if (!Number.isInteger(rounds) || rounds < 1 || rounds > 1000) {
    process.stderr.write(`verify-v8: --rounds takes 1 … 1000, got '${values.rounds}'\n`);
    return 2;
  }
  await peersReady();
  const fx = makeFixtures();
  const wanted = [OFFTAP, LIBSODIUM];
  const subjects: Subject[] = verifySubjects(fx, new FirmwareCrypto(
    loadCryptoExports(values.wasm ?? firmwarePath))).filter((s) => wanted.includes(s.name));
  if (values.baseline !== undefined) {
    const base = verifySubjects(fx, new FirmwareCrypto(loadCryptoExports(values.baseline)))
      .find((s) => s.name === OFFTAP)!;
    subjects.push({ ...base, name: BASELINE });
  }
  const series = measureInterleaved(subjects, {
    rounds, roundMs: ROUND_MS, warmupRounds: 1, clock: "cpu",
  });
  const median = (name: string): number => series.find((s) => s.name === name)?.median ?? NaN;
  const sodium = median(LIBSODIUM);
  const rows = series.map((s) => ({
    name: s.name, opsPerS: Math.round(s.median), vsLibsodium: s.median / sodium,
  }));
  if (values.json === true) {
    process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
    return 0;
  }
  for (const r of rows) {
    process.stdout.write(`${r.name.padEnd(24)} ${String(r.opsPerS).padStart(7)} verify/s` +
      `  ${r.vsLibsodium.toFixed(2)}× libsodium-wrappers\n`);
  }
  return 0;
}

try {
  process.exitCode = await main();
} catch (err) {
  process.stderr.write(`verify-v8: ${(err as Error).message}\n`);
  process.exitCode = 1;
}
