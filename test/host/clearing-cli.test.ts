// `offtap clear …` and `offtap history export` as a user runs them: exit codes, JSON, CSV files.
import { test } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import pg from "pg";
import { command as clear } from "../../host/cli/commands/clear.ts";
import { command as history } from "../../host/cli/commands/history.ts";
import type { Command } from "../../host/cli/command.ts";
import { SimNetwork } from "../../host/clearing/simulate.ts";
import { SERVER_URL } from "./clearing-support.ts";

async function run(cmd: Command, argv: string[]): Promise<{ code: number; out: string }> {
  const lines: string[] = [];
  const log = console.log;
  console.log = (...a: unknown[]) => {
    lines.push(a.map(String).join(" "));
  };
  try {
    return { code: await cmd.run(argv), out: lines.join("\n") };
  } finally {
    console.log = log;
  }
}

async function scenario(dbFlag: string[]): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), "offtap-clear-"));
  const net = new SimNetwork({ seed: "cli", readers: 2 });
  const w = net.world.createWallet();
  net.tap(0, w);
  net.idle(2_000);
  w.once("reuse-counter");
  net.tap(1, w);
  const files = [0, 1].map((i) => {
    const f = path.join(dir, `reader-${i}.otb`);
    writeFileSync(f, net.exportBatches(i));
    return f;
  });
  for (const i of [...net.world.issuers, net.world.revokedIssuer]) {
    assert.equal(
      (
        await run(clear, [
          "issuer",
          "add",
          "--issuer",
          String(i.keyId),
          "--key",
          Buffer.from(i.publicKey).toString("hex"),
          ...dbFlag,
        ])
      ).code,
      0,
    );
  }
  for (const i of [0, 1]) {
    const s = net.readerSpec(i);
    const r = await run(clear, [
      "reader",
      "add",
      "--reader",
      Buffer.from(s.readerId as Uint8Array).toString("hex"),
      "--key",
      Buffer.from(s.devicePublicKey as Uint8Array).toString("hex"),
      "--operator",
      "metro",
      ...dbFlag,
    ]);
    assert.equal(r.code, 0, r.out);
  }
  const first = await run(clear, ["ingest", files[0]!, "--json", ...dbFlag]);
  assert.equal(first.code, 0);
  const firstJson = JSON.parse(first.out) as {
    settled: number;
    settledAmount: number;
    currency: string;
  };
  assert.equal(firstJson.settled, 1);
  assert.deepEqual([firstJson.settledAmount, firstJson.currency], [250, "EUR"]);
  const second = await run(clear, ["ingest", files[1]!, "--json", ...dbFlag]);
  assert.equal(second.code, 1, "a caught double spend is a problem found");
  assert.equal((JSON.parse(second.out) as { doubleSpends: unknown[] }).doubleSpends.length, 1);
  const again = await run(clear, ["ingest", files[0]!, ...dbFlag]);
  assert.match(again.out, /: 0 settled \(0\.00 EUR\), 0 duplicate/);
  const limit = await run(clear, [
    "risk",
    "limit",
    "--operator",
    "metro",
    "--amount",
    "50.00",
    "--json",
    ...dbFlag,
  ]);
  assert.deepEqual(JSON.parse(limit.out), {
    operatorId: "metro",
    riskLimit: 5000,
    currency: "EUR",
  });
  const bal = await run(clear, ["balances", "--json", ...dbFlag]);
  assert.equal(bal.code, 0);
  const j = JSON.parse(bal.out) as {
    balancesSumToZero: boolean;
    accounts: { id: string; balance: number }[];
  };
  assert.equal(j.balancesSumToZero, true);
  // The double-spent copy is issuer risk: held for the operator, not yet in its settlement.
  assert.equal(j.accounts.find((a) => a.id === "operator:metro:978")?.balance, 250);
  assert.equal(j.accounts.find((a) => a.id === "riskhold:metro:978")?.balance, 250);
  // JSON: minor units and the currency's ISO 4217 alphabetic code, never a bare 978.
  assert.ok(j.accounts.every((a) => (a as { currency?: unknown }).currency === "EUR"));
  // People see amounts with decimals, grouping and the code, not `250` and `978`.
  const text = await run(clear, ["balances", ...dbFlag]);
  const metro = text.out.split("\n").find((l) => l.startsWith("operator:metro:978"));
  assert.match(metro ?? "", /\s2\.50 EUR\s+0\.00 EUR\s+2\.50 EUR$/);
  assert.doesNotMatch(text.out, /\s250\s/);
  const out = path.join(dir, "history.csv");
  assert.equal((await run(history, ["export", "--csv", "--out", out, ...dbFlag])).code, 0);
  const csv = readFileSync(out, "utf8");
  assert.ok(
    csv.startsWith(
      "type,id,time,tap_time,debit_account,credit_account,amount,currency," + "amount_minor,",
    ),
  );
  assert.equal(csv.split("\r\n").filter((l) => l.startsWith("transfer,")).length, 2);
  const pay = csv
    .split("\r\n")
    .find((l) => l.startsWith("payment,"))!
    .split(",");
  const iso = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/;
  assert.match(pay[2]!, iso, "settle time in ISO 8601");
  assert.match(pay[3]!, iso, "tap time in ISO 8601");
  assert.deepEqual(pay.slice(6, 9), ["2.50", "EUR", "250"]);
  await assert.rejects(
    run(clear, ["ingest", path.join(dir, "missing.otb"), ...dbFlag]),
    /cannot read/,
  );
  assert.equal((await run(clear, ["--help"])).code, 0);
  assert.equal((await run(history, ["--help"])).code, 0);
}

test("clear and history on an embedded database (--db DIR)", async () => {
  const saved = process.env["DATABASE_URL"];
  delete process.env["DATABASE_URL"];
  try {
    await scenario(["--db", mkdtempSync(path.join(tmpdir(), "offtap-clear-db-")), "--create"]);
  } finally {
    if (saved !== undefined) process.env["DATABASE_URL"] = saved;
  }
});

test(
  "clear and history on a PostgreSQL server (DATABASE_URL)",
  {
    skip: SERVER_URL
      ? false
      : "no PostgreSQL server given (DATABASE_URL unset); `make test` starts one",
  },
  async () => {
    const name = `offtap_cli_${randomBytes(6).toString("hex")}`;
    const admin = new pg.Client({ connectionString: SERVER_URL });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name}`);
    const u = new URL(SERVER_URL!);
    u.pathname = `/${name}`;
    process.env["DATABASE_URL"] = u.toString();
    try {
      await scenario([]);
    } finally {
      process.env["DATABASE_URL"] = SERVER_URL;
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.end();
    }
  },
);
