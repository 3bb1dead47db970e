// The host reference model of the strict verification policy, checked against every
// committed vector file and against independent implementations (noble, node:crypto).
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import path from "node:path";
import { createPublicKey, verify as nodeVerify } from "node:crypto";
import * as ed from "@noble/ed25519";
import { sha512 } from "@noble/hashes/sha2.js";
import { repoRoot } from "../../host/firmware/paths.ts";
import { VerifyStatus, statusName } from "../../host/crypto/policy.ts";
import { verifyReference, decodePoint } from "../../host/crypto/reference.ts";
import { isCanonicalPointEncoding, toHex } from "../../host/crypto/encoding.ts";
import { torsionEncodings } from "../../host/crypto/torsion.ts";
import { judge, runCase } from "../../host/vectors/run.ts";
import { loadEddsaVerifyFile } from "../../host/vectors/wycheproof.ts";

ed.hashes.sha512 = sha512;
const vectorDir = path.join(repoRoot, "test/vectors/ed25519");
const verifyFiles = readdirSync(vectorDir).filter((f) => f.endsWith(".json") && f !== "speccheck-cases.json" && f !== "rfc8032-sign.json");

test("the committed verify vector files are the ones this suite expects", () => {
  for (const f of ["rfc8032.json", "wycheproof-ed25519_test.json", "speccheck.json"]) assert.ok(verifyFiles.includes(f), f);
});

for (const file of verifyFiles) {
  test(`reference model agrees with every vector in ${file}`, () => {
    const { cases } = loadEddsaVerifyFile(path.join(vectorDir, file));
    assert.ok(cases.length > 0);
    for (const c of cases) {
      const outcome = runCase(c, verifyReference);
      const got = outcome.kind === "status" ? statusName(outcome.status) : outcome.kind;
      assert.ok(judge(c.result, outcome), `${file} tcId ${c.tcId} (${c.comment}): expected ${c.result}, got ${got}`);
      if (c.expectedStatus !== undefined) assert.equal(got, c.expectedStatus, `${file} tcId ${c.tcId}: exact status`);
    }
  });
}

test("speccheck.json covers the original 12 cases, byte for byte", () => {
  const original = JSON.parse(readFileSync(path.join(vectorDir, "speccheck-cases.json"), "utf8")) as { message: string; pub_key: string; signature: string }[];
  const { cases } = loadEddsaVerifyFile(path.join(vectorDir, "speccheck.json"));
  assert.equal(cases.length, original.length);
  original.forEach((o, i) => {
    const c = cases.find((x) => x.tcId === i + 1);
    assert.ok(c, `case ${i}`);
    assert.equal(toHex(c.message), o.message);
    assert.equal(toHex(c.publicKey), o.pub_key);
    assert.equal(toHex(c.signature), o.signature);
  });
});

test("host VerifyStatus mirrors assembly/crypto/policy.ts name for name and number for number", () => {
  const src = readFileSync(path.join(repoRoot, "assembly/crypto/policy.ts"), "utf8");
  const body = /enum VerifyStatus \{([\s\S]*?)\n\}/.exec(src)?.[1];
  assert.ok(body, "VerifyStatus enum not found in the firmware source");
  const firmware = [...body.matchAll(/^\s*(\w+)\s*=\s*(\d+),/gm)].map((m) => [m[1], Number(m[2])] as const);
  assert.ok(firmware.length >= 8);
  for (const [name, value] of firmware) assert.equal(statusName(value), name);
  const hostValues = Object.values(VerifyStatus).filter((v) => typeof v === "number");
  assert.equal(hostValues.length, firmware.length);
});

test("statusName names unknown codes instead of hiding them", () => {
  assert.equal(statusName(0), "Valid");
  assert.equal(statusName(7), "EquationMismatch");
  assert.equal(statusName(42), "Unknown(42)");
  assert.equal(statusName(-1), "Unknown(-1)");
});

test("canonical-encoding rule agrees with noble's strict (RFC 8032) decoder on every torsion encoding", () => {
  const encodings = torsionEncodings();
  assert.equal(encodings.length, 14);
  assert.equal(encodings.filter((e) => e.canonical).length, 8);
  for (const e of encodings) {
    assert.equal(isCanonicalPointEncoding(e.bytes), e.canonical, toHex(e.bytes));
    assert.equal(decodePoint(e.bytes) !== null, e.canonical, `noble strict decode of ${toHex(e.bytes)}`);
    assert.ok(decodePoint(e.bytes, true)?.isSmallOrder(), `lenient decode of ${toHex(e.bytes)} is small order`);
  }
});

test("small-order public keys are rejected by rule 4 (canonical) or rule 2 (non-canonical), as noble strict rejects them", () => {
  const seed = new Uint8Array(32).fill(7);
  const msg = new TextEncoder().encode("offtap");
  const sig = ed.sign(msg, seed);
  for (const e of torsionEncodings()) {
    const expected = e.canonical ? VerifyStatus.PublicKeySmallOrder : VerifyStatus.PublicKeyNotCanonical;
    assert.equal(verifyReference(e.bytes, msg, sig), expected, toHex(e.bytes));
    assert.equal(ed.verify(sig, msg, e.bytes, { zip215: false }), false);
  }
});

test("reference accepts what node:crypto and noble sign, and rejects any single flipped bit", () => {
  const spki = Buffer.from("302a300506032b6570032100", "hex");
  for (let i = 0; i < 8; i++) {
    const seed = new Uint8Array(32).fill(i + 1);
    const pk = ed.getPublicKey(seed);
    const msg = new Uint8Array(i * 37).fill(0xa5 ^ i);
    const sig = ed.sign(msg, seed);
    const nodeKey = createPublicKey({ key: Buffer.concat([spki, pk]), format: "der", type: "spki" });
    assert.equal(nodeVerify(null, msg, nodeKey, sig), true);
    assert.equal(verifyReference(pk, msg, sig), VerifyStatus.Valid);
    const bad = sig.slice();
    const at = (i * 11) % 64;
    bad[at] = bad[at]! ^ (1 << i % 8);
    assert.equal(nodeVerify(null, msg, nodeKey, bad), false);
    assert.notEqual(verifyReference(pk, msg, bad), VerifyStatus.Valid);
  }
});

test("reference refuses wrong-length inputs as a caller bug", () => {
  assert.throws(() => verifyReference(new Uint8Array(31), new Uint8Array(0), new Uint8Array(64)), RangeError);
  assert.throws(() => verifyReference(new Uint8Array(32), new Uint8Array(0), new Uint8Array(65)), RangeError);
});
