// Ingest's bulk statements pass hex ids and integers as one comma-separated text each
// (host/clearing/db.ts csvList, docs/CLEARING.md §9): a value that would shift a column is
// refused before any SQL runs, and what is accepted reads back in SQL as the same values.
import assert from "node:assert/strict";
import { test } from "node:test";
import { csvList } from "../../host/clearing/db.ts";
import { testBoth } from "./clearing-support.ts";

test("csvList joins hex ids and integers; refuses commas and empty values", () => {
  assert.equal(csvList(["ab12", "cd34"]), "ab12,cd34");
  assert.equal(csvList([1, -2, 2 ** 53 - 1]), "1,-2,9007199254740991");
  assert.equal(csvList([]), "");
  for (const bad of [["a,b"], [""], ["a", ""], ["", "a"], ["a", "", "b"], ["a", ","]]) {
    assert.throws(() => csvList(bad), RangeError, JSON.stringify(bad));
  }
});

testBoth("a csvList column reads back as the same values, in order", async (c) => {
  const ids = ["00ff", "a1b2c3", "operator:metro-north_2.b:978"];
  const ns = [0, 5, -7, 2 ** 53 - 1];
  const rows = await c.db.query(
    `SELECT x, n FROM unnest(string_to_array($1, ','), string_to_array($2, ',')::bigint[])
       WITH ORDINALITY AS t(x, n, i) ORDER BY i`,
    [csvList(ids), csvList(ns)],
  );
  assert.deepEqual(
    rows.map((r) => [r["x"], r["n"] === null ? null : Number(r["n"])]),
    [...ns.keys()].map((i) => [ids[i] ?? null, ns[i]!]),
  );
  const none = await c.db.query("SELECT cardinality(string_to_array($1, ',')) AS n", [
    csvList([]),
  ]);
  assert.equal(Number(none[0]!["n"]), 0, "an empty list is an empty array");
});
