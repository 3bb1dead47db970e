// Checking an image as a reader does at boot (docs/IMAGE.md, steps 1–7), for
// `image inspect` and for the flasher, which re-checks before it writes.
import { verifyReference } from "../crypto/reference.ts";
import { VerifyStatus, statusName, statusSentence } from "../crypto/policy.ts";
import { toHex } from "../protocol/index.ts";
import { BoardError, loadBoard, wasmPartition, type BoardProfile } from "../boards/index.ts";
import { decodeImage, releaseKeyId, type DecodedImage, type KeyReference } from "./format.ts";
import { firmwareAbiVersion } from "./firmware.ts";
import {
  decodeProvisioning,
  provisioningBoardFindings,
  type DecodedProvisioning,
} from "./provisioning.ts";
import { ImageRefusal } from "./build.ts";

export type CheckName =
  "format" | "board" | "size" | "abi" | "signature" | "hashes" | "provisioning";
/** `status`: the verification status name (e.g. EquationMismatch) of a failed signature. */
export interface ImageCheck {
  check: CheckName;
  ok: boolean | null;
  message: string;
  status?: string;
}

export interface ImageInspection {
  ok: boolean;
  checks: ImageCheck[];
  image: DecodedImage | undefined;
  provisioning: DecodedProvisioning | undefined;
  keyReference: KeyReference | undefined;
  board: BoardProfile | undefined;
  partition: { name: string; offset: number; size: number } | undefined;
}

export interface InspectOptions {
  /** The board the image must be for (flash --board, inspect --board); default: the image's own. */
  board?: BoardProfile;
  /** Release public key to verify against; without one the signature is reported unchecked. */
  releasePublicKey?: Uint8Array;
}

export function inspectImage(bytes: Uint8Array, o: InspectOptions = {}): ImageInspection {
  const checks: ImageCheck[] = [];
  const r: ImageInspection = {
    ok: false,
    checks,
    image: undefined,
    provisioning: undefined,
    keyReference: undefined,
    board: undefined,
    partition: undefined,
  };
  try {
    r.image = decodeImage(bytes);
    checks.push({
      check: "format",
      ok: true,
      message: `offtap image format ${r.image.formatVersion}, ${r.image.totalBytes} bytes`,
    });
  } catch (e) {
    checks.push({ check: "format", ok: false, message: (e as Error).message });
    return r;
  }
  const img = r.image;
  r.keyReference = img.keyReference;
  checkBoard(img, o, r);
  if (r.board !== undefined) {
    const abi = firmwareAbiVersion(img.firmware);
    const want = r.board.abiVersion;
    if (img.abiVersion !== want)
      checks.push({
        check: "abi",
        ok: false,
        message: `image declares ABI version ${img.abiVersion}; board ${r.board.id} implements ABI version ${want}`,
      });
    else if (abi !== img.abiVersion)
      checks.push({
        check: "abi",
        ok: false,
        message:
          typeof abi === "string"
            ? `firmware ABI: ${abi}`
            : `firmware exports abiVersion() = ${abi}, header says ${img.abiVersion}`,
      });
    else checks.push({ check: "abi", ok: true, message: `ABI version ${want}` });
  }
  checkSignature(img, o.releasePublicKey, checks);
  checks.push(
    img.hashFindings.length === 0
      ? { check: "hashes", ok: true, message: "firmware and provisioning SHA-256 match" }
      : { check: "hashes", ok: false, message: img.hashFindings.join("; ") },
  );
  try {
    r.provisioning = decodeProvisioning(img.provisioning);
    const findings =
      r.board === undefined ? [] : provisioningBoardFindings(r.provisioning, r.board);
    if (r.provisioning.deviceSeedPresent === (img.keyReference !== undefined)) {
      findings.push(
        img.keyReference !== undefined
          ? "a key reference is present but the block also carries a seed"
          : "SEED_INLINE is set but the block's seed is all zero",
      );
    }
    checks.push(
      findings.length === 0
        ? {
            check: "provisioning",
            ok: true,
            message: "provisioning block consistent with the board",
          }
        : { check: "provisioning", ok: false, message: findings.join("; ") },
    );
  } catch (e) {
    checks.push({ check: "provisioning", ok: false, message: (e as Error).message });
  }
  r.ok = checks.every((c) => c.ok !== false);
  return r;
}

function checkBoard(img: DecodedImage, o: InspectOptions, r: ImageInspection): void {
  if (o.board !== undefined && o.board.id !== img.boardId) {
    r.checks.push({
      check: "board",
      ok: false,
      message: `image is for board ${img.boardId}, not ${o.board.id}`,
    });
    return;
  }
  try {
    r.board = o.board ?? loadBoard(img.boardId);
  } catch (e) {
    r.checks.push({
      check: "board",
      ok: false,
      message:
        e instanceof BoardError ? e.message : `board ${img.boardId}: ${(e as Error).message}`,
    });
    return;
  }
  r.checks.push({ check: "board", ok: true, message: `board ${r.board.id} (${r.board.name})` });
  const part = wasmPartition(r.board);
  r.partition = { name: "wasm", ...part };
  r.checks.push(
    img.totalBytes <= part.size
      ? {
          check: "size",
          ok: true,
          message: `fits the wasm partition at 0x${part.offset.toString(16)} (${img.totalBytes} of ${part.size} bytes)`,
        }
      : {
          check: "size",
          ok: false,
          message: `image of ${img.totalBytes} bytes exceeds the wasm partition (${part.size} bytes)`,
        },
  );
}

function checkSignature(
  img: DecodedImage,
  key: Uint8Array | undefined,
  checks: ImageCheck[],
): void {
  const signer = toHex(img.releaseKeyId);
  if (key === undefined) {
    checks.push({
      check: "signature",
      ok: null,
      message: `not checked: no release key given (signed by key id ${signer})`,
    });
    return;
  }
  const status = verifyReference(key, img.signedBytes, img.signature);
  if (status === VerifyStatus.Valid) {
    checks.push({
      check: "signature",
      ok: true,
      message: `valid, release key id ${toHex(releaseKeyId(key))}`,
    });
    return;
  }
  const hint =
    toHex(releaseKeyId(key)) === signer
      ? ""
      : ` (the image names release key id ${signer}, the given key is ${toHex(releaseKeyId(key))})`;
  const message = `bad signature: ${statusSentence(status)}${hint}`;
  checks.push({ check: "signature", ok: false, message, status: statusName(status) });
}

/** Throws ImageRefusal (rule = the first failing check) unless the image passes every
 *  check with its signature verified: what `flash` runs before writing. */
export function verifyImage(
  bytes: Uint8Array,
  board: BoardProfile,
  releasePublicKey: Uint8Array,
): ImageInspection {
  const r = inspectImage(bytes, { board, releasePublicKey });
  const bad = r.checks.find((c) => c.ok !== true);
  if (bad !== undefined) throw new ImageRefusal(bad.check, bad.message);
  return r;
}
