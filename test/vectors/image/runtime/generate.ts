// Image vectors for the board runtime's boot checks (boards/runtime/core/image.c): the
// valid images of ../generate.ts, then one image per check of docs/IMAGE.md that must
// fail it — each header field tampered, a validly signed image for another board and for
// another ABI, one signed by a key the reader does not trust, and validly signed images
// whose hashes, provisioning CRC or mode are wrong (so the check after the signature is
// the one that refuses). cases.txt lists file, board and the refusal the runtime must give.
// Run: node --import tsx test/vectors/image/runtime/generate.ts
import { createHash } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import zlib from "node:zlib";
import { Ed25519Key } from "../../../../host/issuer/ed25519.ts";
import { loadBoard } from "../../../../host/boards/index.ts";
import { buildImage } from "../../../../host/image/index.ts";
import { BUILD_UNIX_S, keys, provisionGate } from "../generate.ts";
import { tinyFirmware } from "../wasm.ts";

const here = path.dirname(fileURLToPath(import.meta.url));
const parent = path.dirname(here);
const sha256 = (b: Uint8Array): Buffer => createHash("sha256").update(b).digest();
const u32 = (b: Uint8Array, at: number): number => new DataView(b.buffer, b.byteOffset).getUint32(at, true);
const put32 = (b: Uint8Array, at: number, v: number): void => new DataView(b.buffer, b.byteOffset).setUint32(at, v >>> 0, true);

/** Recomputes the header CRC (so the tampered field, not the CRC, is what a reader sees). */
function recrc(img: Uint8Array): Uint8Array {
  put32(img, 156, zlib.crc32(img.subarray(0, 156)));
  return img;
}

/** Re-seals hashes, provisioning CRC, header CRC and signature after a body change. */
function resign(img: Uint8Array, o: { hashes?: boolean; configCrc?: boolean } = {}): Uint8Array {
  const W = u32(img, 60);
  const P = u32(img, 64);
  const R = u32(img, 68);
  const cfg = 160 + W;
  if (o.configCrc ?? true) put32(img, cfg + P - 4, zlib.crc32(img.subarray(cfg, cfg + P - 4)));
  if (o.hashes ?? true) {
    img.set(sha256(img.subarray(160, 160 + W)), 80);
    img.set(sha256(img.subarray(cfg, cfg + P + R)), 112);
  }
  recrc(img);
  const T = img.length;
  img.set(keys.release.sign(img.subarray(0, T - 64)), T - 64);
  return img;
}

type Case = { file: string; board: "gate" | "kiosk"; expect: string; what: string };

async function main(): Promise<void> {
  const gate = new Uint8Array(readFileSync(path.join(parent, "gate-referenced.img")));
  const cases: Case[] = [
    { file: "../gate-referenced.img", board: "gate", expect: "ok", what: "valid, device seed referenced (NVS)" },
    { file: "../kiosk-inline.img", board: "kiosk", expect: "ok", what: "valid, device seed inline" },
    { file: "../kiosk-inline.img", board: "gate", expect: "board", what: "validly signed for another board" },
  ];
  const out = (file: string, img: Uint8Array, expect: string, what: string): void => {
    writeFileSync(path.join(here, file), img);
    cases.push({ file, board: "gate", expect, what });
  };
  const t = (f: (b: Uint8Array) => void): Uint8Array => { const b = Uint8Array.from(gate); f(b); return b; };
  out("truncated.img", gate.subarray(0, 223), "length", "shorter than header and signature");
  out("short-by-one.img", gate.subarray(0, gate.length - 1), "length", "one byte missing");
  out("magic.img", t((b) => { b[0] = 0x58; }), "magic", "magic byte changed");
  out("version.img", recrc(t((b) => { b[4] = 2; })), "version", "image format version 2");
  out("header-length.img", recrc(t((b) => { b[6] = 161; })), "header-length", "header length 161");
  out("header-crc.img", t((b) => { b[156] ^= 1; }), "header-crc", "header CRC bit flipped");
  out("flags.img", recrc(t((b) => { b[10] |= 0x80; })), "reserved", "unknown flag bit");
  out("reserved.img", recrc(t((b) => { b[152] = 1; })), "reserved", "reserved bytes not zero");
  out("inline-flag.img", recrc(t((b) => { b[10] = 1; })), "lengths", "SEED_INLINE set with a key reference");
  out("wasm-length.img", recrc(t((b) => { put32(b, 60, u32(b, 60) + 1); })), "lengths", "firmware length + 1");
  out("total-length.img", recrc(t((b) => { put32(b, 72, u32(b, 72) - 1); })), "lengths", "total length - 1");
  out("board-id-case.img", recrc(t((b) => { b[12] = 0x45; })), "lengths", "board id with an upper-case letter");
  out("board-id.img", recrc(t((b) => { b[16] = 0x34; })), "board", "board id esp34-… (header CRC fixed)");
  out("abi-field.img", recrc(t((b) => { b[8] = 2; })), "abi", "ABI field 2 (header CRC fixed, signature not)");
  out("build-time.img", recrc(t((b) => { b[76] ^= 1; })), "signature", "build time changed");
  out("wasm-hash-field.img", recrc(t((b) => { b[80] ^= 1; })), "signature", "firmware hash field changed");
  out("config-hash-field.img", recrc(t((b) => { b[112] ^= 1; })), "signature", "provisioning hash field changed");
  out("key-id.img", recrc(t((b) => { b[144] ^= 1; })), "signature", "release key id changed");
  out("firmware-byte.img", t((b) => { b[170] ^= 1; }), "signature", "a firmware byte changed");
  out("config-byte.img", t((b) => { b[160 + u32(b, 60) + 20] ^= 1; }), "signature", "a provisioning byte changed");
  out("keyref-byte.img", t((b) => { b[b.length - 70] ^= 1; }), "signature", "a key reference byte changed");
  out("signature.img", t((b) => { b[b.length - 1] ^= 1; }), "signature", "a signature byte changed");
  out("signature-s-high.img", t((b) => { b[b.length - 1] |= 0xe0; }), "signature", "S with its top bits set (S >= L)");
  // Validly signed by the release key, so the checks after the signature are reached.
  out("signed-wasm-hash.img", resign(t((b) => { b[170] ^= 1; }), { hashes: false }), "wasm-hash", "signed, firmware hash does not match");
  out("signed-config-hash.img", resign(t((b) => { b[160 + u32(b, 60) + 20] ^= 1; b.set(sha256(b.subarray(160, 160 + u32(b, 60))), 80); }), { hashes: false }), "config-hash", "signed, provisioning hash does not match");
  out("signed-config-crc.img", resign(t((b) => { b[160 + u32(b, 60) + 20] ^= 1; }), { configCrc: false }), "config", "signed, provisioning CRC wrong");
  out("signed-config-magic.img", resign(t((b) => { b[160 + u32(b, 60)] = 0x58; })), "config", "signed, provisioning magic wrong");
  out("signed-mode.img", resign(t((b) => { b[160 + u32(b, 60) + 16] = 1; })), "config-board", "signed, kiosk mode on a gate board");
  out("signed-geometry.img", resign(t((b) => { const l = 160 + u32(b, 60) + 48 + 36 * b[160 + u32(b, 60) + 17]!; put32(b, l + 8, 0x20000); })), "config-board", "signed, ledger partition size differs from the board");
  out("signed-keyref.img", resign(t((b) => { b[b.length - 64 - 1 - 20] = 0x7f; })), "key-reference", "signed, key reference magic/store damaged");
  // Built by `offtap image build`'s code path with other inputs.
  const board = loadBoard("esp32-gate-pn532");
  const wrongAbi = await buildImage({ board: { ...board, abiVersion: 2 }, provisioningJson: provisionGate(), firmware: tinyFirmware({ abiVersion: 2 }), releaseKey: keys.release, buildUnixSeconds: BUILD_UNIX_S });
  out("wrong-abi.img", wrongAbi.image, "abi", "validly signed for ABI version 2");
  const stranger = new Ed25519Key(new Uint8Array(32).fill(0x07));
  const untrusted = await buildImage({ board, provisioningJson: provisionGate(), firmware: tinyFirmware({ abiVersion: 1 }), releaseKey: stranger, buildUnixSeconds: BUILD_UNIX_S });
  out("untrusted-key.img", untrusted.image, "signature", "signed by a key the reader does not trust (seed 07…)");
  const lines = cases.map((c) => `${c.file} ${c.board} ${c.expect} ${c.what}`);
  writeFileSync(path.join(here, "cases.txt"), [
    "# <file> <board gate|kiosk> <expected refusal (ok = boots)> <what was done>",
    "# Generated by generate.ts; trusted release key: ../release-key.json (test key, seed 05…).",
    ...lines, "",
  ].join("\n"));
}

if (process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await main();
