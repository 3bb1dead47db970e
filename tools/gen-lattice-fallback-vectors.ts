// Grinds Ed25519 vectors whose challenge k = SHA-512(R ‖ A ‖ M) mod L makes the firmware
// verify on its classic path (assembly/crypto/verify-lattice.ts finds no short vector;
// a few in a million hash values), and writes test/vectors/ed25519/lattice-fallback.json.
// Deterministic: the key, the nonce and the message search are fixed, so a re-run writes
// the same file. Results and statuses come from the host reference model (the policy's
// oracle), never from the firmware. Takes a few minutes.
//   node --import tsx tools/gen-lattice-fallback-vectors.ts [--out FILE]
import { createHash } from "node:crypto";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { Point } from "@noble/ed25519";
import { repoRoot } from "../host/firmware/paths.ts";
import { GROUP_L, bytesToNumberLE, numberToBytesLE, toHex } from "../host/crypto/encoding.ts";
import { takesClassicPath } from "../host/crypto/lattice.ts";
import { challengeScalar, verifyReference } from "../host/crypto/reference.ts";
import { VerifyStatus, statusName } from "../host/crypto/policy.ts";
import { torsionPoints } from "../host/crypto/torsion.ts";

/** Messages tried per vector before giving up (≈ 40× the expected search). */
const SEARCH_MAX = 20_000_000;

function sha512(...parts: (string | Uint8Array)[]): Uint8Array {
  const h = createHash("sha512");
  for (const p of parts) h.update(p);
  return new Uint8Array(h.digest());
}

/** RFC 8032 key expansion: the clamped secret scalar a and A = [a]B. */
function expand(seed: Uint8Array): { a: bigint; A: Point } {
  const h = sha512(seed).slice(0, 32);
  h[0]! &= 248;
  h[31]! &= 127;
  h[31]! |= 64;
  const a = bytesToNumberLE(h);
  return { a, A: Point.BASE.multiply(a % GROUP_L) };
}

interface Found { msg: Uint8Array; k: bigint; tries: number }

/** Searches messages "label n" (n = 0, 1, …) until accept(k) holds. */
function grind(
  label: string, rBytes: Uint8Array, aBytes: Uint8Array, accept: (k: bigint) => boolean,
): Found {
  for (let n = 0; n < SEARCH_MAX; n++) {
    const msg = new TextEncoder().encode(`${label} ${n}`);
    const k = challengeScalar(rBytes, aBytes, msg);
    if (accept(k)) return { msg, k, tries: n + 1 };
    if (n % 100_000 === 99_999) process.stderr.write(`  ${label}: ${n + 1} messages…\n`);
  }
  throw new Error(`${label}: no message found in ${SEARCH_MAX}`);
}

interface Case {
  tcId: number; comment: string; flags: string[]; msg: string; sig: string;
  result: "valid" | "invalid"; expectedStatus: string; challenge: string; searched: number;
}

function caseOf(
  tcId: number, comment: string, flags: string[], pk: Uint8Array, f: Found, sig: Uint8Array,
): Case {
  const status = verifyReference(pk, f.msg, sig);
  return {
    tcId, comment, flags, msg: toHex(f.msg), sig: toHex(sig),
    result: status === VerifyStatus.Valid ? "valid" : "invalid", expectedStatus: statusName(status),
    challenge: toHex(numberToBytesLE(f.k, 32)), searched: f.tries,
  };
}

function main(): void {
  const out = process.argv.includes("--out")
    ? process.argv[process.argv.indexOf("--out") + 1]!
    : path.join(repoRoot, "test", "vectors", "ed25519", "lattice-fallback.json");
  const { a, A } = expand(sha512("offtap lattice-fallback key").slice(0, 32));
  const nonce = bytesToNumberLE(sha512("offtap lattice-fallback nonce")) % GROUP_L;
  const rBytes = Point.BASE.multiply(nonce).toBytes();
  const sign = (k: bigint): Uint8Array => {
    const s = (nonce + k * a) % GROUP_L;
    const sig = new Uint8Array(64);
    sig.set(rBytes, 0);
    sig.set(numberToBytesLE(s, 32), 32);
    return sig;
  };
  const pk = A.toBytes();
  process.stderr.write("honest key…\n");
  const honest = grind("offtap lattice fallback", rBytes, pk, takesClassicPath);
  const good = sign(honest.k);
  const bad = good.slice();
  bad.set(numberToBytesLE((bytesToNumberLE(good.subarray(32)) + 1n) % GROUP_L, 32), 32);

  // A mixed-order key: A + T8. Under the cofactorless equation the signature holds exactly
  // when 8 divides k (then [k]T8 = O); both outcomes are ground.
  const t8 = torsionPoints()[1]!;
  const mixed = A.add(t8).toBytes();
  process.stderr.write("mixed-order key, k ≡ 0 (mod 8)…\n");
  const mixedOk = grind("offtap lattice fallback mixed", rBytes, mixed,
    (k) => k % 8n === 0n && takesClassicPath(k));
  process.stderr.write("mixed-order key, k ≢ 0 (mod 8)…\n");
  const mixedBad = grind("offtap lattice fallback mixed-off", rBytes, mixed,
    (k) => k % 8n !== 0n && takesClassicPath(k));

  const groups = [
    { pk, tests: [
      caseOf(1, "classic path: honest signature", [], pk, honest, good),
      caseOf(2, "classic path: S + 1 (same challenge k)", ["ModifiedSignature"], pk, honest, bad),
    ] },
    { pk: mixed, tests: [
      caseOf(3, "classic path: mixed-order key A + T8, 8 | k: cofactorless equation holds",
        ["MixedOrderPublicKey"], mixed, mixedOk, sign(mixedOk.k)),
      caseOf(4, "classic path: mixed-order key A + T8, 8 ∤ k: the torsion part remains",
        ["MixedOrderPublicKey"], mixed, mixedBad, sign(mixedBad.k)),
    ] },
  ];
  const doc = {
    algorithm: "EDDSA",
    schema: "eddsa_verify_schema_v1.json",
    numberOfTests: 4,
    header: [
      "Inputs whose challenge k = SHA-512(R || A || M) mod L makes the firmware's verify take its",
      "classic path (no short lattice vector within 136 bits; host/crypto/lattice.ts). Ground by",
      "tools/gen-lattice-fallback-vectors.ts (deterministic: fixed key, nonce and message search).",
      "result and expectedStatus are the host reference model's; challenge is k (LE hex);",
      "searched is how many messages the search tried. See PROVENANCE.md.",
    ],
    notes: {
      ModifiedSignature: { bugType: "MODIFIED_SIGNATURE", description: "S changed after signing." },
      MixedOrderPublicKey: {
        bugType: "EDGE_CASE",
        description: "A has a torsion component but is not small; cofactorless equation decides.",
      },
    },
    testGroups: groups.map((g) => ({
      type: "EddsaVerify",
      publicKey: { type: "EDDSAPublicKey", curve: "edwards25519", keySize: 255, pk: toHex(g.pk) },
      tests: g.tests,
    })),
  };
  writeFileSync(out, `${JSON.stringify(doc, null, 2)}\n`);
  process.stderr.write(`wrote ${out}\n`);
}

main();
