// The wallet key of a first-time tap is decoded inside the certificate's verify
// (assembly/crypto/verify.ts, ed25519VerifyRegisteredDecoding; docs/PERFORMANCE.md): the
// decisions must be those of the strict policy for every key the certificate may carry.
// Through the real firmware on the simulated board, certificates signed by a provisioned
// issuer for honest, mixed-order, non-canonical, off-curve and small-order keys: each
// authorization's decision must be what the host reference model (host/crypto/
// reference.ts) says of its signature — on the first tap (certificate verified, key
// decoded with it) and on the next (certificate cached, key decoded by the plain verify).
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { Point } from "@noble/ed25519";
import { Reason, fromHex, toHex } from "../../host/protocol/index.ts";
import { SimWallet } from "../../host/sim/wallet.ts";
import { SimWorld } from "../../host/sim/world.ts";
import { firmwareHasReader } from "../../host/sim/reader.ts";
import { Ed25519Key } from "../../host/issuer/ed25519.ts";
import { GROUP_L, bytesToNumberLE, numberToBytesLE } from "../../host/crypto/encoding.ts";
import { challengeScalar, verifyReference } from "../../host/crypto/reference.ts";
import { VerifyStatus } from "../../host/crypto/policy.ts";
import { torsionPoints } from "../../host/crypto/torsion.ts";

const skip = firmwareHasReader()
  ? false
  : "build/offtap.wasm does not export the reader (run make build)";
const SEED = Number(process.env["OFFTAP_READER_SEED"] ?? 11);
/** Mixed-order wallets: about one in eight authorizations has 8 | k and verifies. */
const MIXED_WALLETS = 24;

function sha512(...parts: Uint8Array[]): Uint8Array {
  const h = createHash("sha512");
  for (const p of parts) h.update(p);
  return new Uint8Array(h.digest());
}

/** A wallet key that records what it signs. With `mixed`, it signs as the owner of
 *  A + T8 would (k over the mixed key's bytes), which a cofactorless verify accepts
 *  exactly when 8 divides k. */
class RecordingKey extends Ed25519Key {
  readonly signed: { message: Uint8Array; signature: Uint8Array }[] = [];
  readonly certKey: Uint8Array;
  private readonly mixed: boolean;

  constructor(seed: Uint8Array, mixed: boolean, certKey?: Uint8Array) {
    super(seed);
    this.mixed = mixed;
    this.certKey = certKey ?? (mixed ? mixedKey(seed) : this.publicKey);
  }

  override sign(message: Uint8Array): Uint8Array {
    const signature = this.mixed ? this.signMixed(message) : super.sign(message);
    this.signed.push({ message, signature });
    return signature;
  }

  private signMixed(message: Uint8Array): Uint8Array {
    const a = secretScalar(this.seed);
    const r = bytesToNumberLE(sha512(this.seed, message)) % GROUP_L;
    const rBytes = Point.BASE.multiply(r === 0n ? 1n : r).toBytes();
    const k = challengeScalar(rBytes, this.certKey, message);
    const s = ((r === 0n ? 1n : r) + k * a) % GROUP_L;
    const sig = new Uint8Array(64);
    sig.set(rBytes, 0);
    sig.set(numberToBytesLE(s, 32), 32);
    return sig;
  }
}

/** RFC 8032's clamped secret scalar of a seed, reduced mod L. */
function secretScalar(seed: Uint8Array): bigint {
  const h = sha512(seed).slice(0, 32);
  h[0]! &= 248;
  h[31]! &= 127;
  h[31]! |= 64;
  return bytesToNumberLE(h) % GROUP_L;
}

function mixedKey(seed: Uint8Array): Uint8Array {
  return Point.BASE.multiply(secretScalar(seed)).add(torsionPoints()[1]!).toBytes();
}

/** Keys no signature verifies under, with the rule that rejects them. */
const BAD_KEYS: readonly [string, VerifyStatus][] = [
  ["edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    VerifyStatus.PublicKeyNotCanonical],
  ["0100000000000000000000000000000000000000000000000000000000000080",
    VerifyStatus.PublicKeyNotCanonical],
  ["0200000000000000000000000000000000000000000000000000000000000000",
    VerifyStatus.PublicKeyNotOnCurve],
  ["0100000000000000000000000000000000000000000000000000000000000000",
    VerifyStatus.PublicKeySmallOrder],
  ["ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    VerifyStatus.PublicKeySmallOrder],
  ["c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa",
    VerifyStatus.PublicKeySmallOrder],
];

function certifiedWallet(world: SimWorld, key: RecordingKey, n: number): SimWallet {
  const now = world.now();
  const certificate = world.issuers[0]!.certify({
    walletId: new Uint8Array(16).fill(n + 1), walletPublicKey: key.certKey,
    offlineCap: 1_000_000, currency: world.config.currency,
    validFrom: now - 86_400, validUntil: now + 86_400,
  }).bytes;
  return new SimWallet({ certificate, key, name: `wallet ${n}` });
}

/** Taps twice (first-time, then cached) and checks each decision against the reference
 *  verdict on the authorization the wallet signed. Returns the reference statuses. After a
 *  decline the second visit is a fresh wallet with the same certificate and key: the
 *  declined one would re-present its pending authorization (the re-tap path) instead of
 *  paying again. */
function tapTwice(world: SimWorld, key: RecordingKey, n: number): VerifyStatus[] {
  let wallet = certifiedWallet(world, key, n);
  const statuses: VerifyStatus[] = [];
  for (const visit of ["first-time", "cached"]) {
    if (statuses.length > 0 && statuses[0] !== VerifyStatus.Valid) {
      wallet = new SimWallet({ certificate: wallet.certificate, key, name: `wallet ${n} again` });
    }
    const before = key.signed.length;
    const decision = world.tap(wallet, 0).decision;
    assert.equal(key.signed.length, before + 1, `${n} ${visit}: one authorization signed`);
    const { message, signature } = key.signed[key.signed.length - 1]!;
    const status = verifyReference(key.certKey, message, signature);
    const want = status === VerifyStatus.Valid ? Reason.ACCEPTED : Reason.AUTH_SIGNATURE_INVALID;
    assert.equal(decision, want, `wallet ${n} (${toHex(key.certKey)}), ${visit} tap`);
    statuses.push(status);
    world.idle(2_000);
  }
  return statuses;
}

test("first-time and cached taps decide like the reference for honest and mixed-order keys", {
  skip,
}, () => {
  const world = new SimWorld({ seed: SEED, captureLogs: false });
  const seen = new Set<VerifyStatus>();
  for (let n = 0; n < 4; n++) {
    const key = new RecordingKey(new Uint8Array(32).fill(0x40 + n), false);
    for (const s of tapTwice(world, key, n)) assert.equal(s, VerifyStatus.Valid);
  }
  for (let n = 0; n < MIXED_WALLETS; n++) {
    const key = new RecordingKey(new Uint8Array(32).fill(0x80 + n), true);
    for (const s of tapTwice(world, key, 100 + n)) seen.add(s);
  }
  assert.ok(seen.has(VerifyStatus.Valid), "some mixed-order authorization had 8 | k");
  assert.ok(seen.has(VerifyStatus.EquationMismatch), "some had the torsion part left");
});

test("certificates for non-canonical, off-curve and small-order keys decline the payment", {
  skip,
}, () => {
  const world = new SimWorld({ seed: SEED, captureLogs: false });
  BAD_KEYS.forEach(([hex, rule], i) => {
    const key = new RecordingKey(new Uint8Array(32).fill(0x20 + i), false, fromHex(hex));
    for (const s of tapTwice(world, key, 200 + i)) assert.equal(s, rule, hex);
  });
});
