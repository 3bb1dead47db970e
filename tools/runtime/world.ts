// A reader image for the simulated installation of a seed (host/sim/world.ts): the same
// issuers, operator, clearing service, reader id and device key the simulator and the
// PN532 emulator (`offtap nfc emulate --seed S`) derive from that seed, packaged by the
// code of `offtap image build` for a board, plus the deny list the simulated world
// installs. The board runtime's end-to-end tests boot this image and compare its
// decisions with the simulator's. Test keys only: everything derives from a public seed.
// Usage: node --import tsx tools/runtime/world.ts --seed S --board ID --out IMG [--deny FILE]
import { readFileSync, writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { loadBoard } from "../../host/boards/index.ts";
import { buildImage } from "../../host/image/index.ts";
import { Ed25519Key } from "../../host/issuer/ed25519.ts";
import { encodeDenyList } from "../../host/sim/denylist.ts";
import { DEFAULT_START_UNIX_S, SimWorld } from "../../host/sim/world.ts";

const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");
const RELEASE_KEY_FILE = "test/vectors/image/release-key.json";

export interface WorldImage {
  image: Uint8Array;
  /** The signed deny list the simulated world installs at start (version 1). */
  denyList: Uint8Array;
  startUnixSeconds: number;
  world: SimWorld;
}

/** The test release key (test/vectors/image/release-key.json) the runtime is built with. */
export function testReleaseKey(): Ed25519Key {
  const f = JSON.parse(readFileSync(RELEASE_KEY_FILE, "utf8")) as { seed: string };
  return new Ed25519Key(Uint8Array.from(Buffer.from(f.seed, "hex")));
}

export async function worldImage(seed: number, boardId: string): Promise<WorldImage> {
  const board = loadBoard(boardId);
  const world = new SimWorld({ seed, board, captureLogs: false });
  const c = world.config;
  const provisioning = {
    readerId: hex(c.readerId),
    mode: c.mode,
    issuerKeys: c.issuerKeys.map((k) => ({ keyId: k.keyId, publicKey: hex(k.publicKey) })),
    operatorPublicKey: hex(c.operatorPublicKey),
    clearingPublicKey: hex(c.clearingPublicKey),
    deviceKey: { seed: hex(c.deviceSecretKey.subarray(0, 32)) },
    ...(c.mode === "gate" ? { fare: c.fare } : {}),
  };
  const built = await buildImage({
    board, provisioningJson: provisioning, firmware: readFileSync("build/offtap.wasm"),
    releaseKey: testReleaseKey(), buildUnixSeconds: DEFAULT_START_UNIX_S,
  });
  const denyList = encodeDenyList({
    version: 1, issuedAt: DEFAULT_START_UNIX_S, walletIds: [],
    revokedIssuerKeyIds: [world.revokedIssuer.keyId],
  }, world.operatorKey);
  return { image: built.image, denyList, startUnixSeconds: DEFAULT_START_UNIX_S, world };
}

async function main(): Promise<number> {
  const options = {
    seed: { type: "string" }, board: { type: "string" }, out: { type: "string" },
    deny: { type: "string" }, help: { type: "boolean" },
  } as const;
  const usage = "usage: world --seed S --board ID --out IMAGE [--deny FILE]";
  let values;
  try {
    ({ values } = parseArgs({ options }));
  } catch (e) {
    console.error(`world: ${(e as Error).message} (${usage})`);
    return 2;
  }
  if (values.help === true) {
    console.log(usage);
    return 0;
  }
  const seed = Number(values.seed);
  if (!Number.isInteger(seed) || values.board === undefined || values.out === undefined) {
    console.error(`world: --seed N, --board and --out are required (${usage})`);
    return 2;
  }
  const w = await worldImage(seed, values.board);
  writeFileSync(values.out, w.image);
  if (values.deny !== undefined) writeFileSync(values.deny, w.denyList);
  return 0;
}

if (process.argv[1]?.endsWith("tools/runtime/world.ts") === true) process.exitCode = await main();
