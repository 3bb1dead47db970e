// Signed reader images (docs/IMAGE.md): the committed vectors decode to their build
// inputs and verify with an independent Ed25519 (@noble/ed25519), hashes and CRC from
// node:crypto / node:zlib at the documented offsets; builds round-trip; every refusal.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { createHash } from "node:crypto";
import { crc32 } from "node:zlib";
import * as ed from "@noble/ed25519";
import { sha512 } from "@noble/hashes/sha2.js";
import { repoRoot } from "../../host/firmware/paths.ts";
import { loadBoard } from "../../host/boards/index.ts";
import { Ed25519Key } from "../../host/issuer/ed25519.ts";
import { fromHex, toHex } from "../../host/protocol/index.ts";
import {
  ImageFormatError, ImageRefusal, appendSignature, buildImage, decodeImage, decodeKeyReference, decodeProvisioning, devReleaseKey,
  encodeKeyReference, encodeUnsignedImage, inspectImage, provisionFromJson, readReleaseKeyFile, releaseKeyFromJson, releaseKeyToFile,
  verifyImage, type ImageInspection,
} from "../../host/image/index.ts";
import { tinyFirmware } from "../vectors/image/wasm.ts";

ed.hashes.sha512 = sha512;

const dir = path.join(repoRoot, "test", "vectors", "image");
const bytes = (f: string): Uint8Array => new Uint8Array(readFileSync(path.join(dir, f)));
const json = (f: string): Record<string, unknown> => JSON.parse(readFileSync(path.join(dir, f), "utf8")) as Record<string, unknown>;
const sha256 = (b: Uint8Array): string => createHash("sha256").update(b).digest("hex");
const u32 = (b: Uint8Array, at: number): number => new DataView(b.buffer, b.byteOffset).getUint32(at, true);
const u16 = (b: Uint8Array, at: number): number => new DataView(b.buffer, b.byteOffset).getUint16(at, true);

interface ImageVector {
  file: string; board: string; abiVersion: number; buildUnixSeconds: number; firmwareHex: string;
  releasePublicKey: string; provisioningFile: string; seedInline: boolean; partitionOffset: number;
}
const VECTORS = (json("images.json")["images"] as ImageVector[]);
const releaseKey = readReleaseKeyFile(path.join(dir, "release-key.json"));
const GATE = "esp32-gate-pn532";
const KIOSK = "esp32s3-kiosk-pn532";

function failed(r: ImageInspection): string[] {
  return r.checks.filter((c) => c.ok === false).map((c) => c.check);
}

test("committed images: the documented offsets hold the build inputs, hashes, CRC and a valid signature", async () => {
  assert.equal(VECTORS.length, 2);
  for (const v of VECTORS) {
    const img = bytes(v.file);
    const W = u32(img, 60), P = u32(img, 64), R = u32(img, 68), T = u32(img, 72);
    assert.equal(Buffer.from(img.subarray(0, 4)).toString("ascii"), "OTIM");
    assert.equal(u16(img, 4), 1);
    assert.equal(u16(img, 6), 160);
    assert.equal(u16(img, 8), v.abiVersion);
    assert.equal(img[10], v.seedInline ? 1 : 0);
    assert.equal(Buffer.from(img.subarray(12, 12 + img[11]!)).toString("ascii"), v.board);
    assert.equal(T, img.length);
    assert.equal(T, 160 + W + P + R + 64);
    assert.equal(R === 0, v.seedInline);
    assert.equal(u32(img, 76), v.buildUnixSeconds);
    assert.equal(toHex(img.subarray(160, 160 + W)), v.firmwareHex);
    assert.equal(toHex(img.subarray(80, 112)), sha256(img.subarray(160, 160 + W)));
    assert.equal(toHex(img.subarray(112, 144)), sha256(img.subarray(160 + W, 160 + W + P + R)));
    assert.equal(toHex(img.subarray(144, 152)), sha256(fromHex(v.releasePublicKey)).slice(0, 16));
    assert.equal(u32(img, 156), crc32(img.subarray(0, 156)) >>> 0);
    assert.equal(await ed.verifyAsync(img.subarray(T - 64), img.subarray(0, T - 64), fromHex(v.releasePublicKey)), true, v.file);
  }
});

test("committed images decode through the codec to their inputs and pass every check", () => {
  for (const v of VECTORS) {
    const img = bytes(v.file);
    const d = decodeImage(img);
    assert.equal(d.boardId, v.board);
    assert.equal(d.abiVersion, v.abiVersion);
    assert.equal(toHex(d.firmware), v.firmwareHex);
    assert.deepEqual(d.hashFindings, []);
    const prov = json(v.provisioningFile);
    const p = decodeProvisioning(d.provisioning);
    assert.equal(p.readerId, prov["readerId"]);
    assert.deepEqual(p.issuerKeys, prov["issuerKeys"]);
    assert.equal(p.operatorPublicKey, prov["operatorPublicKey"]);
    assert.equal(p.deviceSeedPresent, v.seedInline);
    const dk = prov["deviceKey"] as Record<string, string>;
    if (v.seedInline) {
      assert.equal(d.keyReference, undefined);
      assert.equal(p.devicePublicKey, toHex(new Ed25519Key(fromHex(dk["seed"]!)).publicKey));
    } else {
      assert.deepEqual(d.keyReference, { store: dk["store"], namespace: dk["namespace"], key: dk["key"] });
      assert.equal(p.devicePublicKey, dk["publicKey"]);
    }
    const r = inspectImage(img, { board: loadBoard(v.board), releasePublicKey: fromHex(v.releasePublicKey) });
    assert.deepEqual(failed(r), []);
    assert.equal(r.checks.find((c) => c.check === "signature")?.ok, true);
    assert.equal(r.partition?.offset, v.partitionOffset);
  }
});

test("rebuilding a vector from its inputs reproduces it byte for byte", async () => {
  for (const v of VECTORS) {
    const r = await buildImage({
      board: loadBoard(v.board), provisioningJson: json(v.provisioningFile), firmware: fromHex(v.firmwareHex),
      releaseKey, buildUnixSeconds: v.buildUnixSeconds,
    });
    assert.deepEqual(r.image, bytes(v.file), v.file);
  }
});

test("the gate vector's provisioning carries the fare, the kiosk's none and its own currency", () => {
  const g = decodeProvisioning(decodeImage(bytes("gate-referenced.img")).provisioning);
  assert.equal(g.mode, "gate");
  assert.equal(g.fare, json("provision-gate.json")["fare"]);
  const k = decodeProvisioning(decodeImage(bytes("kiosk-inline.img")).provisioning);
  assert.equal(k.mode, "kiosk");
  assert.equal(k.fare, 0);
  assert.equal(k.currency, json("provision-kiosk.json")["currency"]);
});

test("a built image with the real firmware provisions the reader: init accepts the block", async () => {
  const { SimBoard } = await import("../../host/sim/board.ts");
  const { SimReader, readerModule } = await import("../../host/sim/reader.ts");
  const board = loadBoard(KIOSK);
  const firmware = new Uint8Array(readFileSync(path.join(repoRoot, "build", "offtap.wasm")));
  const r = await buildImage({ board, provisioningJson: json("provision-kiosk.json"), firmware, releaseKey, buildUnixSeconds: 1 });
  const d = decodeImage(r.image);
  const sim = new SimBoard({ seed: 1, geometry: r.provisioning.config.geometry, startUnixSeconds: 1_795_305_600 });
  const reader = new SimReader(sim, readerModule());
  assert.equal(reader.init(d.provisioning), 0);
  assert.equal(verifyImage(r.image, board, releaseKey.publicKey).ok, true);
});

test("refusal: an image for another board", () => {
  const r = inspectImage(bytes("gate-referenced.img"), { board: loadBoard(KIOSK), releasePublicKey: releaseKey.publicKey });
  assert.deepEqual(failed(r), ["board"]);
  assert.throws(() => verifyImage(bytes("gate-referenced.img"), loadBoard(KIOSK), releaseKey.publicKey),
    (e: Error) => e instanceof ImageRefusal && e.rule === "board" && /image is for board esp32-gate-pn532, not esp32s3-kiosk-pn532/.test(e.message));
});

test("refusal: a bad signature (a flipped signed byte, a flipped signature byte, another key)", () => {
  const img = bytes("gate-referenced.img");
  const board = loadBoard(GATE);
  const body = Uint8Array.from(img);
  const keyRefAt = 160 + u32(img, 60) + u32(img, 64) + 8; // the key reference's namespace
  body[keyRefAt] = body[keyRefAt]! ^ 0x01;
  assert.deepEqual(failed(inspectImage(body, { board, releasePublicKey: releaseKey.publicKey })), ["signature", "hashes"]);
  const sig = Uint8Array.from(img);
  sig[sig.length - 40] = sig[sig.length - 40]! ^ 0x80;
  assert.deepEqual(failed(inspectImage(sig, { board, releasePublicKey: releaseKey.publicKey })), ["signature"]);
  assert.throws(() => verifyImage(img, board, devReleaseKey(GATE).publicKey), (e: Error) => e instanceof ImageRefusal && e.rule === "signature" && /bad signature/.test(e.message));
  // Without a key the signature is unchecked, which verifyImage (the flasher's check) refuses.
  const unchecked = inspectImage(img, { board });
  assert.equal(unchecked.checks.find((c) => c.check === "signature")?.ok, null);
});

test("refusal: a firmware whose abiVersion() is not the board's, at build and at inspection", async () => {
  const board = loadBoard(GATE);
  await assert.rejects(buildImage({ board, provisioningJson: json("provision-gate.json"), firmware: tinyFirmware({ abiVersion: 2 }), releaseKey, buildUnixSeconds: 1 }),
    (e: Error) => e instanceof ImageRefusal && e.rule === "abi" && /firmware speaks ABI version 2; board esp32-gate-pn532 implements ABI version 1/.test(e.message));
  // A correctly signed image whose header and firmware say ABI 2: the reader still refuses it.
  const prov = decodeImage(bytes("gate-referenced.img"));
  const unsigned = encodeUnsignedImage({ abiVersion: 2, boardId: GATE, buildUnixSeconds: 1, firmware: tinyFirmware({ abiVersion: 2 }), provisioning: prov.provisioning, keyReference: prov.keyReference }, releaseKey.publicKey);
  const img = appendSignature(unsigned, releaseKey.sign(unsigned));
  assert.deepEqual(failed(inspectImage(img, { board, releasePublicKey: releaseKey.publicKey })), ["abi"]);
  // Header says 1 but the firmware exports 2.
  const lying = encodeUnsignedImage({ abiVersion: 1, boardId: GATE, buildUnixSeconds: 1, firmware: tinyFirmware({ abiVersion: 2 }), provisioning: prov.provisioning, keyReference: prov.keyReference }, releaseKey.publicKey);
  const r = inspectImage(appendSignature(lying, releaseKey.sign(lying)), { board, releasePublicKey: releaseKey.publicKey });
  assert.match(r.checks.find((c) => c.check === "abi")!.message, /firmware exports abiVersion\(\) = 2, header says 1/);
});

test("refusal: a firmware that violates the device profile", async () => {
  const board = loadBoard(GATE);
  for (const firmware of [tinyFirmware({ pagesInitial: 3, pagesMax: 3 }), tinyFirmware({ pagesMax: undefined })]) {
    await assert.rejects(buildImage({ board, provisioningJson: json("provision-gate.json"), firmware, releaseKey, buildUnixSeconds: 1 }),
      (e: Error) => e instanceof ImageRefusal && e.rule === "profile" && /violates the device profile wasm3-esp32: \[memory\]/.test(e.message));
  }
});

test("refusal: provisioning inconsistent with the board or with docs/CONFIG.md", () => {
  const gate = loadBoard(GATE);
  const kiosk = loadBoard(KIOSK);
  const base = json("provision-gate.json");
  const cases: [Record<string, unknown>, typeof gate, RegExp][] = [
    [{ ...base, fare: 270 }, kiosk, /fare: board esp32s3-kiosk-pn532 is a kiosk/],
    [{ ...base, mode: "kiosk" }, gate, /mode: 'kiosk' contradicts board esp32-gate-pn532, which is a gate/],
    [{ ...base, fare: 0 }, gate, /fare: board esp32-gate-pn532 is a gate: its fare must lie within 1 … 10000, got 0/],
    [{ ...base, amountMin: 500, amountMax: 100 }, gate, /amountMin: 500 exceeds amountMax 100/],
    [{ ...base, nfcTimeoutMs: 10 }, gate, /nfcTimeoutMs: must be an integer in 20 … 500/],
    [{ ...base, currency: 1000 }, gate, /currency: must be an integer in 1 … 999/],
    [{ ...base, readerId: "0102" }, gate, /readerId: must be 8 bytes/],
    [{ ...base, issuerKeys: [] }, gate, /issuerKeys: must list 1 … 4 issuer keys/],
    [{ ...base, issuerKeys: [...(base["issuerKeys"] as unknown[]), (base["issuerKeys"] as unknown[])[0]] }, gate, /issuerKeys\[2\]\.keyId: 1 is listed twice/],
    // The identity point: canonical, on the curve, of small order.
    [{ ...base, issuerKeys: [{ keyId: 9, publicKey: "01" + "00".repeat(31) }] }, gate, /issuerKeys\[0\]\.publicKey: is a small-order point/],
    [{ ...base, operatorPublicKey: "ed" + "ff".repeat(30) + "7f" }, gate, /operatorPublicKey: is not a canonical point encoding/],
    [{ ...base, deviceKey: { seed: "04".repeat(32), publicKey: "05".repeat(32) } }, gate, /deviceKey\.publicKey: is not the public key the seed derives/],
    [{ ...base, deviceKey: { publicKey: (base["deviceKey"] as Record<string, string>)["publicKey"], store: "disk", key: "k" } }, gate, /deviceKey\.store: must be one of nvs, efuse, secure-element/],
    [{ ...base, colour: "red" }, gate, /colour: is not a provisioning field/],
  ];
  for (const [p, board, pattern] of cases) assert.throws(() => provisionFromJson(p, board), pattern, String(pattern));
});

test("structural damage is refused with the field named", () => {
  const img = bytes("kiosk-inline.img");
  assert.throws(() => decodeImage(img.subarray(0, 100)), /shorter than header and signature/);
  assert.throws(() => decodeImage(img.subarray(0, img.length - 1)), /differs from the .* bytes present/);
  const magic = Uint8Array.from(img); magic[0] = 0x4e;
  assert.throws(() => decodeImage(magic), /not an offtap image/);
  const crc = Uint8Array.from(img); crc[76] = crc[76]! ^ 1;
  assert.throws(() => decodeImage(crc), (e: Error) => e instanceof ImageFormatError && /header CRC-32/.test(e.message));
  const inspected = inspectImage(magic);
  assert.deepEqual(failed(inspected), ["format"]);
});

test("key references and release key files round-trip; bad ones are refused", () => {
  const ref = { store: "efuse" as const, namespace: "", key: "BLOCK_KEY0" };
  assert.deepEqual(decodeKeyReference(encodeKeyReference(ref)), ref);
  assert.throws(() => encodeKeyReference({ store: "nvs", namespace: "a-namespace-too-long", key: "k" }), /namespace must be 0 … 15/);
  const k = Ed25519Key.random();
  assert.deepEqual(releaseKeyFromJson(releaseKeyToFile(k), "k").publicKey, k.publicKey);
  assert.throws(() => releaseKeyFromJson({ ...releaseKeyToFile(k), publicKey: "00".repeat(32) }, "k.json"), /k.json: publicKey does not match the seed/);
  assert.throws(() => releaseKeyFromJson({ format: "offtap-issuer-key", version: 1 }, "k.json"), /not an offtap release key file/);
});
