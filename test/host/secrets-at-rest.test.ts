// Secrets at rest (docs/CLEARING.md "Secrets at rest", docs/CASHOUT.md): TOTP secrets, bank
// details, payout files and the service keys' seeds never reach the database in clear, on
// PGlite (rows and the files of its directory) and on a PostgreSQL server (rows).
import { test } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import {
  chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import {
  Clearing, DataKeyError, loadSealer, resealAll, Sealer, type Db,
} from "../../host/clearing/index.ts";
import { CashoutService } from "../../host/cashout/index.ts";
import { base32Encode } from "../../host/cashout/totp.ts";
import { verifyEd25519 } from "../../host/issuer/ed25519.ts";
import { keyId } from "../../host/clearing/sealed.ts";
import { command as clear } from "../../host/cli/commands/clear.ts";
import { install, must, type Installation } from "./cashout-support.ts";
import { SERVER_URL } from "./clearing-support.ts";

const IBAN = "DE89370400440532013000";

interface Engine {
  name: string;
  open(sealer: Sealer): Promise<Clearing>;
  /** The data directory's files (PGlite), to grep for clear secrets. */
  dir?: string;
  cleanup(): Promise<void>;
}

function pglite(): Engine {
  const root = mkdtempSync(join(tmpdir(), "offtap-sealed-"));
  const dir = join(root, "db");
  return {
    name: "pglite", dir,
    open: (sealer) => Clearing.open({ dataDir: dir, databaseUrl: null, sealer, verifyWorkers: 0 }),
    cleanup: async () => { rmSync(root, { recursive: true, force: true }); },
  };
}

async function server(): Promise<Engine> {
  const name = `offtap_s_${randomBytes(6).toString("hex")}`;
  const admin = new pg.Client({ connectionString: SERVER_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(SERVER_URL!);
  url.pathname = `/${name}`;
  return {
    name: "server",
    open: (sealer) => Clearing.open({ databaseUrl: url.toString(), sealer, verifyWorkers: 0 }),
    cleanup: async () => {
      const a = new pg.Client({ connectionString: SERVER_URL });
      await a.connect();
      await a.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await a.end();
    },
  };
}

function both(name: string, fn: (e: Engine) => Promise<void>): void {
  test(`${name} [pglite]`, async () => {
    const e = pglite();
    try { await fn(e); } finally { await e.cleanup(); }
  });
  test(`${name} [server]`, { skip: SERVER_URL ? false : "DATABASE_URL unset" }, async () => {
    const e = await server();
    try { await fn(e); } finally { await e.cleanup(); }
  });
}

const sealerOf = (...keys: Buffer[]): Sealer => new Sealer(keys, "test keys");

/** Every row of every table, as text. */
async function dumpRows(db: Db): Promise<string> {
  const tables = await db.query(
    "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename");
  let out = "";
  for (const t of tables) {
    const name = String(t["tablename"]);
    const rows = await db.query(`SELECT row_to_json(x)::text AS j FROM "${name}" x`);
    out += rows.map((r) => String(r["j"])).join("\n");
  }
  return out;
}

function filesContaining(dir: string, needles: Buffer[]): string[] {
  const hits: string[] = [];
  const walk = (d: string): void => {
    for (const f of readdirSync(d)) {
      const p = join(d, f);
      if (statSync(p).isDirectory()) { walk(p); continue; }
      const bytes = readFileSync(p);
      for (const n of needles) if (bytes.includes(n)) hits.push(`${p}: ${n.toString("latin1")}`);
    }
  };
  walk(dir);
  return hits;
}

/** One paid-out cash-out: request, TOTP confirm, payout file. */
async function cashOut(i: Installation): Promise<string> {
  const r = must(await i.svc.request({ ownerId: i.ownerId, bankAccountId: i.accountId,
    grossMinor: 10_000, currency: "EUR" }, `owner:${i.ownerId}`));
  must(await i.svc.confirm(r.id, i.nextCode(), `owner:${i.ownerId}`));
  const f = must(await i.svc.export("operator:admin"));
  assert.ok(f.xml.includes(IBAN), "the payout file names the creditor's IBAN");
  return f.id;
}

both("TOTP secrets, bank details, payout files and seeds are sealed; all still works",
  async (e) => {
    const k1 = randomBytes(32);
    let c = await e.open(sealerOf(k1));
    const acme = await install(c);
    const fileId = await cashOut(acme);
    const seeds = [c.clearingKey.seed, c.operatorKey.seed].map((s) => Buffer.from(s));
    const clearingPub = c.clearingKey.publicKey;
    const needles = [Buffer.from(IBAN), Buffer.from(base32Encode(acme.secret)),
      Buffer.from(acme.secret), ...seeds, ...seeds.map((s) => Buffer.from(s.toString("hex")))];
    const rows = await dumpRows(c.db);
    for (const n of needles) {
      assert.ok(!rows.includes(n.toString("latin1")), `clear ${n.toString("hex")} in a row`);
    }
    assert.match(rows, /v1:[0-9a-f]{8}:/, "sealed values in the rows");
    await c.close();
    if (e.dir !== undefined) assert.deepEqual(filesContaining(e.dir, needles), []);

    // Reopened with the key: same service keys, TOTP confirms, payout file readable.
    c = await e.open(sealerOf(k1));
    assert.deepEqual(c.clearingKey.publicKey, clearingPub);
    const msg = Buffer.from("acknowledgement");
    assert.ok(verifyEd25519(clearingPub, msg, c.clearingKey.sign(msg)));
    const svc = await CashoutService.open(c, { now: acme.clock.now });
    assert.ok((await svc.payoutFile(fileId))!.xml.includes(IBAN));
    assert.equal((await svc.bankAccounts(acme.ownerId))[0]!.iban, IBAN);
    const again = { ...acme, svc };
    await cashOut(again);
    await c.close();
  });

both("wrong key, swapped ciphertexts, rotation and clear-text legacy rows", async (e) => {
  const k1 = randomBytes(32);
  let c = await e.open(sealerOf(k1));
  const a = await install(c, { operatorId: "acme" });
  const b = await install(c, { operatorId: "beta" });
  await cashOut(a);
  const seed = Buffer.from(c.clearingKey.seed).toString("hex");
  await c.close();

  // A wrong key is named as such; nothing is decrypted into garbage.
  await assert.rejects(e.open(sealerOf(randomBytes(32))), (err: unknown) =>
    err instanceof DataKeyError && /sealed under data key [0-9a-f]{8}, which/.test(err.message));

  // One owner's sealed TOTP secret moved to another fails authentication.
  c = await e.open(sealerOf(k1));
  await c.db.query(`UPDATE cashout_owners SET totp_secret =
    (SELECT totp_secret FROM cashout_owners WHERE id = 'own-acme') WHERE id = 'own-beta'`);
  const svc = await CashoutService.open(c, { now: b.clock.now });
  const r = must(await svc.request({ ownerId: b.ownerId, bankAccountId: b.accountId,
    grossMinor: 10_000, currency: "EUR" }, `owner:${b.ownerId}`));
  await assert.rejects(svc.confirm(r.id, b.nextCode(), `owner:${b.ownerId}`),
    /totp_secret of own-beta fails authentication/);
  // A bank detail moved between columns fails too.
  await c.db.query("UPDATE cashout_bank_accounts SET bic = iban WHERE id = $1", [b.accountId]);
  await assert.rejects(svc.bankAccounts(b.ownerId), /bic of ba_[0-9a-f]+ fails authentication/);
  // Undo: legacy clear-text rows (as stored before sealing) are sealed on the next open.
  await c.db.query("UPDATE cashout_owners SET totp_secret = $1 WHERE id = 'own-beta'",
    [base32Encode(b.secret)]);
  await c.db.query("UPDATE cashout_bank_accounts SET bic = 'COBADEFFXXX' WHERE id = $1",
    [b.accountId]);
  await c.db.query("UPDATE service_keys SET seed_hex = $1 WHERE name = 'clearing'", [seed]);
  await c.close();

  c = await e.open(sealerOf(k1));
  const svc2 = await CashoutService.open(c, { now: b.clock.now });
  const clearLeft = await c.db.query(`SELECT 1 FROM cashout_owners WHERE totp_secret NOT LIKE 'v1:%'
    UNION ALL SELECT 1 FROM service_keys WHERE seed_hex NOT LIKE 'v1:%'
    UNION ALL SELECT 1 FROM cashout_bank_accounts WHERE bic NOT LIKE 'v1:%'`);
  assert.equal(clearLeft.length, 0, "legacy clear-text rows sealed on open");
  assert.equal(Buffer.from(c.clearingKey.seed).toString("hex"), seed);
  must(await svc2.confirm(r.id, b.nextCode(), `owner:${b.ownerId}`));
  assert.equal(await resealAll(c.db, c.sealer, false), 0, "sealing legacy rows is idempotent");
  await c.close();

  // Rotation: a second key, rekey, then the first key can go.
  const k2 = randomBytes(32);
  c = await e.open(sealerOf(k1, k2));
  const total = await c.db.query(`SELECT (SELECT count(*) FROM service_keys)
    + (SELECT count(totp_secret) FROM cashout_owners)
    + 3 * (SELECT count(*) FROM cashout_bank_accounts)
    + 2 * (SELECT count(*) FROM cashout_payout_files) AS n`);
  assert.equal(await resealAll(c.db, c.sealer, true), Number(total[0]!["n"]));
  assert.equal(await resealAll(c.db, c.sealer, true), 0, "nothing left under the old key");
  assert.ok(!(await dumpRows(c.db)).includes(`v1:${keyId(k1)}:`));
  await c.close();
  c = await e.open(sealerOf(k2));
  assert.equal(Buffer.from(c.clearingKey.seed).toString("hex"), seed);
  const svc3 = await CashoutService.open(c, { now: a.clock.now });
  await cashOut({ ...a, svc: svc3 });
  await c.close();
});

test("key sources: file modes, env, the embedded default, no key for a server", () => {
  const root = mkdtempSync(join(tmpdir(), "offtap-keys-"));
  try {
    const file = join(root, "data.key");
    const k = randomBytes(32);
    const hex = k.toString("hex");
    require0600(file, `# offtap data key\n${hex}\n`);
    assert.equal(loadSealer({ env: { OFFTAP_DATA_KEY_FILE: file } }).newestId, keyId(k));
    require0600(file, `${hex}\n`, 0o644);
    assert.throws(() => loadSealer({ env: { OFFTAP_DATA_KEY_FILE: file } }),
      /readable by group or others \(mode 644; chmod 600/);
    const k2 = randomBytes(32);
    const two = loadSealer({ env: { OFFTAP_DATA_KEY: `${hex},${k2.toString("base64")}` } });
    assert.deepEqual(two.keyIds, [keyId(k), keyId(k2)]);
    assert.equal(two.newestId, keyId(k2));
    assert.throws(() => loadSealer({ env: { OFFTAP_DATA_KEY: "abcd" } }), /must be 32 bytes/);
    assert.throws(() => loadSealer({ env: {} }), /no data key for the PostgreSQL server/);
    const dir = join(root, "db");
    const s = loadSealer({ dataDir: dir, env: {} });
    const made = join(root, "db.key");
    assert.equal(statSync(made).mode & 0o777, 0o600);
    assert.equal(loadSealer({ dataDir: dir, env: {} }).newestId, s.newestId, "created once");
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

function require0600(path: string, text: string, mode = 0o600): void {
  writeFileSync(path, text);
  chmodSync(path, mode); // exactly, whatever the umask
}

async function run(argv: string[]): Promise<{ code: number; out: string }> {
  const lines: string[] = [];
  const log = console.log;
  console.log = (...a: unknown[]) => { lines.push(a.map(String).join(" ")); };
  try {
    return { code: await clear.run(argv), out: lines.join("\n") };
  } finally {
    console.log = log;
  }
}

test("offtap clear rekey: rotation on the command line (embedded database)", async () => {
  const root = mkdtempSync(join(tmpdir(), "offtap-rekey-"));
  const saved = { ...process.env };
  delete process.env["DATABASE_URL"];
  delete process.env["OFFTAP_DATA_KEY_FILE"];
  try {
    const db = ["--db", join(root, "db"), "--create"];
    const [k1, k2] = [randomBytes(32).toString("hex"), randomBytes(32).toString("hex")];
    process.env["OFFTAP_DATA_KEY"] = k1;
    const ack1 = await run(["denylist", ...db]);
    assert.equal(ack1.code, 0);
    process.env["OFFTAP_DATA_KEY"] = `${k1},${k2}`;
    const r = await run(["rekey", "--json", ...db]);
    assert.equal(r.code, 0);
    assert.deepEqual(JSON.parse(r.out), {
      resealed: 2, keyId: keyId(Buffer.from(k2, "hex")),
      keyIds: [keyId(Buffer.from(k1, "hex")), keyId(Buffer.from(k2, "hex"))],
    });
    process.env["OFFTAP_DATA_KEY"] = k2;
    assert.equal((await run(["denylist", ...db])).code, 0, "the old key is no longer needed");
    process.env["OFFTAP_DATA_KEY"] = k1;
    await assert.rejects(run(["balances", ...db]), /sealed under data key [0-9a-f]{8}, which/);

    // The embedded default: DIR.key beside the directory; --add-key, rekey, drop the old line.
    delete process.env["OFFTAP_DATA_KEY"];
    const db2 = ["--db", join(root, "db2"), "--create"];
    assert.equal((await run(["denylist", ...db2])).code, 0);
    const file = join(root, "db2.key");
    const first = readFileSync(file, "utf8");
    const rk = await run(["rekey", "--add-key", "--json", ...db2]);
    assert.equal(rk.code, 0);
    const out = JSON.parse(rk.out) as { resealed: number; keyId: string; keyIds: string[] };
    assert.equal(out.resealed, 2);
    assert.equal(out.keyIds.length, 2);
    assert.equal(out.keyIds[0], keyId(Buffer.from(first.trim(), "hex")));
    const lines = readFileSync(file, "utf8").trim().split("\n");
    assert.equal(keyId(Buffer.from(lines[1]!, "hex")), out.keyId);
    assert.equal(statSync(file).mode & 0o777, 0o600);
    writeFileSync(file, `${lines[1]}\n`);
    assert.equal((await run(["denylist", ...db2])).code, 0, "the new key alone opens it");
    rmSync(file);
    await assert.rejects(run(["denylist", ...db2]),
      /holds encrypted secrets but its key file .*db2\.key is missing/);
    assert.ok(!existsSync(file), "no new key replaces a lost one");
  } finally {
    for (const k of ["DATABASE_URL", "OFFTAP_DATA_KEY_FILE", "OFFTAP_DATA_KEY"]) {
      if (saved[k] === undefined) delete process.env[k]; else process.env[k] = saved[k];
    }
    rmSync(root, { recursive: true, force: true });
  }
});
