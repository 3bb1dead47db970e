// Issue 15, the road from taps to money: a reader kept across runs (`--state DIR`), its
// real signed batches accepted by clearing, databases opened on purpose, kiosk taps told
// the kiosk's way, and `ledger inspect` without rows of identical free sectors.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { main } from "../../host/cli/main.ts";

interface Ran { code: number; out: string; err: string }

/** Runs the CLI in this process, capturing what it prints. */
async function cli(argv: string[]): Promise<Ran> {
  const out: string[] = [];
  const err: string[] = [];
  const { log, error } = console;
  const write = process.stderr.write.bind(process.stderr);
  console.log = (...a: unknown[]) => { out.push(a.map(String).join(" ")); };
  console.error = (...a: unknown[]) => { err.push(a.map(String).join(" ")); };
  // Progress bars draw on stderr; keep the test output clean.
  process.stderr.write = (() => true) as typeof process.stderr.write;
  try {
    return { code: await main(argv), out: out.join("\n"), err: err.join("\n") };
  } finally {
    console.log = log;
    console.error = error;
    process.stderr.write = write;
  }
}

function withoutServer<T>(body: () => Promise<T>): Promise<T> {
  const saved = process.env["DATABASE_URL"];
  delete process.env["DATABASE_URL"];
  return body().finally(() => {
    if (saved !== undefined) process.env["DATABASE_URL"] = saved;
  });
}

const mode = (path: string): number => statSync(path).mode & 0o777;

test("a kept reader: created once, continued, its batches accepted by clearing", async () => {
  const root = mkdtempSync(join(tmpdir(), "offtap-road-"));
  try {
    await withoutServer(async () => {
      const state = join(root, "gate");
      const first = await cli(["sim", "--state", state, "--taps", "60", "--wallets", "12",
        "--misbehaving", "0", "--json"]);
      assert.equal(first.code, 0, first.err);
      const s1 = JSON.parse(first.out) as { ledgerRecords: number; state: { created: boolean;
        readerId: string; runs: number } };
      assert.equal(s1.state.created, true);
      assert.equal(mode(state), 0o700);
      for (const f of ["reader.json", "keys.json", "state.json", "ledger.bin", "deny.bin"]) {
        assert.equal(mode(join(state, f)), 0o600, f);
      }
      const second = await cli(["sim", "--state", state, "--taps", "40", "--wallets", "12",
        "--misbehaving", "0", "--json"]);
      assert.equal(second.code, 0, second.err);
      const s2 = JSON.parse(second.out) as typeof s1;
      assert.deepEqual([s2.state.created, s2.state.readerId, s2.state.runs],
        [false, s1.state.readerId, 2], "the same reader, continued");
      const tap = await cli(["tap", "--state", state, "--json"]);
      assert.equal(tap.code, 0, tap.err);
      const t = JSON.parse(tap.out) as { receipt: { sequence: number } };
      const records = s1.ledgerRecords + s2.ledgerRecords + 1;
      assert.equal(t.receipt.sequence, records, "the tap lands after both runs' records");

      const batch = join(root, "gate.batch");
      const ex = await cli(["ledger", "export", "--state", state, "--out", batch, "--json"]);
      assert.equal(ex.code, 0, ex.err);
      assert.equal((JSON.parse(ex.out) as { records: number }).records, records);
      assert.equal((await cli(["ledger", "verify", batch])).code, 0);

      const db = join(root, "db");
      const init = await cli(["clear", "init", "--db", db]);
      assert.equal(init.code, 0, init.err);
      assert.match(init.out, /created the clearing database at /);
      const add = await cli(["clear", "reader", "add", "--state", state, "--operator", "metro",
        "--db", db]);
      assert.equal(add.code, 0, add.err);
      const ing = await cli(["clear", "ingest", batch, "--db", db, "--json"]);
      assert.equal(ing.code, 0, ing.out);
      const r = JSON.parse(ing.out) as { settled: number; rejectedRecords: unknown[] };
      assert.deepEqual([r.settled, r.rejectedRecords.length], [records, 0]);

      // Clearing's acknowledgement frees the reader's flash: nothing is left to export.
      const ack = await cli(["ledger", "ack", "--state", state, "--db", db, "--json"]);
      assert.equal(ack.code, 0, ack.err);
      const acked = JSON.parse(ack.out) as {
        ackedSeq: number;
        denyStatus: number;
        denyVouchedCertificates: number;
      };
      assert.equal(acked.ackedSeq, records);
      // The deny list vouches for the certificates clearing verified, within the slot.
      assert.equal(acked.denyStatus, 0);
      assert.ok(acked.denyVouchedCertificates > 0, ack.out);
      const again = await cli(["ledger", "export", "--state", state, "--out", batch]);
      assert.equal(again.code, 1);
      assert.match(again.err, /holds no unacknowledged record/);
    });
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test("a state folder that is not one is refused in one line", async () => {
  const root = mkdtempSync(join(tmpdir(), "offtap-road-bad-"));
  try {
    const file = join(root, "file");
    writeFileSync(file, "x");
    const r1 = await cli(["sim", "--state", file, "--taps", "1"]);
    assert.equal(r1.code, 2);
    assert.match(r1.err, /^offtap sim: .* is a file, not a state folder/);
    const other = join(root, "other");
    mkdirSync(other);
    writeFileSync(join(other, "notes.txt"), "x");
    assert.equal((await cli(["tap", "--state", other])).code, 2);
    const r2 = await cli(["ledger", "export", "--state", join(root, "none")]);
    assert.equal(r2.code, 2);
    assert.match(r2.err, /no reader state at .*none \(create one with 'offtap sim --state/);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test("databases are opened on purpose: a missing, file or foreign --db is an error", async () => {
  const root = mkdtempSync(join(tmpdir(), "offtap-road-db-"));
  try {
    await withoutServer(async () => {
      const typo = join(root, "typo");
      const h = await cli(["history", "export", "--csv", "--db", typo]);
      assert.equal(h.code, 2);
      assert.equal(h.out, "", "no CSV header for a database that does not exist");
      assert.match(h.err, new RegExp(`^offtap history export: no clearing database at ${typo} ` +
        `\\(create one with 'offtap clear init --db ${typo}' or pass --create\\)`));
      assert.equal(existsSync(typo), false, "nothing created");
      for (const argv of [["clear", "balances"], ["cashout", "list"], ["tokens", "issue",
        "--operator"], ["demo"], ["serve", "--port", "0"], ["clear", "doctor"]]) {
        const r = await cli([...argv, "--db", typo]);
        assert.equal(r.code, 2, `${argv.join(" ")}: ${r.err}`);
        assert.match(r.err, /no clearing database at /, argv.join(" "));
      }
      assert.equal(existsSync(typo), false, "nothing created");
      const file = join(root, "README.md");
      writeFileSync(file, "# not a database\n");
      const f = await cli(["clear", "balances", "--db", file]);
      assert.equal(f.code, 2);
      assert.match(f.err, /is a file, not a clearing database directory/);
      const foreign = join(root, "photos");
      mkdirSync(foreign);
      writeFileSync(join(foreign, "a.jpg"), "x");
      const g = await cli(["clear", "balances", "--db", foreign, "--create"]);
      assert.equal(g.code, 2);
      assert.match(g.err, /is not a clearing database \(no PG_VERSION/);
      const damaged = join(root, "damaged");
      mkdirSync(damaged);
      writeFileSync(join(damaged, "PG_VERSION"), "16\n");
      const d = await cli(["clear", "balances", "--db", damaged]);
      assert.equal(d.code, 2);
      assert.match(d.err, /could not be opened as a clearing database: .*restore it from a backup/);
      assert.equal(d.err.split("\n").filter((l) => /^\s+at /.test(l)).length, 0, "no stack");

      // Created on purpose: --create (here), or `clear init` (the first test).
      const db = join(root, "db");
      const csv = join(root, "h.csv");
      const ok = await cli(["history", "export", "--csv", "--db", db, "--create", "--out", csv]);
      assert.equal(ok.code, 0, ok.err);
      assert.match(readFileSync(csv, "utf8"), /^type,id,time,/);
      const init = await cli(["clear", "init", "--db", db]);
      assert.equal(init.code, 0, init.err);
      assert.match(init.out, /already a clearing database; nothing to do/);
    });
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test("a kiosk tap charges the amount asked and has no gate", async () => {
  const r = await cli(["tap", "--board", "esp32s3-kiosk-pn532", "--amount", "12.34"]);
  assert.equal(r.code, 0, r.err);
  assert.doesNotMatch(r.out, /fare 0/);
  assert.doesNotMatch(r.out, /gate/i);
  assert.match(r.out, /kiosk mode, amount asked 12\.34 EUR/);
  const j = await cli(["tap", "--board", "esp32s3-kiosk-pn532", "--json"]);
  const t = JSON.parse(j.out) as { description: string; signals: { kind: unknown }[] };
  assert.doesNotMatch(t.description, /gate/);
  assert.ok(t.signals.length > 0 && t.signals.every((s) => s.kind !== "gate"),
    JSON.stringify(t.signals));
  const gate = await cli(["tap", "--amount", "1.00"]);
  assert.equal(gate.code, 2, "a gate charges its fare");
});

test("ledger inspect shows a run of alike sectors as one row", async () => {
  const root = mkdtempSync(join(tmpdir(), "offtap-road-inspect-"));
  try {
    const state = join(root, "k");
    assert.equal((await cli(["tap", "--state", state])).code, 0);
    const image = join(state, "ledger.bin");
    const r = await cli(["ledger", "inspect", image]);
    assert.equal(r.code, 0, r.err);
    const free = r.out.split("\n").filter((l) => /\bfree\b/.test(l));
    assert.equal(free.length, 1, r.out);
    assert.match(free[0]!, /^1–63\s+free/);
    const all = await cli(["ledger", "inspect", image, "--all"]);
    assert.equal(all.out.split("\n").filter((l) => /\bfree\b/.test(l)).length, 63);
    assert.equal(readFileSync(image).length, 64 * 4096);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
