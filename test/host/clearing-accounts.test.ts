// Double-entry accounts against both databases: idempotent ids, pending transfers posted or
// voided once, no flagged account below zero under many concurrent requests, sums of zero.
import assert from "node:assert/strict";
import type { Clearing } from "../../host/clearing/index.ts";
import { assertBalanced, testBoth } from "./clearing-support.ts";

async function accounts(c: Clearing): Promise<void> {
  await c.createAccount({ id: "bank:978", code: "bank", currency: 978 });
  await c.createAccount({ id: "op:978", code: "operator_settlement", currency: 978, flags: { debitsMustNotExceedCredits: true } });
  await c.createAccount({ id: "payouts:978", code: "payouts_in_transit", currency: 978 });
  await c.createAccount({ id: "usd", code: "bank", currency: 840 });
}

testBoth("transfer ids make retries idempotent; a different content under one id is an error", async (c) => {
  await accounts(c);
  const t = { id: "fund-1", debitAccount: "bank:978", creditAccount: "op:978", amount: 1_000, code: "test" };
  const a = await c.createTransfer(t);
  assert.ok(a.ok && a.created);
  const b = await c.createTransfer(t);
  assert.ok(b.ok && !b.created, "same id, same content: no-op");
  const d = await c.createTransfer({ ...t, amount: 999 });
  assert.ok(!d.ok && d.error === "EXISTS_WITH_DIFFERENT_CONTENT");
  assert.equal((await c.account("op:978"))?.balance, 1_000);
  const cur = await c.createTransfer({ id: "x", debitAccount: "usd", creditAccount: "op:978", amount: 1, code: "test" });
  assert.ok(!cur.ok && cur.error === "CURRENCY_MISMATCH");
  const none = await c.createTransfer({ id: "y", debitAccount: "nope", creditAccount: "op:978", amount: 1, code: "test" });
  assert.ok(!none.ok && none.error === "ACCOUNT_NOT_FOUND");
  const zero = await c.createTransfer({ id: "z", debitAccount: "bank:978", creditAccount: "op:978", amount: 0, code: "test" });
  assert.ok(!zero.ok && zero.error === "AMOUNT_INVALID");
  await assertBalanced(c);
});

testBoth("a pending transfer is posted or voided, never both, and holds its amount meanwhile", async (c) => {
  await accounts(c);
  await c.createTransfer({ id: "fund", debitAccount: "bank:978", creditAccount: "op:978", amount: 1_000, code: "test" });
  const hold = await c.createTransfer({ id: "hold-1", debitAccount: "op:978", creditAccount: "payouts:978", amount: 700, code: "cashout_hold", kind: "pending" });
  assert.ok(hold.ok);
  assert.equal((await c.account("op:978"))?.available, 300);
  await assertBalanced(c);
  const over = await c.createTransfer({ id: "hold-2", debitAccount: "op:978", creditAccount: "payouts:978", amount: 301, code: "cashout_hold", kind: "pending" });
  assert.ok(!over.ok && over.error === "EXCEEDS_CREDITS", "held value cannot be spent again");
  const post = await c.postPending("post-1", "hold-1");
  assert.ok(post.ok);
  assert.equal(post.transfer.amount, 700);
  assert.ok((await c.postPending("post-1", "hold-1")).ok, "retrying the post is a no-op");
  const v = await c.voidPending("void-1", "hold-1");
  assert.ok(!v.ok && v.error === "PENDING_ALREADY_POSTED");
  const hold3 = await c.createTransfer({ id: "hold-3", debitAccount: "op:978", creditAccount: "payouts:978", amount: 200, code: "cashout_hold", kind: "pending" });
  assert.ok(hold3.ok);
  assert.ok((await c.voidPending("void-3", "hold-3")).ok);
  const p3 = await c.postPending("post-3", "hold-3");
  assert.ok(!p3.ok && p3.error === "PENDING_ALREADY_VOIDED");
  const op = await c.account("op:978");
  assert.equal(op?.balance, 300);
  assert.equal(op?.debitsPending, 0);
  await assertBalanced(c);
});

testBoth("no flagged account goes negative under many concurrent transfers", async (c) => {
  await accounts(c);
  await c.createTransfer({ id: "fund", debitAccount: "bank:978", creditAccount: "op:978", amount: 1_000, code: "test" });
  const n = 60;
  const results = await Promise.all(Array.from({ length: n }, (_, i) => c.createTransfer({
    id: `spend-${i}`, debitAccount: "op:978", creditAccount: "payouts:978", amount: 70, code: "test", kind: i % 2 === 0 ? "pending" : "single",
  })));
  const ok = results.filter((r) => r.ok).length;
  assert.equal(ok, Math.floor(1_000 / 70), "exactly as many as the balance allows");
  assert.ok(results.filter((r) => !r.ok).every((r) => !r.ok && r.error === "EXCEEDS_CREDITS"));
  // Concurrent post and void of every pending transfer: one of each pair wins.
  const pend = results.filter((r) => r.ok && r.transfer.kind === "pending").map((r) => (r.ok ? r.transfer.id : ""));
  const res = await Promise.all(pend.flatMap((id) => [c.postPending(`p-${id}`, id), c.voidPending(`v-${id}`, id)]));
  for (let i = 0; i < pend.length; i++) assert.equal([res[2 * i]!, res[2 * i + 1]!].filter((r) => r.ok).length, 1, `exactly one resolution of ${pend[i]}`);
  // Concurrent retries of one id: created once.
  const same = await Promise.all(Array.from({ length: 10 }, () => c.createTransfer({ id: "dup", debitAccount: "bank:978", creditAccount: "op:978", amount: 5, code: "test" })));
  assert.equal(same.filter((r) => r.ok && r.created).length, 1);
  assert.ok(same.every((r) => r.ok));
  const op = await c.account("op:978");
  assert.ok(op !== undefined && op.available >= 0 && op.balance >= 0);
  await assertBalanced(c);
});
