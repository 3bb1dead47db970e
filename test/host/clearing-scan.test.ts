// Clearing campaigns (tools/bench/clearing-scan.ts) on PGlite and, when `make test` gives
// one, the PostgreSQL server, which must agree line for line. Readers seeds 1 and 3 meet
// rot and power cuts between two exports (an overlap and a zero head before: forks that
// held every later batch before test/host/clearing-rot's fix). Rogue seeds 2 and 3 fail
// when either rule they exercise is taken out: a record only the reader's own counter order
// proves evidence is paid, or a suspect reader's records are paid before the operator
// decides. The concurrent campaign needs the server: skipped without one.
import assert from "node:assert/strict";
import { test } from "node:test";
import { scanClearing } from "../../tools/bench/clearing-scan.ts";

const SERVER = process.env["DATABASE_URL"];

for (const seed of [1, 3]) {
  test(`clearing campaign, readers seed ${seed}: rot, flips, cuts, uploads out of order`,
    async () => {
      assert.deepEqual(await scanClearing(seed, "readers"), []);
    });
}

for (const seed of [2, 3]) {
  test(`clearing campaign, rogue seed ${seed}: merchant-held device keys`, async () => {
    assert.deepEqual(await scanClearing(seed, "rogue"), []);
  });
}

test("clearing campaign, concurrent seed 1: three instances ingesting at once", {
  skip: SERVER ? false : "no PostgreSQL server given (DATABASE_URL unset); `make test` starts one",
}, async () => {
  assert.deepEqual(await scanClearing(1, "concurrent"), []);
});
