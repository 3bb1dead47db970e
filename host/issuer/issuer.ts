// An issuer: an Ed25519 key with a 32-bit key id that readers are provisioned with, and
// the certification of wallets (docs/PROTOCOL.md "Wallet certificate").
import { readFileSync, writeFileSync } from "node:fs";
import { Ed25519Key } from "./ed25519.ts";
import {
  type Certificate, type CertificateBody, CERTIFICATE_BYTES, PROTOCOL_VERSION, WALLET_ID_BYTES, PUBLIC_KEY_BYTES,
  certificateSignedMessage, encodeCertificate, fromHex, toHex, checkUint, ProtocolError, checkBytes,
} from "../protocol/index.ts";

export class Issuer {
  constructor(readonly keyId: number, readonly key: Ed25519Key) {
    checkUint("issuerKeyId", keyId, 32);
  }

  static generate(keyId: number): Issuer {
    return new Issuer(keyId, Ed25519Key.random());
  }

  get publicKey(): Uint8Array { return this.key.publicKey; }

  /** Signs a certificate body; returns the decoded certificate and its 131 bytes. */
  certify(request: WalletCertRequest): { certificate: Certificate; bytes: Uint8Array } {
    const body = certificateBody(this.keyId, request);
    const certificate: Certificate = { ...body, issuerSignature: this.key.sign(certificateSignedMessage(body)) };
    const bytes = encodeCertificate(certificate);
    if (bytes.length !== CERTIFICATE_BYTES) throw new Error("certificate encoding broke its own length");
    return { certificate, bytes };
  }
}

export interface WalletCertRequest {
  walletId: Uint8Array;
  walletPublicKey: Uint8Array;
  offlineCap: number;
  currency: number;
  validFrom: number;
  validUntil: number;
  /** Certificate version byte; 1 unless a test wants an unsupported one. */
  version?: number;
}

export function certificateBody(issuerKeyId: number, r: WalletCertRequest): CertificateBody {
  checkBytes("walletId", r.walletId, WALLET_ID_BYTES);
  checkBytes("walletPublicKey", r.walletPublicKey, PUBLIC_KEY_BYTES);
  checkUint("validFrom", r.validFrom, 32);
  checkUint("validUntil", r.validUntil, 32);
  if (r.validUntil <= r.validFrom) throw new ProtocolError("validUntil", `must be after validFrom (${r.validFrom}), got ${r.validUntil}`);
  return {
    version: r.version ?? PROTOCOL_VERSION,
    issuerKeyId,
    walletId: r.walletId,
    walletPublicKey: r.walletPublicKey,
    currency: r.currency,
    offlineCap: r.offlineCap,
    validFrom: r.validFrom,
    validUntil: r.validUntil,
  };
}

/** On-disk issuer key file (JSON). The seed is secret: the file is written mode 0600. */
export interface IssuerKeyFile {
  format: "offtap-issuer-key";
  version: 1;
  keyId: number;
  seed: string;
  publicKey: string;
}

export function issuerToKeyFile(issuer: Issuer): IssuerKeyFile {
  return { format: "offtap-issuer-key", version: 1, keyId: issuer.keyId, seed: toHex(issuer.key.seed), publicKey: toHex(issuer.publicKey) };
}

export function issuerFromKeyFile(json: unknown, source = "key file"): Issuer {
  const o = json as Partial<Record<keyof IssuerKeyFile, unknown>> | null;
  if (o === null || typeof o !== "object") throw new Error(`${source}: not a JSON object`);
  if (o.format !== "offtap-issuer-key" || o.version !== 1) throw new Error(`${source}: not an offtap issuer key file (format/version)`);
  if (typeof o.keyId !== "number" || !Number.isInteger(o.keyId) || o.keyId < 0 || o.keyId > 0xffffffff) throw new Error(`${source}: keyId must be a 32-bit unsigned integer`);
  if (typeof o.seed !== "string" || typeof o.publicKey !== "string") throw new Error(`${source}: seed and publicKey must be hex strings`);
  const seed = fromHex(o.seed, "seed");
  if (seed.length !== 32) throw new Error(`${source}: seed must be 32 bytes`);
  const issuer = new Issuer(o.keyId, new Ed25519Key(seed));
  if (toHex(issuer.publicKey) !== o.publicKey.toLowerCase()) throw new Error(`${source}: publicKey does not match the seed`);
  return issuer;
}

export function writeIssuerKeyFile(path: string, issuer: Issuer): void {
  writeFileSync(path, JSON.stringify(issuerToKeyFile(issuer), null, 2) + "\n", { mode: 0o600, flag: "wx" });
}

export function readIssuerKeyFile(path: string): Issuer {
  let text: string;
  try { text = readFileSync(path, "utf8"); } catch (err) { throw new Error(`cannot read ${path}: ${(err as Error).message}`); }
  let json: unknown;
  try { json = JSON.parse(text); } catch { throw new Error(`${path}: not valid JSON`); }
  return issuerFromKeyFile(json, path);
}
