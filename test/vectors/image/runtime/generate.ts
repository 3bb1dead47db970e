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
const view = (b: Uint8Array): DataView => new DataView(b.buffer, b.byteOffset, b.byteLength);
const u32 = (b: Uint8Array, at: number): number => view(b).getUint32(at, true);
const put32 = (b: Uint8Array, at: number, v: number): void => view(b).setUint32(at, v >>> 0, true);

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

const cfgAt = (b: Uint8Array): number => 160 + u32(b, 60);
const ledgerAt = (b: Uint8Array): number => cfgAt(b) + 48 + 36 * (b[cfgAt(b) + 17] ?? 0);
/** XORs one byte (a bit flip when mask is a power of two). */
function flip(b: Uint8Array, at: number, mask = 1): void {
  b[at] = (b[at] ?? 0) ^ mask;
}

/** The gate image tampered by f, with the header CRC fixed or, with seal, fully re-signed. */
type Tamper = (b: Uint8Array) => void;

function tamperings(): [string, string, string, Uint8Array | ((g: Uint8Array) => Uint8Array)][] {
  const t = (f: Tamper) => (g: Uint8Array): Uint8Array => {
    const b = Uint8Array.from(g);
    f(b);
    return b;
  };
  const crc = (f: Tamper) => (g: Uint8Array): Uint8Array => recrc(t(f)(g));
  const seal = (f: Tamper, o: { hashes?: boolean; configCrc?: boolean } = {}) =>
    (g: Uint8Array): Uint8Array => resign(t(f)(g), o);
  const wasmHash = (b: Uint8Array): void => { b.set(sha256(b.subarray(160, cfgAt(b))), 80); };
  return [
    ["truncated.img", "length", "shorter than header and signature", t(() => undefined)],
    ["magic.img", "magic", "magic byte changed", t((b) => { b[0] = 0x58; })],
    ["version.img", "version", "image format version 2", crc((b) => { b[4] = 2; })],
    ["header-length.img", "header-length", "header length 161", crc((b) => { b[6] = 161; })],
    ["header-crc.img", "header-crc", "header CRC bit flipped", t((b) => flip(b, 156))],
    ["flags.img", "reserved", "unknown flag bit", crc((b) => flip(b, 10, 0x80))],
    ["reserved.img", "reserved", "reserved bytes not zero", crc((b) => { b[152] = 1; })],
    ["inline-flag.img", "lengths", "SEED_INLINE set with a key reference",
      crc((b) => { b[10] = 1; })],
    ["wasm-length.img", "lengths", "firmware length + 1", crc((b) => put32(b, 60, u32(b, 60) + 1))],
    ["total-length.img", "lengths", "total length - 1", crc((b) => put32(b, 72, u32(b, 72) - 1))],
    ["board-id-case.img", "lengths", "board id with an upper-case letter",
      crc((b) => { b[12] = 0x45; })],
    ["board-id.img", "board", "board id esp34-… (header CRC fixed)",
      crc((b) => { b[16] = 0x34; })],
    ["abi-field.img", "abi", "ABI field 2 (header CRC fixed, signature not)",
      crc((b) => { b[8] = 2; })],
    ["build-time.img", "signature", "build time changed", crc((b) => flip(b, 76))],
    ["wasm-hash-field.img", "signature", "firmware hash field changed", crc((b) => flip(b, 80))],
    ["config-hash-field.img", "signature", "provisioning hash field changed",
      crc((b) => flip(b, 112))],
    ["key-id.img", "signature", "release key id changed", crc((b) => flip(b, 144))],
    ["firmware-byte.img", "signature", "a firmware byte changed", t((b) => flip(b, 170))],
    ["config-byte.img", "signature", "a provisioning byte changed",
      t((b) => flip(b, cfgAt(b) + 20))],
    ["keyref-byte.img", "signature", "a key reference byte changed",
      t((b) => flip(b, b.length - 70))],
    ["signature.img", "signature", "a signature byte changed", t((b) => flip(b, b.length - 1))],
    ["signature-s-high.img", "signature", "S with its top bits set (S >= L)",
      t((b) => { b[b.length - 1] = (b[b.length - 1] ?? 0) | 0xe0; })],
    // Validly signed by the release key, so the checks after the signature are reached.
    ["signed-wasm-hash.img", "wasm-hash", "signed, firmware hash does not match",
      seal((b) => flip(b, 170), { hashes: false })],
    ["signed-config-hash.img", "config-hash", "signed, provisioning hash does not match",
      seal((b) => { flip(b, cfgAt(b) + 20); wasmHash(b); }, { hashes: false })],
    ["signed-config-crc.img", "config", "signed, provisioning CRC wrong",
      seal((b) => flip(b, cfgAt(b) + 20), { configCrc: false })],
    ["signed-config-magic.img", "config", "signed, provisioning magic wrong",
      seal((b) => { b[cfgAt(b)] = 0x58; })],
    ["signed-mode.img", "config-board", "signed, kiosk mode on a gate board",
      seal((b) => { b[cfgAt(b) + 16] = 1; })],
    ["signed-geometry.img", "config-board", "signed, ledger partition size not the board's",
      seal((b) => put32(b, ledgerAt(b) + 8, 0x20000))],
    ["signed-keyref.img", "key-reference", "signed, key reference store byte 0x7f",
      seal((b) => { b[b.length - 64 - 21] = 0x7f; })],
  ];
}

async function main(): Promise<void> {
  const gate = new Uint8Array(readFileSync(path.join(parent, "gate-referenced.img")));
  const cases: Case[] = [
    { file: "../gate-referenced.img", board: "gate", expect: "ok", what: "valid, seed referenced" },
    { file: "../kiosk-inline.img", board: "kiosk", expect: "ok", what: "valid, seed inline" },
    { file: "../kiosk-inline.img", board: "gate", expect: "board", what: "for another board" },
  ];
  const out = (file: string, img: Uint8Array, expect: string, what: string): void => {
    writeFileSync(path.join(here, file), img);
    cases.push({ file, board: "gate", expect, what });
  };
  for (const [file, expect, what, make] of tamperings()) {
    const img = typeof make === "function" ? make(gate) : make;
    out(file, file === "truncated.img" ? img.subarray(0, 223) : img, expect, what);
  }
  out("short-by-one.img", gate.subarray(0, gate.length - 1), "length", "one byte missing");
  // Built by `offtap image build`'s code path with other inputs.
  const board = loadBoard("esp32-gate-pn532");
  const common = { provisioningJson: provisionGate(), buildUnixSeconds: BUILD_UNIX_S };
  const wrongAbi = await buildImage({
    ...common, board: { ...board, abiVersion: 2 }, firmware: tinyFirmware({ abiVersion: 2 }),
    releaseKey: keys.release,
  });
  out("wrong-abi.img", wrongAbi.image, "abi", "validly signed for ABI version 2");
  const stranger = new Ed25519Key(new Uint8Array(32).fill(0x07));
  const untrusted = await buildImage({
    ...common, board, firmware: tinyFirmware({ abiVersion: 1 }), releaseKey: stranger,
  });
  out("untrusted-key.img", untrusted.image, "signature", "signed by an untrusted key (seed 07…)");
  const lines = cases.map((c) => `${c.file} ${c.board} ${c.expect} ${c.what}`);
  writeFileSync(path.join(here, "cases.txt"), [
    "# <file> <board gate|kiosk> <expected refusal (ok = boots)> <what was done>",
    "# Generated by generate.ts; trusted release key: ../release-key.json (test key, seed 05…).",
    ...lines, "",
  ].join("\n"));
}

const invoked = process.argv[1] !== undefined ? path.resolve(process.argv[1]) : "";
if (invoked === fileURLToPath(import.meta.url)) await main();
