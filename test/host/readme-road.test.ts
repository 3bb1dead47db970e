// The README's road from taps to a cash-out, run as it is written there: the fenced block
// under "From taps to a cash-out" goes to bash line for line, in a fresh folder, with
// `npx offtap` mapped to bin/offtap.mjs. Then the kept database must show the gate's
// payments settled to the operator and the cash-out exported to a payout file.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { repoRoot } from "../../host/firmware/paths.ts";

const HEADING = "## From taps to a cash-out";
const BIN = join(repoRoot, "bin", "offtap.mjs");
/** The whole block, including the demo: a few dozen seconds on a loaded 2-core machine. */
const BLOCK_TIMEOUT_MS = 240_000;

/** The first ```sh block after the heading, as written. */
export function readmeBlock(readme: string): string {
  const at = readme.indexOf(`\n${HEADING}\n`);
  assert.ok(at >= 0, `README.md has no "${HEADING}" section`);
  const m = /```sh\n([\s\S]*?)```/.exec(readme.slice(at));
  assert.ok(m !== null, "the section has no ```sh block");
  return m[1]!;
}

function run(cwd: string, script: string): { status: number | null; out: string } {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: "1" };
  for (const k of ["DATABASE_URL", "OFFTAP_DATA_KEY", "OFFTAP_DATA_KEY_FILE"]) delete env[k];
  const r = spawnSync("bash", ["-c", script], {
    cwd, env, encoding: "utf8", timeout: BLOCK_TIMEOUT_MS,
  });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

test("the README's road from taps to a cash-out runs as written", () => {
  const block = readmeBlock(readFileSync(join(repoRoot, "README.md"), "utf8"));
  assert.ok(block.split("\n").filter((l) => l.trim() !== "").length <= 12, "a handful of commands");
  const dir = mkdtempSync(join(tmpdir(), "offtap-readme-road-"));
  try {
    // Only `npx offtap …` is mapped; any other npx use in the block fails the test.
    const prelude = "set -euo pipefail\n" +
      `npx() { if [ "$1" = offtap ]; then shift; node ${JSON.stringify(BIN)} "$@"; ` +
      "else echo \"npx $1 is not offtap\" >&2; return 127; fi; }\n";
    const r = run(dir, prelude + block);
    assert.equal(r.status, 0, r.out);
    const settledLine = /gate\.batch: (\d+) settled \(([\d,.]+) EUR\), 0 duplicate, 0 held, /;
    const ingest = new RegExp(`${settledLine.source}0 rejected`).exec(r.out);
    assert.ok(ingest !== null, `clear ingest settled the gate's batches:\n${r.out}`);
    assert.ok(Number(ingest[1]) > 200, "most of the day's 300 taps were paid and settled");

    const q = run(dir, `node ${JSON.stringify(BIN)} clear balances --json --db .offtap/road && ` +
      `node ${JSON.stringify(BIN)} cashout show co_first --json --db .offtap/road`);
    assert.equal(q.status, 0, q.out);
    const [balancesJson, cashoutJson] = splitJson(q.out);
    const balances = JSON.parse(balancesJson!) as {
      balancesSumToZero: boolean; accounts: { id: string; balance: number }[];
    };
    assert.equal(balances.balancesSumToZero, true);
    const payouts = balances.accounts.find((a) => a.id === "payouts:978")!.balance;
    assert.ok(payouts >= 4_900, "the cash-out's net is on its way to the bank");
    const co = JSON.parse(cashoutJson!) as { state: string; grossMinor: number };
    assert.equal(co.state, "exported");
    assert.equal(co.grossMinor, 5_000);
    const files = readdirSync(join(dir, ".offtap", "payouts"));
    assert.ok(files.some((f) => f.startsWith("OFFTAP-") && f.endsWith(".xml")), files.join(", "));
    assert.ok(existsSync(join(dir, ".offtap", "gate", "ledger.bin")), "the reader is kept");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/** Two pretty-printed JSON documents one after the other. */
function splitJson(text: string): string[] {
  const at = text.indexOf("\n{");
  return [text.slice(0, at + 1), text.slice(at + 1)];
}
