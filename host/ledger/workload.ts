// Synthetic payments for ledger runs, from one seed. The power-loss runner only needs a
// `TapSource`; the reader's real tap path can replace this generator later.
import { createHash } from "node:crypto";
import { Xorshift32 } from "../sim/flash.ts";
import {
  BODY_BYTES_MAX, encodeConfig, encodeDenyListBody, type LedgerConfig, type Payment,
} from "./format.ts";
import { keyPairFromSeed, signEd25519, type Ed25519KeyPair } from "./keys.ts";

export interface TapSource {
  /** The i-th payment of the workload (i counts from 0; deterministic). */
  payment(i: number): Payment;
}

const WALLETS = 40; // enough distinct wallets to exercise the index, few enough to revisit them

export class SyntheticTaps implements TapSource {
  private readonly rng: Xorshift32;
  private readonly counters = new Map<number, number>();
  private readonly made: Payment[] = [];

  constructor(readonly seed: number, readonly startUnix = 1_790_000_000) {
    this.rng = new Xorshift32(seed ^ 0x7a9);
  }

  payment(i: number): Payment {
    while (this.made.length <= i) this.made.push(this.make(this.made.length));
    return this.made[i]!;
  }

  private make(i: number): Payment {
    const w = this.rng.below(WALLETS);
    const counter = (this.counters.get(w) ?? 0) + 1 + this.rng.below(3);
    this.counters.set(w, counter);
    const walletId = derive(`wallet-${this.seed}-${w}`, 16);
    const bodyLen = 96 + this.rng.below(BODY_BYTES_MAX - 96 + 1);
    const body = new Uint8Array(bodyLen);
    for (let k = 0; k < bodyLen; k++) body[k] = this.rng.nextU32() & 0xff;
    const amount = BigInt(50 + this.rng.below(2000));
    return { walletId, counter, amount, time: this.startUnix + i * 7, body };
  }
}

export function derive(label: string, len: number): Uint8Array {
  return new Uint8Array(createHash("sha512").update(label).digest().subarray(0, len));
}

export interface ReaderIdentity {
  readerId: Uint8Array;
  device: Ed25519KeyPair;
  operator: Ed25519KeyPair;
  clearing: Ed25519KeyPair;
}

export function identityFromSeed(seed: number): ReaderIdentity {
  return {
    readerId: derive(`reader-${seed}`, 16),
    device: keyPairFromSeed(derive(`device-${seed}`, 32)),
    operator: keyPairFromSeed(derive(`operator-${seed}`, 32)),
    clearing: keyPairFromSeed(derive(`clearing-${seed}`, 32)),
  };
}

export interface Geometry {
  ledgerBytes: number;
  sectorBytes: number;
  pageBytes: number;
  denyBytes: number;
}

export function configFor(id: ReaderIdentity, g: Geometry,
  denyMaxAgeSeconds = 7 * 86_400): Uint8Array {
  const c: LedgerConfig = {
    ...g,
    denyMaxAgeSeconds,
    readerId: id.readerId,
    deviceSecretKey: id.device.secretKey,
    operatorPublicKey: id.operator.publicKey,
    clearingPublicKey: id.clearing.publicKey,
  };
  return encodeConfig(c);
}

/** The default reader partition: 256 KiB of ledger (64 × 4 KiB sectors, 448 records),
 *  256-byte pages, and a 32 KiB deny-list partition (two 16 KiB slots). */
export const DEFAULT_GEOMETRY: Geometry = {
  ledgerBytes: 256 * 1024, sectorBytes: 4096, pageBytes: 256, denyBytes: 32 * 1024,
};

/** The wallet that deny-list version `version` of a workload blocks (and no other
 *  version does): the runner checks which list is installed by asking for it. */
export function deniedWallet(seed: number, version: number): Uint8Array {
  return derive(`denied-${seed}-${version}`, 16);
}

/** The certificate hash that an odd deny-list version of a workload vouches for (its
 *  format-2 marker, docs/LEDGER.md §7); even versions vouch for none (format 1). */
export function vouchedCert(seed: number, version: number): Uint8Array {
  return derive(`vouched-${seed}-${version}`, 16);
}

/** Deny-list version `version` of a workload, signed by the reader's operator key:
 *  its marker wallet, one or two workload wallets, a revoked issuer key and, in odd
 *  versions when `vouch` (firmware that reads format 2), vouched certificates, so that
 *  updates switch formats. */
export function denyListImage(id: ReaderIdentity, seed: number, version: number,
  issuedAt: number, vouch = true): Uint8Array {
  const walletIds = [deniedWallet(seed, version)];
  for (let k = 0; k < 1 + (version % 2); k++) {
    walletIds.push(derive(`wallet-${seed}-${(version * 7 + k) % WALLETS}`, 16));
  }
  const revokedKeyIds = [derive(`revoked-${seed}-${version}`, 8)];
  const certHashes = vouch && version % 2 === 1
    ? [vouchedCert(seed, version), derive(`vouched-other-${seed}-${version}`, 16)]
    : [];
  const body = encodeDenyListBody({ version, issuedAt, walletIds, revokedKeyIds, certHashes });
  const image = new Uint8Array(body.length + 64);
  image.set(body, 0);
  image.set(signEd25519(id.operator.seed, body), body.length);
  return image;
}
