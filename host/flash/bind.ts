// A factory image for one board: the release image names where the board keeps its seed
// (key reference, store "nvs") and carries the device's public key in its signed
// provisioning block (docs/IMAGE.md). A seed made on the flashing station for this board
// therefore needs this board's own image: the release image with this device's public key
// (and, when given, its reader id) in the block, signed again with the release key. The
// image is checked in full before and after (signature, board, ABI, hashes).
import { crc32 } from "node:zlib";
import type { BoardProfile } from "../boards/index.ts";
import type { Ed25519Key } from "../issuer/ed25519.ts";
import {
  ImageRefusal,
  appendSignature,
  decodeImage,
  decodeProvisioning,
  encodeUnsignedImage,
  seedOffset,
  verifyImage,
  type DecodedProvisioning,
  type KeyReference,
} from "../image/index.ts";

export class BindError extends Error {}

const SEED_BYTES = 32;
const READER_ID_AT = 8;
const READER_ID_BYTES = 8;
const ISSUER_KEY_COUNT_AT = 17;

export interface BoundImage {
  image: Uint8Array;
  keyReference: KeyReference;
  provisioning: DecodedProvisioning;
}

export function bindImageToDevice(
  template: Uint8Array,
  board: BoardProfile,
  releaseKey: Ed25519Key,
  devicePublicKey: Uint8Array,
  readerId?: Uint8Array,
): BoundImage {
  try {
    verifyImage(template, board, releaseKey.publicKey);
  } catch (err) {
    if (err instanceof ImageRefusal)
      throw new BindError(
        `the release image does not verify with this release key: ${err.message}`,
      );
    throw err;
  }
  const img = decodeImage(template);
  const ref = img.keyReference;
  if (ref === undefined || ref.store !== "nvs" || ref.namespace === "") {
    const where =
      ref === undefined
        ? "carries the seed inline"
        : `references ${ref.store} ${ref.namespace}/${ref.key}`;
    throw new BindError(
      `a factory image must reference its seed in NVS (deviceKey.store "nvs" with a namespace); ` +
      `this one ${where}`,
    );
  }
  const prov = img.provisioning.slice();
  const at = seedOffset(prov[ISSUER_KEY_COUNT_AT]!);
  if (prov.subarray(at, at + SEED_BYTES).some((b) => b !== 0))
    throw new BindError("the release image carries a seed; refusing to flash it");
  prov.set(devicePublicKey, at + SEED_BYTES);
  if (readerId !== undefined) {
    if (readerId.length !== READER_ID_BYTES)
      throw new BindError(`a reader id is ${READER_ID_BYTES} bytes`);
    prov.set(readerId, READER_ID_AT);
  }
  new DataView(prov.buffer).setUint32(
    prov.length - 4,
    crc32(prov.subarray(0, prov.length - 4)) >>> 0,
    true,
  );
  const unsigned = encodeUnsignedImage(
    {
      abiVersion: img.abiVersion,
      boardId: img.boardId,
      buildUnixSeconds: img.buildUnixSeconds,
      firmware: img.firmware,
      provisioning: prov,
      keyReference: ref,
    },
    releaseKey.publicKey,
  );
  const image = appendSignature(unsigned, releaseKey.sign(unsigned));
  verifyImage(image, board, releaseKey.publicKey); // checked right after it was made
  return { image, keyReference: ref, provisioning: decodeProvisioning(prov) };
}
