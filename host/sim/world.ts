// A simulated installation: issuers, an operator and a clearing service, one reader
// (the real firmware on a SimBoard) and wallets certified for it. Everything derives
// from one seed: keys, wallet ids, challenges, faults and the clock.
import { Ed25519Key } from "../issuer/ed25519.ts";
import { Issuer } from "../issuer/issuer.ts";
import {
  CERTIFICATE_BYTES, PROTOCOL_VERSION, certificateSignedMessage, decodeCertificate,
  encodeCertificate, toHex, type CertificateBody,
} from "../protocol/index.ts";
import { SimBoard, PowerCut } from "./board.ts";
import { ERR_IO, PARTITION_LEDGER } from "./abi.ts";
import { encodeReaderConfig, type FlashGeometry, type ReaderConfig } from "./config.ts";
import { encodeDenyList, type DenyList } from "./denylist.ts";
import { SimReader, readerModule, type TapResult } from "./reader.ts";
import { Rng } from "./rng.ts";
import { SimWallet } from "./wallet.ts";
import type { TapeRecorder } from "./tape.ts";
import { boardGeometry, type BoardProfile } from "../boards/index.ts";

/** How a wallet's certificate was made: honest, or one of the certificate-level faults. */
export const CERT_KINDS = [
  "honest", "cert-expired", "cert-not-yet-valid", "issuer-revoked", "issuer-unknown",
  "cert-bad-signature",
  "cert-version", "wrong-currency", "denied", "cert-empty-window",
] as const;
export type CertKind = (typeof CERT_KINDS)[number];

/** A reader board's flash as the ledger's tools assume it (host/ledger/workload.ts):
 *  256 KiB ledger (64 sectors of 4 KiB, 448 records), 32 KiB deny list, 4 KiB config. */
export const DEFAULT_GEOMETRY: FlashGeometry = {
  ledgerBytes: 256 * 1024, sectorBytes: 4096, pageBytes: 256, denyBytes: 32 * 1024,
  configBytes: 4096,
};
/** 2026-11-21 00:00:00 UTC: a fixed start so that runs replay to the byte. */
export const DEFAULT_START_UNIX_S = 1_795_305_600;
const DAY_S = 86_400;

/** docs/LEDGER.md §2.5: a record's signal mark is the 8 bytes at offset 496 of its
 *  512-byte slot, programmed on their own after the record is committed. */
const LEDGER_SLOT_BYTES = 512;
const SIGNAL_MARK_AT = 496;
const SIGNAL_MARK_BYTES = 8;

/** Is this flash program the signal mark of a ledger record? */
export function isSignalMarkProgram(partition: number, offset: number, len: number): boolean {
  if (partition !== PARTITION_LEDGER || len !== SIGNAL_MARK_BYTES) return false;
  return offset % LEDGER_SLOT_BYTES === SIGNAL_MARK_AT;
}

/** A fault between a record's append and its signal mark: the mark's program fails with
 *  ERR_IO, or the power goes just before it starts (the record is whole, the mark blank). */
export type SignalMarkFault = "fail" | "cut";

export interface WorldOptions {
  seed: number | string;
  /** A board profile (boards/<id>.json): its partitions give the geometry, its mode and
   *  defaults the mode, fare, currency, limits and timeouts. Explicit options still win. */
  board?: BoardProfile;
  mode?: "gate" | "kiosk";
  fare?: number;
  currency?: number;
  amountMin?: number;
  amountMax?: number;
  nfcTimeoutMs?: number;
  driftToleranceS?: number;
  geometry?: FlashGeometry;
  startUnixSeconds?: number;
  /** Install a fresh, empty deny list at start-up (default true when there is a deny partition). */
  installDenyList?: boolean;
  denyMaxAgeS?: number;
  wasmPath?: string;
  captureLogs?: boolean;
  frameErrorRate?: number;
  /** Provision the reader at start-up (default true); false leaves it NOT_CONFIGURED. */
  provision?: boolean;
  /** Records the run as a replayable tape (test vectors). */
  recorder?: TapeRecorder;
  /** The installation's keys and reader id, kept by a reader state folder (docs/STATE.md);
   *  absent: derived from the seed. */
  identity?: WorldIdentity;
  /** Key ids of issuers 1, 2, 3 (revoked) and 99 (unknown): a kept reader takes its own, so
   *  that several kept readers and the demo can share one clearing database. */
  issuerKeyIds?: IssuerKeyIds;
  /** The public keys of the clearing service the reader is provisioned for (a real one:
   *  its acknowledgements and deny lists); absent: the world's own keys. */
  clearingKeys?: ClearingKeys;
  /** Called once the board exists, before the firmware boots: loads a kept flash image. */
  restoreFlash?: (board: SimBoard) => void;
  /** The deny list installed last (its version and wallets), kept by a state folder. */
  denyState?: { version: number; walletIds: Uint8Array[] };
}

export type IssuerKeyIds = [number, number, number, number];
export interface ClearingKeys { clearing: Uint8Array; operator: Uint8Array }
export const DEFAULT_ISSUER_KEY_IDS: IssuerKeyIds = [1, 2, 3, 99];

/** Every key of a simulated installation, as 32-byte Ed25519 seeds, and the reader id. */
export interface WorldIdentity {
  /** Issuers 1 and 2 (trusted), 3 (provisioned, then revoked), 99 (never provisioned). */
  issuerSeeds: [Uint8Array, Uint8Array, Uint8Array, Uint8Array];
  operatorSeed: Uint8Array;
  clearingSeed: Uint8Array;
  deviceSeed: Uint8Array;
  readerId: Uint8Array;
}

export interface WalletSpec {
  kind?: CertKind;
  offlineCap?: number;
  latencyMs?: number;
  /** A passback attacker that never gives up a pending authorization (SimWallet). */
  neverBurns?: boolean;
}

let simulatedBoard: BoardProfile | undefined;

/** The board every SimWorld uses when its options name none (`offtap sim/tap --board`);
 *  undefined restores the built-in defaults. */
export function setSimulatedBoard(board: BoardProfile | undefined): void {
  simulatedBoard = board;
}

export class SimWorld {
  readonly seed: number | string;
  readonly rng: Rng;
  readonly issuers: Issuer[];
  /** Provisioned on the reader, then revoked by the deny list. */
  readonly revokedIssuer: Issuer;
  /** Never provisioned on the reader. */
  readonly unknownIssuer: Issuer;
  readonly operatorKey: Ed25519Key;
  readonly clearingKey: Ed25519Key;
  readonly deviceKey: Ed25519Key;
  readonly readerId: Uint8Array;
  readonly config: ReaderConfig;
  readonly configBytes: Uint8Array;
  readonly board: SimBoard;
  readonly reader: SimReader;
  readonly wallets: SimWallet[] = [];
  readonly recorder: TapeRecorder | undefined;
  private denyVersion = 0;
  private readonly denied: Uint8Array[] = [];
  private readonly walletRng: Rng;
  private readonly realClearing: ClearingKeys | undefined;

  constructor(o: WorldOptions) {
    this.seed = o.seed;
    this.rng = Rng.from(o.seed, "world");
    const keyRng = this.rng.derive("keys");
    const key = (): Ed25519Key => new Ed25519Key(keyRng.bytes(32));
    const id = o.identity;
    const [i1, i2, i3, i99] = id?.issuerSeeds.map((k) => new Ed25519Key(k))
      ?? [key(), key(), key(), key()];
    const ids = o.issuerKeyIds ?? DEFAULT_ISSUER_KEY_IDS;
    this.issuers = [new Issuer(ids[0], i1!), new Issuer(ids[1], i2!)];
    this.revokedIssuer = new Issuer(ids[2], i3!);
    this.unknownIssuer = new Issuer(ids[3], i99!);
    this.operatorKey = id === undefined ? key() : new Ed25519Key(id.operatorSeed);
    this.clearingKey = id === undefined ? key() : new Ed25519Key(id.clearingSeed);
    this.deviceKey = id === undefined ? key() : new Ed25519Key(id.deviceSeed);
    this.readerId = id === undefined ? keyRng.bytes(8) : Uint8Array.from(id.readerId);
    if (o.denyState !== undefined) {
      this.denyVersion = o.denyState.version;
      this.denied.push(...o.denyState.walletIds);
    }
    this.walletRng = this.rng.derive("wallets");
    this.realClearing = o.clearingKeys;
    const board = o.board ?? simulatedBoard;
    const d = board?.defaults;
    const mode = o.mode ?? board?.mode ?? "gate";
    const geometry = o.geometry ?? (board === undefined ? DEFAULT_GEOMETRY : boardGeometry(board));
    // A kiosk board's default fare is 0; a gate world on it still needs one.
    const boardFare = d !== undefined && d.fare > 0 ? d.fare : undefined;
    this.config = {
      readerId: this.readerId,
      mode,
      currency: o.currency ?? d?.currency ?? 978,
      fare: mode === "gate" ? (o.fare ?? boardFare ?? 250) : 0,
      amountMin: o.amountMin ?? d?.amountMin ?? 1,
      amountMax: o.amountMax ?? d?.amountMax ?? 10_000,
      driftToleranceS: o.driftToleranceS ?? d?.driftToleranceS ?? 300,
      nfcTimeoutMs: o.nfcTimeoutMs ?? d?.nfcTimeoutMs ?? 100,
      issuerKeys: [...this.issuers, this.revokedIssuer]
        .map((i) => ({ keyId: i.keyId, publicKey: i.publicKey })),
      geometry,
      denyMaxAgeS: o.denyMaxAgeS ?? d?.denyMaxAgeS ?? 7 * DAY_S,
      deviceSecretKey: this.deviceKey.secretKey(),
      operatorPublicKey: o.clearingKeys?.operator ?? this.operatorKey.publicKey,
      clearingPublicKey: o.clearingKeys?.clearing ?? this.clearingKey.publicKey,
    };
    this.configBytes = encodeReaderConfig(this.config);
    this.board = new SimBoard({
      seed: o.seed, geometry, startUnixSeconds: o.startUnixSeconds ?? DEFAULT_START_UNIX_S,
      flashSeed: this.rng.derive("flash").nextU32(), captureLogs: o.captureLogs ?? true,
      frameErrorRate: o.frameErrorRate ?? 0,
    });
    o.restoreFlash?.(this.board);
    this.reader = new SimReader(this.board, readerModule(o.wasmPath));
    this.recorder = o.recorder;
    if (o.provision ?? true) {
      const rc = this.reader.init(this.configBytes);
      this.recorder?.init(this.configBytes, rc);
      const seed = String(o.seed);
      if (rc !== 0) {
        const what = `reader init refused the simulated configuration: status ${rc}`;
        throw new Error(`${what} (seed ${seed})`);
      }
      if ((o.installDenyList ?? true) && geometry.denyBytes > 0) {
        const dr = this.installDenyList();
        if (dr !== 0) {
          throw new Error(`reader refused the simulated deny list: status ${dr} (seed ${seed})`);
        }
      }
    }
  }

  now(): number { return this.board.clock.unixSeconds(); }

  /** Provisioned for a real clearing service's keys (undefined: the world's own). */
  get clearingKeys(): ClearingKeys | undefined { return this.realClearing; }

  /** Signs its own deny lists and acknowledgements (no real clearing provisioned). */
  get ownsOutputs(): boolean { return this.realClearing === undefined; }

  /** A deny list from a real clearing was installed: its version and wallets. */
  noteDenyList(version: number, walletIds: Uint8Array[]): void {
    this.denyVersion = version;
    this.denied.length = 0;
    this.denied.push(...walletIds);
  }

  /** The deny list installed last: its version and the wallets on it. */
  get denyState(): { version: number; walletIds: Uint8Array[] } {
    return { version: this.denyVersion, walletIds: [...this.denied] };
  }

  /** The installation's keys and reader id (what a state folder keeps). */
  get issuerKeyIds(): IssuerKeyIds {
    const all = [...this.issuers, this.revokedIssuer, this.unknownIssuer];
    return all.map((i) => i.keyId) as IssuerKeyIds;
  }

  get identity(): WorldIdentity {
    const seeds = [...this.issuers, this.revokedIssuer, this.unknownIssuer].map((i) => i.key.seed);
    return {
      issuerSeeds: seeds as WorldIdentity["issuerSeeds"], operatorSeed: this.operatorKey.seed,
      clearingSeed: this.clearingKey.seed, deviceSeed: this.deviceKey.seed, readerId: this.readerId,
    };
  }

  /** Certifies a new wallet; `kind` picks an honest certificate or a certificate-level fault. */
  createWallet(spec: WalletSpec = {}): SimWallet {
    const kind = spec.kind ?? "honest";
    const r = this.walletRng;
    const walletKey = new Ed25519Key(r.bytes(32));
    const walletId = r.bytes(16);
    const now = this.now();
    const tol = this.config.driftToleranceS;
    let validFrom = now - 30 * DAY_S;
    let validUntil = now + 365 * DAY_S;
    if (kind === "cert-expired") { validFrom = now - 400 * DAY_S; validUntil = now - tol - 60; }
    if (kind === "cert-not-yet-valid") {
      validFrom = now + tol + 60;
      validUntil = now + 365 * DAY_S;
    }
    const issuer = this.issuerFor(kind, r);
    const request = {
      walletId, walletPublicKey: walletKey.publicKey, offlineCap: spec.offlineCap ?? 5_000,
      currency: kind === "wrong-currency" ? 840 : this.config.currency, validFrom, validUntil,
      version: kind === "cert-version" ? 2 : PROTOCOL_VERSION,
    };
    // An issuer never signs an empty window (Issuer.certify refuses it); forge one by hand.
    const bytes = kind === "cert-empty-window"
      ? signRaw(issuer, { ...request, validUntil: validFrom })
      : issuer.certify(request).bytes;
    const certificate = Uint8Array.from(bytes);
    if (kind === "cert-bad-signature") certificate[CERTIFICATE_BYTES - 1]! ^= 0x01;
    const wallet = new SimWallet({
      certificate, key: walletKey, latencyMs: spec.latencyMs ?? 10 + r.below(15),
      slowLatencyMs: this.config.nfcTimeoutMs + 50, rng: r.derive(`wallet-${toHex(walletId)}`),
      name: `${kind} ${toHex(walletId).slice(0, 8)}`,
      neverBurns: spec.neverBurns ?? false,
    });
    if (kind === "denied") this.denyWallets([walletId]);
    this.wallets.push(wallet);
    return wallet;
  }

  /** The issuer of a new certificate: a fault's own issuer, else a random honest one
   *  (drawn only then, so the wallet stream stays as it was). */
  private issuerFor(kind: CertKind, r: Rng): Issuer {
    if (kind === "issuer-revoked") return this.revokedIssuer;
    if (kind === "issuer-unknown") return this.unknownIssuer;
    return this.issuers[r.below(this.issuers.length)]!;
  }

  /** The wallet goes online: its issuer certifies its key again with a fresh cap and window. */
  recertify(wallet: SimWallet, offlineCap: number): void {
    const lenient = { strictVersion: false, strictWindow: false };
    const old = decodeCertificate(wallet.certificate, lenient);
    const all = [...this.issuers, this.revokedIssuer, this.unknownIssuer];
    const issuer = all.find((i) => i.keyId === old.issuerKeyId) ?? this.issuers[0]!;
    const now = this.now();
    wallet.recertify(issuer.certify({
      walletId: old.walletId, walletPublicKey: old.walletPublicKey, offlineCap,
      currency: old.currency,
      validFrom: now - DAY_S, validUntil: now + 365 * DAY_S,
    }).bytes);
  }

  /** One tap: the wallet (or nobody) enters the field, the firmware decides, the field drops. */
  tap(wallet: SimWallet | undefined, amount = 0): TapResult {
    if (wallet !== undefined) this.board.field.enter(wallet);
    try {
      this.recorder?.beforeTap(this.board, amount);
      const r = this.reader.tap(amount);
      this.recorder?.afterTap(r, this.board);
      return r;
    } finally {
      this.board.field.leave();
    }
  }

  /** Time passes between taps (people walking through the gate). */
  idle(ms: number): void { this.board.clock.advanceMs(ms); }

  /** The board calls the firmware's idle work between taps (boards/ABI.md, `idle`):
   *  returning wallets' key tables are built here. Returns the pieces of work done. */
  housekeeping(): number {
    const pieces = this.reader.idle();
    this.recorder?.idle(pieces);
    return pieces;
  }

  /** Signs and installs a deny list (a new version) through the firmware's exports. */
  installDenyList(list: Partial<DenyList> = {}): number {
    const image = encodeDenyList({
      version: list.version ?? ++this.denyVersion,
      issuedAt: list.issuedAt ?? this.now(),
      walletIds: list.walletIds ?? this.denied,
      revokedIssuerKeyIds: list.revokedIssuerKeyIds ?? [this.revokedIssuer.keyId],
      vouchedCertHashes: list.vouchedCertHashes ?? [],
    }, this.operatorKey);
    const r = installDenyImage(this.reader, image, this.config.geometry.pageBytes);
    this.recorder?.denyList(image, r);
    return r;
  }

  /** Tells the reader to wait until `unixSeconds` (the clock only moves forward here). */
  setTime(unixSeconds: number): void {
    this.board.clock.setUnixSeconds(unixSeconds);
  }

  denyWallets(ids: Uint8Array[]): number {
    this.denied.push(...ids);
    return this.installDenyList();
  }

  /** Clearing acknowledges everything up to the last record (docs/LEDGER.md §5), so the
   *  reader may reuse its flash. Returns the firmware's status. */
  acknowledgeAll(): number {
    const e = this.reader.exports;
    const last = e.ledgerNextSeq() - 1;
    if (last <= 0 || last <= e.ledgerAckedSeq()) return 0;
    const n = e.ledgerReadRecord(last);
    if (n < 72) return n < 0 ? n : -1;
    const link = this.reader.get(40, 32);
    const ack = new Uint8Array(124);
    const v = new DataView(ack.buffer);
    v.setUint32(0, 0x314b544f, true);
    v.setUint16(4, 1, true);
    ack.set(this.readerId, 8); // 16-byte ledger reader id: the wire id, zero-padded
    v.setUint32(24, last, true);
    ack.set(link, 28);
    ack.set(this.clearingKey.sign(ack.subarray(0, 60)), 60);
    return e.ledgerAcknowledge(this.reader.put(ack), ack.length);
  }

  /**
   * Arms a fault on the next `count` signal-mark programs (docs/PROTOCOL.md, "Gate
   * openings"); later programs run normally. A "cut" throws PowerCut out of the tap in
   * progress: reboot() afterwards, as a board does when its power comes back.
   */
  armSignalMarkFault(kind: SignalMarkFault, count = 1): void {
    let left = count;
    this.reader.beforeProgram = (partition, offset, len): number | undefined => {
      if (left === 0 || !isSignalMarkProgram(partition, offset, len)) return undefined;
      left--;
      if (left === 0) this.reader.beforeProgram = undefined;
      if (kind === "fail") return ERR_IO;
      throw new PowerCut(this.board.flash.stats.programs + 1, "program");
    };
  }

  /** Power cycle: a fresh firmware instance on the same flash, provisioned again. */
  reboot(): number {
    this.reader.boot();
    return this.reader.init(this.configBytes);
  }
}

/** Streams a signed deny-list image into the firmware (begin, page-sized writes, commit). */
export function installDenyImage(reader: SimReader, image: Uint8Array, chunkBytes: number): number {
  const e = reader.exports;
  let r = e.ledgerDenyBegin(image.length);
  if (r < 0) return r;
  for (let at = 0; at < image.length; at += chunkBytes) {
    const part = image.subarray(at, Math.min(at + chunkBytes, image.length));
    r = e.ledgerDenyWrite(at, reader.put(part), part.length);
    if (r < 0) return r;
  }
  return e.ledgerDenyCommit();
}

/** Signs whatever body it is given, bypassing the issuer's own checks (fault injection). */
function signRaw(issuer: Issuer, r: Omit<CertificateBody, "issuerKeyId">): Uint8Array {
  const body: CertificateBody = { ...r, issuerKeyId: issuer.keyId };
  const issuerSignature = issuer.key.sign(certificateSignedMessage(body));
  return encodeCertificate({ ...body, issuerSignature });
}
