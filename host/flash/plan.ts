// What a flash will do, worked out before any port is opened: which partition, which
// offset, how many bytes (raw and compressed), how many blocks, and the MD5 the board
// must report back. `offtap flash --dry-run` prints exactly this.
import { createHash } from "node:crypto";
import { deflateSync } from "node:zlib";
import { wasmPartition, type BoardProfile } from "../boards/index.ts";
import { ROM_BLOCK_BYTES } from "./loader.ts";
import type { ChipFamily } from "./protocol.ts";
import { identifyImage } from "./image-id.ts";

/** A plan that cannot be carried out because of its inputs (exit 2 in the CLI). */
export class PlanError extends Error {}

export interface FlashPlan {
  boardId: string;
  chip: ChipFamily;
  flashSizeBytes: number;
  imagePath: string;
  image: Uint8Array;
  /** "offtap-image" when the image decoder recognised it, "raw" otherwise. */
  imageFormat: "offtap-image" | "raw";
  /** The board id inside the image (undefined for raw bytes). */
  imageBoardId: string | undefined;
  partition: { name: "wasm"; offset: number; size: number };
  compress: boolean;
  /** Bytes that cross the wire: deflate output, or the image padded to whole blocks. */
  payloadBytes: number;
  compressedBytes: number;
  blocks: number;
  blockBytes: number;
  md5: string;
}

export interface PlanInput {
  board: BoardProfile;
  imagePath: string;
  image: Uint8Array;
  compress: boolean;
  /** Accept a file that is not a signed offtap image (bring-up, tests); off by default. */
  allowRaw: boolean;
}

export function planFlash({ board, imagePath, image, compress, allowRaw }: PlanInput): FlashPlan {
  if (image.length === 0) throw new PlanError(`${imagePath} is empty`);
  const partition = wasmPartition(board);
  if (image.length > partition.size) {
    throw new PlanError(
      `${imagePath} is ${image.length} bytes; board ${board.id}'s wasm partition holds ` +
      `${partition.size} (0x${partition.size.toString(16)}) bytes`,
    );
  }
  if (partition.offset % 4096 !== 0 || partition.offset + partition.size > board.flash.sizeBytes) {
    throw new PlanError(
      `board ${board.id}: wasm partition ` +
      `0x${partition.offset.toString(16)}+0x${partition.size.toString(16)} is not sector-aligned ` +
      `inside ${board.flash.sizeBytes}-byte flash`,
    );
  }
  const id = identifyImage(image);
  if (id.format === "raw" && !allowRaw) {
    throw new PlanError(
      `${imagePath} is not an offtap image (no "OTIM" header); build one with \`offtap image ` +
      `build\`, or pass --raw to write the bytes as they are`,
    );
  }
  if (id.problem !== undefined)
    throw new PlanError(`${imagePath} is a damaged offtap image: ${id.problem}`);
  if (id.format === "offtap-image" && id.boardId !== board.id) {
    throw new PlanError(
      `${imagePath} was built for board '${id.boardId}', not '${board.id}'; build it with ` +
      `--board ${board.id} or pick the right --board`,
    );
  }
  if (id.format === "offtap-image" && id.abiVersion !== board.abiVersion) {
    throw new PlanError(
      `${imagePath} targets device ABI ${id.abiVersion}; board ${board.id} provides ABI ` +
      `${board.abiVersion}`,
    );
  }
  const compressedBytes = deflateSync(image, { level: 9 }).length;
  const payloadBytes = compress
    ? compressedBytes
    : Math.ceil(image.length / ROM_BLOCK_BYTES) * ROM_BLOCK_BYTES;
  return {
    boardId: board.id,
    chip: board.chip.family,
    flashSizeBytes: board.flash.sizeBytes,
    imagePath,
    image,
    imageFormat: id.format,
    imageBoardId: id.boardId,
    partition: { name: "wasm", offset: partition.offset, size: partition.size },
    compress,
    payloadBytes,
    compressedBytes,
    blocks: Math.ceil(payloadBytes / ROM_BLOCK_BYTES),
    blockBytes: ROM_BLOCK_BYTES,
    md5: createHash("md5").update(image).digest("hex"),
  };
}

/** The plan as JSON (without the image bytes). */
export function planJson(plan: FlashPlan): Record<string, unknown> {
  return {
    board: plan.boardId,
    chip: plan.chip,
    image: plan.imagePath,
    imageFormat: plan.imageFormat,
    imageBoard: plan.imageBoardId ?? null,
    partition: plan.partition.name,
    offset: plan.partition.offset,
    partitionBytes: plan.partition.size,
    imageBytes: plan.image.length,
    compress: plan.compress,
    compressedBytes: plan.compressedBytes,
    payloadBytes: plan.payloadBytes,
    blocks: plan.blocks,
    blockBytes: plan.blockBytes,
    md5: plan.md5,
  };
}
