// The tap-script language (docs/TAPRUNNER.md) run on the flashed firmware: what a board in
// test mode does with `tap` requests between `tap-begin` and `tap-end`, and what the
// device emulator does with build/offtap.wasm on a simulated board whose radio, RNG and
// clock follow the script. Prints the same lines as build/taprunner.wasm.
import { SimBoard } from "../sim/board.ts";
import { SimReader, readerModule } from "../sim/reader.ts";
import type { FlashGeometry } from "../sim/config.ts";
import { ERR_TIMEOUT } from "../sim/abi.ts";
import type { TransceiveResult } from "../sim/field.ts";

/** A script line the session cannot use; the board answers `err script` and ends the session. */
export class ScriptError extends Error {}

interface Exchange {
  capdu: string;
  rapdu: Uint8Array | null;
  status: number;
  ms: number;
}

const HEX = /^(?:[0-9a-fA-F]{2})*$/;
const EXCHANGES_MAX = 4;
const RANDOM_FILLS_MAX = 4;

function hexBytes(s: string | undefined, maxBytes: number): Uint8Array {
  if (s === undefined || !HEX.test(s) || s.length / 2 > maxBytes) throw new ScriptError("bad hex");
  return Buffer.from(s, "hex");
}

function decimal(s: string | undefined, lo: number, hi: number): number {
  if (s === undefined || !/^-?\d{1,10}$/.test(s)) throw new ScriptError("bad number");
  const v = Number(s);
  if (v < lo || v > hi) throw new ScriptError("bad number");
  return v;
}

export class TapSession {
  private partitions = new Map<number, { size: number; sector: number; page: number }>();
  private board: SimBoard | undefined;
  private reader: SimReader | undefined;
  private startUnixSeconds = 0;
  private exchanges: Exchange[] = [];
  private randoms: Uint8Array[] = [];
  private used = 0;
  private randomsUsed = 0;
  private out: string[] = [];
  private mismatches = 0;
  private last:
    | { kind: "status"; value: number }
    | { kind: "tap"; decision: number; receipt: string; signals: string; mismatches: number }
    | undefined;
  private deny = { offset: 0, status: 0 };
  private counts = { taps: 0, expects: 0, failed: 0, mismatches: 0 };

  constructor(private readonly wasmPath?: string) {}

  /** Runs one script line; returns the output lines it produced. Throws ScriptError. */
  line(text: string): string[] {
    this.out = [];
    const t = text.replace(/\r$/, "").replace(/^[ \t]+/, "");
    if (t === "" || t.startsWith("#")) return [];
    const f = t.split(/[ \t]/);
    if (f.length > 5) throw new ScriptError("too many fields");
    const [cmd, ...args] = f;
    const want = (n: number): void => {
      if (args.length !== n) throw new ScriptError("wrong field count");
    };
    switch (cmd) {
      case "partition":
        want(4);
        this.partition(args);
        break;
      case "time":
        want(1);
        this.time(decimal(args[0], 0, 0xffffffff));
        break;
      case "init":
        want(1);
        this.init(hexBytes(args[0], 4096));
        break;
      case "deny-begin":
        want(1);
        this.deny = {
          offset: 0,
          status: this.fw().ledgerDenyBegin(decimal(args[0], 0, 0x7fffffff)),
        };
        break;
      case "deny-data":
        want(1);
        this.denyData(hexBytes(args[0], 4096));
        break;
      case "deny-commit":
        want(0);
        this.status("deny", this.deny.status < 0 ? this.deny.status : this.fw().ledgerDenyCommit());
        break;
      case "fail-programs":
        want(1);
        this.sim().failPrograms = decimal(args[0], 0, 1_000_000);
        break;
      case "fail-random":
        want(0);
        this.sim().failRandom = true;
        break;
      case "random":
        want(1);
        this.queueRandom(hexBytes(args[0], 64));
        break;
      case "rapdu":
        want(3);
        this.queue(args[0], hexBytes(args[1], 258), 0, decimal(args[2], 0, 3_600_000));
        break;
      case "nfc-error":
        want(3);
        this.queue(
          args[0],
          null,
          decimal(args[1], -2147483648, -1),
          decimal(args[2], 0, 3_600_000),
        );
        break;
      case "tap":
        want(1);
        this.tap(decimal(args[0], 0, 0x7fffffff));
        break;
      case "idle":
        want(0);
        this.out.push(`idle ${this.readerOrBoot().idle()}`);
        break;
      case "expect":
        this.expect(args);
        break;
      default:
        throw new ScriptError("unknown command");
    }
    return this.out;
  }

  /** The summary line and the exit code taprunner would end with. */
  end(): { lines: string[]; exitCode: number } {
    const c = this.counts;
    const blocks = this.board === undefined ? 0 : this.storedBlocks();
    const line = `done taps ${c.taps} expects ${c.expects} failed ${c.failed} mismatches ${c.mismatches} flash-blocks ${blocks}`;
    return { lines: [line], exitCode: c.failed > 0 || c.mismatches > 0 ? 1 : 0 };
  }

  /** 256-byte blocks holding anything but 0xFF, as the scripted flash counts them. */
  private storedBlocks(): number {
    let n = 0;
    for (const id of this.partitions.keys()) {
      const bytes = this.sim().flash.partition(id).bytes;
      for (let at = 0; at < bytes.length; at += 256)
        if (bytes.subarray(at, at + 256).some((b) => b !== 0xff)) n++;
    }
    return n;
  }

  private partition(a: string[]): void {
    if (this.board !== undefined) throw new ScriptError("partition after start");
    const id = decimal(a[0], 0, 2);
    if (this.partitions.has(id)) throw new ScriptError("partition twice");
    this.partitions.set(id, {
      size: decimal(a[1], 1, 0x7fffffff),
      sector: decimal(a[2], 1, 0x7fffffff),
      page: decimal(a[3], 1, 0x7fffffff),
    });
  }

  /** The board is made at the first line that needs it, from the declared partitions. */
  private sim(): SimBoard {
    if (this.board !== undefined) return this.board;
    const ledger = this.partitions.get(0);
    const config = this.partitions.get(2);
    if (ledger === undefined || config === undefined)
      throw new ScriptError("partitions 0 and 2 must be declared first");
    const deny = this.partitions.get(1);
    for (const p of [config, ...(deny ? [deny] : [])]) {
      if (p.sector !== ledger.sector || p.page !== ledger.page)
        throw new ScriptError("bad geometry");
    }
    const geometry: FlashGeometry = {
      ledgerBytes: ledger.size,
      sectorBytes: ledger.sector,
      pageBytes: ledger.page,
      denyBytes: deny?.size ?? 0,
      configBytes: config.size,
    };
    try {
      this.board = new SimBoard({
        seed: 0,
        geometry,
        startUnixSeconds: this.startUnixSeconds,
        captureLogs: false,
      });
    } catch (e) {
      throw new ScriptError(`bad geometry (${(e as Error).message})`);
    }
    this.board.nfc = (tx) => this.transceive(tx);
    this.board.random = (out) => this.fillRandom(out);
    return this.board;
  }

  private fw(): SimReader["exports"] {
    return this.readerOrBoot().exports;
  }

  private readerOrBoot(): SimReader {
    this.reader ??= new SimReader(this.sim(), readerModule(this.wasmPath));
    return this.reader;
  }

  private time(s: number): void {
    if (this.board === undefined) this.startUnixSeconds = s;
    else this.board.clock.setUnixSeconds(s);
  }

  private status(word: string, value: number): void {
    this.last = { kind: "status", value };
    this.out.push(`${word} ${value}`);
  }

  private init(config: Uint8Array): void {
    this.status("init", this.readerOrBoot().init(config));
  }

  private denyData(bytes: Uint8Array): void {
    const r = this.readerOrBoot();
    if (this.deny.status >= 0) {
      const st = r.exports.ledgerDenyWrite(this.deny.offset, r.put(bytes), bytes.length);
      if (st < 0) this.deny.status = st;
    }
    this.deny.offset += bytes.length;
  }

  private queue(
    capdu: string | undefined,
    rapdu: Uint8Array | null,
    status: number,
    ms: number,
  ): void {
    if (this.exchanges.length >= EXCHANGES_MAX) throw new ScriptError("queue full");
    const c = hexBytes(capdu, 261);
    if (rapdu !== null && rapdu.length < 2) throw new ScriptError("bad hex");
    this.exchanges.push({
      capdu: Buffer.from(c).toString("hex"),
      rapdu,
      status: rapdu === null ? status : rapdu.length,
      ms,
    });
  }

  private queueRandom(bytes: Uint8Array): void {
    if (this.randoms.length >= RANDOM_FILLS_MAX) throw new ScriptError("queue full");
    if (bytes.length < 1) throw new ScriptError("bad hex");
    this.randoms.push(bytes);
  }

  private mismatch(what: string, n: number): void {
    this.mismatches++;
    this.out.push(`mismatch ${what} ${n}`);
  }

  private transceive(tx: Uint8Array): TransceiveResult {
    const i = this.used;
    const x = this.exchanges[i];
    if (x === undefined) {
      this.mismatch("exchange-not-in-script", i + 1);
      return { status: ERR_TIMEOUT, rx: undefined };
    }
    this.used++;
    if (Buffer.from(tx).toString("hex") !== x.capdu) this.mismatch("capdu-differs", i + 1);
    this.sim().clock.advanceMs(x.ms);
    return x.rapdu === null
      ? { status: x.status, rx: undefined }
      : { status: x.status, rx: x.rapdu };
  }

  private fillRandom(out: Uint8Array): void {
    const i = this.randomsUsed;
    const r = this.randoms[i];
    if (r === undefined || r.length !== out.length) {
      this.mismatch("random-not-in-script", i + 1);
      out.fill(0);
      return;
    }
    this.randomsUsed++;
    out.set(r);
  }

  private tap(amount: number): void {
    const reader = this.readerOrBoot();
    const board = this.sim();
    this.mismatches = 0;
    this.used = 0;
    this.randomsUsed = 0;
    const r = reader.tap(amount);
    if (this.used < this.exchanges.length)
      this.mismatch("exchanges-unsent", this.exchanges.length - this.used);
    if (this.randomsUsed < this.randoms.length)
      this.mismatch("random-unused", this.randoms.length - this.randomsUsed);
    this.exchanges = [];
    this.randoms = [];
    board.failRandom = false;
    this.counts.taps++;
    this.counts.mismatches += this.mismatches;
    const e = reader.exports;
    const n = e.lastReceiptLen();
    const receipt =
      n > 0
        ? Buffer.from(new Uint8Array(e.memory.buffer, e.lastReceiptPtr(), n)).toString("hex")
        : "-";
    const signals =
      r.signals.length === 0 ? "-" : r.signals.map((s) => `${s.kind}:${s.value}`).join(",");
    this.last = {
      kind: "tap",
      decision: r.decision,
      receipt,
      signals,
      mismatches: this.mismatches,
    };
    this.out.push(`tap ${r.decision} exchanges ${this.used} receipt ${receipt} signals ${signals}`);
  }

  private expect(args: string[]): void {
    const last = this.last;
    if (last === undefined) throw new ScriptError("nothing to expect");
    if (args.length !== (last.kind === "status" ? 1 : 3))
      throw new ScriptError("wrong field count");
    const want = decimal(args[0], -2147483648, 2147483647);
    const bad: string[] = [];
    if (last.kind === "status") {
      if (want !== last.value) bad.push("status");
    } else {
      if (want !== last.decision) bad.push("decision");
      const wantReceipt =
        args[1] === "-" ? "-" : Buffer.from(hexBytes(args[1], 64)).toString("hex");
      if (wantReceipt !== last.receipt) bad.push("receipt");
      if (args[2] !== last.signals) bad.push("signals");
      if (last.mismatches > 0) bad.push("exchanges");
    }
    this.counts.expects++;
    if (bad.length === 0) {
      this.out.push("pass");
      return;
    }
    this.counts.failed++;
    this.out.push(["fail", ...bad].join(" "));
  }
}
