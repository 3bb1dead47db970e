// The independent Ed25519 verifiers offtap is compared with. Each answers accept/reject;
// a peer that throws on an input (e.g. node:crypto refusing to import a key) rejects it.
import { createPublicKey, verify as nodeVerify } from "node:crypto";
import * as ed from "@noble/ed25519";
import { sha512 } from "@noble/hashes/sha2.js";

ed.hashes.sha512 = sha512;

export const PEERS = ["node", "noble", "noble-strict"] as const;
export type Peer = (typeof PEERS)[number];

export const PEER_DESCRIPTION: Readonly<Record<Peer, string>> = {
  "node": `node:crypto ${process.versions.openssl ? `(OpenSSL ${process.versions.openssl})` : ""}`.trim(),
  "noble": "@noble/ed25519 verify, default options (ZIP-215)",
  "noble-strict": "@noble/ed25519 verify, { zip215: false }",
};

const SPKI_ED25519_PREFIX = Buffer.from("302a300506032b6570032100", "hex");

function nodeAccepts(pk: Uint8Array, msg: Uint8Array, sig: Uint8Array): boolean {
  try {
    const key = createPublicKey({ key: Buffer.concat([SPKI_ED25519_PREFIX, pk]), format: "der", type: "spki" });
    return nodeVerify(null, msg, key, sig);
  } catch {
    return false;
  }
}

function nobleAccepts(pk: Uint8Array, msg: Uint8Array, sig: Uint8Array, zip215: boolean): boolean {
  try {
    return ed.verify(sig, msg, pk, { zip215 });
  } catch {
    return false;
  }
}

export function peerAccepts(peer: Peer, pk: Uint8Array, msg: Uint8Array, sig: Uint8Array): boolean {
  switch (peer) {
    case "node":
      return nodeAccepts(pk, msg, sig);
    case "noble":
      return nobleAccepts(pk, msg, sig, true);
    case "noble-strict":
      return nobleAccepts(pk, msg, sig, false);
  }
}
