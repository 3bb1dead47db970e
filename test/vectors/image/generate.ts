// Regenerates the image vectors: provisioning files, a test release key and two signed
// images built from a hand-assembled firmware (wasm.ts), with their expected fields taken
// from the inputs. Run: node --import tsx test/vectors/image/generate.ts
// Keys come from fixed, public seeds: they are test keys, never for a real reader.
import { writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Ed25519Key } from "../../../host/issuer/ed25519.ts";
import { toHex } from "../../../host/protocol/index.ts";
import { loadBoard } from "../../../host/boards/index.ts";
import { buildImage, releaseKeyToFile } from "../../../host/image/index.ts";
import { tinyFirmware } from "./wasm.ts";

const here = path.dirname(fileURLToPath(import.meta.url));
const seed = (b: number): Uint8Array => new Uint8Array(32).fill(b);
export const BUILD_UNIX_S = 1_795_305_600;

export const keys = {
  issuer1: new Ed25519Key(seed(0x01)), issuer2: new Ed25519Key(seed(0x06)), operator: new Ed25519Key(seed(0x02)),
  clearing: new Ed25519Key(seed(0x03)), device: new Ed25519Key(seed(0x04)), release: new Ed25519Key(seed(0x05)),
};

export function provisionGate(): Record<string, unknown> {
  return {
    $comment: "Test provisioning for esp32-gate-pn532: fixed public test seeds (test/vectors/image/generate.ts); the device seed is referenced, not carried.",
    readerId: "0102030405060708",
    issuerKeys: [{ keyId: 1, publicKey: toHex(keys.issuer1.publicKey) }, { keyId: 2, publicKey: toHex(keys.issuer2.publicKey) }],
    operatorPublicKey: toHex(keys.operator.publicKey),
    clearingPublicKey: toHex(keys.clearing.publicKey),
    deviceKey: { publicKey: toHex(keys.device.publicKey), store: "nvs", namespace: "offtap", key: "device_seed" },
    fare: 270,
  };
}

export function provisionKiosk(): Record<string, unknown> {
  return {
    $comment: "Test provisioning for esp32s3-kiosk-pn532 with the device seed inline (a development image).",
    readerId: "a1a2a3a4a5a6a7a8",
    mode: "kiosk",
    issuerKeys: [{ keyId: 7, publicKey: toHex(keys.issuer1.publicKey) }],
    operatorPublicKey: toHex(keys.operator.publicKey),
    clearingPublicKey: toHex(keys.clearing.publicKey),
    deviceKey: { seed: toHex(keys.device.seed) },
    currency: 840, amountMax: 2500, nfcTimeoutMs: 200,
  };
}

async function main(): Promise<void> {
  const json = (name: string, v: unknown): void => writeFileSync(path.join(here, name), JSON.stringify(v, null, 2) + "\n");
  json("provision-gate.json", provisionGate());
  json("provision-kiosk.json", provisionKiosk());
  json("release-key.json", releaseKeyToFile(keys.release));
  const firmware = tinyFirmware({ abiVersion: 1 });
  const cases = [
    { file: "gate-referenced.img", board: "esp32-gate-pn532", provisioning: provisionGate() },
    { file: "kiosk-inline.img", board: "esp32s3-kiosk-pn532", provisioning: provisionKiosk() },
  ];
  const expected = [];
  for (const c of cases) {
    const r = await buildImage({ board: loadBoard(c.board), provisioningJson: c.provisioning, firmware, releaseKey: keys.release, buildUnixSeconds: BUILD_UNIX_S });
    writeFileSync(path.join(here, c.file), r.image);
    expected.push({
      file: c.file, board: c.board, abiVersion: 1, buildUnixSeconds: BUILD_UNIX_S, firmwareHex: toHex(firmware),
      releasePublicKey: toHex(keys.release.publicKey), provisioningFile: c.board.includes("gate") ? "provision-gate.json" : "provision-kiosk.json",
      seedInline: c.board.includes("kiosk"), partitionOffset: r.partition.offset,
    });
  }
  json("images.json", { comment: "Signed image vectors (docs/IMAGE.md); regenerate with generate.ts. Expected fields are the build inputs.", images: expected });
}

if (process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await main();
