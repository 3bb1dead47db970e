// `offtap cashout …` as an operator runs it: the whole flow through the CLI on a PGlite
// data directory, JSON shapes, files written, exit codes 0/1/2.
// (The CLI honours DATABASE_URL like `offtap clear`; it is unset here so the test owns its
// database. The flow itself runs against the server in cashout.test.ts.)
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { command } from "../../host/cli/commands/cashout.ts";
import { UsageError } from "../../host/cli/command.ts";
import { Clearing, accountIds } from "../../host/clearing/index.ts";
import { base32Decode, totp } from "../../host/cashout/totp.ts";
import { summarizePain001 } from "../../host/cashout/pain001.ts";
import { parseCsv } from "../../host/cashout/csv.ts";

async function run(argv: string[]): Promise<{ code: number; out: string }> {
  const lines: string[] = [];
  const log = console.log,
    error = console.error;
  console.log = (...a: unknown[]) => {
    lines.push(a.map(String).join(" "));
  };
  console.error = () => {};
  try {
    return { code: await command.run(argv), out: lines.join("\n") };
  } finally {
    console.log = log;
    console.error = error;
  }
}

test("cashout CLI: owner → KYC → account → TOTP → quote → request → confirm → export → paid", async () => {
  const saved = process.env["DATABASE_URL"];
  delete process.env["DATABASE_URL"];
  try {
    const dir = mkdtempSync(path.join(tmpdir(), "offtap-cashout-cli-"));
    const db = ["--db", path.join(dir, "db"), "--json", "--create"];
    // Settled value for operator "acme", as clearing would have booked it.
    const c = await Clearing.open({ dataDir: path.join(dir, "db") });
    const acct = accountIds.operator("acme", 978);
    await c.createAccount({
      id: acct,
      code: "operator_settlement",
      currency: 978,
      flags: { debitsMustNotExceedCredits: true },
    });
    assert.ok((await c.fundIssuer("cli-fund", 1, 978, 50_000)).ok);
    assert.ok(
      (
        await c.createTransfer({
          id: "cli-pay",
          debitAccount: accountIds.issuerFloat(1, 978),
          creditAccount: acct,
          amount: 50_000,
          code: "payment",
        })
      ).ok,
    );
    await c.close();

    assert.equal(
      (
        await run([
          "owner",
          "add",
          "--id",
          "acme",
          "--kind",
          "operator",
          "--subject",
          "acme",
          "--name",
          "ACME Transit GmbH",
          ...db,
        ])
      ).code,
      0,
    );
    const self = await run([
      "kyc",
      "set",
      "--owner",
      "acme",
      "--state",
      "verified",
      "--actor",
      "owner:acme",
      ...db,
    ]);
    assert.equal(self.code, 1);
    assert.equal((JSON.parse(self.out) as { error: string }).error, "KYC_SELF_VERIFICATION");
    assert.equal(
      (
        await run([
          "kyc",
          "set",
          "--owner",
          "acme",
          "--state",
          "verified",
          "--actor",
          "kyc:alice",
          ...db,
        ])
      ).code,
      0,
    );
    const added = JSON.parse(
      (
        await run([
          "account",
          "add",
          "--owner",
          "acme",
          "--iban",
          "DE89 3704 0044 0532 0130 00",
          "--bic",
          "COBADEFFXXX",
          "--holder",
          "ACME Transit GmbH",
          ...db,
        ])
      ).out,
    ) as { account: { id: string }; confirmationCode: string };
    assert.equal(
      (
        await run([
          "account",
          "verify",
          "--account",
          added.account.id,
          "--code",
          added.confirmationCode,
          ...db,
        ])
      ).code,
      0,
    );
    const enrolled = JSON.parse((await run(["totp", "enroll", "--owner", "acme", ...db])).out) as {
      uri: string;
      secret: string;
    };
    assert.match(
      enrolled.uri,
      /^otpauth:\/\/totp\/offtap:acme\?secret=[A-Z2-7]+&issuer=offtap&algorithm=SHA1&digits=6&period=30$/,
    );
    const secret = base32Decode(enrolled.secret);
    // Activate with the previous step's code (inside the ±1 window) so the current step stays free for confirm.
    const prevCode = totp(secret, Math.floor(Date.now() / 1000) - 30);
    assert.equal(
      (await run(["totp", "activate", "--owner", "acme", "--code", prevCode, ...db])).code,
      0,
    );

    const q = await run(["quote", "--owner", "acme", "--amount", "100.00", ...db]);
    assert.equal(q.code, 0);
    const quote = JSON.parse(q.out) as {
      id: string;
      grossMinor: number;
      fee: { feeMinor: number };
      netMinor: number;
      payable: boolean;
    };
    assert.equal(quote.grossMinor, 10_000);
    assert.equal(quote.fee.feeMinor + quote.netMinor, 10_000);
    assert.equal(quote.payable, true);
    const tooMuch = await run(["quote", "--owner", "acme", "--amount", "600.00", ...db]);
    assert.equal(tooMuch.code, 1, "a quote that cannot be paid exits 1");
    // Text quotes: amounts as people read them, and the fee clamp named the right way round
    // (EUR schedule: 1.50 % + 0.25, at least 0.50, at most 25.00). --currency takes 978 too.
    const text = db.filter((a) => a !== "--json");
    const quoteText = (amount: string, c: string): ReturnType<typeof run> =>
      run(["quote", "--owner", "acme", "--amount", amount, "--currency", c, ...text]);
    const small = await quoteText("10", "978");
    assert.equal(small.code, 0, small.out);
    assert.match(small.out, /gross +10\.00 EUR/);
    assert.match(
      small.out,
      /fee +0\.50 EUR: 0\.15 EUR \(1\.50 %\) \+ 0\.25 EUR fixed \(raised to the minimum fee\)/,
    );
    const big = await quoteText("2000", "eur");
    assert.equal(big.code, 1, "above the balance: not payable");
    assert.match(big.out, /gross +2,000\.00 EUR/);
    assert.match(
      big.out,
      /fee +25\.00 EUR: 30\.00 EUR \(1\.50 %\) \+ 0\.25 EUR fixed \(lowered to the maximum fee\)/,
    );
    assert.match(big.out, /available +500\.00 EUR/);
    assert.match(big.out, /valid until \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ/);
    await assert.rejects(
      quoteText("1", "EURO"),
      (e: unknown) =>
        e instanceof UsageError &&
        /--currency: unsupported currency 'EURO'.*EUR \(978\)/.test(e.message),
    );

    const r = await run([
      "request",
      "--owner",
      "acme",
      "--account",
      added.account.id,
      "--quote",
      quote.id,
      ...db,
    ]);
    assert.equal(r.code, 0);
    const co = JSON.parse(r.out) as { id: string; state: string };
    assert.equal(co.state, "requested");
    const wrong = await run([
      "confirm",
      "--cashout",
      co.id,
      "--code",
      "000000" === totp(secret, Math.floor(Date.now() / 1000)) ? "111111" : "000000",
      ...db,
    ]);
    assert.equal(wrong.code, 1);
    const ok = await run([
      "confirm",
      "--cashout",
      co.id,
      "--code",
      totp(secret, Math.floor(Date.now() / 1000)),
      ...db,
    ]);
    assert.equal(ok.code, 0, ok.out);
    assert.equal((JSON.parse(ok.out) as { state: string }).state, "confirmed");

    assert.equal(
      (
        await run([
          "debtor",
          "set",
          "--name",
          "Offtap Clearing AG",
          "--iban",
          "CH9300762011623852957",
          "--bic",
          "UBSWCHZH80A",
          ...db,
        ])
      ).code,
      0,
    );
    const out = path.join(dir, "payouts");
    // An execution date in the past is refused; tomorrow is not.
    await assert.rejects(
      run(["export", "--out", out, "--date", "2020-01-01", ...db]),
      /in the past/,
    );
    const tomorrow = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
    const ex = await run(["export", "--out", out, "--date", tomorrow, ...db]);
    assert.equal(ex.code, 0);
    const files = (JSON.parse(ex.out) as { files: { xml: string; csv: string }; nbOfTxs: number })
      .files;
    assert.ok(existsSync(files.xml) && existsSync(files.csv));
    const sum = summarizePain001(readFileSync(files.xml, "utf8"));
    assert.equal(sum.nbOfTxs, 1);
    assert.equal(sum.payments[0]!.amount, (quote.netMinor / 100).toFixed(2));
    assert.equal(parseCsv(readFileSync(files.csv, "utf8")).length, 2);
    assert.equal((await run(["paid", "--cashout", co.id, "--ref", "BANK-42", ...db])).code, 0);
    const shown = JSON.parse((await run(["show", co.id, ...db])).out) as {
      state: string;
      timeline: { state: string }[];
    };
    assert.equal(shown.state, "paid");
    assert.deepEqual(
      shown.timeline.map((t) => t.state),
      ["requested", "confirmed", "exported", "paid"],
    );
    const trail = JSON.parse((await run(["audit", "--owner", "acme", ...db])).out) as {
      action: string;
      decision: string;
    }[];
    assert.ok(trail.some((e) => e.action === "confirm" && e.decision === "refused"));
    assert.ok(trail.some((e) => e.action === "paid" && e.decision === "ok"));
    const fees = JSON.parse((await run(["fees", ...db])).out) as { currency: string }[];
    assert.ok(fees.some((f) => f.currency === "EUR"));
    // `fees set` takes the numeric code too and stores the alphabetic one; amounts in major
    // units, the percentage as exact basis points.
    const set = await run([
      "fees",
      "set",
      "--currency",
      "978",
      "--percent",
      "2.25",
      "--fixed",
      "0.30",
      "--min-fee",
      "0.50",
      "--max-fee",
      "1234.56",
      "--min",
      "10",
      "--max",
      "10000.00",
      "--daily",
      "20000",
      "--daily-count",
      "5",
      ...db,
    ]);
    assert.equal(set.code, 0, set.out);
    const eur = (
      JSON.parse((await run(["fees", ...db])).out) as {
        currency: string;
        percentBps: number;
        fixedMinor: number;
        feeMaxMinor: number;
      }[]
    ).find((f) => f.currency === "EUR")!;
    assert.deepEqual([eur.percentBps, eur.fixedMinor, eur.feeMaxMinor], [225, 30, 123_456]);
    const shownFees = await run(["fees", ...db.filter((a) => a !== "--json")]);
    assert.match(shownFees.out, /EUR +2\.25 % +0\.30 EUR +0\.50 EUR +1,234\.56 EUR/);
  } finally {
    if (saved !== undefined) process.env["DATABASE_URL"] = saved;
  }
});

test("cashout CLI: usage errors are UsageError (exit 2 through the dispatcher); --help exits 0", async () => {
  const saved = process.env["DATABASE_URL"];
  delete process.env["DATABASE_URL"];
  try {
    const db = [
      "--db",
      path.join(mkdtempSync(path.join(tmpdir(), "offtap-cashout-cli-")), "db"),
      "--create",
    ];
    for (const sub of [
      "quote",
      "request",
      "confirm",
      "export",
      "owner",
      "account",
      "totp",
      "fees",
      "kyc",
      "audit",
    ]) {
      const h = await run([sub, "--help"]);
      assert.equal(h.code, 0, sub);
      assert.match(h.out, /usage: offtap cashout/, sub);
    }
    await assert.rejects(command.run(["frobnicate", ...db]), UsageError);
    await assert.rejects(
      command.run(["quote", "--owner", "x", ...db]),
      UsageError,
      "missing --amount",
    );
    await assert.rejects(
      command.run(["quote", "--owner", "nobody", "--amount", "1.001", ...db]),
      UsageError,
      "too many decimals",
    );
    await assert.rejects(
      command.run(["quote", "--owner", "nobody", "--amount", "10.00", ...db]),
      UsageError,
      "unknown owner",
    );
    await assert.rejects(
      command.run([
        "request",
        "--owner",
        "x",
        "--account",
        "y",
        "--quote",
        "q",
        "--amount",
        "1",
        ...db,
      ]),
      UsageError,
    );
    await assert.rejects(
      command.run([
        "owner",
        "add",
        "--id",
        "x",
        "--kind",
        "alien",
        "--subject",
        "s",
        "--name",
        "n",
        ...db,
      ]),
      UsageError,
    );
  } finally {
    if (saved !== undefined) process.env["DATABASE_URL"] = saved;
  }
});
