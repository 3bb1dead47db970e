// `image build`: board profile + provisioning + firmware → a signed image, refusing
// anything a reader would refuse (docs/IMAGE.md, "What build checks").
import type { Ed25519Key } from "../issuer/ed25519.ts";
import { wasmPartition, type BoardProfile } from "../boards/index.ts";
import { appendSignature, encodeUnsignedImage } from "./format.ts";
import { checkFirmwareProfile, firmwareAbiVersion } from "./firmware.ts";
import { encodeProvisioning, provisionFromJson, type Provisioning } from "./provisioning.ts";

/** A refusal: `rule` is stable (board, provisioning, profile, abi, size) for scripts and tests. */
export class ImageRefusal extends Error {
  constructor(
    readonly rule: string,
    message: string,
  ) {
    super(message);
  }
}

export interface BuildInput {
  board: BoardProfile;
  provisioningJson: unknown;
  firmware: Uint8Array;
  releaseKey: Ed25519Key;
  buildUnixSeconds: number;
  /** Told what the build is doing, step by step (the CLI prints it on stderr). */
  onStep?: (what: string) => void;
}

export interface BuildResult {
  image: Uint8Array;
  provisioning: Provisioning;
  partition: { name: string; offset: number; size: number };
  warnings: string[];
}

export async function buildImage(input: BuildInput): Promise<BuildResult> {
  const { board } = input;
  const step = input.onStep ?? ((): void => undefined);
  step("checking the provisioning file against the board");
  let provisioning: Provisioning;
  try {
    provisioning = provisionFromJson(input.provisioningJson, board);
  } catch (e) {
    throw new ImageRefusal("provisioning", `provisioning: ${(e as Error).message}`);
  }
  step("checking the firmware against the device profile");
  const profile = await checkFirmwareProfile(input.firmware);
  if (!profile.ok) {
    throw new ImageRefusal(
      "profile",
      `firmware violates the device profile ${profile.profile}: ${profile.findings.map((f) => `[${f.rule}] ${f.message}`).join("; ")}`,
    );
  }
  const abi = firmwareAbiVersion(input.firmware);
  if (typeof abi === "string") throw new ImageRefusal("abi", `firmware ABI: ${abi}`);
  if (abi !== board.abiVersion)
    throw new ImageRefusal(
      "abi",
      `firmware speaks ABI version ${abi}; board ${board.id} implements ABI version ${board.abiVersion}`,
    );
  step("signing the image");
  const unsigned = encodeUnsignedImage(
    {
      abiVersion: abi,
      boardId: board.id,
      buildUnixSeconds: input.buildUnixSeconds,
      firmware: input.firmware,
      provisioning: encodeProvisioning(provisioning),
      keyReference: provisioning.keyReference,
    },
    input.releaseKey.publicKey,
  );
  const image = appendSignature(unsigned, input.releaseKey.sign(unsigned));
  const part = wasmPartition(board);
  if (image.length > part.size)
    throw new ImageRefusal(
      "size",
      `image of ${image.length} bytes does not fit board ${board.id}'s wasm partition (${part.size} bytes)`,
    );
  const warnings =
    provisioning.keyReference === undefined
      ? [
          "development image: the device key seed is inside the image; a production image references secure storage (docs/IMAGE.md)",
        ]
      : [];
  return { image, provisioning, partition: { name: "wasm", ...part }, warnings };
}
