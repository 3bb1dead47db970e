// The cash-out rules against both databases (PGlite always; the PostgreSQL server when
// DATABASE_URL is set): gating, fees and limits, two-step confirmation with held
// transfers posted or voided (never both), payouts, reversals, the audit trail, and
// balances that never go negative under concurrent requests.
import assert from "node:assert/strict";
import { accountIds } from "../../host/clearing/index.ts";
import { transferIds } from "../../host/cashout/index.ts";
import { totp } from "../../host/cashout/totp.ts";
import { parseCsv } from "../../host/cashout/csv.ts";
import { testBoth, assertBalanced } from "./clearing-support.ts";
import { install, must, settle, EUR } from "./cashout-support.ts";

testBoth(
  "cash-out: quote → request holds → confirm posts → export → paid, with timeline and audit",
  async (c) => {
    const { svc, ownerId, accountId, clearingAccount, nextCode } = await install(c, {
      balance: 500_000,
    });
    const q = must(await svc.quote(ownerId, 100_000, "EUR", `owner:${ownerId}`));
    // Default EUR schedule: 1.50 % + 0.25, min 0.50, max 25.00 → 15.00 + 0.25.
    assert.equal(q.fee.feeMinor, 1525);
    assert.equal(q.netMinor, 98_475);
    assert.equal(q.availableMinor, 500_000);
    assert.equal(q.payable, true);
    assert.equal(q.display.net, "984.75 EUR");
    assert.ok(Date.parse(q.expiresAt) > Date.parse(q.createdAt));
    const co = must(
      await svc.request({ ownerId, bankAccountId: accountId, quoteId: q.id }, `owner:${ownerId}`),
    );
    assert.equal(co.state, "requested");
    let a = (await c.account(clearingAccount))!;
    assert.equal(a.balance, 500_000, "held, not yet posted");
    assert.equal(a.available, 400_000, "the held gross cannot be spent again");
    assert.equal((await c.transfer(transferIds.hold(co.id)))!.pendingState, "pending");
    assert.equal((await c.transfer(transferIds.fee(co.id)))!.pendingState, "pending");
    await assertBalanced(c);

    const done = must(await svc.confirm(co.id, nextCode(), `owner:${ownerId}`));
    assert.equal(done.state, "confirmed");
    a = (await c.account(clearingAccount))!;
    assert.equal(a.balance, 400_000);
    assert.equal(a.available, 400_000);
    assert.equal((await c.transfer(transferIds.hold(co.id)))!.pendingState, "posted");
    assert.equal((await c.account(accountIds.fees(EUR)))!.balance, 1525);
    assert.equal((await c.account(accountIds.payouts(EUR)))!.balance, 98_475);

    const file = must(await svc.export("operator:payouts", { executionDate: "2026-11-23" }));
    assert.equal(file.nbOfTxs, 1);
    assert.equal(file.ctrlSum, "984.75");
    assert.deepEqual(file.cashoutIds, [co.id]);
    assert.match(file.xml, /<InstdAmt Ccy="EUR">984\.75<\/InstdAmt>/);
    assert.match(file.xml, /<IBAN>DE89370400440532013000<\/IBAN>/);
    const csv = parseCsv(file.csv);
    assert.equal(csv.length, 2);
    assert.equal(csv[1]![csv[0]!.indexOf("net")], "984.75");
    assert.equal(csv[1]![csv[0]!.indexOf("fee")], "15.25");
    assert.equal((await svc.cashout(co.id))!.state, "exported");
    assert.equal((await svc.export("operator:payouts")).ok, false, "nothing left to export");
    assert.equal((await svc.payoutFile(file.msgId))!.xmlSha256, file.xmlSha256);

    const paid = must(await svc.markPaid(co.id, "bank:statement", "BANKREF-1"));
    assert.equal(paid.state, "paid");
    assert.equal(paid.bankRef, "BANKREF-1");
    assert.deepEqual(
      paid.timeline.map((t) => t.state),
      ["requested", "confirmed", "exported", "paid"],
    );
    assert.deepEqual(
      paid.timeline.map((t) => t.actor),
      [`owner:${ownerId}`, `owner:${ownerId}`, "operator:payouts", "bank:statement"],
    );
    assert.equal(
      (await c.account(accountIds.payouts(EUR)))!.balance,
      0,
      "in-transit cleared to the bank",
    );
    assert.equal((await svc.markPaid(co.id, "bank:statement", "again")).ok, false);
    await assertBalanced(c);

    const trail = await svc.auditTrail({ ownerId });
    const actions = trail.map((e) => `${e.action}:${e.decision}`).reverse();
    for (const want of [
      "owner.add:ok",
      "kyc.set:ok",
      "account.add:ok",
      "account.verify:ok",
      "totp.enroll:ok",
      "totp.activate:ok",
      "quote:ok",
      "request:ok",
      "confirm:ok",
      "paid:ok",
    ]) {
      assert.ok(actions.includes(want), `audit has ${want}: ${actions.join(" ")}`);
    }
    const quoteEntry = trail.find((e) => e.action === "quote")!;
    assert.equal(
      (quoteEntry.detail["fee"] as { feeMinor: number }).feeMinor,
      1525,
      "the fee decision is recorded",
    );
    assert.ok("limits" in quoteEntry.detail, "the limit decision is recorded");
    const kyc = (await svc.owner(ownerId))!.kyc;
    assert.equal(kyc.verifiedBy, "kyc:alice");
    assert.ok(kyc.verifiedAt !== null);
  },
);

testBoth(
  "cash-out: only a verified owner, to its own verified account, with an active second factor",
  async (c) => {
    const { svc, ownerId, accountId } = await install(c);
    // Unverified identity: quote says why, request refuses.
    must(await svc.setKyc(ownerId, "pending", "kyc:alice"));
    const q = must(await svc.quote(ownerId, 10_000, "EUR", `owner:${ownerId}`));
    assert.equal(q.payable, false);
    assert.ok(q.refusals.includes("OWNER_NOT_VERIFIED"));
    const r1 = await svc.request(
      { ownerId, bankAccountId: accountId, grossMinor: 10_000, currency: "EUR" },
      `owner:${ownerId}`,
    );
    assert.equal(r1.ok ? "" : r1.error, "OWNER_NOT_VERIFIED");
    // Self-verification is refused and recorded.
    const self = await svc.setKyc(ownerId, "verified", `owner:${ownerId}`);
    assert.equal(self.ok ? "" : self.error, "KYC_SELF_VERIFICATION");
    must(await svc.setKyc(ownerId, "verified", "kyc:bob"));
    // A holder name that is not the owner's is refused at once.
    const other = await svc.addBankAccount(
      ownerId,
      { iban: "NL91ABNA0417164300", bic: "ABNANL2A", holderName: "Mallory Ltd", currency: "EUR" },
      `owner:${ownerId}`,
    );
    assert.equal(other.ok ? "" : other.error, "NAME_MISMATCH");
    const badIban = await svc.addBankAccount(
      ownerId,
      {
        iban: "NL91ABNA0417164301",
        bic: "ABNANL2A",
        holderName: "ACME Transit GmbH",
        currency: "EUR",
      },
      `owner:${ownerId}`,
    );
    assert.equal(badIban.ok ? "" : badIban.error, "IBAN_INVALID");
    // An account not yet confirmed cannot be paid to; wrong codes disable it after 5.
    const fresh = must(
      await svc.addBankAccount(
        ownerId,
        {
          iban: "NL91ABNA0417164300",
          bic: "ABNANL2A",
          holderName: "Acme Transit GmbH",
          currency: "EUR",
        },
        `owner:${ownerId}`,
      ),
    );
    const r2 = await svc.request(
      { ownerId, bankAccountId: fresh.account.id, grossMinor: 10_000, currency: "EUR" },
      `owner:${ownerId}`,
    );
    assert.equal(r2.ok ? "" : r2.error, "ACCOUNT_NOT_VERIFIED");
    const wrong = fresh.confirmationCode === "00000000" ? "11111111" : "00000000";
    for (let i = 1; i <= 4; i++)
      assert.equal(
        (await svc.verifyBankAccount(fresh.account.id, wrong, "owner:x")).ok ? "" : "CODE_INVALID",
        "CODE_INVALID",
      );
    const fifth = await svc.verifyBankAccount(fresh.account.id, wrong, "owner:x");
    assert.equal(fifth.ok ? "" : fifth.error, "TOO_MANY_ATTEMPTS");
    const late = await svc.verifyBankAccount(fresh.account.id, fresh.confirmationCode, "owner:x");
    assert.equal(late.ok ? "" : late.error, "ACCOUNT_DISABLED", "the right code no longer helps");
    // Another owner's account cannot be used.
    await settle(c, "other", 100_000);
    must(
      await svc.addOwner(
        { id: "own-other", kind: "merchant", subject: "other", legalName: "Other Kiosk" },
        "operator:admin",
      ),
    );
    const r3 = await svc.request(
      { ownerId: "own-other", bankAccountId: accountId, grossMinor: 10_000, currency: "EUR" },
      "owner:own-other",
    );
    assert.equal(r3.ok ? "" : r3.error, "NOT_FOUND");
    // No active second factor: refused before any money is held.
    must(await svc.enrollTotp(ownerId, `owner:${ownerId}`));
    const r4 = await svc.request(
      { ownerId, bankAccountId: accountId, grossMinor: 10_000, currency: "EUR" },
      `owner:${ownerId}`,
    );
    assert.equal(r4.ok ? "" : r4.error, "TOTP_NOT_ACTIVE");
    assert.equal((await svc.cashouts({ ownerId })).length, 0);
    const refused = (await svc.auditTrail({ ownerId }))
      .filter((e) => e.decision === "refused")
      .map((e) => e.reason);
    for (const want of [
      "OWNER_NOT_VERIFIED",
      "KYC_SELF_VERIFICATION",
      "NAME_MISMATCH",
      "ACCOUNT_NOT_VERIFIED",
      "TOTP_NOT_ACTIVE",
    ])
      assert.ok(refused.includes(want), want);
    await assertBalanced(c);
  },
);

testBoth(
  "cash-out: TOTP codes are single-use, wrong codes count, and the fifth wrong code cancels and releases",
  async (c) => {
    const { svc, ownerId, accountId, clearingAccount, secret, clock, nextCode } = await install(c);
    const a = must(
      await svc.request(
        { ownerId, bankAccountId: accountId, grossMinor: 10_000, currency: "EUR" },
        `owner:${ownerId}`,
      ),
    );
    const b = must(
      await svc.request(
        { ownerId, bankAccountId: accountId, grossMinor: 10_000, currency: "EUR" },
        `owner:${ownerId}`,
      ),
    );
    const code = nextCode();
    must(await svc.confirm(a.id, code, `owner:${ownerId}`));
    const replay = await svc.confirm(b.id, code, `owner:${ownerId}`);
    assert.equal(
      replay.ok ? "" : replay.error,
      "TOTP_INVALID",
      "the same code cannot confirm a second cash-out",
    );
    // The previous step's code is inside the ±1 window but older than the used step: also refused.
    const prev = totp(secret, Math.floor(clock.ms / 1000) - 30);
    const older = await svc.confirm(b.id, prev, `owner:${ownerId}`);
    assert.equal(older.ok ? "" : older.error, "TOTP_INVALID", "used and wrong codes look the same");
    for (let i = 3; i <= 4; i++) {
      const w = await svc.confirm(
        b.id,
        "000000" === nextCode() ? "111111" : "000000",
        `owner:${ownerId}`,
      );
      assert.equal(w.ok ? "" : w.error, "TOTP_INVALID");
    }
    const fifth = await svc.confirm(
      b.id,
      "000000" === nextCode() ? "111111" : "000000",
      `owner:${ownerId}`,
    );
    assert.equal(fifth.ok ? "" : fifth.error, "TOO_MANY_ATTEMPTS");
    const bAfter = (await svc.cashout(b.id))!;
    assert.equal(bAfter.state, "cancelled");
    assert.equal((await c.transfer(transferIds.hold(b.id)))!.pendingState, "voided");
    const acct = (await c.account(clearingAccount))!;
    assert.equal(acct.available, 500_000 - 10_000, "only the confirmed cash-out left the balance");
    const late = await svc.confirm(b.id, nextCode(), `owner:${ownerId}`);
    assert.equal(late.ok ? "" : late.error, "STATE_INVALID");
    await assertBalanced(c);
  },
);

testBoth(
  "cash-out: cancel and expiry void the holds; a held transfer is posted or voided, never both",
  async (c) => {
    const { svc, ownerId, accountId, clearingAccount, clock, nextCode } = await install(c);
    const cancelled = must(
      await svc.request(
        { ownerId, bankAccountId: accountId, grossMinor: 20_000, currency: "EUR" },
        `owner:${ownerId}`,
      ),
    );
    must(await svc.cancel(cancelled.id, `owner:${ownerId}`, "changed my mind"));
    const conf = await svc.confirm(cancelled.id, nextCode(), `owner:${ownerId}`);
    assert.equal(conf.ok ? "" : conf.error, "STATE_INVALID");
    assert.equal((await c.transfer(transferIds.hold(cancelled.id)))!.pendingState, "voided");
    // Clearing itself refuses to post what was voided.
    const post = await c.postPending("sneaky-post", transferIds.hold(cancelled.id));
    assert.equal(post.ok ? "" : post.error, "PENDING_ALREADY_VOIDED");

    const confirmed = must(
      await svc.request(
        { ownerId, bankAccountId: accountId, grossMinor: 20_000, currency: "EUR" },
        `owner:${ownerId}`,
      ),
    );
    must(await svc.confirm(confirmed.id, nextCode(), `owner:${ownerId}`));
    const cn = await svc.cancel(confirmed.id, `owner:${ownerId}`);
    assert.equal(cn.ok ? "" : cn.error, "STATE_INVALID");
    const voidIt = await c.voidPending("sneaky-void", transferIds.hold(confirmed.id));
    assert.equal(voidIt.ok ? "" : voidIt.error, "PENDING_ALREADY_POSTED");

    const expiring = must(
      await svc.request(
        { ownerId, bankAccountId: accountId, grossMinor: 20_000, currency: "EUR" },
        `owner:${ownerId}`,
      ),
    );
    const stays = must(
      await svc.request(
        { ownerId, bankAccountId: accountId, grossMinor: 20_000, currency: "EUR" },
        `owner:${ownerId}`,
      ),
    );
    clock.advance(15 * 60 + 1);
    // Confirming after the deadline expires it instead.
    const tooLate = await svc.confirm(expiring.id, nextCode(), `owner:${ownerId}`);
    assert.equal(tooLate.ok ? "" : tooLate.error, "EXPIRED");
    assert.deepEqual(await svc.expireDue(), [stays.id]);
    assert.deepEqual(await svc.expireDue(), [], "expiry is idempotent");
    for (const id of [expiring.id, stays.id]) {
      assert.equal((await svc.cashout(id))!.state, "expired");
      assert.equal((await c.transfer(transferIds.hold(id)))!.pendingState, "voided");
      assert.equal((await c.transfer(transferIds.fee(id)))!.pendingState, "voided");
    }
    // Every hold of this test: exactly one resolution each.
    const all = await c.transfers({ limit: 10_000 });
    for (const pending of all.filter((t) => t.kind === "pending")) {
      const res = all.filter((t) => t.pendingId === pending.id);
      assert.equal(res.length, 1, `${pending.id} resolved ${res.length} times`);
      assert.equal(res[0]!.kind === "post_pending" ? "posted" : "voided", pending.pendingState);
    }
    const acct = (await c.account(clearingAccount))!;
    assert.equal(acct.balance, 500_000 - 20_000);
    assert.equal(acct.available, 500_000 - 20_000);
    await assertBalanced(c);
  },
);

testBoth(
  "cash-out: minimum, maximum, rolling 24 h amount and count limits, fee above amount, balance",
  async (c) => {
    const { svc, ownerId, accountId, clock, nextCode } = await install(c, { balance: 5_000_000 });
    must(
      await svc.setFeeSchedule(
        {
          currency: "EUR",
          percentBps: 200,
          fixedMinor: 0,
          feeMinMinor: 100,
          feeMaxMinor: 1_000,
          amountMinMinor: 100,
          amountMaxMinor: 300_000,
          dailyLimitMinor: 500_000,
          dailyCountMax: 3,
        },
        "operator:admin",
      ),
    );
    const req = (g: number) =>
      svc.request(
        { ownerId, bankAccountId: accountId, grossMinor: g, currency: "EUR" },
        `owner:${ownerId}`,
      );
    const code = async (g: number): Promise<string> => {
      const r = await req(g);
      return r.ok ? "ok" : r.error;
    };
    assert.equal(await code(99), "AMOUNT_BELOW_MIN");
    assert.equal(await code(100), "FEE_EXCEEDS_AMOUNT", "a 1.00 fee on 1.00 leaves nothing");
    assert.equal(await code(300_001), "AMOUNT_ABOVE_MAX");
    const first = must(await req(300_000));
    must(await svc.confirm(first.id, nextCode(), `owner:${ownerId}`));
    assert.equal(await code(200_001), "DAILY_LIMIT", "300 000 + 200 001 > 500 000 in 24 h");
    const second = must(await req(200_000));
    must(await svc.confirm(second.id, nextCode(), `owner:${ownerId}`));
    assert.equal(await code(101), "DAILY_LIMIT");
    const q = must(await svc.quote(ownerId, 101, "EUR", `owner:${ownerId}`));
    assert.equal(q.limits.dailyUsedMinor, 500_000);
    assert.equal(q.limits.dailyRemainingMinor, 0);
    assert.equal(q.limits.window, "rolling-24h-utc");
    clock.advance(24 * 3600 - 120); // the first request was made 60 s ago: 23 h 59 min after it
    assert.equal(await code(101), "DAILY_LIMIT", "still inside the rolling window");
    clock.advance(24 * 3600); // the first two are outside the window now
    for (let i = 0; i < 3; i++) assert.equal(await code(1_000), "ok");
    assert.equal(await code(1_000), "DAILY_COUNT");
    // Unconfirmed requests expire and stop counting: the next request after their deadline passes.
    clock.advance(15 * 60 + 1);
    assert.equal(await code(1_000), "ok");
    assert.equal(
      (await svc.cashouts({ ownerId, state: "expired" })).length,
      3,
      "overdue requests expire before a new request is judged",
    );
    // Balance: a fresh owner with little settled value.
    await settle(c, "tiny", 5_000);
    must(
      await svc.addOwner(
        { id: "own-tiny", kind: "merchant", subject: "tiny", legalName: "Tiny Kiosk" },
        "operator:admin",
      ),
    );
    must(await svc.setKyc("own-tiny", "verified", "kyc:alice"));
    const t = must(await svc.quote("own-tiny", 5_001, "EUR", "owner:own-tiny"));
    assert.ok(t.refusals.includes("INSUFFICIENT_BALANCE"));
    assert.equal(t.availableMinor, 5_000);
    const audits = await svc.auditTrail({ ownerId });
    assert.ok(
      audits.some(
        (e) => e.action === "request" && e.decision === "refused" && e.reason === "DAILY_COUNT",
      ),
    );
    assert.ok(
      audits.some(
        (e) =>
          e.action === "request" && e.decision === "refused" && e.reason === "AMOUNT_BELOW_MIN",
      ),
    );
    await assertBalanced(c);
  },
);

testBoth(
  "cash-out: a quote is single-use, expires, and a fee schedule change invalidates it",
  async (c) => {
    const { svc, ownerId, accountId, clock } = await install(c);
    const q1 = must(await svc.quote(ownerId, 50_000, "EUR", `owner:${ownerId}`));
    must(
      await svc.request({ ownerId, bankAccountId: accountId, quoteId: q1.id }, `owner:${ownerId}`),
    );
    const again = await svc.request(
      { ownerId, bankAccountId: accountId, quoteId: q1.id },
      `owner:${ownerId}`,
    );
    assert.equal(again.ok ? "" : again.error, "QUOTE_USED");
    const q2 = must(await svc.quote(ownerId, 50_000, "EUR", `owner:${ownerId}`));
    clock.advance(10 * 60 + 1);
    const expired = await svc.request(
      { ownerId, bankAccountId: accountId, quoteId: q2.id },
      `owner:${ownerId}`,
    );
    assert.equal(expired.ok ? "" : expired.error, "QUOTE_EXPIRED");
    const q3 = must(await svc.quote(ownerId, 50_000, "EUR", `owner:${ownerId}`));
    must(
      await svc.setFeeSchedule(
        { ...(await svc.feeSchedules()).find((s) => s.currency === "EUR")!, percentBps: 300 },
        "operator:admin",
      ),
    );
    const changed = await svc.request(
      { ownerId, bankAccountId: accountId, quoteId: q3.id },
      `owner:${ownerId}`,
    );
    assert.equal(changed.ok ? "" : changed.error, "QUOTE_MISMATCH");
    const mism = await svc.request(
      { ownerId, bankAccountId: accountId, quoteId: q3.id, grossMinor: 1 },
      `owner:${ownerId}`,
    );
    assert.equal(mism.ok ? "" : mism.error, "QUOTE_MISMATCH");
    // Request ids make retries idempotent.
    const r1 = must(
      await svc.request(
        {
          ownerId,
          bankAccountId: accountId,
          grossMinor: 12_345,
          currency: "EUR",
          requestId: "retry-1",
        },
        `owner:${ownerId}`,
      ),
    );
    const r2 = must(
      await svc.request(
        {
          ownerId,
          bankAccountId: accountId,
          grossMinor: 12_345,
          currency: "EUR",
          requestId: "retry-1",
        },
        `owner:${ownerId}`,
      ),
    );
    assert.equal(r2.id, r1.id);
    assert.equal((await svc.cashouts({ ownerId })).filter((x) => x.id === r1.id).length, 1);
    const r3 = await svc.request(
      {
        ownerId,
        bankAccountId: accountId,
        grossMinor: 99_999,
        currency: "EUR",
        requestId: "retry-1",
      },
      `owner:${ownerId}`,
    );
    assert.equal(r3.ok ? "" : r3.error, "REQUEST_ID_REUSED");
    await assertBalanced(c);
  },
);

testBoth(
  "cash-out: a failed payout is reversed with compensating transfers, nothing edited",
  async (c) => {
    const { svc, ownerId, accountId, clearingAccount, nextCode } = await install(c, {
      balance: 200_000,
    });
    const co = must(
      await svc.request(
        { ownerId, bankAccountId: accountId, grossMinor: 100_000, currency: "EUR" },
        `owner:${ownerId}`,
      ),
    );
    must(await svc.confirm(co.id, nextCode(), `owner:${ownerId}`));
    assert.equal(
      (await svc.markFailed(co.id, "bank:pain002", "AC04 closed account")).ok,
      false,
      "not exported yet",
    );
    must(await svc.export("operator:payouts"));
    const before = await c.transfers({ limit: 10_000 });
    const failed = must(await svc.markFailed(co.id, "bank:pain002", "AC04 closed account"));
    assert.equal(failed.state, "failed");
    assert.equal(failed.failureReason, "AC04 closed account");
    const after = await c.transfers({ limit: 10_000 });
    // The earlier transfers are unchanged; two new ones compensate.
    for (const t of before)
      assert.deepEqual(
        after.find((x) => x.id === t.id),
        t,
      );
    const rev = (await c.transfer(transferIds.reverse(co.id)))!;
    const refund = (await c.transfer(transferIds.feeRefund(co.id)))!;
    assert.equal(rev.amount, co.netMinor);
    assert.equal(rev.creditAccount, clearingAccount);
    assert.equal(refund.amount, co.feeMinor);
    assert.equal(
      (await c.account(clearingAccount))!.balance,
      200_000,
      "the owner has everything back",
    );
    assert.equal((await c.account(accountIds.payouts(EUR)))!.balance, 0);
    assert.equal((await c.account(accountIds.fees(EUR)))!.balance, 0);
    assert.equal((await svc.markPaid(co.id, "bank:x", "late")).ok, false, "failed is final");
    await assertBalanced(c);
  },
);

testBoth(
  "cash-out: dozens of concurrent requests racing for one balance never overdraw it",
  async (c, engine) => {
    const { svc, ownerId, accountId, clearingAccount, nextCode } = await install(c, {
      balance: 1_000_000,
    });
    must(
      await svc.setFeeSchedule(
        {
          currency: "EUR",
          percentBps: 100,
          fixedMinor: 0,
          feeMinMinor: 0,
          feeMaxMinor: 100_000,
          amountMinMinor: 1,
          amountMaxMinor: 1_000_000,
          dailyLimitMinor: 100_000_000,
          dailyCountMax: 1_000,
        },
        "operator:admin",
      ),
    );
    const N = 48;
    const results = await Promise.all(
      Array.from({ length: N }, (_, i) =>
        svc.request(
          {
            ownerId,
            bankAccountId: accountId,
            grossMinor: 100_000,
            currency: "EUR",
            requestId: `race-${i}`,
          },
          `owner:${ownerId}`,
        ),
      ),
    );
    const won = results.filter((r) => r.ok).length;
    const lost = results.filter((r) => !r.ok);
    assert.equal(won, 10, `${engine}: exactly the balance's worth of requests succeed`);
    for (const r of lost) assert.equal(r.ok ? "" : r.error, "INSUFFICIENT_BALANCE");
    const acct = (await c.account(clearingAccount))!;
    assert.equal(acct.available, 0);
    assert.ok(acct.balance >= 0 && acct.debitsPending + acct.debitsPosted <= acct.creditsPosted);
    await assertBalanced(c);
    // Racing cash-outs of several owners and a flood of duplicate retries of one request id.
    const more = await Promise.all(
      Array.from({ length: 24 }, () =>
        svc.request(
          {
            ownerId,
            bankAccountId: accountId,
            grossMinor: 100_000,
            currency: "EUR",
            requestId: "race-0",
          },
          `owner:${ownerId}`,
        ),
      ),
    );
    assert.ok(
      more.every((r) => r.ok && r.value.id === "co_race-0"),
      "retries of a winner return it",
    );
    assert.equal((await svc.cashouts({ ownerId, limit: 1000 })).length, 10);
    // One TOTP code raced across every held cash-out: exactly one confirmation wins.
    const code = nextCode();
    const held = await svc.cashouts({ ownerId, state: "requested", limit: 1000 });
    const confirms = await Promise.all(
      held.map((h) => svc.confirm(h.id, code, `owner:${ownerId}`)),
    );
    assert.equal(confirms.filter((r) => r.ok).length, 1, `${engine}: one code, one confirmation`);
    // The losers are wrong codes for the lockout: refused, then blocked (docs/CASHOUT.md §3).
    for (const r of confirms.filter((x) => !x.ok)) {
      assert.ok(["TOTP_INVALID", "TOTP_BLOCKED"].includes(r.ok ? "" : r.error));
    }
    await assertBalanced(c);
  },
);

testBoth(
  "cash-out: a wallet holder redeems an unspent balance through the same rules",
  async (c) => {
    const { svc } = await install(c);
    const wallet = "a1b2c3d4e5f60718";
    const acct = accountIds.walletHolder(wallet, EUR);
    await c.createAccount({
      id: acct,
      code: "wallet_holder",
      currency: EUR,
      flags: { debitsMustNotExceedCredits: true },
    });
    assert.ok((await c.fundIssuer("redeem-fund", 1, EUR, 30_000)).ok);
    assert.ok(
      (
        await c.createTransfer({
          id: "redeem-credit",
          debitAccount: accountIds.issuerFloat(1, EUR),
          creditAccount: acct,
          amount: 30_000,
          code: "wallet_redeemable",
        })
      ).ok,
    );
    must(
      await svc.addOwner(
        { id: "holder-1", kind: "wallet_holder", subject: wallet, legalName: "Jane Doe" },
        "operator:admin",
      ),
    );
    must(await svc.setKyc("holder-1", "verified", "kyc:alice"));
    const q = must(await svc.quote("holder-1", 30_000, "EUR", "owner:holder-1"));
    assert.equal(q.availableMinor, 30_000);
    assert.ok(q.refusals.includes("TOTP_NOT_ACTIVE"));
    const bad = await svc.addOwner(
      { id: "holder-2", kind: "wallet_holder", subject: "NOT-HEX", legalName: "X" },
      "operator:admin",
    );
    assert.equal(bad.ok ? "" : bad.error, "INPUT_INVALID");
  },
);

testBoth(
  "cash-out: 5 wrong codes in a row across cash-outs block the second factor (no oracle)",
  async (c) => {
    const { svc, ownerId, accountId, clock, nextCode } = await install(c);
    const actor = `owner:${ownerId}`;
    const request = async (): Promise<string> =>
      must(
        await svc.request(
          { ownerId, bankAccountId: accountId, grossMinor: 10_000, currency: "EUR" },
          actor,
        ),
      ).id;
    const wrong = (): string => {
      const right = nextCode();
      return right === "000000" ? "111111" : "000000";
    };
    // The loop — request, guess, cancel — spread over cash-outs: the count is the owner's.
    const errors: string[] = [];
    for (let i = 0; i < 5; i++) {
      const id = await request();
      const r = await svc.confirm(id, wrong(), actor);
      errors.push(r.ok ? "ok" : r.error);
      must(await svc.cancel(id, actor));
    }
    assert.deepEqual(errors, [
      "TOTP_INVALID",
      "TOTP_INVALID",
      "TOTP_INVALID",
      "TOTP_INVALID",
      "TOTP_BLOCKED",
    ]);
    const id = await request();
    const right = await svc.confirm(id, nextCode(), actor);
    assert.equal(
      right.ok ? "ok" : right.error,
      "TOTP_BLOCKED",
      "while blocked even the right code is refused",
    );
    // The block ends by itself after 4 hours…
    clock.advance(4 * 3600);
    must(await svc.confirm(await request(), nextCode(), actor));
    // …or when an operator lifts it; a right code resets the count.
    for (let i = 0; i < 5; i++) {
      const x = await request();
      await svc.confirm(x, wrong(), actor);
      must(await svc.cancel(x, actor));
    }
    const blocked = await request();
    assert.equal((await svc.confirm(blocked, nextCode(), actor)).ok, false);
    must(await svc.unblockTotp(ownerId, "operator:admin"));
    must(await svc.confirm(blocked, nextCode(), actor));
    const trail = await svc.auditTrail({ ownerId });
    assert.ok(trail.some((a) => a.action === "totp.unblock"));
    await assertBalanced(c);
  },
);

testBoth(
  "cash-out: one owner per clearing account — a merchant cannot claim an operator's account",
  async (c) => {
    const { svc, ownerId, clearingAccount } = await install(c, { operatorId: "acme" });
    const twin = await svc.addOwner(
      { id: "acme-shop", kind: "merchant", subject: "acme", legalName: "ACME Shop" },
      "operator:admin",
    );
    assert.equal(twin.ok ? "ok" : twin.error, "OWNER_EXISTS");
    assert.match(twin.ok ? "" : twin.message, new RegExp(`belongs to owner ${ownerId}`));
    assert.equal(await svc.owner("acme-shop"), undefined, "nothing of it was stored");
    // A merchant of another subject, and a wallet holder whose wallet id is a hex operator
    // name, are other accounts.
    must(
      await svc.addOwner(
        { id: "other-shop", kind: "merchant", subject: "other", legalName: "Other" },
        "operator:admin",
      ),
    );
    must(
      await svc.addOwner(
        { id: "w-ab", kind: "wallet_holder", subject: "ab", legalName: "A B" },
        "operator:admin",
      ),
    );
    const dup = await svc.addOwner(
      { id: "w-ab2", kind: "wallet_holder", subject: "ab", legalName: "A B" },
      "operator:admin",
    );
    assert.equal(dup.ok ? "ok" : dup.error, "OWNER_EXISTS");
    // The schema refuses it too, whatever the code path.
    await assert.rejects(
      c.db.query(
        "INSERT INTO cashout_owners (id, kind, subject, legal_name, created_at) VALUES ('x', 'merchant', 'acme', 'X', now())",
      ),
    );
    assert.ok((await c.account(clearingAccount)) !== undefined);
  },
);

testBoth(
  "cash-out: a code of the wrong length is a format error, never a counted try; " +
    "wrong codes say how many tries are left",
  async (c) => {
    const { svc, ownerId, accountId, nextCode } = await install(c);
    const actor = `owner:${ownerId}`;
    const spec = { ownerId, bankAccountId: accountId, grossMinor: 10_000, currency: "EUR" };
    const co = must(await svc.request(spec, actor));
    // Seven slips of the keyboard: more than the five tries, none of them counts.
    for (const slip of ["12345", "1234567", "12345678", "", "abcdef", "12a456", "1 2 3 4 5"]) {
      const r = await svc.confirm(co.id, slip, actor);
      assert.equal(r.ok ? "ok" : r.error, "TOTP_FORMAT", slip);
      assert.match(r.ok ? "" : r.message, /6 digits.*not counted/);
    }
    assert.equal((await svc.cashout(co.id))!.state, "requested", "slips cancel nothing");
    const wrong = (): string => (nextCode() === "000000" ? "111111" : "000000");
    const left: (number | undefined)[] = [];
    for (let i = 0; i < 2; i++) {
      const r = await svc.confirm(co.id, wrong(), actor);
      assert.equal(r.ok ? "ok" : r.error, "TOTP_INVALID");
      left.push(r.ok ? undefined : r.triesLeft);
      assert.match(r.ok ? "" : r.message, new RegExp(`\\(${5 - i - 1} tries left\\)$`));
    }
    assert.deepEqual(left, [4, 3]);
    // The code as an authenticator app shows it, "123 456", is accepted.
    const right = nextCode();
    const done = must(await svc.confirm(co.id, `${right.slice(0, 3)} ${right.slice(3)}`, actor));
    assert.equal(done.state, "confirmed");
  },
);
