// The risk model over HTTP (docs/SERVER.md): a reader that signs a record no honest reader
// writes shows up in GET /api/readers/suspect and /api/flagged, its operator's owner cannot
// cash out, and only the operator's token decides (POST /api/readers/:id/decision).
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { firmwareHasReader } from "../../host/sim/index.ts";
import { craftBatch, craftPayment, craftWallet } from "../../host/clearing/craft.ts";
import { engines, installation, call, type Installation } from "./server-support.ts";

const skip = firmwareHasReader()
  ? false
  : "build/offtap.wasm has no reader exports (run make build)";

for (const engine of engines()) {
  describe(`risk model over HTTP on ${engine.name}`, { skip }, () => {
    let inst: Installation;
    let readerHex: string;
    before(async () => {
      inst = await installation(engine, { ingest: true });
      const net = inst.run.net;
      const r = net.readers[0]!;
      const id16 = new Uint8Array(16);
      id16.set(r.config.readerId);
      readerHex = Buffer.from(id16).toString("hex");
      const known = (await inst.clearing.reader(id16))!;
      const w = craftWallet(net.world.issuers[0]!, net.world.now(), 5_000);
      // A time a year past the certificate: the reader's check 4 can never pass it.
      const time = net.world.now() + 86_400 * 400;
      const pay = craftPayment(w, r.config.readerId, {
        counter: 1,
        amount: 250,
        cumulative: 250,
        time,
      });
      const b = craftBatch(
        r.deviceKey,
        id16,
        known.lastSeq + 1,
        Buffer.from(known.lastHead, "hex"),
        [pay],
      );
      const up = await call(inst.server.url, "POST", "/api/batches", {
        token: inst.operatorToken,
        body: b.bytes,
      });
      assert.equal(up.status, 200, up.text);
      assert.deepEqual(up.json.suspectReaders, [readerHex]);
    });
    after(async () => {
      await inst?.dispose();
    });

    it("GET /api/readers/suspect and /api/flagged show the reader and the evidence", async () => {
      const s = await call(inst.server.url, "GET", "/api/readers/suspect", {
        token: inst.operatorToken,
      });
      assert.equal(s.status, 200);
      assert.equal(s.json.readers[0].readerId, readerHex);
      assert.equal(s.json.readers[0].evidence[0].kind, "failed_reader_check");
      const f = await call(inst.server.url, "GET", "/api/flagged", { token: inst.ownerToken });
      assert.equal(f.json.suspectReaders[0].readerId, readerHex, "the merchant sees why");
      const no = await call(inst.server.url, "GET", "/api/readers/suspect", {
        token: inst.ownerToken,
      });
      assert.equal(no.status, 403);
    });

    it("the operator's owner cannot cash out while its reader is suspect", async () => {
      const q = await call(inst.server.url, "POST", "/api/cashouts/quote", {
        token: inst.ownerToken,
        json: { amount: 100 },
      });
      assert.equal(q.status, 200, q.text);
      assert.match(q.json.refusal, /reader of this operator is suspect/, q.text);
    });

    it("POST /api/readers/:id/decision: operator only, validated, once", async () => {
      const path = `/api/readers/${readerHex}/decision`;
      const owner = await call(inst.server.url, "POST", path, {
        token: inst.ownerToken,
        json: { decision: "reject" },
      });
      assert.equal(owner.status, 403);
      const bad = await call(inst.server.url, "POST", path, {
        token: inst.operatorToken,
        json: { decision: "pardon" },
      });
      assert.equal(bad.status, 400);
      const ok = await call(inst.server.url, "POST", path, {
        token: inst.operatorToken,
        json: { decision: "reject", note: "key extracted" },
      });
      assert.equal(ok.status, 200, ok.text);
      assert.equal(ok.json.decision, "reject");
      const again = await call(inst.server.url, "POST", path, {
        token: inst.operatorToken,
        json: { decision: "release" },
      });
      assert.equal(again.status, 409);
      const missing = await call(
        inst.server.url,
        "POST",
        `/api/readers/${"ab".repeat(16)}/decision`,
        { token: inst.operatorToken, json: { decision: "release" } },
      );
      assert.equal(missing.status, 404);
    });
  });
}
