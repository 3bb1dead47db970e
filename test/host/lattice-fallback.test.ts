// The verify's rare path: vectors whose challenge k makes the firmware take the classic
// multiplication instead of the short lattice vector (a few in a million hash values, so
// random tests never reach it). Ground once by tools/gen-lattice-fallback-vectors.ts;
// here they run on every path: the reference model, the firmware one-shot, streamed in
// small pieces and registered-key, and as WASI modules through `offtap vectors run`.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import path from "node:path";
import { repoRoot } from "../../host/firmware/paths.ts";
import { FirmwareCrypto } from "../../host/firmware/crypto.ts";
import { bytesToNumberLE, fromHex } from "../../host/crypto/encoding.ts";
import { shortLatticeVector, takesClassicPath } from "../../host/crypto/lattice.ts";
import { challengeScalar, verifyReference } from "../../host/crypto/reference.ts";
import { statusName } from "../../host/crypto/policy.ts";
import { loadEddsaVerifyFile } from "../../host/vectors/wycheproof.ts";
import { GROUP_L } from "../../host/crypto/encoding.ts";

const FILE = path.join(repoRoot, "test", "vectors", "ed25519", "lattice-fallback.json");
const SPEC = path.join(repoRoot, "assembly", "__tests__", "lattice-fallback.spec.ts");
const { cases } = loadEddsaVerifyFile(FILE);

interface Raw { testGroups: { tests: { tcId: number; challenge: string }[] }[] }
const raw = JSON.parse(readFileSync(FILE, "utf8")) as Raw;
const challenges = raw.testGroups.flatMap((g) => g.tests);

test("every vector's challenge takes the classic path, and the file covers both outcomes", () => {
  assert.ok(cases.length >= 4);
  for (const c of cases) {
    const k = challengeScalar(c.signature.subarray(0, 32), c.publicKey, c.message);
    const recorded = challenges.find((x) => x.tcId === c.tcId)!.challenge;
    assert.equal(bytesToNumberLE(fromHex(recorded)), k, `tcId ${c.tcId}: recorded challenge`);
    assert.ok(takesClassicPath(k), `tcId ${c.tcId}: k has a short vector`);
  }
  assert.ok(cases.some((c) => c.result === "valid"));
  assert.ok(cases.some((c) => c.result === "invalid"));
});

test("the lattice model finds short vectors for hash-like challenges (not always null)", () => {
  for (let i = 0; i < 64; i++) {
    const h = new Uint8Array(createHash("sha512").update(`k ${i}`).digest());
    const k = bytesToNumberLE(h) % GROUP_L;
    const v = shortLatticeVector(k);
    assert.ok(v !== null, `k = ${k}`);
    // r ≡ σ·m·k (mod 8L), the identity the firmware's equation relies on.
    const eightL = 8n * GROUP_L;
    const lhs = ((v.r - BigInt(v.sigma) * v.m * k) % eightL + eightL) % eightL;
    assert.equal(lhs, 0n);
  }
});

test("the AssemblyScript spec checks the same challenges against the firmware's own search", () => {
  const spec = readFileSync(SPEC, "utf8");
  for (const c of challenges) assert.ok(spec.includes(c.challenge), `tcId ${c.tcId} in the spec`);
});

test("reference model and firmware (one-shot, streamed, registered key) give each status", () => {
  const fw = new FirmwareCrypto();
  const e = fw.exports;
  for (const c of cases) {
    const want = c.expectedStatus!;
    assert.equal(statusName(verifyReference(c.publicKey, c.message, c.signature)), want);
    const oneShot = fw.verify(c.publicKey, c.message, c.signature);
    assert.equal(statusName(oneShot), want, `one-shot ${c.tcId}`);
    // Streamed one byte at a time, through the exports directly.
    const mem = (): Uint8Array => new Uint8Array(e.memory.buffer);
    const io = e.ioBufferPtr();
    mem().set(c.publicKey, io);
    mem().set(c.signature, io + 32);
    let status = e.ed25519VerifyBegin(io, io + 32);
    if (status === 0) {
      for (const byte of c.message) {
        mem()[io + 96] = byte;
        e.ed25519VerifyUpdate(io + 96, 1);
      }
      status = e.ed25519VerifyEnd();
    }
    assert.equal(statusName(status), want, `streamed ${c.tcId}`);
    assert.equal(fw.registerKey(0, c.publicKey), 0);
    const registered = fw.verifyRegistered(0, c.message, c.signature);
    assert.equal(statusName(registered), want, `registered ${c.tcId}`);
  }
});

test("offtap vectors run passes the file on the firmware in V8 and as a WASI module", () => {
  for (const engine of ["v8", "wasi"]) {
    const r = spawnSync(process.execPath, [
      path.join(repoRoot, "bin", "offtap.mjs"), "vectors", "run", FILE,
      "--engine", engine, "--json",
    ], { encoding: "utf8", env: { ...process.env, NO_COLOR: "1" } });
    assert.equal(r.status, 0, r.stdout + r.stderr);
    const report = JSON.parse(r.stdout) as { total: number; passed: number };
    assert.equal(report.passed, cases.length, engine);
  }
});
