// `offtap cashout export` never leaves exported cash-outs without their payout file
// (docs/CLEARING.md "Durability", issue 16): the stored file is written and synced before
// export reports it, and a file an interrupted export stored but never wrote is written by
// the next export, which says so.
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Clearing } from "../../host/clearing/index.ts";
import { command } from "../../host/cli/commands/cashout.ts";
import { ensureDeliveries } from "../../host/cashout/delivery.ts";
import { install, must } from "./cashout-support.ts";

async function run(argv: string[]): Promise<{ code: number; out: string }> {
  const lines: string[] = [];
  const log = console.log;
  console.log = (...a: unknown[]) => { lines.push(a.map(String).join(" ")); };
  try {
    return { code: await command.run(argv), out: lines.join("\n") };
  } finally {
    console.log = log;
  }
}

/** A confirmed cash-out of `amount` (minor units) for the installation's owner. */
async function confirmed(i: Awaited<ReturnType<typeof install>>, amount: number): Promise<string> {
  const actor = `owner:${i.ownerId}`;
  const q = must(await i.svc.quote(i.ownerId, amount, "EUR", actor));
  const spec = { ownerId: i.ownerId, bankAccountId: i.accountId, quoteId: q.id };
  const co = must(await i.svc.request(spec, actor));
  must(await i.svc.confirm(co.id, i.nextCode(), actor));
  return co.id;
}

test("cashout export: a payout file stored by an interrupted export is written by the next one",
  async () => {
    const saved = process.env["DATABASE_URL"];
    delete process.env["DATABASE_URL"];
    const dir = mkdtempSync(join(tmpdir(), "offtap-durable-export-"));
    try {
      const dbDir = join(dir, "db");
      const out = join(dir, "payouts");
      const c = await Clearing.open({ dataDir: dbDir });
      let storedMsgId: string;
      let storedXml: string;
      try {
        const i = await install(c);
        await ensureDeliveries(c.db); // as every `offtap cashout` command does
        await confirmed(i, 20_000);
        // The first half of an export that crashed before writing: the file is stored and
        // its cash-outs marked exported, in one committed transaction.
        const file = must(await i.svc.export("operator:admin"));
        storedMsgId = file.msgId;
        storedXml = file.xml;
        await confirmed(i, 30_000);
      } finally {
        await c.close();
      }
      const r = await run(["export", "--db", dbDir, "--out", out, "--json"]);
      assert.equal(r.code, 0, r.out);
      type Written = { msgId: string; files: { xml: string } };
      const report = JSON.parse(r.out) as Written & { finished: Written[] };
      assert.equal(report.finished.length, 1);
      assert.equal(report.finished[0]!.msgId, storedMsgId);
      assert.equal(readFileSync(report.finished[0]!.files.xml, "utf8"), storedXml);
      assert.notEqual(report.msgId, storedMsgId);
      assert.ok(existsSync(report.files.xml));
      const temporary = readdirSync(out).filter((f) => f.includes(".tmp"));
      assert.deepEqual(temporary, [], "no temporary files left");
      // Nothing is pending any more.
      const again = await run(["export", "--db", dbDir, "--out", out, "--json"]);
      assert.equal(again.code, 0);
      assert.deepEqual(JSON.parse(again.out), { ok: true, exported: 0 });
    } finally {
      if (saved !== undefined) process.env["DATABASE_URL"] = saved;
      rmSync(dir, { recursive: true, force: true });
    }
  });
