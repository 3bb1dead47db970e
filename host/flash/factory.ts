// `offtap flash --factory`: a factory-fresh board to a provisioned reader in one session.
// The device seed is made here, for this board only, held in memory, written into the NVS
// partition (docs/NVS.md) and wiped once the session ends; what leaves the station is the
// public key, printed and written to an enrolment file for clearing.
import { createHash, randomBytes } from "node:crypto";
import { boardPartition, type BoardProfile } from "../boards/index.ts";
import { Ed25519Key } from "../issuer/ed25519.ts";
import { toHex } from "../protocol/index.ts";
import { encodeNvsPartition } from "../nvs/index.ts";
import { bindImageToDevice, type BoundImage } from "./bind.ts";
import { checkIdfBuild, type IdfBuild } from "./idf-build.ts";
import { flashSession, type FlashOptions, type FlashRegion, type SessionReport } from "./flash.ts";
import { ENROLMENT_FORMAT, ENROLMENT_VERSION, type Enrolment } from "./enrolment.ts";

export class FactoryError extends Error {}

const SEED_BYTES = 32;

export interface FactoryInput {
  board: BoardProfile;
  build: IdfBuild;
  releaseImage: Uint8Array;
  releaseKey: Ed25519Key;
  readerId?: Uint8Array;
  compress: boolean;
  /** 64-byte NVS key (eky ‖ tky): write the NVS partition in its encrypted form. */
  nvsKey?: Uint8Array;
}

/** Everything but the seed, for --dry-run and for the checks made before a port is opened. */
export interface FactoryLayout {
  regions: { name: string; offset: number; bytes: number }[];
  nvs: { offset: number; size: number; namespace: string; key: string };
}

/** Checks the inputs and lays out the flash; no seed is made. */
export function factoryLayout(input: FactoryInput): FactoryLayout {
  const files = checkIdfBuild(input.build, input.board);
  const probe = bindImageToDevice(
    input.releaseImage,
    input.board,
    input.releaseKey,
    new Ed25519Key(new Uint8Array(SEED_BYTES).fill(1)).publicKey,
    input.readerId,
  );
  const wasm = boardPartition(input.board, "wasm");
  const nvs = boardPartition(input.board, "nvs");
  const regions = [
    ...files.map((f) => ({ name: f.name, offset: f.offset, bytes: f.data.length })),
    { name: "wasm (image)", offset: wasm.offset, bytes: probe.image.length },
    { name: "nvs (device seed)", offset: nvs.offset, bytes: nvs.size },
  ].sort((a, b) => a.offset - b.offset);
  for (let i = 1; i < regions.length; i++) {
    const prev = regions[i - 1]!;
    if (prev.offset + prev.bytes > regions[i]!.offset)
      throw new FactoryError(`${prev.name} overlaps ${regions[i]!.name}`);
  }
  return {
    regions,
    nvs: {
      offset: nvs.offset,
      size: nvs.size,
      namespace: probe.keyReference.namespace,
      key: probe.keyReference.key,
    },
  };
}

export interface FactoryResult {
  session: SessionReport;
  enrolment: Enrolment;
  devicePublicKey: string;
  layout: FactoryLayout;
}

/** Makes the seed, builds this board's image and NVS, flashes everything, wipes the seed. */
export async function flashFactory(
  input: FactoryInput,
  options: FlashOptions,
): Promise<FactoryResult> {
  const layout = factoryLayout(input);
  const seed = new Uint8Array(randomBytes(SEED_BYTES));
  let nvs: Uint8Array | undefined;
  try {
    const device = new Ed25519Key(seed);
    const bound = bindImageToDevice(
      input.releaseImage,
      input.board,
      input.releaseKey,
      device.publicKey,
      input.readerId,
    );
    nvs = encodeNvsPartition(
      [
        {
          name: layout.nvs.namespace,
          items: [{ key: layout.nvs.key, value: { type: "blob", value: seed } }],
        },
      ],
      layout.nvs.size,
      { encryptionKey: input.nvsKey },
    );
    device.seed.fill(0);
    const regions = factoryRegions(input, bound, nvs, layout);
    const target = {
      chip: input.board.chip.family,
      boardId: input.board.id,
      flashSizeBytes: input.board.flash.sizeBytes,
      compress: input.compress,
    };
    const session = await flashSession(target, regions, options);
    const enrolment = enrolmentOf(input.board, bound, device.publicKey, session);
    return { session, enrolment, devicePublicKey: toHex(device.publicKey), layout };
  } finally {
    seed.fill(0);
    nvs?.fill(0);
  }
}

function factoryRegions(
  input: FactoryInput,
  bound: BoundImage,
  nvs: Uint8Array,
  layout: FactoryLayout,
): FlashRegion[] {
  const files = input.build.files.map((f) => ({ name: f.name, offset: f.offset, data: f.data }));
  const wasm = boardPartition(input.board, "wasm");
  return [
    ...files,
    { name: "wasm", offset: wasm.offset, data: bound.image },
    { name: "nvs", offset: layout.nvs.offset, data: nvs },
  ].sort((a, b) => a.offset - b.offset);
}

function enrolmentOf(
  board: BoardProfile,
  bound: BoundImage,
  publicKey: Uint8Array,
  session: SessionReport,
): Enrolment {
  const p = bound.provisioning;
  return {
    format: ENROLMENT_FORMAT,
    version: ENROLMENT_VERSION,
    readerId: p.readerId,
    devicePublicKey: toHex(publicKey),
    board: board.id,
    chip: session.chip,
    mac: session.mac,
    flashId: session.flashId,
    image: {
      sha256: createHash("sha256").update(bound.image).digest("hex"),
      bytes: bound.image.length,
    },
    config: {
      mode: String(p.mode),
      currency: p.currency,
      amountMin: p.amountMin,
      amountMax: p.amountMax,
      driftToleranceS: p.driftToleranceS,
    },
    enrolledAt: new Date().toISOString(),
  };
}
