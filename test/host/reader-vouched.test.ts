// Certificates vouched for in the deny list (docs/LEDGER.md §7, format 2): through the
// real firmware on the simulated board, a vouched certHash skips check 3 (the issuer
// signature) on a wallet's first tap, and nothing else: check 2 (issuer revoked), the
// validity window and the deny list still decide, a certificate not on the list is
// verified, and a list without the vouch makes the reader verify again.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Reason } from "../../host/protocol/index.ts";
import { SimWorld } from "../../host/sim/world.ts";
import { firmwareHasReader } from "../../host/sim/reader.ts";

const skip = firmwareHasReader()
  ? false
  : "build/offtap.wasm does not export the reader (run make build)";

test("a vouched certificate skips only the issuer signature check", { skip }, () => {
  const world = new SimWorld({ seed: "reader-vouched", captureLogs: false });
  const honest = world.createWallet();
  const unlisted = world.createWallet();
  // Forged certificates (a flipped signature bit) show which check the vouch replaces:
  // a vouched one is let through on clearing's word, an unlisted one is not.
  const forged = world.createWallet({ kind: "cert-bad-signature" });
  const forgedLater = world.createWallet({ kind: "cert-bad-signature" });
  const forgedUnlisted = world.createWallet({ kind: "cert-bad-signature" });
  const revoked = world.createWallet({ kind: "issuer-revoked" });
  const expired = world.createWallet({ kind: "cert-expired" });
  const denied = world.createWallet({ kind: "denied" });
  const vouched = [honest, forged, forgedLater, revoked, expired, denied];
  assert.equal(world.installDenyList({ vouchedCertHashes: vouched.map((w) => w.certHash) }), 0);

  const decide = (w: typeof honest): number => world.tap(w, 0).decision;
  assert.equal(decide(honest), Reason.ACCEPTED);
  assert.equal(world.housekeeping(), 0, "a first tap, vouched or not, admits no key tables");
  assert.equal(decide(honest), Reason.ACCEPTED);
  assert.ok(world.housekeeping() > 0, "the second tap is a cache hit: the key gets tables");
  assert.equal(decide(unlisted), Reason.ACCEPTED);
  assert.equal(decide(forged), Reason.ACCEPTED);
  assert.equal(decide(forgedUnlisted), Reason.CERT_SIGNATURE_INVALID);
  assert.equal(decide(revoked), Reason.ISSUER_REVOKED);
  assert.equal(decide(expired), Reason.CERT_EXPIRED);
  assert.equal(decide(denied), Reason.WALLET_DENIED);

  // The next list vouches for nothing (format 1): a forged certificate the reader has not
  // cached is verified again and declined.
  assert.equal(world.installDenyList(), 0);
  assert.equal(decide(forgedLater), Reason.CERT_SIGNATURE_INVALID);
  assert.equal(decide(forged), Reason.ACCEPTED, "cached since its first tap (RAM only)");
});
