// Byte-level handle on the firmware's ledger exports for one boot of one board: copies
// inputs into the I/O buffer, calls the export, turns results into values. Status
// codes stay numbers (errors are values); only misuse by the caller throws.
import type { SimFlash } from "../sim/flash.ts";
import { bootFirmware, firmwareModule } from "../firmware/board.ts";
import { decodeRecordContent, type LedgerRecord, type Payment } from "./format.ts";

export interface LedgerExports {
  memory: WebAssembly.Memory;
  ioBufferPtr(): number;
  ioBufferBytes(): number;
  ledgerConfigure(ptr: number, len: number): number;
  ledgerRecover(): number;
  ledgerAppend(walletId: number, counter: number, amount: bigint, time: number, body: number,
    bodyLen: number): number;
  ledgerNextSeq(): number;
  ledgerAckedSeq(): number;
  ledgerChainHead(out: number): void;
  ledgerReadRecord(seq: number): number;
  ledgerFindWallet(walletId: number, out: number): number;
  ledgerIndexedWallets(): number;
  ledgerReusableSectors(): number;
  ledgerTornSlots(): number;
  ledgerCorruptRecords(): number;
  ledgerBadSectors(): number;
  ledgerSignalMark(seq: number): number;
  ledgerSignalState(seq: number): number;
  ledgerExport(fromSeq: number, maxRecords: number): number;
  ledgerAcknowledge(ptr: number, len: number): number;
  ledgerDenyBegin(len: number): number;
  ledgerDenyWrite(offset: number, ptr: number, len: number): number;
  ledgerDenyCommit(): number;
  ledgerDenyContains(walletId: number): number;
  ledgerDenyKeyRevoked(keyId: number): number;
  ledgerDenyIsStale(now: number): number;
  ledgerDenyVersion(): number;
  /** Absent from firmware before deny-list format 2 (docs/LEDGER.md §7). */
  ledgerDenyCertVouched?(certHash: number): number;
}

export class LedgerDevice {
  readonly x: LedgerExports;
  private readonly io: number;
  private readonly ioBytes: number;

  /** Boots a fresh firmware instance on `flash` (a reboot when the flash is reused). */
  constructor(readonly flash: SimFlash, module: WebAssembly.Module = firmwareModule()) {
    this.x = bootFirmware<LedgerExports>(flash, module);
    this.io = this.x.ioBufferPtr();
    this.ioBytes = this.x.ioBufferBytes();
  }

  private put(offset: number, bytes: Uint8Array): number {
    if (offset + bytes.length > this.ioBytes) {
      throw new RangeError(`${bytes.length} bytes do not fit the I/O buffer at ${offset}`);
    }
    new Uint8Array(this.x.memory.buffer).set(bytes, this.io + offset);
    return this.io + offset;
  }

  private get(ptr: number, len: number): Uint8Array {
    return new Uint8Array(this.x.memory.buffer).slice(ptr, ptr + len);
  }

  /** configure + recover; returns the first failing status or 0. */
  boot(config: Uint8Array): number {
    const c = this.x.ledgerConfigure(this.put(0, config), config.length);
    return c < 0 ? c : this.x.ledgerRecover();
  }

  /** New sequence number (> 0) or a negative status. */
  append(p: Payment): number {
    const w = this.put(0, p.walletId);
    const b = this.put(16, p.body);
    const amount = BigInt.asUintN(64, p.amount);
    return this.x.ledgerAppend(w, p.counter >>> 0, amount, p.time >>> 0, b, p.body.length);
  }

  get nextSeq(): number { return this.x.ledgerNextSeq() >>> 0; }
  get ackedSeq(): number { return this.x.ledgerAckedSeq() >>> 0; }

  chainHead(): Uint8Array {
    this.x.ledgerChainHead(this.io);
    return this.get(this.io, 32);
  }

  /** The record, or a negative status (ERR_NOT_FOUND, ERR_CORRUPT). */
  readRecord(seq: number): LedgerRecord | number {
    const n = this.x.ledgerReadRecord(seq);
    return n < 0 ? n : decodeRecordContent(this.get(this.io, n));
  }

  findWallet(walletId: Uint8Array): { counter: number; seq: number } | undefined {
    const w = this.put(0, walletId);
    if (this.x.ledgerFindWallet(w, this.io + 16) !== 1) return undefined;
    const v = new DataView(this.x.memory.buffer, this.io + 16, 8);
    return { counter: v.getUint32(0, true), seq: v.getUint32(4, true) };
  }

  /** OK (0) or a negative status; the reader signals accept only after OK. */
  signalMark(seq: number): number { return this.x.ledgerSignalMark(seq >>> 0); }
  /** 1 marked, 0 not marked, or a negative status. */
  signalState(seq: number): number { return this.x.ledgerSignalState(seq >>> 0); }

  /** A signed batch, an empty array when nothing is left to export, or a negative status. */
  exportBatch(fromSeq = 0, maxRecords = 0): Uint8Array | number {
    const n = this.x.ledgerExport(fromSeq, maxRecords);
    return n < 0 ? n : this.get(this.io, n);
  }

  acknowledge(ack: Uint8Array): number {
    return this.x.ledgerAcknowledge(this.put(0, ack), ack.length);
  }

  /** Streams a signed deny list into the inactive slot and commits it. */
  installDenyList(image: Uint8Array, chunkBytes = 1024): number {
    let r = this.x.ledgerDenyBegin(image.length);
    for (let off = 0; r === 0 && off < image.length; off += chunkBytes) {
      const part = image.subarray(off, Math.min(off + chunkBytes, image.length));
      r = this.x.ledgerDenyWrite(off, this.put(0, part), part.length);
    }
    return r === 0 ? this.x.ledgerDenyCommit() : r;
  }

  denyContains(walletId: Uint8Array): number {
    return this.x.ledgerDenyContains(this.put(0, walletId));
  }
  denyKeyRevoked(keyId: Uint8Array): number {
    return this.x.ledgerDenyKeyRevoked(this.put(0, keyId));
  }
  /** The firmware reads format-2 deny lists (vouched certificates). */
  get vouchesCertificates(): boolean { return this.x.ledgerDenyCertVouched !== undefined; }
  denyCertVouched(certHash: Uint8Array): number {
    const f = this.x.ledgerDenyCertVouched;
    if (f === undefined) throw new Error("this firmware has no ledgerDenyCertVouched");
    return f.call(this.x, this.put(0, certHash));
  }
  denyIsStale(now: number): boolean { return this.x.ledgerDenyIsStale(now >>> 0) === 1; }
  get denyVersion(): number { return this.x.ledgerDenyVersion() >>> 0; }
}
