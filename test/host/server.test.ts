// The HTTP API over node:http (docs/SERVER.md): every endpoint through node's fetch
// against a server on 127.0.0.1 with an ephemeral port, on PGlite and — when
// DATABASE_URL is set — on the PostgreSQL server.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { verify as nodeVerify, createPublicKey } from "node:crypto";
import { splitBatches } from "../../host/ledger/batch.ts";
import { firmwareHasReader } from "../../host/sim/index.ts";
import { engines, installation, call, rfc6238, type Installation } from "./server-support.ts";

const SPKI_ED25519_PREFIX = Buffer.from("302a300506032b6570032100", "hex");
/** Independent check of a clearing signature: node:crypto, not our own verifier. */
function ed25519Verifies(
  publicKey: Uint8Array,
  message: Uint8Array,
  signature: Uint8Array,
): boolean {
  const key = createPublicKey({
    key: Buffer.concat([SPKI_ED25519_PREFIX, publicKey]),
    format: "der",
    type: "spki",
  });
  return nodeVerify(null, message, key, signature);
}

const skip = firmwareHasReader()
  ? false
  : "build/offtap.wasm has no reader exports (run make build)";

for (const engine of engines()) {
  describe(`HTTP API on ${engine.name}`, { skip }, () => {
    let inst: Installation;
    let base: string;
    let op: string;
    before(async () => {
      inst = await installation(engine, { ingest: false });
      base = inst.server.url;
      op = inst.operatorToken;
    });
    after(async () => {
      await inst?.dispose();
    });

    it("listens on 127.0.0.1 by default", () => {
      assert.match(base, /^http:\/\/127\.0\.0\.1:\d+$/);
    });

    it("refuses requests without a valid bearer token (401)", async () => {
      const none = await call(base, "GET", "/api/balances");
      assert.equal(none.status, 401);
      assert.equal(none.json.error.code, "unauthorized");
      const forged = await call(base, "GET", "/api/balances", {
        token: op.slice(0, -2) + (op.endsWith("A") ? "BB" : "AA"),
      });
      assert.equal(forged.status, 401);
      const otherServer = await call(base, "GET", "/api/balances", {
        token: "otk1.b3BlcmF0b3I.AAAA",
      });
      assert.equal(otherServer.status, 401);
    });

    it("POST /api/batches validates the upload (415, 400, 422, 413)", async () => {
      const asJson = await call(base, "POST", "/api/batches", { token: op, json: { batch: "x" } });
      assert.equal(asJson.status, 415);
      const empty = await call(base, "POST", "/api/batches", {
        token: op,
        body: new Uint8Array(0),
      });
      assert.equal(empty.status, 400);
      const garbage = await call(base, "POST", "/api/batches", {
        token: op,
        body: new Uint8Array(200).fill(7),
      });
      assert.equal(garbage.status, 422);
      assert.match(garbage.json.error.message, /batch/);
      const huge = await call(base, "POST", "/api/batches", {
        token: op,
        body: new Uint8Array(8 * 1024 * 1024 + 1),
      });
      assert.equal(huge.status, 413);
    });

    it("POST /api/batches holds a batch after a gap, and GET /api/flagged lists it", async () => {
      const gap = inst.run.net.exportBatches(0, 3); // records 3… of the north gate, before 1…2 arrived
      const r = await call(base, "POST", "/api/batches", { token: op, body: gap });
      assert.equal(r.status, 200, r.text);
      assert.equal(r.json.settled, 0);
      assert.equal(r.json.held, 1);
      assert.equal(r.json.batches[0].status, "held");
      const f = await call(base, "GET", "/api/flagged", { token: op });
      assert.equal(f.json.held.length, 1);
      assert.equal(f.json.held[0].firstSeq, 3);
      assert.match(f.json.held[0].reason, /gap/);
    });

    it("POST /api/batches ingests both readers' batches and catches the double spend", async () => {
      const [gate, kiosk] = inst.run.batches;
      const a = await call(base, "POST", "/api/batches", { token: op, body: gate!.bytes });
      assert.equal(a.status, 200, a.text);
      const gateRecords = inst.run.taps.filter(
        (t) => t.reader === "north gate" && t.accepted,
      ).length;
      assert.equal(a.json.settled, gateRecords);
      assert.equal(a.json.doubleSpends.length, 0);
      const b = await call(base, "POST", "/api/batches", { token: op, body: kiosk!.bytes });
      assert.equal(b.status, 200, b.text);
      assert.equal(b.json.doubleSpends.length, 1);
      assert.equal(b.json.doubleSpends[0].walletId, inst.run.cheater.walletId);
      assert.equal(b.json.doubleSpends[0].counter, inst.run.cheater.counter);
      assert.equal(b.json.currency, "EUR", "the report names its amounts' currency");
      // The same upload again settles nothing twice.
      const again = await call(base, "POST", "/api/batches", { token: op, body: kiosk!.bytes });
      assert.equal(again.status, 200);
      assert.equal(again.json.settled, 0);
      assert.equal(again.json.doubleSpends.length, 0);
    });

    it("GET /api/balances shows every account, summing to zero", async () => {
      const r = await call(base, "GET", "/api/balances", { token: op });
      assert.equal(r.status, 200);
      assert.equal(r.json.balancesSumToZero, true);
      const sum = r.json.accounts.reduce((s: number, a: { balance: number }) => s + a.balance, 0);
      assert.equal(sum, 0);
      const paid = inst.run.taps.filter((t) => t.accepted).reduce((s, t) => s + t.amount, 0);
      // The double-spent copy is issuer risk: it waits in the risk hold (docs/CLEARING.md §7a).
      const codes = new Set(["operator_settlement", "operator_risk_hold"]);
      const operators = r.json.accounts.filter((a: { code: string }) => codes.has(a.code));
      const owed = operators.reduce((s: number, a: { balance: number }) => s + a.balance, 0);
      assert.equal(owed, paid, "every accepted tap is paid or held for its operator");
      // Amounts are integer minor units beside the ISO 4217 alphabetic code (README "Money").
      for (const a of r.json.accounts as { currency: unknown; balance: unknown }[]) {
        assert.equal(a.currency, "EUR");
        assert.ok(Number.isSafeInteger(a.balance));
      }
      assert.deepEqual(
        r.json.sums.map((x: { currency: string }) => x.currency),
        ["EUR"],
      );
    });

    it("GET /api/payments honours and validates ?limit", async () => {
      const all = await call(base, "GET", "/api/payments?limit=100", { token: op });
      assert.equal(all.status, 200);
      // One row per (wallet, counter): the conflicting copy is a double spend, listed under /api/flagged.
      assert.equal(all.json.payments.length, inst.run.taps.filter((t) => t.accepted).length - 1);
      const two = await call(base, "GET", "/api/payments?limit=2", { token: op });
      assert.equal(two.json.payments.length, 2);
      assert.equal(two.json.payments[0].currency, "EUR");
      for (const bad of ["0", "-1", "abc", "100000"]) {
        const r = await call(base, "GET", `/api/payments?limit=${bad}`, { token: op });
        assert.equal(r.status, 400, `limit=${bad}`);
      }
    });

    it("GET /api/payments pages with ?offset, counts the total, names readers, has the tap time", async () => {
      const all = (await call(base, "GET", "/api/payments?limit=100", { token: op })).json;
      assert.equal(all.total, all.payments.length);
      const key = (x: { readerId: string; seq: number }): string => `${x.readerId}/${x.seq}`;
      const paged: string[] = [];
      for (let offset = 0; offset < all.total; offset += 3) {
        const path = `/api/payments?limit=3&offset=${offset}`;
        const page = (await call(base, "GET", path, { token: op })).json;
        assert.equal(page.total, all.total);
        assert.equal(page.offset, offset);
        paged.push(...page.payments.map(key));
      }
      assert.deepEqual(paged, all.payments.map(key), "pages neither overlap nor skip a row");
      const past = await call(base, "GET", `/api/payments?offset=${all.total}`, { token: op });
      assert.deepEqual(past.json.payments, []);
      assert.equal((await call(base, "GET", "/api/payments?offset=-1", { token: op })).status, 400);
      const names = new Map(
        inst.run.readerSpecs.map((r) => [Buffer.from(r.readerId).toString("hex"), r.name]),
      );
      for (const x of all.payments) {
        // The tap time is the reader's clock from the signed record, not clearing's.
        assert.equal(x.tapAt, new Date(x.time * 1000).toISOString());
        assert.match(x.readerName, /^(north|south) gate /);
        assert.equal(x.readerName, names.get(x.readerId.slice(0, 16)) ?? names.get(x.readerId));
      }
      const readers = (await call(base, "GET", "/api/readers", { token: op })).json.readers;
      const shown = readers.map((r: { name: string }) => r.name).sort();
      assert.deepEqual(shown, [...names.values()].sort());
    });

    it("GET /api/flagged lists the double spend and the denied wallet", async () => {
      const r = await call(base, "GET", "/api/flagged", { token: op });
      assert.equal(r.status, 200);
      assert.ok(
        r.json.doubleSpends.some(
          (d: { walletId: string; kind: string }) =>
            d.walletId === inst.run.cheater.walletId && d.kind === "counter_reuse",
        ),
      );
      assert.ok(
        r.json.deniedWallets.some(
          (d: { walletId: string }) => d.walletId === inst.run.cheater.walletId,
        ),
      );
      assert.deepEqual(r.json.held, [], "the gap was filled: nothing is held any more");
      for (const d of r.json.doubleSpends as { currency: unknown }[])
        assert.equal(d.currency, "EUR");
    });

    it("GET /api/deny-list is signed by the operator key and names the cheater", async () => {
      const r = await call(base, "GET", "/api/deny-list", { token: op });
      assert.equal(r.status, 200);
      assert.ok(r.json.version >= 1);
      assert.ok(r.json.walletIds.includes(inst.run.cheater.walletId));
      const image = Buffer.from(r.json.image, "hex");
      assert.ok(
        ed25519Verifies(
          inst.clearing.operatorKey.publicKey,
          image.subarray(0, image.length - 64),
          image.subarray(image.length - 64),
        ),
      );
      const bin = await call(base, "GET", "/api/deny-list", {
        token: op,
        accept: "application/octet-stream",
      });
      assert.equal(bin.headers.get("content-type"), "application/octet-stream");
      assert.deepEqual(Buffer.from(bin.bytes), image);
    });

    it("GET /api/acks/:readerId returns the signed acknowledgement of the last batch", async () => {
      const gate = inst.run.batches[0]!;
      const id = Buffer.from(gate.readerId).toString("hex");
      const r = await call(base, "GET", `/api/acks/${id}`, { token: op });
      assert.equal(r.status, 200, r.text);
      const ack = Buffer.from(r.json.ack, "hex");
      assert.equal(ack.length, 124);
      const last = splitBatches(gate.bytes).at(-1)!.lastSeq;
      assert.equal(r.json.ackedSeq, last);
      assert.ok(
        ed25519Verifies(inst.clearing.clearingKey.publicKey, ack.subarray(0, 60), ack.subarray(60)),
      );
      assert.equal((await call(base, "GET", "/api/acks/zz", { token: op })).status, 400);
      assert.equal(
        (await call(base, "GET", `/api/acks/${"ab".repeat(8)}`, { token: op })).status,
        404,
      );
      assert.equal(
        (await call(base, "GET", `/api/acks/${"abc".repeat(3)}`, { token: op })).status,
        400,
      );
    });

    it("GET /api/history.csv is RFC 4180 CSV with every settled payment", async () => {
      const r = await call(base, "GET", "/api/history.csv", { token: op });
      assert.equal(r.status, 200);
      assert.match(r.headers.get("content-type") ?? "", /^text\/csv/);
      assert.match(r.headers.get("content-disposition") ?? "", /attachment/);
      assert.ok(r.text.includes(inst.run.cheater.walletId));
      assert.ok(r.text.split("\r\n").length > inst.run.taps.length);
    });

    it("GET /api/me tells the dashboard who is signed in", async () => {
      const me = await call(base, "GET", "/api/me", { token: inst.ownerToken });
      assert.equal(me.status, 200);
      assert.equal(me.json.role, "owner");
      assert.equal(me.json.owner.id, inst.owner.ownerId);
      assert.equal(me.json.owner.verified, true);
      assert.equal(me.json.owner.totpEnrolled, true);
      assert.equal(me.json.owner.accountId, "operator:metro:978");
      assert.ok(
        !JSON.stringify(me.json).includes("DE89370400440532013000"),
        "the full IBAN is not sent to the page",
      );
      const op2 = await call(base, "GET", "/api/me", { token: op });
      assert.equal(op2.json.role, "operator");
      // The installation runs on a simulated clock, and says so.
      const now = new Date(inst.clock.now()).toISOString();
      assert.deepEqual(me.json.clock, { name: "demo", now });
      assert.deepEqual(
        op2.json.owners.map((o: { id: string }) => o.id),
        [inst.owner.ownerId],
      );
    });

    it("an owner sees only its own account and its own readers' flagged items", async () => {
      const b = await call(base, "GET", "/api/balances", { token: inst.ownerToken });
      assert.equal(b.status, 200);
      assert.deepEqual(
        b.json.accounts.map((a: { id: string }) => a.id),
        ["operator:metro:978"],
      );
      assert.equal(b.json.balancesSumToZero, undefined);
      const f = await call(base, "GET", "/api/flagged", { token: inst.ownerToken });
      assert.equal(f.status, 200);
      assert.equal(
        f.json.doubleSpends.length,
        1,
        "the double spend happened at the metro's own gate",
      );
      for (const path of ["/api/deny-list", `/api/acks/${"00".repeat(16)}`]) {
        assert.equal((await call(base, "GET", path, { token: inst.ownerToken })).status, 403, path);
      }
      // The merchant's history: its own readers' payments and its own account's transfers.
      const csv = await call(base, "GET", "/api/history.csv", { token: inst.ownerToken });
      assert.equal(csv.status, 200);
      const [head, ...rows] = csv.text
        .trim()
        .split("\r\n")
        .map((l) => l.split(","));
      const debit = head!.indexOf("debit_account"),
        credit = head!.indexOf("credit_account");
      assert.ok(rows.some((r) => r[0] === "payment"));
      for (const r of rows.filter((x) => x[0] === "transfer")) {
        const own = "operator:metro:978";
        assert.ok(r[debit] === own || r[credit] === own, r.join(","));
      }
      const stranger = inst.tokens.issue({ role: "owner", ownerId: "stranger" });
      assert.equal((await call(base, "GET", "/api/history.csv", { token: stranger })).status, 403);
      assert.equal(
        (
          await call(base, "POST", "/api/batches", {
            token: inst.ownerToken,
            body: new Uint8Array(10),
          })
        ).status,
        403,
      );
    });

    it("POST /api/cashouts/quote shows the fee by the schedule's rule before anything is committed", async () => {
      const gross = 1_500;
      const r = await call(base, "POST", "/api/cashouts/quote", {
        token: inst.ownerToken,
        json: { amount: gross },
      });
      assert.equal(r.status, 200, r.text);
      const q = r.json;
      // docs/CASHOUT.md: fee = clamp(round_half_up(G × bps / 10 000) + fixed, min, max)
      const percent = Math.floor((2 * gross * q.percentBps + 10_000) / 20_000);
      const expected = Math.min(Math.max(percent + q.fixed, q.feeMin), q.feeMax);
      assert.equal(q.fee, expected);
      assert.equal(q.net, gross - expected);
      assert.equal(q.available, 1_750, "seven fares; the double-spent copy is held");
      assert.equal(q.refusal, null);
      const tooMuch = await call(base, "POST", "/api/cashouts/quote", {
        token: inst.ownerToken,
        json: { amount: 5_000 },
      });
      assert.equal(tooMuch.status, 200);
      assert.match(tooMuch.json.refusal, /balance/);
      const balance = await call(base, "GET", "/api/balances", { token: inst.ownerToken });
      assert.equal(balance.json.accounts[0].available, 1_750, "a quote holds nothing");
    });

    it("POST /api/cashouts/quote validates its input", async () => {
      for (const amount of [0, -5, 1.5, "abc", null, 1e20]) {
        const r = await call(base, "POST", "/api/cashouts/quote", {
          token: inst.ownerToken,
          json: { amount },
        });
        assert.equal(r.status, 400, `amount ${JSON.stringify(amount)}`);
        assert.match(r.json.error.message, /amount/);
      }
      assert.equal(
        (await call(base, "POST", "/api/cashouts/quote", { token: op, json: { amount: 1_500 } }))
          .status,
        400,
        "the operator names the owner",
      );
      assert.equal(
        (
          await call(base, "POST", "/api/cashouts/quote", {
            token: op,
            json: { amount: 1_500, ownerId: "metro" },
          })
        ).status,
        200,
      );
      assert.equal(
        (
          await call(base, "POST", "/api/cashouts/quote", {
            token: inst.ownerToken,
            json: { amount: 1_500, ownerId: "other" },
          })
        ).status,
        403,
      );
    });

    it("cash-outs are requested and confirmed with the owner's own token only", async () => {
      const asOperator = await call(base, "POST", "/api/cashouts", {
        token: op,
        json: { amount: 1_000 },
      });
      assert.equal(asOperator.status, 403);
      const stranger = inst.tokens.issue({ role: "owner", ownerId: "stranger" });
      assert.equal(
        (await call(base, "POST", "/api/cashouts", { token: stranger, json: { amount: 1_000 } }))
          .status,
        404,
      );
    });

    it("POST /api/cashouts/:id/cancel voids the hold and releases the balance", async () => {
      const req = await call(base, "POST", "/api/cashouts", {
        token: inst.ownerToken,
        json: { amount: 1_000 },
      });
      assert.equal(req.status, 201, req.text);
      assert.equal(req.json.status, "requested");
      const held = await call(base, "GET", "/api/balances", { token: inst.ownerToken });
      assert.equal(held.json.accounts[0].available, 750);
      const stranger = inst.tokens.issue({ role: "owner", ownerId: "stranger" });
      assert.equal(
        (
          await call(base, "POST", `/api/cashouts/${req.json.id}/cancel`, {
            token: stranger,
            json: {},
          })
        ).status,
        404,
      );
      assert.equal(
        (
          await call(base, "POST", `/api/cashouts/${req.json.id}/cancel`, {
            token: inst.ownerToken,
          })
        ).status,
        415,
        "JSON content type required",
      );
      const c = await call(base, "POST", `/api/cashouts/${req.json.id}/cancel`, {
        token: inst.ownerToken,
        json: {},
      });
      assert.equal(c.status, 200, c.text);
      assert.equal(c.json.status, "cancelled");
      const after = await call(base, "GET", "/api/balances", { token: inst.ownerToken });
      assert.equal(after.json.accounts[0].available, 1_750);
      assert.equal(
        (
          await call(base, "POST", `/api/cashouts/${req.json.id}/cancel`, {
            token: inst.ownerToken,
            json: {},
          })
        ).status,
        409,
      );
    });

    it("concurrent requests never overdraw the owner's balance", async () => {
      const results = await Promise.all(
        Array.from({ length: 6 }, () =>
          call(base, "POST", "/api/cashouts", { token: inst.ownerToken, json: { amount: 1_000 } }),
        ),
      );
      const created = results.filter((r) => r.status === 201);
      assert.equal(
        created.length,
        1,
        results.map((r) => `${r.status} ${r.json?.error?.message ?? ""}`).join("; "),
      );
      for (const r of results.filter((x) => x.status !== 201)) assert.equal(r.status, 422);
      const b = await call(base, "GET", "/api/balances", { token: inst.ownerToken });
      assert.equal(b.json.accounts[0].available, 750);
      for (const r of created)
        assert.equal(
          (
            await call(base, "POST", `/api/cashouts/${r.json.id}/cancel`, {
              token: inst.ownerToken,
              json: {},
            })
          ).status,
          200,
        );
      assert.equal((await inst.clearing.checkInvariants()).ok, true);
    });

    it("POST /api/cashouts/:id/confirm takes the TOTP second factor; GET shows the timeline", async () => {
      const req = await call(base, "POST", "/api/cashouts", {
        token: inst.ownerToken,
        json: { amount: 1_500 },
      });
      assert.equal(req.status, 201, req.text);
      const id = req.json.id;
      assert.equal(
        (
          await call(base, "POST", `/api/cashouts/${id}/confirm`, {
            token: inst.ownerToken,
            json: { code: "12ab56" },
          })
        ).status,
        400,
      );
      assert.equal(
        (
          await call(base, "POST", `/api/cashouts/${id}/confirm`, {
            token: op,
            json: { code: "123456" },
          })
        ).status,
        403,
      );
      inst.clock.advance(30_000);
      const right = rfc6238(inst.owner.totpSecret, inst.clock.now());
      const wrong = String((Number(right) + 1) % 1_000_000).padStart(6, "0");
      // A code of the wrong length is a format error (400) that costs no try.
      for (const slip of ["12345", "1234567"]) {
        const r = await call(base, "POST", `/api/cashouts/${id}/confirm`, {
          token: inst.ownerToken,
          json: { code: slip },
        });
        assert.equal(r.status, 400, slip);
        assert.equal(r.json.error.code, "totp_format");
        assert.match(r.json.error.message, /not counted/);
      }
      const bad = await call(base, "POST", `/api/cashouts/${id}/confirm`, {
        token: inst.ownerToken,
        json: { code: wrong },
      });
      assert.equal(bad.status, 422);
      assert.equal(bad.json.error.triesLeft, 4, "the slips were not counted");
      assert.match(bad.json.error.message, /4 tries left/);
      const held = await call(base, "GET", `/api/cashouts/${id}`, { token: inst.ownerToken });
      assert.equal(held.json.confirmTriesLeft, 4);
      const good = await call(base, "POST", `/api/cashouts/${id}/confirm`, {
        token: inst.ownerToken,
        json: { code: right },
      });
      assert.equal(good.status, 200, good.text);
      assert.equal(good.json.status, "confirmed");
      const again = await call(base, "POST", `/api/cashouts/${id}/confirm`, {
        token: inst.ownerToken,
        json: { code: right },
      });
      assert.equal(again.status, 409, "a confirmed cash-out is not confirmed twice");
      const status = await call(base, "GET", `/api/cashouts/${id}`, { token: inst.ownerToken });
      assert.equal(status.status, 200);
      assert.deepEqual(
        status.json.timeline.map((t: { status: string }) => t.status),
        ["requested", "confirmed"],
      );
      assert.equal(
        (await call(base, "GET", `/api/cashouts/${id}`, { token: op })).status,
        200,
        "the operator may look",
      );
      const stranger = inst.tokens.issue({ role: "owner", ownerId: "stranger" });
      assert.equal(
        (await call(base, "GET", `/api/cashouts/${id}`, { token: stranger })).status,
        404,
      );
      assert.equal(
        (await call(base, "GET", "/api/cashouts/co_nope", { token: inst.ownerToken })).status,
        404,
      );
      const list = await call(base, "GET", "/api/cashouts?limit=10", { token: inst.ownerToken });
      assert.ok(
        list.json.cashouts.some(
          (c: { id: string; status: string }) => c.id === id && c.status === "confirmed",
        ),
      );
      const b = await call(base, "GET", "/api/balances", { token: op });
      assert.equal(
        b.json.accounts.find((a: { id: string }) => a.id === "operator:metro:978").balance,
        250,
      );
      assert.equal(b.json.balancesSumToZero, true);
    });

    it("answers unknown paths 404 and wrong methods 405 with Allow", async () => {
      const nf = await call(base, "GET", "/api/nope", { token: op });
      assert.equal(nf.status, 404);
      const m = await call(base, "DELETE", "/api/balances", { token: op });
      assert.equal(m.status, 405);
      assert.equal(m.headers.get("allow"), "GET");
    });

    it("serves the dashboard with a strict Content-Security-Policy", async () => {
      const page = await call(base, "GET", "/");
      assert.equal(page.status, 200);
      assert.match(page.text, /<title>offtap clearing<\/title>/);
      assert.match(page.headers.get("content-security-policy") ?? "", /default-src 'none'/);
      for (const f of ["/app.js", "/style.css"])
        assert.equal((await call(base, "GET", f)).status, 200, f);
      assert.equal((await call(base, "GET", "/../package.json")).status, 404);
    });

    it("JSON endpoints refuse other content types (CSRF) and malformed JSON", async () => {
      const form = await call(base, "POST", "/api/cashouts/quote", {
        token: op,
        body: "amount=100",
        contentType: "application/x-www-form-urlencoded",
      });
      assert.equal(form.status, 415);
      const text = await call(base, "POST", "/api/cashouts/quote", {
        token: op,
        body: '{"amount":100}',
        contentType: "text/plain",
      });
      assert.equal(text.status, 415);
      const broken = await call(base, "POST", "/api/cashouts/quote", {
        token: op,
        body: "{amount",
        contentType: "application/json",
      });
      assert.equal(broken.status, 400);
    });
  });
}
