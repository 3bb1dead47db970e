// `offtap demo --json`, run as a user runs it (a subprocess): its JSON contract, and that
// its numbers agree with each other and with what the demo says it did.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { existsSync, readFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { firmwareHasReader } from "../../host/sim/index.ts";

const skip = firmwareHasReader()
  ? false
  : "build/offtap.wasm has no reader exports (run make build)";

describe("offtap demo --json", { skip }, () => {
  it("prints the contract and exits 0 when everything checks out", () => {
    const out = mkdtempSync(join(tmpdir(), "offtap-demo-test-"));
    try {
      // The demo always runs on embedded PGlite, whatever DATABASE_URL says.
      const r = spawnSync(
        process.execPath,
        ["bin/offtap.mjs", "demo", "--json", "--seed", "3", "--out", out],
        {
          encoding: "utf8",
          timeout: 180_000,
          env: { ...process.env, NO_COLOR: "1" },
        },
      );
      assert.equal(r.status, 0, `exit ${String(r.status)}\n${r.stderr}`);
      const j = JSON.parse(r.stdout.trim());
      for (const k of ["accepted", "settled", "doubleSpendsCaught", "cashouts"])
        assert.ok(Number.isInteger(j[k]), `${k} is a whole number`);
      assert.equal(j.balancesSumToZero, true);
      assert.equal(j.ok, true);
      assert.ok(j.accepted > 0);
      assert.ok(j.doubleSpendsCaught >= 1);
      assert.equal(j.cashouts, 1);
      // Every accepted tap is either settled or the caught second use of a counter.
      assert.equal(
        j.settled +
          j.doubleSpends.filter((d: { kind: string }) => d.kind === "counter_reuse").length,
        j.accepted,
      );
      const sum = j.balances.reduce((s: number, a: { balance: number }) => s + a.balance, 0);
      assert.equal(sum, 0, "the listed balances really sum to zero");
      assert.equal(j.gate.ok, true, "the first act (the gate scenario) still runs");
      assert.equal(j.cashout.state, "exported");
      assert.deepEqual(j.cashout.timeline, ["requested", "confirmed", "exported"]);
      assert.equal(j.cashout.net + j.cashout.fee, j.cashout.gross);
      const xml = readFileSync(j.cashout.files.pain001, "utf8");
      assert.match(xml, /urn:iso:std:iso:20022:tech:xsd:pain\.001/);
      const amount = `${Math.floor(j.cashout.net / 100)}.${String(j.cashout.net % 100).padStart(2, "0")}`;
      assert.ok(
        xml.includes(`<InstdAmt Ccy="EUR">${amount}</InstdAmt>`),
        "the payout is the net amount",
      );
      assert.ok(existsSync(j.cashout.files.csv));
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });

  it("answers --help and rejects unknown flags with exit 2", () => {
    const help = spawnSync(process.execPath, ["bin/offtap.mjs", "demo", "--help"], {
      encoding: "utf8",
    });
    assert.equal(help.status, 0);
    assert.match(help.stdout, /--json/);
    const bad = spawnSync(process.execPath, ["bin/offtap.mjs", "demo", "--frobnicate"], {
      encoding: "utf8",
    });
    assert.equal(bad.status, 2);
  });
});

describe("offtap serve", { skip }, () => {
  it("prints no token; a token from `offtap tokens issue` opens the API; stops on SIGTERM", async () => {
    const dir = mkdtempSync(join(tmpdir(), "offtap-serve-test-"));
    // PGlite in a fresh directory, whatever DATABASE_URL says.
    const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: "1" };
    delete env["DATABASE_URL"];
    const db = join(dir, "db");
    const args = ["bin/offtap.mjs", "serve", "--port", "0", "--db", db, "--create"];
    const child = spawn(process.execPath, args, { env, stdio: ["ignore", "pipe", "pipe"] });
    try {
      let out = "";
      child.stdout.setEncoding("utf8");
      // The last line serve prints once it listens.
      const ready = new Promise<string>((resolve, reject) => {
        child.stdout.on("data", (d: string) => {
          out += d;
          if (/Ctrl-C stops/.test(out)) resolve(out);
        });
        child.once("exit", (code) => {
          reject(new Error(`serve exited early with ${String(code)}: ${out}`));
        });
      });
      const text = await ready;
      assert.doesNotMatch(text, /otk\d\.|Bearer [A-Za-z0-9_-]{20,}/, "serve printed a token");
      const url = /(http:\/\/127\.0\.0\.1:\d+)/.exec(text)![1]!;
      const issue = spawnSync(
        process.execPath,
        ["bin/offtap.mjs", "tokens", "issue", "--operator", "--db", db, "--json"],
        { env, encoding: "utf8" },
      );
      assert.equal(issue.status, 0, issue.stderr);
      const token = (JSON.parse(issue.stdout) as { token: string }).token;
      const ok = await fetch(`${url}/api/balances`, {
        headers: { authorization: `Bearer ${token}` },
      });
      assert.equal(ok.status, 200);
      const body = (await ok.json()) as { balancesSumToZero: boolean };
      assert.equal(body.balancesSumToZero, true);
      assert.equal((await fetch(`${url}/api/balances`)).status, 401);
      const exited = new Promise<number | null>((resolve) =>
        child.once("exit", (code) => resolve(code)),
      );
      child.kill("SIGTERM");
      assert.equal(await exited, 0);
    } finally {
      if (child.exitCode === null) child.kill("SIGKILL");
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
