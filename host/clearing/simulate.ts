// A simulated installation with several readers that share the world's issuers,
// operator and clearing keys (the real firmware on each), plus the plumbing between
// readers and clearing: export batches, apply acknowledgements and deny lists.
// Used by the clearing tests, the benchmark and the demo.
import { Ed25519Key } from "../issuer/ed25519.ts";
import { SimBoard } from "../sim/board.ts";
import { encodeReaderConfig, type ReaderConfig } from "../sim/config.ts";
import { SimReader, readerModule, type TapResult } from "../sim/reader.ts";
import {
  SimWorld,
  installDenyImage,
  DEFAULT_START_UNIX_S,
  type WorldOptions,
} from "../sim/world.ts";
import type { SimWallet } from "../sim/wallet.ts";
import { Rng } from "../sim/rng.ts";
import { encodeDenyList } from "../sim/denylist.ts";
import type { ReaderSpec } from "./types.ts";
import { readerIdHex } from "./registry.ts";

export interface NetReader {
  name: string;
  reader: SimReader;
  board: SimBoard;
  config: ReaderConfig;
  deviceKey: Ed25519Key;
  operatorId: string;
}

/** Export stops after this many batches per call (a reader holds ≤ 448 records = 45 batches). */
export const EXPORT_BATCHES_MAX = 1_000;

export class SimNetwork {
  readonly world: SimWorld;
  readonly readers: NetReader[] = [];

  constructor(o: WorldOptions & { readers?: number; operators?: string[] }) {
    this.world = new SimWorld(o);
    const ops = o.operators ?? ["metro"];
    const w = this.world;
    this.readers.push({
      name: "reader-1",
      reader: w.reader,
      board: w.board,
      config: w.config,
      deviceKey: w.deviceKey,
      operatorId: ops[0]!,
    });
    const rng = Rng.from(o.seed, "network");
    for (let i = 1; i < (o.readers ?? 2); i++) {
      const deviceKey = new Ed25519Key(rng.bytes(32));
      const config: ReaderConfig = {
        ...this.world.config,
        readerId: rng.bytes(8),
        deviceSecretKey: deviceKey.secretKey(),
      };
      const board = new SimBoard({
        seed: `${String(o.seed)}/reader-${i + 1}`,
        geometry: config.geometry,
        startUnixSeconds: o.startUnixSeconds ?? DEFAULT_START_UNIX_S,
        flashSeed: rng.nextU32(),
        captureLogs: false,
        frameErrorRate: 0,
      });
      const reader = new SimReader(board, readerModule(o.wasmPath));
      const rc = reader.init(encodeReaderConfig(config));
      if (rc !== 0) throw new Error(`reader ${i + 1} refused its configuration: status ${rc}`);
      const operatorId = ops[i % ops.length]!;
      this.readers.push({ name: `reader-${i + 1}`, reader, board, config, deviceKey, operatorId });
      const start = {
        version: 1,
        issuedAt: w.now(),
        walletIds: [],
        revokedIssuerKeyIds: [w.revokedIssuer.keyId],
      };
      const image = encodeDenyList(start, w.operatorKey);
      const dr = this.installDenyImage(this.readers[i]!, image);
      if (dr !== 0) throw new Error(`reader ${i + 1} refused the deny list: status ${dr}`);
    }
  }

  /** The readers' smallest deny-list slot (half a deny partition), what clearing's
   *  `denySlotBytes` must be for its lists to fit every reader; undefined when none has
   *  a deny partition. */
  get denySlotBytes(): number | undefined {
    const slots = this.readers
      .map((r) => r.config.geometry.denyBytes / 2)
      .filter((b) => b > 0);
    return slots.length === 0 ? undefined : Math.min(...slots);
  }

  /** One tap of `wallet` at reader `i`. */
  tap(i: number, wallet: SimWallet | undefined, amount = 0): TapResult {
    const r = this.readers[i]!;
    if (i === 0) return this.world.tap(wallet, amount);
    if (wallet !== undefined) r.board.field.enter(wallet);
    try { return r.reader.tap(amount); } finally { r.board.field.leave(); }
  }

  /** Time passes at every reader. */
  idle(ms: number): void { for (const r of this.readers) r.board.clock.advanceMs(ms); }

  /** What clearing must know to accept this reader's batches. */
  readerSpec(i: number): ReaderSpec {
    const r = this.readers[i]!;
    return {
      readerId: r.config.readerId,
      devicePublicKey: r.deviceKey.publicKey,
      operatorId: r.operatorId,
      currency: r.config.currency,
      amountMin: r.config.amountMin,
      amountMax: r.config.amountMax,
      driftToleranceS: r.config.driftToleranceS,
      name: r.name,
      ...(r.config.geometry.denyBytes > 0 ? { denyMaxAgeS: r.config.denyMaxAgeS } : {}),
    };
  }

  /** For `ingest(…, { autoRegister })`: finds the spec by ledger reader id. */
  autoRegister = (idHex: string): ReaderSpec | undefined => {
    const i = this.readers.findIndex((r) => readerIdHex(r.config.readerId) === idHex);
    return i < 0 ? undefined : this.readerSpec(i);
  };

  /** Tells clearing every issuer key the readers know (and which one the deny list revokes)
   *  and every reader. */
  async registerWith(c: {
    registerIssuerKey(keyId: number, publicKey: Uint8Array): Promise<void>;
    revokeIssuerKey(keyId: number, atUnix: number): Promise<void>;
    registerReader(spec: ReaderSpec): Promise<unknown>;
  }): Promise<void> {
    const w = this.world;
    for (const i of [...w.issuers, w.revokedIssuer]) {
      await c.registerIssuerKey(i.keyId, i.publicKey);
    }
    await c.revokeIssuerKey(w.revokedIssuer.keyId, 0);
    for (let i = 0; i < this.readers.length; i++) await c.registerReader(this.readerSpec(i));
  }

  /** Every unacknowledged record of reader i as a batch file. */
  exportBatches(i: number, fromSeq = 0): Uint8Array {
    const r = this.readers[i]!.reader;
    const e = r.exports;
    const parts: Uint8Array[] = [];
    let from = fromSeq;
    for (let n = 0; n < EXPORT_BATCHES_MAX; n++) {
      const len = e.ledgerExport(from, 0);
      if (len < 0) throw new Error(`export failed with status ${len}`);
      if (len === 0) break;
      const b = r.get(0, len);
      parts.push(b);
      from = new DataView(b.buffer, b.byteOffset).getUint32(28, true) + 1;
    }
    return Buffer.concat(parts);
  }

  acknowledge(i: number, ack: Uint8Array): number {
    const r = this.readers[i]!.reader;
    return r.exports.ledgerAcknowledge(r.put(ack), ack.length);
  }

  installDenyImage(r: NetReader, image: Uint8Array): number {
    return installDenyImage(r.reader, image, r.config.geometry.pageBytes);
  }

  /** Installs a clearing-issued deny list at every reader; returns each status. */
  installDenyList(image: Uint8Array): number[] {
    return this.readers.map((r) => this.installDenyImage(r, image));
  }
}
