// References between clearing's tables (docs/CLEARING.md §2, "References"): checked once per
// statement by the database itself, on both engines — a row naming a missing account,
// certificate or reader is refused with the whole statement, and the rows others refer to
// can never be deleted, truncated or re-keyed.
import assert from "node:assert/strict";
import type { Clearing } from "../../host/clearing/index.ts";
import { assertBalanced, testBoth } from "./clearing-support.ts";

const FOREIGN_KEY_VIOLATION = "23503";
const RESTRICT_VIOLATION = "23001";

async function refused(c: Clearing, sql: string, code: string, message: RegExp): Promise<void> {
  await assert.rejects(c.db.query(sql), (e: { code?: string; message?: string }) => {
    assert.equal(e.code, code, `${sql}: ${e.message}`);
    assert.match(e.message ?? "", message);
    return true;
  });
}

const count = async (c: Clearing, table: string): Promise<number> =>
  Number((await c.db.query<{ n: string }>(`SELECT count(*)::text AS n FROM ${table}`))[0]!.n);

testBoth("a transfer naming a missing account is refused with its whole statement", async (c) => {
  await c.createAccount({ id: "bank:978", code: "bank", currency: 978 });
  await c.createAccount({ id: "op:978", code: "operator_settlement", currency: 978 });
  const before = await count(c, "transfers");
  await refused(
    c,
    `INSERT INTO transfers (id, debit_account, credit_account, amount, code, kind)
     VALUES ('ok-1', 'bank:978', 'op:978', 5, 'test', 'single'),
            ('bad-1', 'bank:978', 'nobody:978', 5, 'test', 'single')`,
    FOREIGN_KEY_VIOLATION,
    /transfer bad-1 names an account that does not exist/,
  );
  await refused(
    c,
    `INSERT INTO transfers (id, debit_account, credit_account, amount, code, kind)
     VALUES ('bad-2', 'ghost', 'op:978', 5, 'test', 'single')`,
    FOREIGN_KEY_VIOLATION,
    /transfer bad-2/,
  );
  assert.equal(await count(c, "transfers"), before, "nothing of either statement was stored");
  const ok = await c.createTransfer({
    id: "fund", debitAccount: "bank:978", creditAccount: "op:978", amount: 100, code: "test",
  });
  assert.ok(ok.ok, "transfers between existing accounts still go through");
  await assertBalanced(c);
});

testBoth("payments and links naming a missing certificate or reader are refused", async (c) => {
  await refused(
    c,
    `INSERT INTO payments (wallet_id, counter, reader_id, seq, auth_sha, amount, time,
       cert_hash, issuer_key_id, currency, operator_id, status)
     VALUES ('w', 1, 'r', 1, 'a', 5, 0, '00112233445566778899aabbccddeeff', 1, 978, 'o',
       'settled')`,
    FOREIGN_KEY_VIOLATION,
    /certificate 00112233445566778899aabbccddeeff, which does not exist/,
  );
  await refused(
    c,
    `INSERT INTO reader_links (reader_id, seq, link) VALUES ('${"ab".repeat(16)}', 1, 'x')`,
    FOREIGN_KEY_VIOLATION,
    new RegExp(`reader ${"ab".repeat(16)}, which does not exist`),
  );
  assert.equal(await count(c, "payments"), 0);
  assert.equal(await count(c, "reader_links"), 0);
});

testBoth("accounts, certificates and readers are permanent: no delete or new key", async (c) => {
  await c.createAccount({ id: "bank:978", code: "bank", currency: 978, name: "Bank" });
  const permanent = /rows are permanent/;
  await refused(c, "DELETE FROM accounts WHERE id = 'bank:978'", RESTRICT_VIOLATION, permanent);
  await refused(c, "DELETE FROM accounts WHERE false", RESTRICT_VIOLATION, /delete is refused/);
  await refused(c, "TRUNCATE accounts", RESTRICT_VIOLATION, /truncate is refused/);
  await refused(
    c,
    "UPDATE accounts SET id = 'bank:999' WHERE id = 'bank:978'",
    RESTRICT_VIOLATION,
    /accounts rows are permanent: update of the key is refused/,
  );
  await refused(c, "DELETE FROM certificates", RESTRICT_VIOLATION, /certificates rows/);
  await refused(c, "TRUNCATE readers", RESTRICT_VIOLATION, /readers rows/);
  await refused(c, "UPDATE readers SET reader_id = 'x'", RESTRICT_VIOLATION, /readers rows/);
  await c.db.query("UPDATE accounts SET name = 'Settlement bank' WHERE id = 'bank:978'");
  assert.equal((await c.account("bank:978"))?.id, "bank:978", "the account is still there");
  assert.equal(await count(c, "accounts"), 1);
});
