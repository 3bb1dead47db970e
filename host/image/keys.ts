// Release keys: the Ed25519 keys that sign reader images (docs/IMAGE.md, "Release keys").
// The file has the shape of the issuer key files (host/issuer/): format, version, seed,
// public key; written mode 0600 and never over an existing file.
import { createHash } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { Ed25519Key } from "../issuer/ed25519.ts";
import { fromHex, toHex } from "../protocol/index.ts";

export interface ReleaseKeyFile {
  format: "offtap-release-key";
  version: 1;
  seed: string;
  publicKey: string;
}

export function releaseKeyToFile(key: Ed25519Key): ReleaseKeyFile {
  return { format: "offtap-release-key", version: 1, seed: toHex(key.seed), publicKey: toHex(key.publicKey) };
}

export function releaseKeyFromJson(json: unknown, source: string): Ed25519Key {
  const o = json as Partial<Record<keyof ReleaseKeyFile, unknown>> | null;
  if (o === null || typeof o !== "object") throw new Error(`${source}: not a JSON object`);
  if (o.format !== "offtap-release-key" || o.version !== 1) throw new Error(`${source}: not an offtap release key file (format/version)`);
  if (typeof o.seed !== "string" || typeof o.publicKey !== "string") throw new Error(`${source}: seed and publicKey must be hex strings`);
  const seed = fromHex(o.seed, "seed");
  if (seed.length !== 32) throw new Error(`${source}: seed must be 32 bytes`);
  const key = new Ed25519Key(seed);
  if (toHex(key.publicKey) !== o.publicKey.toLowerCase()) throw new Error(`${source}: publicKey does not match the seed`);
  return key;
}

export function readReleaseKeyFile(path: string): Ed25519Key {
  let text: string;
  try { text = readFileSync(path, "utf8"); } catch (e) { throw new Error(`cannot read ${path}: ${(e as Error).message}`); }
  let json: unknown;
  try { json = JSON.parse(text); } catch { throw new Error(`${path}: not valid JSON`); }
  return releaseKeyFromJson(json, path);
}

export function writeReleaseKeyFile(path: string, key: Ed25519Key): void {
  writeFileSync(path, JSON.stringify(releaseKeyToFile(key), null, 2) + "\n", { mode: 0o600, flag: "wx" });
}

/** The development release key of a board: derived from its id, public by construction.
 *  Images signed with it are for simulation; no production reader trusts it. */
export function devReleaseKey(boardId: string): Ed25519Key {
  return new Ed25519Key(new Uint8Array(createHash("sha256").update(`offtap development release key\0${boardId}`).digest()));
}
