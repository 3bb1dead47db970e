// `offtap demo` — the main job on embedded defaults: runs the real firmware and shows
// what it decides. Today: the crypto core (device-key signing, strict verification).
import { createHash, createPrivateKey, createPublicKey, sign as nodeSign, verify as nodeVerify } from "node:crypto";
import type { Command } from "../command.ts";
import { EXIT_FAILED, EXIT_OK } from "../command.ts";
import { parse, intFlag } from "../args.ts";
import { FirmwareCrypto } from "../../firmware/crypto.ts";
import { statusName } from "../../crypto/policy.ts";
import { green, red, bold, table } from "../output.ts";

const HELP = `usage: offtap demo [--seed N] [--json]

Loads build/offtap.wasm, derives a device key from the seed, signs messages with the
firmware and verifies them (and tampered copies) under the strict policy, cross-checking
every result against node:crypto.

options:
  --seed N   seed for the demo's key and messages (default 1)
  --json     print a JSON summary instead of the table
  --help     show this help`;

const PKCS8_ED25519_PREFIX = Buffer.from("302e020100300506032b657004220420", "hex");
const SPKI_ED25519_PREFIX = Buffer.from("302a300506032b6570032100", "hex");

interface DemoCase { label: string; message: Uint8Array; signature: Uint8Array; publicKey: Uint8Array }

function tamperedCases(pk: Uint8Array, msg: Uint8Array, sig: Uint8Array): DemoCase[] {
  const flipMsg = Uint8Array.from(msg); flipMsg[0]! ^= 1;
  const flipR = Uint8Array.from(sig); flipR[3]! ^= 0x10;
  const bigS = Uint8Array.from(sig); bigS[63]! |= 0xf0;
  const smallOrderKey = new Uint8Array(32); smallOrderKey[0] = 1; // identity point
  return [
    { label: "genuine", message: msg, signature: sig, publicKey: pk },
    { label: "message altered", message: flipMsg, signature: sig, publicKey: pk },
    { label: "R altered", message: msg, signature: flipR, publicKey: pk },
    { label: "S >= L", message: msg, signature: bigS, publicKey: pk },
    { label: "small-order key", message: msg, signature: sig, publicKey: smallOrderKey },
  ];
}

export const command: Command = {
  name: "demo",
  summary: "run the firmware on embedded defaults and show its decisions",
  async run(argv) {
    const { values } = parse(argv, { seed: { type: "string" }, json: { type: "boolean" }, help: { type: "boolean" } });
    if (values.help) { console.log(HELP); return EXIT_OK; }
    const seedNumber = intFlag("seed", values.seed, 1);
    const fw = new FirmwareCrypto();
    const seed = createHash("sha256").update(`offtap-demo-${seedNumber}`).digest();
    const pk = fw.publicKey(seed);
    const sk = new Uint8Array([...seed, ...pk]);
    const nodeKey = createPrivateKey({ key: Buffer.concat([PKCS8_ED25519_PREFIX, seed]), format: "der", type: "pkcs8" });
    const msg = new TextEncoder().encode(`receipt #${seedNumber}: 250 minor units at gate 7`);
    const sig = fw.sign(sk, msg);
    const sameAsNode = Buffer.from(sig).equals(nodeSign(null, msg, nodeKey));

    const rows: { case: string; firmware: string; node: string; agree: boolean }[] = [];
    for (const c of tamperedCases(pk, msg, sig)) {
      const status = fw.verify(c.publicKey, c.message, c.signature);
      let nodeOk: boolean;
      try {
        const key = createPublicKey({ key: Buffer.concat([SPKI_ED25519_PREFIX, c.publicKey]), format: "der", type: "spki" });
        nodeOk = nodeVerify(null, c.message, key, c.signature);
      } catch { nodeOk = false; }
      // The strict policy may reject what node:crypto accepts (small-order keys), never the reverse.
      const agree = status === 0 ? nodeOk : !nodeOk || c.label === "small-order key";
      rows.push({ case: c.label, firmware: statusName(status), node: nodeOk ? "valid" : "invalid", agree });
    }
    const ok = sameAsNode && rows.every((r) => r.agree) && rows[0]!.firmware === statusName(0);
    if (values.json) {
      console.log(JSON.stringify({ publicKey: Buffer.from(pk).toString("hex"), signatureMatchesNode: sameAsNode, cases: rows, ok }));
    } else {
      console.log(bold("offtap demo — firmware crypto core (build/offtap.wasm)"));
      console.log(`device public key  ${Buffer.from(pk).toString("hex")}`);
      console.log(`signature          ${Buffer.from(sig).toString("hex").slice(0, 32)}… ${sameAsNode ? green("identical to node:crypto") : red("DIFFERS from node:crypto")}`);
      console.log("");
      console.log(table([["case", "firmware verdict", "node:crypto", "consistent"], ...rows.map((r) => [r.case, r.firmware, r.node, r.agree ? green("yes") : red("NO")])]));
    }
    return ok ? EXIT_OK : EXIT_FAILED;
  },
};
