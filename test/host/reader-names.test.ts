// Readers carry the name the operator gave them (docs/CLEARING.md §9): `clear reader add
// --name`, renaming by adding again with the same key, bounded one-line names, and the
// name in the API's payments and readers views.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { command as clear } from "../../host/cli/commands/clear.ts";
import { Clearing } from "../../host/clearing/index.ts";

// These commands run on an embedded database in a temporary folder: a DATABASE_URL in the
// environment (make test sets one for the PostgreSQL suites) would select a server instead.
delete process.env["DATABASE_URL"];
const READER = "0102030405060708";
const KEY = "ab".repeat(32);
const OTHER_KEY = "cd".repeat(32);

async function quiet(argv: string[]): Promise<number> {
  const log = console.log;
  console.log = () => {};
  try { return await clear.run(argv); } finally { console.log = log; }
}

test("clear reader add --name names a reader; the same key and a new name rename it", async () => {
  const dir = mkdtempSync(path.join(tmpdir(), "offtap-names-"));
  const db = path.join(dir, "db");
  try {
    await (await Clearing.open({ dataDir: db, databaseUrl: null })).close();
    const add = ["reader", "add", "--reader", READER, "--key", KEY, "--operator", "metro",
      "--db", db];
    assert.equal(await quiet([...add, "--name", "north gate 3"]), 0);
    const c = await Clearing.open({ dataDir: db, databaseUrl: null });
    try {
      assert.equal((await c.readers())[0]!.name, "north gate 3");
      // Without a name, or with another device key, the name stays.
      await c.registerReader({ readerId: READER, devicePublicKey: KEY, operatorId: "metro" });
      await assert.rejects(c.registerReader(
        { readerId: READER, devicePublicKey: OTHER_KEY, operatorId: "metro", name: "stolen" }));
      await assert.rejects(c.registerReader(
        { readerId: READER, devicePublicKey: KEY, operatorId: "metro", name: "two\nlines" }));
      await assert.rejects(c.registerReader(
        { readerId: READER, devicePublicKey: KEY, operatorId: "metro", name: "x".repeat(81) }));
      assert.equal((await c.readers())[0]!.name, "north gate 3");
      // The same registration with a new name renames the reader.
      const again = { readerId: READER, devicePublicKey: KEY, operatorId: "metro" };
      await c.registerReader({ ...again, name: "north gate 3 (platform 2)" });
      assert.equal((await c.readers())[0]!.name, "north gate 3 (platform 2)");
    } finally {
      await c.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
