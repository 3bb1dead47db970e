// The deny list vouches for the certificates whose issuer signature clearing verified
// (docs/CLEARING.md §8, docs/LEDGER.md §7 format 2): which ones, how many fit a reader's
// slot, and how often a change of that set alone makes a new version. The image is decoded
// here from the documented offsets, not by the encoder's code, and its signature checked
// with the operator's public key.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { command as clear } from "../../host/cli/commands/clear.ts";
import { UsageError } from "../../host/cli/command.ts";
import { SimNetwork } from "../../host/clearing/simulate.ts";
import { Clearing, openDb } from "../../host/clearing/index.ts";
import { loadMigrations, migrate } from "../../host/clearing/migrate.ts";
import { vouchCapacity } from "../../host/clearing/vouch.ts";
import { encodeDenyList } from "../../host/sim/denylist.ts";
import { Ed25519Key } from "../../host/issuer/ed25519.ts";
import { Issuer } from "../../host/issuer/issuer.ts";
import { verifyEd25519 } from "../../host/ledger/keys.ts";
import { certHash, toHex } from "../../host/protocol/index.ts";
import type { SimWallet } from "../../host/sim/wallet.ts";
import {
  craftBatch,
  craftPayment,
  testBoth,
  type CraftedWallet,
} from "./clearing-support.ts";

const FARE = 250;
const DAY_S = 86_400;
/** An issuer clearing knows and the simulated readers do not: revoked in one test. */
const OTHER_ISSUER_ID = 77;

/** The fields of an OTDL image read at docs/LEDGER.md §7's offsets. */
interface Decoded {
  format: number;
  version: number;
  walletIds: string[];
  keyIds: number[];
  vouched: string[];
}

function decode(image: Uint8Array, operatorPublicKey: Uint8Array): Decoded {
  const v = new DataView(image.buffer, image.byteOffset, image.byteLength);
  assert.equal(v.getUint32(0, true), 0x4c44544f, "magic OTDL");
  const format = v.getUint16(4, true);
  const w = v.getUint32(16, true);
  const k = v.getUint32(20, true);
  const c = format === 2 ? v.getUint32(24, true) : 0;
  const h = format === 2 ? 28 : 24;
  const signed = h + 16 * w + 8 * k + 16 * c;
  assert.equal(image.length, signed + 64, "the sections fill the image exactly");
  const sig = image.subarray(signed);
  assert.ok(verifyEd25519(operatorPublicKey, image.subarray(0, signed), sig), "operator-signed");
  const hex = (from: number, n: number): string => toHex(image.subarray(from, from + n));
  const walletIds = Array.from({ length: w }, (_, i) => hex(h + 16 * i, 16));
  const keyIds = Array.from({ length: k }, (_, i) => Number(v.getBigUint64(h + 16 * w + 8 * i)));
  const at = h + 16 * w + 8 * k;
  const vouched = Array.from({ length: c }, (_, i) => hex(at + 16 * i, 16));
  assert.deepEqual(vouched, [...vouched].sort(), "certHashes ascending");
  return { format, version: v.getUint32(8, true), walletIds, keyIds, vouched };
}

interface Rig {
  c: Clearing;
  net: SimNetwork;
  clock: { s: number };
  other: Issuer;
  /** Crafted payments at reader 2, one batch per call, chained. */
  upload(payments: { w: CraftedWallet; time: number }[]): Promise<void>;
}

/** The world's keys and issuers, both readers, one more issuer, a settable clock. */
async function rig(
  c0: Clearing,
  seed: string,
  o: { denySlotBytes?: number | "readers'"; vouchRefreshS?: number } = {},
): Promise<Rig> {
  const net = new SimNetwork({ seed, readers: 2 });
  const w = net.world;
  const clock = { s: w.now() };
  const slot = o.denySlotBytes === "readers'" ? net.denySlotBytes : o.denySlotBytes;
  const c = await open(c0, net, clock, { ...o, denySlotBytes: slot });
  for (const i of w.issuers) await c.registerIssuerKey(i.keyId, i.publicKey);
  const other = new Issuer(OTHER_ISSUER_ID, Ed25519Key.random());
  await c.registerIssuerKey(other.keyId, other.publicKey);
  await c.registerReader(net.readerSpec(0));
  await c.registerReader(net.readerSpec(1));
  const r = net.readers[1]!;
  const id16 = new Uint8Array(16);
  id16.set(r.config.readerId);
  let seq = 1;
  let head: Uint8Array = new Uint8Array(32);
  const counters = new Map<CraftedWallet, number>();
  const upload = async (ps: { w: CraftedWallet; time: number }[]): Promise<void> => {
    const body = ps.map(({ w: cw, time }) => {
      const counter = (counters.get(cw) ?? 0) + 1;
      counters.set(cw, counter);
      const spend = { counter, amount: FARE, cumulative: FARE * counter, time };
      return craftPayment(cw, r.config.readerId, spend);
    });
    const b = craftBatch(r.deviceKey, id16, seq, head, body);
    seq += ps.length;
    head = b.head;
    const report = await c.ingest(b.bytes);
    assert.equal(report.settled, ps.length, JSON.stringify(report.rejectedRecords));
  };
  return { c, net, clock, other, upload };
}

/** Another Clearing on the same database, with the world's keys and the rig's clock. */
function open(
  c0: Clearing,
  net: SimNetwork,
  clock: { s: number },
  o: { denySlotBytes?: number | undefined; vouchRefreshS?: number | undefined },
): Promise<Clearing> {
  return Clearing.open({
    db: c0.db,
    clearingKey: net.world.clearingKey,
    operatorKey: net.world.operatorKey,
    now: () => clock.s,
    ...(o.denySlotBytes === undefined ? {} : { denySlotBytes: o.denySlotBytes }),
    ...(o.vouchRefreshS === undefined ? {} : { vouchRefreshS: o.vouchRefreshS }),
  });
}

/** A wallet certified by `issuer` for [from, until]. */
function wallet(issuer: Issuer, from: number, until: number): CraftedWallet {
  const key = Ed25519Key.random();
  const walletId = Uint8Array.from(key.publicKey.subarray(0, 16));
  const cert = issuer.certify({
    walletId,
    walletPublicKey: key.publicKey,
    offlineCap: 100 * FARE,
    currency: 978,
    validFrom: from,
    validUntil: until,
  });
  return { key, certificate: Uint8Array.from(cert.bytes), walletId };
}

const hashOf = (w: CraftedWallet): string => toHex(certHash(w.certificate));

/** n honest simulated wallets tap reader 1; clearing ingests its export. */
async function taps(x: Rig, n: number): Promise<SimWallet[]> {
  const out: SimWallet[] = [];
  for (let i = 0; i < n; i++) {
    const sw = x.net.world.createWallet();
    const tap = x.net.tap(0, sw);
    assert.ok(tap.accepted, tap.reason);
    x.net.idle(2_000);
    out.push(sw);
  }
  const report = await x.c.ingest(x.net.exportBatches(0));
  assert.equal(report.settled, n);
  return out;
}

testBoth("the deny list vouches exactly for the verified certificates still good", async (c0) => {
  const x = await rig(c0, "vouch-set");
  const tapped = await taps(x, 4);
  const t = x.clock.s;
  const [i1] = x.net.world.issuers;
  const good = wallet(i1!, t - DAY_S, t + 365 * DAY_S);
  const expiring = wallet(i1!, t - DAY_S, t + 600);
  const denied = wallet(i1!, t - DAY_S, t + 365 * DAY_S);
  const revoked = wallet(x.other, t - DAY_S, t + 365 * DAY_S);
  await x.upload([good, expiring, denied, revoked].map((w, i) => ({ w, time: t + i })));
  const all = await x.c.denyList();
  const everyone = [...tapped.map((w) => toHex(w.certHash)), ...[good, expiring, denied, revoked]
    .map(hashOf)].sort();
  assert.deepEqual(all.vouchedCertHashes, everyone, "every settled certificate, at first");

  x.clock.s = t + 1_000; // past `expiring`'s validUntil
  await x.c.denyWallet(denied.walletId, "reported lost");
  await x.c.revokeIssuerKey(x.other.keyId, t + 500);
  const dl = await x.c.denyList();
  const d = decode(dl.image, x.net.world.operatorKey.publicKey);
  assert.equal(dl.image[4], 2, "format 2");
  assert.equal(d.format, 2);
  assert.equal(d.version, dl.version);
  assert.ok(dl.version > all.version, "a denial issues a new version at once");
  const expected = [...tapped.map((w) => toHex(w.certHash)), hashOf(good)].sort();
  assert.deepEqual(d.vouched, expected, "denied wallet, revoked issuer and expired left out");
  assert.deepEqual(dl.vouchedCertHashes, expected);
  assert.deepEqual(d.walletIds, [toHex(denied.walletId)]);
  assert.deepEqual(d.keyIds, [x.other.keyId]);
});

testBoth("a small slot keeps the most recently seen; denials always come first", async (c0) => {
  const slot = 1_024;
  const x = await rig(c0, "vouch-slot", { denySlotBytes: slot });
  const t = x.clock.s;
  const [i1] = x.net.world.issuers;
  const ws = Array.from({ length: 6 }, () => wallet(i1!, t - DAY_S, t + 365 * DAY_S));
  // Seen in the order 3, 0, 5, 1, 4, 2: the latest times are wallets 2, 4, 1, 5.
  const order = [3, 0, 5, 1, 4, 2];
  await x.upload(order.map((k, i) => ({ w: ws[k]!, time: t + 10 * i })));
  // 50 denied wallets leave room for (1024 − 64 − 28 − 50·16 − 64) / 16 = 4 vouches.
  for (let i = 0; i < 50; i++) {
    await x.c.denyWallet(Ed25519Key.random().publicKey.subarray(0, 16), "test");
  }
  // A list issued for a bigger slot (another caller's) is not answered for this one.
  const big = await open(c0, x.net, x.clock, { denySlotBytes: 16_384 });
  const wide = await big.denyList();
  assert.equal(wide.vouchedCertHashes.length, 6);
  assert.ok(wide.image.length > slot - 64);
  const dl = await x.c.denyList();
  assert.equal(dl.version, wide.version + 1, "reissued at once for the smaller slot");
  const d = decode(dl.image, x.net.world.operatorKey.publicKey);
  assert.equal(d.walletIds.length, 50);
  assert.deepEqual(d.vouched, [2, 4, 1, 5].map((k) => hashOf(ws[k]!)).sort());
  assert.ok(dl.image.length <= slot - 64, `${dl.image.length} bytes fit the slot`);
  // Four more denials leave no room: format 1, as before vouching.
  for (let i = 0; i < 4; i++) {
    await x.c.denyWallet(Ed25519Key.random().publicKey.subarray(0, 16), "test");
  }
  const full = await x.c.denyList();
  assert.equal(full.image[4], 1, "format 1 when denials fill the slot");
  assert.deepEqual(full.vouchedCertHashes, []);
  assert.deepEqual(decode(full.image, x.net.world.operatorKey.publicKey).walletIds.length, 54);
  assert.ok(full.image.length <= slot - 64);
});

testBoth("a new certificate alone waits for vouchRefreshS; a denial issues at once", async (c0) => {
  const refresh = 3_600;
  const x = await rig(c0, "vouch-refresh", { vouchRefreshS: refresh });
  const t = x.clock.s;
  const [i1] = x.net.world.issuers;
  const [a, b, cw] = Array.from({ length: 3 }, () => wallet(i1!, t - DAY_S, t + 365 * DAY_S));
  await x.upload([{ w: a!, time: t }]);
  const d1 = await x.c.denyList();
  assert.deepEqual(d1.vouchedCertHashes, [hashOf(a!)]);

  await x.upload([{ w: b!, time: t + 5 }]);
  x.clock.s = d1.issuedAt + refresh - 1;
  const d2 = await x.c.denyList();
  assert.equal(d2.version, d1.version, "no new version for a new certificate alone");
  assert.deepEqual(d2.image, d1.image);
  assert.deepEqual(d2.vouchedCertHashes, [hashOf(a!)], "the list as issued");

  x.clock.s = d1.issuedAt + refresh;
  const d3 = await x.c.denyList();
  assert.equal(d3.version, d1.version + 1, "after vouchRefreshS it is vouched for");
  assert.deepEqual(d3.vouchedCertHashes, [hashOf(a!), hashOf(b!)].sort());
  assert.deepEqual((await x.c.denyList()).version, d3.version, "nothing changed since");

  await x.upload([{ w: cw!, time: t + 9 }]);
  x.clock.s += 10;
  await x.c.denyWallet(a!.walletId, "reported lost");
  const d4 = await x.c.denyList();
  assert.equal(d4.version, d3.version + 1, "a denial does not wait");
  assert.deepEqual(d4.walletIds, [toHex(a!.walletId)]);
  assert.deepEqual(d4.vouchedCertHashes, [hashOf(b!), hashOf(cw!)].sort(), "current set");
});

testBoth("certificates stored before vouching wait until a payment under them", async (c0) => {
  const x = await rig(c0, "vouch-migrated", { vouchRefreshS: 0 });
  const t = x.clock.s;
  const [i1] = x.net.world.issuers;
  const [a, b] = [0, 1].map(() => wallet(i1!, t - DAY_S, t + 365 * DAY_S));
  await x.upload([{ w: a!, time: t }, { w: b!, time: t + 1 }]);
  // What migration 006 leaves on rows from before it.
  await x.c.db.query("UPDATE certificates SET valid_until = NULL, last_seen = NULL WHERE " +
    "cert_hash = $1", [hashOf(a!)]);
  assert.deepEqual((await x.c.denyList()).vouchedCertHashes, [hashOf(b!)]);
  await x.upload([{ w: a!, time: t + 2 }]);
  x.clock.s += 1;
  assert.deepEqual((await x.c.denyList()).vouchedCertHashes, [hashOf(a!), hashOf(b!)].sort());
});

testBoth("a deny-list slot that is no slot size is refused at open", async (c0) => {
  for (const denySlotBytes of [0, 1_000, 1_536, 2_049, 16 * 1024 * 1024]) {
    await assert.rejects(
      Clearing.open({ db: c0.db, denySlotBytes }),
      /denySlotBytes/,
      String(denySlotBytes),
    );
  }
  await assert.rejects(Clearing.open({ db: c0.db, vouchRefreshS: -1 }), /vouchRefreshS/);
});

testBoth("the readers install clearing's format-2 list and find its vouches", async (c0) => {
  const x = await rig(c0, "vouch-e2e", { denySlotBytes: "readers'" });
  assert.equal(x.net.denySlotBytes, 16_384, "half of the simulated readers' 32 KiB partition");
  const tapped = await taps(x, 3);
  // The readers were provisioned with list version 1; clearing's first list follows it.
  const dl = await x.c.denyList({ minVersion: 2 });
  assert.equal(dl.image[4], 2);
  assert.equal(dl.vouchedCertHashes.length, 3);
  assert.deepEqual(x.net.installDenyList(dl.image), [0, 0], "status 0 at both readers");
  const r2 = x.net.readers[1]!.reader;
  type Vouching = { ledgerDenyCertVouched?: (ptr: number) => number };
  const vouchedAt2 = (r2.exports as unknown as Vouching).ledgerDenyCertVouched;
  assert.equal(typeof vouchedAt2, "function", "the firmware reads vouches");
  for (const w of tapped) assert.equal(vouchedAt2!(r2.put(w.certHash)), 1, w.walletIdHex);
  const stranger = x.net.world.createWallet();
  assert.equal(vouchedAt2!(r2.put(stranger.certHash)), 0);
  // A wallet reader 2 never saw: its first tap there is on clearing's word for check 3.
  const first = x.net.tap(1, tapped[0]!);
  assert.ok(first.accepted, first.reason);
});

/** Runs `offtap clear ARGS`, capturing what it prints. */
async function clearCli(args: string[]): Promise<{ code: number; out: string }> {
  const lines: string[] = [];
  const log = console.log;
  console.log = (...a: unknown[]) => void lines.push(a.map(String).join(" "));
  try {
    return { code: await clear.run(args), out: lines.join("\n") };
  } finally {
    console.log = log;
  }
}

test("offtap clear denylist --deny-slot-bytes: validated, vouches printed in --json", async () => {
  const dir = mkdtempSync(join(tmpdir(), "offtap-vouch-"));
  const url = process.env["DATABASE_URL"];
  delete process.env["DATABASE_URL"]; // this test's --db, not the server
  try {
    const db = ["--db", join(dir, "db")];
    const net = new SimNetwork({ seed: "vouch-cli", readers: 1 });
    const w = net.world.createWallet();
    assert.ok(net.tap(0, w).accepted);
    const batch = join(dir, "r.otb");
    writeFileSync(batch, net.exportBatches(0));
    assert.equal((await clearCli(["init", ...db])).code, 0);
    for (const i of net.world.issuers) {
      const key = toHex(i.publicKey);
      assert.equal((await clearCli(["issuer", "add", "--issuer", String(i.keyId), "--key", key,
        ...db])).code, 0);
    }
    const s = net.readerSpec(0);
    const add = ["reader", "add", "--reader", toHex(s.readerId as Uint8Array), "--key",
      toHex(s.devicePublicKey as Uint8Array), "--operator", "metro"];
    assert.equal((await clearCli([...add, ...db])).code, 0);
    assert.equal((await clearCli(["ingest", batch, ...db])).code, 0);
    for (const bad of ["1000", "512", "16385", "16777216", "x"]) {
      await assert.rejects(clearCli(["denylist", "--deny-slot-bytes", bad, ...db]),
        (e: unknown) => e instanceof UsageError && /--deny-slot-bytes/.test(e.message), bad);
    }
    const r = await clearCli(["denylist", "--json", "--deny-slot-bytes", "4096", ...db]);
    assert.equal(r.code, 0);
    const j = JSON.parse(r.out) as { vouchedCertHashes: string[]; image: string };
    assert.deepEqual(j.vouchedCertHashes, [toHex(w.certHash)]);
    assert.equal(Buffer.from(j.image, "hex")[4], 2, "format 2");
  } finally {
    if (url !== undefined) process.env["DATABASE_URL"] = url;
    rmSync(dir, { recursive: true, force: true });
  }
});

test("vouchCapacity is the most the encoder fits in slot − 64 bytes", () => {
  const key = Ed25519Key.random();
  const id = (i: number, n: number): Uint8Array => new Uint8Array(n).fill(0).map((_, j) =>
    j === 0 ? i >> 8 : j === 1 ? i & 0xff : 7);
  for (const [slot, w, k] of [[1_024, 0, 0], [1_024, 50, 1], [4_096, 3, 2], [16_384, 100, 3],
    [16_384, 1_000, 0], [2_048, 0, 119], [1_024, 54, 0]] as const) {
    const c = vouchCapacity(slot, w, k);
    const list = (vouched: number): Uint8Array => encodeDenyList({
      version: 1,
      issuedAt: 0,
      walletIds: Array.from({ length: w }, (_, i) => id(i, 16)),
      revokedIssuerKeyIds: Array.from({ length: k }, (_, i) => i),
      vouchedCertHashes: Array.from({ length: vouched }, (_, i) => id(i, 16)),
    }, key);
    const what = `slot ${slot}, ${w} wallets, ${k} keys: ${c}`;
    if (c > 0) assert.ok(list(c).length <= slot - 64, what);
    assert.ok(list(c + 1).length > slot - 64, what);
  }
});

test("migration 006 on a database with certificates and lists issues no new version", async () => {
  const db = await openDb({ databaseUrl: null });
  try {
    await migrate(db, loadMigrations().slice(0, 5));
    const operatorKey = Ed25519Key.random();
    // What an older clearing left: a certificate row and its last list, version 3.
    await db.query(`INSERT INTO certificates (cert_hash, wallet_id, issuer_key_id, offline_cap,
      currency) VALUES ($1, $2, 1, 5000, 978)`, ["ab".repeat(16), "cd".repeat(16)]);
    const image = encodeDenyList({ version: 3, issuedAt: 900, walletIds: [],
      revokedIssuerKeyIds: [] }, operatorKey);
    const contentSha = createHash("sha256").update(JSON.stringify([[], []])).digest("hex");
    await db.query("INSERT INTO deny_lists (version, issued_at, content_sha, image) " +
      "VALUES (3, 900, $1, $2)", [contentSha, Buffer.from(image) as unknown as string]);
    // Two hours on: past the vouch refresh period, well before a freshness reissue.
    const c = await Clearing.open({ db, operatorKey, now: () => 900 + 7_200 });
    const cert = (await db.query("SELECT valid_until, last_seen FROM certificates"))[0]!;
    assert.deepEqual([cert["valid_until"], cert["last_seen"]], [null, null]);
    const dl = await c.denyList();
    assert.equal(dl.version, 3, "the same list: nothing to vouch for yet");
    assert.deepEqual(dl.vouchedCertHashes, []);
    assert.deepEqual(dl.image, image);
  } finally {
    await db.close();
  }
});
