// Money, currencies and times as commands show them (README "Money, currencies and
// times"): `tap` prints amounts with their currency and reader times in ISO 8601, and
// `issuer certify` takes ISO 4217 alphabetic or numeric codes and a cap in major units.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { command as tap } from "../../host/cli/commands/tap.ts";
import { command as issuer } from "../../host/cli/commands/issuer.ts";
import { UsageError, type Command } from "../../host/cli/command.ts";
import { decodeCertificate, fromHex, toHex } from "../../host/protocol/index.ts";

async function run(cmd: Command, argv: string[]): Promise<{ code: number; out: string }> {
  const lines: string[] = [];
  const log = console.log, error = console.error;
  console.log = (...a: unknown[]) => { lines.push(a.map(String).join(" ")); };
  console.error = () => {};
  try {
    return { code: await cmd.run(argv), out: lines.join("\n") };
  } finally {
    console.log = log;
    console.error = error;
  }
}

const ISO_SECOND = /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ/;

test("tap: amounts with their currency, reader times in ISO 8601, not Unix seconds", async () => {
  const r = await run(tap, ["--seed", "1"]);
  assert.equal(r.code, 0, r.out);
  assert.match(r.out, /fare 2\.50 EUR/);
  const iso = ISO_SECOND.source;
  assert.match(r.out, new RegExp(`PAY amount 2\\.50 EUR reader [0-9a-f]+ time ${iso}`));
  assert.match(r.out, new RegExp(`cap 50\\.00 EUR valid ${iso}…${iso}`));
  assert.match(r.out, new RegExp(`receipt +seq 1, counter 1, 2\\.50 EUR at ${iso}`));
  assert.doesNotMatch(r.out, /time \d{9,10}\b|cur 978/);
  const j = JSON.parse((await run(tap, ["--seed", "1", "--json"])).out) as {
    receipt: { amount: number; currency: string; readerTime: number; readerTimeIso: string };
  };
  assert.equal(j.receipt.amount, 250);
  assert.equal(j.receipt.currency, "EUR");
  assert.equal(j.receipt.readerTimeIso, new Date(j.receipt.readerTime * 1000).toISOString()
    .replace(".000Z", "Z"));
});

test("issuer certify: --currency EUR, eur and 978 are one currency; --cap in major units",
  async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "offtap-money-cli-"));
    try {
      const key = path.join(dir, "issuer.json");
      assert.equal((await run(issuer, ["keygen", "--out", key, "--json"])).code, 0);
      const wallet = toHex(new Uint8Array(32).fill(9));
      const certify = (extra: string[]): Promise<{ code: number; out: string }> =>
        run(issuer, ["certify", "--issuer", key, "--wallet-key", wallet,
          "--wallet-id", "11".repeat(16), "--valid-from", "2026-01-01",
          "--valid-until", "2027-01-01", ...extra]);
      for (const code of ["EUR", "eur", "978"]) {
        const r = await certify(["--cap", "1234.56", "--currency", code, "--json"]);
        assert.equal(r.code, 0, code);
        const j = JSON.parse(r.out) as {
          certificate: string; currency: string; offlineCap: number;
        };
        assert.equal(j.currency, "EUR");
        assert.equal(j.offlineCap, 123_456);
        const c = decodeCertificate(fromHex(j.certificate));
        assert.equal(c.currency, 978);
        assert.equal(c.offlineCap, 123_456);
      }
      const yen = JSON.parse((await certify(["--cap", "5000", "--currency", "JPY", "--json"]))
        .out);
      assert.equal((yen as { offlineCap: number }).offlineCap, 5000);
      const text = await certify(["--cap", "1234.56"]);
      assert.match(text.out, /offline cap +1,234\.56 EUR/);
      assert.match(text.out, /valid from +2026-01-01T00:00:00Z/);
      await assert.rejects(certify(["--cap", "1", "--currency", "XYZ"]), (e: unknown) =>
        e instanceof UsageError && /--currency: unsupported currency 'XYZ'/.test(e.message));
      await assert.rejects(certify(["--cap", "12.345"]), (e: unknown) =>
        e instanceof UsageError && /--cap: '12.345' has 3 decimals; EUR has 2/.test(e.message));
      await assert.rejects(certify(["--cap", "1,5"]), /--cap: '1,5' contains a comma/);
      await assert.rejects(certify(["--cap", "42949672.96"]), /--cap: .* exceeds the largest/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
