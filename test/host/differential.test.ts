// Differential test of the firmware's Ed25519 verifier: 100,000 generated cases (valid
// signatures and adversarial mutations) through the firmware, the host reference model,
// node:crypto and @noble/ed25519 (ZIP-215 and strict). The firmware must return exactly the
// reference model's status on every case; every disagreement with a peer must be one the
// policy explains (host/vectors/differential/explain.ts), confirmed by the equation facts.
//
// OFFTAP_SEED=<u32> replays a run; OFFTAP_DIFF_CASES=<n> changes the case count (default
// 100000); OFFTAP_DIFF_ONLY=<index> replays a single case in-process.
import { test } from "node:test";
import assert from "node:assert/strict";
import { availableParallelism } from "node:os";
import path from "node:path";
import { Worker } from "node:worker_threads";
import { parseSeed } from "../../host/vectors/differential/prng.ts";
import { type SliceRequest, type SliceResult, emptyResult, mergeResults, runSlice } from "../../host/vectors/differential/run.ts";
import { categoryTable, describeProblem, disagreementTable } from "../../host/vectors/differential/report.ts";
import { CATEGORIES } from "../../host/vectors/differential/cases.ts";
import { ALLOWED_DISAGREEMENTS, explainDisagreement } from "../../host/vectors/differential/explain.ts";
import { PEERS, peerAccepts } from "../../host/vectors/differential/peers.ts";
import { FirmwareCrypto } from "../../host/firmware/crypto.ts";
import { equationFacts } from "../../host/crypto/reference.ts";
import { POLICY_RULE, VerifyStatus, statusName } from "../../host/crypto/policy.ts";
import { toHex } from "../../host/crypto/encoding.ts";
import { loadEddsaVerifyFile } from "../../host/vectors/wycheproof.ts";
import { repoRoot } from "../../host/firmware/paths.ts";

const DEFAULT_SEED = 0x0ff7a9;
const DEFAULT_CASES = 100_000;
const WORKERS_MAX = 4;
/** Below this many cases the rarer categories may not all appear; coverage is asserted only above it. */
const COVERAGE_CASES_MIN = 10_000;
const seed = parseSeed(process.env.OFFTAP_SEED) ?? DEFAULT_SEED;
const only = process.env.OFFTAP_DIFF_ONLY === undefined ? null : Number(process.env.OFFTAP_DIFF_ONLY);
const caseCount = only !== null ? 1 : Number(process.env.OFFTAP_DIFF_CASES ?? DEFAULT_CASES);
const workerUrl = new URL("../../host/vectors/differential/worker-entry.mjs", import.meta.url);

function runInWorker(req: SliceRequest): Promise<SliceResult> {
  return new Promise((resolve, reject) => {
    const w = new Worker(workerUrl, { workerData: req });
    w.once("message", (m: SliceResult) => resolve(m));
    w.once("error", reject);
    w.once("exit", (code) => {
      if (code !== 0) reject(new Error(`differential worker exited with code ${code}`));
    });
  });
}

async function runAll(): Promise<SliceResult> {
  if (only !== null) return runSlice({ seed, start: only, end: only + 1, subject: "firmware" });
  const workers = Math.max(1, Math.min(WORKERS_MAX, availableParallelism()));
  const per = Math.ceil(caseCount / workers);
  const slices: SliceRequest[] = [];
  for (let start = 0; start < caseCount; start += per) slices.push({ seed, start, end: Math.min(caseCount, start + per), subject: "firmware" });
  return (await Promise.all(slices.map(runInWorker))).reduce(mergeResults, emptyResult());
}

test(`differential: firmware vs reference model, node:crypto and noble (seed ${seed}, ${caseCount} cases)`, async (t) => {
  assert.ok(Number.isInteger(caseCount) && caseCount > 0, "OFFTAP_DIFF_CASES must be a positive integer");
  assert.ok(only === null || (Number.isInteger(only) && only >= 0), "OFFTAP_DIFF_ONLY must be a case index");
  const started = performance.now();
  const r = await runAll();
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  const summary = `seed ${seed}: ${r.cases} cases in ${seconds} s\n${categoryTable(r)}\n\n${disagreementTable(r)}`;
  console.log(summary);
  t.diagnostic(`seed ${seed}, ${r.cases} cases, ${seconds} s`);

  assert.equal(r.cases, caseCount);
  const problems = r.problems.map((p) => describeProblem(p, seed)).join("\n");
  const replay = `replay with OFFTAP_SEED=${seed} (one case: OFFTAP_DIFF_ONLY=<index>)`;
  assert.equal(r.subjectMismatches, 0, `firmware and reference model disagree on ${r.subjectMismatches} cases; ${replay}\n${problems}`);
  assert.equal(r.unexplainedCount, 0, `${r.unexplainedCount} peer disagreements no policy rule explains; ${replay}\n${problems}`);
  if (caseCount >= COVERAGE_CASES_MIN) {
    // The generator must actually produce every category, or the run proves less than it claims.
    for (const c of CATEGORIES) assert.ok((r.byCategory[c]?.count ?? 0) > 0, `no case of category ${c}`);
    // The adversarial categories must reach the disagreements they were built for.
    assert.ok(Object.keys(r.explained).length >= 6, `too few kinds of explained disagreement:\n${disagreementTable(r)}`);
    assert.ok((r.byCategory["mixed-order-A-resigned"]?.status.Valid ?? 0) > 0, "no mixed-order key was accepted");
  }
});

test("committed vectors: every peer disagreement with the firmware is one the policy explains", () => {
  const fw = new FirmwareCrypto();
  const unexplained: string[] = [];
  let disagreements = 0;
  for (const file of ["rfc8032.json", "wycheproof-ed25519_test.json", "speccheck.json"]) {
    for (const c of loadEddsaVerifyFile(path.join(repoRoot, "test/vectors/ed25519", file)).cases) {
      if (c.publicKey.length !== 32 || c.signature.length !== 64) continue;
      const status = fw.verify(c.publicKey, c.message, c.signature);
      for (const p of PEERS) {
        const accepts = peerAccepts(p, c.publicKey, c.message, c.signature);
        if (accepts === (status === VerifyStatus.Valid)) continue;
        disagreements++;
        const verdict = explainDisagreement(p, accepts, status, equationFacts(c.publicKey, c.message, c.signature));
        if (!verdict.allowed) unexplained.push(`${file} tcId ${c.tcId} (${c.comment}): offtap ${statusName(status)}; ${p}: ${verdict.reason}; pk ${toHex(c.publicKey)} sig ${toHex(c.signature)}`);
      }
    }
  }
  assert.deepEqual(unexplained, []);
  // speccheck alone yields disagreements with every peer (see docs/VERIFY-DIFFERENTIAL.md).
  assert.ok(disagreements >= 10, `only ${disagreements} disagreements on the edge-case files`);
});

test("the explanation table refuses disagreements the facts do not confirm", () => {
  const c = loadEddsaVerifyFile(path.join(repoRoot, "test/vectors/ed25519/rfc8032.json")).cases[0]!;
  const facts = equationFacts(c.publicKey, c.message, c.signature);
  assert.ok(facts?.cofactorlessBytes);
  // A peer rejecting what we accept is never explained.
  assert.equal(explainDisagreement("node", false, VerifyStatus.Valid, facts).allowed, false);
  // "cofactored only" claimed on a signature whose cofactorless equation holds: refused.
  assert.equal(explainDisagreement("noble", true, VerifyStatus.EquationMismatch, facts).allowed, false);
  // "small-order A" claimed for a key that is not small-order: refused.
  assert.equal(explainDisagreement("node", true, VerifyStatus.PublicKeySmallOrder, facts).allowed, false);
  assert.equal(explainDisagreement("noble", true, VerifyStatus.RNotCanonical, null).allowed, false);
  // Every entry cites the rule that actually produces its status, and no peer may reject what we accept.
  for (const e of ALLOWED_DISAGREEMENTS) {
    assert.equal(e.rule, POLICY_RULE[e.status], `${e.peer}, ${statusName(e.status)}`);
    assert.ok(e.peerAccepts && e.status !== VerifyStatus.Valid);
  }
});
