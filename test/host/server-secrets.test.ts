// Secrets of the clearing service (issue 10, finding 3): the embedded database's directory
// is private whatever the umask; API tokens expire and are revoked one by one, also in a
// running server; `offtap serve` prints no token.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { chmodSync, lstatSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Clearing } from "../../host/clearing/index.ts";
import { startServer, TokenAuthority } from "../../host/server/index.ts";
import { TokenRegister } from "../../host/server/token-register.ts";
import { call } from "./server-support.ts";

/** Every path under `dir` whose mode lets group or others in. */
function openToOthers(dir: string): string[] {
  const out: string[] = [];
  const stack = [dir];
  while (stack.length > 0) {
    const p = stack.pop()!;
    const st = lstatSync(p);
    if (st.isSymbolicLink()) continue;
    if ((st.mode & 0o077) !== 0) out.push(`${p} ${(st.mode & 0o777).toString(8)}`);
    if (st.isDirectory()) for (const e of readdirSync(p)) stack.push(join(p, e));
  }
  return out;
}

test("the embedded database directory is 0700 and its files 0600 under a 022 umask", async () => {
  const dir = mkdtempSync(join(tmpdir(), "offtap-private-"));
  const before = process.umask(0o022);
  try {
    chmodSync(dir, 0o755);
    writeFileSync(join(dir, "left-over"), "x", { mode: 0o644 });
    const c = await Clearing.open({ dataDir: join(dir, "db"), databaseUrl: null });
    await c.createAccount({ id: "bank:978", code: "bank", currency: 978 });
    await c.close();
    assert.deepEqual(openToOthers(join(dir, "db")), []);
    const files = readdirSync(join(dir, "db"), { recursive: true }).length;
    assert.ok(files > 100, `a PGlite directory (${files} entries)`);
  } finally {
    process.umask(before);
    rmSync(dir, { recursive: true, force: true });
  }
});

test("tokens expire, are revoked one by one (from any process), need the register", async () => {
  const dir = mkdtempSync(join(tmpdir(), "offtap-tokens-"));
  const clock = { s: 1_800_000_000 };
  const secret = new Uint8Array(32).fill(7);
  const path = join(dir, "api-tokens.json");
  const server = new TokenAuthority(secret, new TokenRegister(path), () => clock.s);
  const cli = new TokenAuthority(secret, new TokenRegister(path), () => clock.s);
  const a = cli.issueToken({ role: "operator" }, { ttlS: 3600, note: "ops laptop" });
  const b = cli.issueToken({ role: "owner", ownerId: "metro" }, { ttlS: 7200 });
  assert.deepEqual(server.verify(a.token), { role: "operator" });
  assert.deepEqual(server.verify(b.token), { role: "owner", ownerId: "metro" });
  assert.ok(new TokenRegister(path).revoke(a.id, clock.s), "revoked by a second process");
  assert.equal(server.verify(a.token), undefined, "the running server sees the revocation");
  assert.deepEqual(
    server.verify(b.token),
    { role: "owner", ownerId: "metro" },
    "the other token lives on",
  );
  clock.s += 7200;
  assert.equal(server.verify(b.token), undefined, "expired");
  const forged = b.token.replace(/\.(\d+)\./, (_m, e: string) => `.${Number(e) + 99999}.`);
  clock.s -= 7200;
  assert.equal(server.verify(forged), undefined, "the expiry is under the MAC");
  const registerText = JSON.stringify(new TokenRegister(path).list());
  assert.ok(!registerText.includes(b.token.split(".")[4]!), "the register never holds a token");
  assert.equal((lstatSync(path).mode & 0o777).toString(8), "600");
  rmSync(path);
  assert.equal(server.verify(b.token), undefined, "deleting the register revokes every token");
  // Over HTTP: 200, then 401 once revoked.
  const c = await Clearing.open({ databaseUrl: null });
  const reg = new TokenRegister(join(dir, "r2.json"));
  const tokens = new TokenAuthority(secret, reg);
  const running = await startServer({ clearing: c, tokens, onClientError: () => undefined });
  try {
    const t = tokens.issueToken({ role: "operator" });
    assert.equal((await call(running.url, "GET", "/api/balances", { token: t.token })).status, 200);
    new TokenRegister(join(dir, "r2.json")).revoke(t.id, Math.floor(Date.now() / 1000));
    const after = await call(running.url, "GET", "/api/balances", { token: t.token });
    assert.equal(after.status, 401);
    assert.match(after.json.error.message, /revoked/);
  } finally {
    await running.close();
    await c.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test("offtap serve prints no token and keeps its directory private", async () => {
  const dir = mkdtempSync(join(tmpdir(), "offtap-serve-"));
  const env = { ...process.env };
  delete env["DATABASE_URL"];
  const child = spawn(
    process.execPath,
    ["bin/offtap.mjs", "serve", "--port", "0", "--db", join(dir, "db"), "--create"],
    { env, stdio: ["ignore", "pipe", "pipe"] },
  );
  let out = "";
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`serve did not start: ${out}`)), 60_000);
      child.stdout.on("data", (d: Buffer) => {
        out += d.toString();
        if (out.includes("Ctrl-C")) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.stderr.on("data", (d: Buffer) => {
        out += d.toString();
      });
      child.on("exit", (code) => {
        clearTimeout(timer);
        reject(new Error(`serve exited ${code}: ${out}`));
      });
    });
    assert.doesNotMatch(out, /otk\d\./, "no token on the terminal");
    assert.match(out, /offtap tokens issue/);
    assert.deepEqual(openToOthers(join(dir, "db")), []);
  } finally {
    child.removeAllListeners("exit");
    child.kill("SIGTERM");
    await new Promise((r) => child.once("exit", r));
    rmSync(dir, { recursive: true, force: true });
  }
});
