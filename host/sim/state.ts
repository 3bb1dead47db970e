// A simulated reader kept on disk (`offtap sim|tap --state DIR`, docs/STATE.md): its
// flash partitions (the real ledger bytes the firmware wrote), its keys and provisioning,
// its clock and deny list, so later runs continue the same reader and `offtap ledger
// export --state DIR` exports its real signed batches.
import {
  chmodSync, closeSync, existsSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync,
  renameSync, statSync, writeSync,
} from "node:fs";
import { join } from "node:path";
import { PARTITION_CONFIG, PARTITION_DENY, PARTITION_LEDGER } from "./abi.ts";
import type { SimBoard } from "./board.ts";
import type { FlashGeometry } from "./config.ts";
import { SimWorld, type IssuerKeyIds, type WorldIdentity, type WorldOptions } from "./world.ts";
import { Rng } from "./rng.ts";
import { DbLockedError, LOCK_FILE_NAME, lockDir, type DirLock } from "../clearing/lock.ts";

/** Version of the folder's layout (docs/STATE.md); another one is refused, not guessed. */
export const STATE_FORMAT = 1;
export const STATE_DIR_MODE = 0o700;
export const STATE_FILE_MODE = 0o600;
/** A kept reader's JSON files are small; anything bigger is not one of ours. */
const STATE_JSON_BYTES_MAX = 1 << 20;

export const STATE_FILES = {
  reader: "reader.json", keys: "keys.json", state: "state.json",
  ledger: "ledger.bin", deny: "deny.bin", config: "config.bin",
} as const;

const PARTITIONS = [
  { id: PARTITION_LEDGER, file: STATE_FILES.ledger, name: "ledger" },
  { id: PARTITION_DENY, file: STATE_FILES.deny, name: "deny" },
  { id: PARTITION_CONFIG, file: STATE_FILES.config, name: "config" },
] as const;

/** reader.json: public facts, what clearing needs to register the reader. */
export interface ReaderFacts {
  format: number;
  readerId: string;
  devicePublicKey: string;
  board: string | null;
  mode: "gate" | "kiosk";
  currency: number;
  fare: number;
  amountMin: number;
  amountMax: number;
  driftToleranceS: number;
  denyMaxAgeS: number;
  geometry: FlashGeometry;
  /** Issuer keys provisioned on the reader; `revoked` ones are on its deny list. */
  issuerKeys: { keyId: number; publicKey: string; revoked: boolean }[];
  operatorPublicKey: string;
  clearingPublicKey: string;
  seed: number;
  createdAt: string;
}

/** state.json: what changes from run to run. */
export interface RunState {
  format: number;
  clockUnixMs: number;
  runs: number;
  taps: number;
  denyVersion: number;
  deniedWalletIds: string[];
  eraseCounts: Record<string, number[]>;
  /** The clearing service the reader is provisioned for (`offtap ledger ack`): its
   *  acknowledgement and deny-list public keys, hex; null: the simulator's own. */
  provisionedFor: { clearingPublicKey: string; operatorPublicKey: string } | null;
}

export interface KeptReader {
  dir: string;
  facts: ReaderFacts;
  identity: WorldIdentity;
  issuerKeyIds: IssuerKeyIds;
  run: RunState;
}

/** Issuer key ids of a new kept reader: four in a row from 1,000 on, drawn from its seed, so
 *  readers kept apart (and the demo's 1, 2, 3) do not claim one id with different keys. */
export function newIssuerKeyIds(seed: string): IssuerKeyIds {
  const base = 1_000 + 4 * Rng.from(seed, "issuer-key-ids").below(250_000_000);
  return [base, base + 1, base + 2, base + 3];
}

/** A state folder that cannot be used: the message says what to do. */
export class StateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "StateError";
  }
}

const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");
const unhex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, "hex"));

/** Writes a file whole or not at all: temporary file, fsync, rename, then the folder. */
function writeAtomic(path: string, bytes: Uint8Array | string): void {
  const tmp = `${path}.tmp`;
  const fd = openSync(tmp, "w", STATE_FILE_MODE);
  try {
    const data = typeof bytes === "string" ? Buffer.from(bytes) : bytes;
    writeSync(fd, data, 0, data.length);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  chmodSync(tmp, STATE_FILE_MODE);
  renameSync(tmp, path);
}

function syncDir(dir: string): void {
  const fd = openSync(dir, "r");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function readJson<T>(dir: string, name: string): T {
  const path = join(dir, name);
  if (!existsSync(path)) {
    throw new StateError(`${dir} is not a reader state folder: ${name} is missing`);
  }
  if (statSync(path).size > STATE_JSON_BYTES_MAX) throw new StateError(`${path} is too big`);
  let v: unknown;
  try {
    v = JSON.parse(readFileSync(path, "utf8"));
  } catch {
    throw new StateError(`${path} is not valid JSON (the state folder is damaged)`);
  }
  const format = (v as { format?: unknown } | null)?.format;
  if (format !== STATE_FORMAT) {
    throw new StateError(`${path}: state format ${String(format)}, ` +
      `this offtap reads ${STATE_FORMAT}`);
  }
  return v as T;
}

/** Another process uses the kept reader: two runs at once would lose one's taps. */
export class StateLockedError extends DbLockedError {
  constructor(dir: string, holder: DbLockedError["holder"]) {
    super(dir, holder);
    this.message = `reader state ${dir} is in use by pid ${holder.pid} on ${holder.host} ` +
      `(${holder.command}, since ${holder.since})`;
  }
}

/** One process per kept reader: DIR (created 0700 when missing) locked as a clearing
 *  database is (host/clearing/lock.ts); StateLockedError when another process holds it. */
export function lockState(dir: string): DirLock {
  if (existsSync(dir) && !statSync(dir).isDirectory()) {
    throw new StateError(`${dir} is a file, not a state folder`);
  }
  mkdirSync(dir, { recursive: true, mode: STATE_DIR_MODE });
  try {
    return lockDir(dir);
  } catch (e) {
    if (e instanceof DbLockedError) throw new StateLockedError(dir, e.holder);
    throw e;
  }
}

/** Is DIR a reader state folder (has its reader.json)? */
export function isStateDir(dir: string): boolean {
  return existsSync(join(dir, STATE_FILES.reader));
}

/** Reads a kept reader; StateError when DIR is not one (or is damaged). */
export function loadState(dir: string): KeptReader {
  if (!existsSync(dir)) {
    throw new StateError(`no reader state at ${dir} (create one with 'offtap sim --state ${dir}')`);
  }
  if (!statSync(dir).isDirectory()) throw new StateError(`${dir} is a file, not a state folder`);
  const facts = readJson<ReaderFacts>(dir, STATE_FILES.reader);
  const keys = readJson<{ issuerSeeds: string[]; issuerKeyIds: number[]; operatorSeed: string;
    clearingSeed: string; deviceSeed: string }>(dir, STATE_FILES.keys);
  const run = readJson<RunState>(dir, STATE_FILES.state);
  const four = (a: unknown): boolean => Array.isArray(a) && a.length === 4;
  if (!four(keys.issuerSeeds) || !four(keys.issuerKeyIds)) {
    throw new StateError(`${dir}/keys.json: 4 issuer seeds and key ids expected`);
  }
  const identity: WorldIdentity = {
    issuerSeeds: keys.issuerSeeds.map(unhex) as WorldIdentity["issuerSeeds"],
    operatorSeed: unhex(keys.operatorSeed), clearingSeed: unhex(keys.clearingSeed),
    deviceSeed: unhex(keys.deviceSeed), readerId: unhex(facts.readerId),
  };
  for (const p of PARTITIONS) {
    if (p.id === PARTITION_DENY && facts.geometry.denyBytes === 0) continue;
    if (!existsSync(join(dir, p.file))) throw new StateError(`${dir}: ${p.file} is missing`);
  }
  return { dir, facts, identity, issuerKeyIds: keys.issuerKeyIds as IssuerKeyIds, run };
}

function partitionBytes(g: FlashGeometry, id: number): number {
  if (id === PARTITION_LEDGER) return g.ledgerBytes;
  if (id === PARTITION_DENY) return g.denyBytes;
  return g.configBytes;
}

/** World options that continue a kept reader: its keys, flash, clock and deny list. */
export function keptWorldOptions(k: KeptReader): Pick<WorldOptions, "identity" | "restoreFlash"
  | "denyState" | "installDenyList" | "startUnixSeconds" | "issuerKeyIds" | "clearingKeys"> {
  const restoreFlash = (board: SimBoard): void => {
    for (const p of PARTITIONS) {
      const size = partitionBytes(k.facts.geometry, p.id);
      if (size === 0) continue;
      const bytes = readFileSync(join(k.dir, p.file));
      if (bytes.length !== size) {
        throw new StateError(`${k.dir}/${p.file}: ${bytes.length} bytes, the reader's ` +
          `${p.name} partition is ${size}`);
      }
      const part = board.flash.partition(p.id);
      part.bytes.set(bytes);
      const wear = k.run.eraseCounts[p.name];
      if (wear !== undefined && wear.length === part.eraseCounts.length) part.eraseCounts.set(wear);
    }
  };
  return {
    identity: k.identity, issuerKeyIds: k.issuerKeyIds, restoreFlash, installDenyList: false,
    ...(k.run.provisionedFor === null || k.run.provisionedFor === undefined ? {} : {
      clearingKeys: {
        clearing: unhex(k.run.provisionedFor.clearingPublicKey),
        operator: unhex(k.run.provisionedFor.operatorPublicKey),
      },
    }),
    denyState: { version: k.run.denyVersion, walletIds: k.run.deniedWalletIds.map(unhex) },
    // The clock runs on from where the last run left it (whole seconds, never back).
    startUnixSeconds: Math.ceil(k.run.clockUnixMs / 1000),
  };
}

function factsOf(w: SimWorld, board: string | null, seed: number): ReaderFacts {
  const c = w.config;
  return {
    format: STATE_FORMAT, readerId: hex(w.readerId), devicePublicKey: hex(w.deviceKey.publicKey),
    board, mode: c.mode, currency: c.currency, fare: c.fare, amountMin: c.amountMin,
    amountMax: c.amountMax, driftToleranceS: c.driftToleranceS, denyMaxAgeS: c.denyMaxAgeS,
    geometry: c.geometry,
    issuerKeys: [...w.issuers, w.revokedIssuer].map((i) => ({
      keyId: i.keyId, publicKey: hex(i.publicKey), revoked: i === w.revokedIssuer,
    })),
    operatorPublicKey: hex(w.operatorKey.publicKey),
    clearingPublicKey: hex(w.clearingKey.publicKey),
    seed, createdAt: new Date().toISOString(),
  };
}

/** Saves the world as a kept reader in DIR (created 0700 when new). Files are replaced
 *  atomically one by one, flash first and state.json last. */
export function saveState(dir: string, w: SimWorld, o: {
  previous: KeptReader | undefined; board: string | null; seed: number; taps: number;
}): KeptReader {
  mkdirSync(dir, { recursive: true, mode: STATE_DIR_MODE });
  chmodSync(dir, STATE_DIR_MODE);
  const facts = o.previous?.facts ?? factsOf(w, o.board, o.seed);
  const id = w.identity;
  const eraseCounts: Record<string, number[]> = {};
  for (const p of PARTITIONS) {
    if (partitionBytes(w.config.geometry, p.id) === 0) continue;
    const part = w.board.flash.partition(p.id);
    writeAtomic(join(dir, p.file), part.bytes);
    eraseCounts[p.name] = [...part.eraseCounts];
  }
  if (o.previous === undefined) {
    writeAtomic(join(dir, STATE_FILES.keys), JSON.stringify({
      format: STATE_FORMAT, deviceSeed: hex(id.deviceSeed), issuerSeeds: id.issuerSeeds.map(hex),
      issuerKeyIds: w.issuerKeyIds,
      operatorSeed: hex(id.operatorSeed), clearingSeed: hex(id.clearingSeed),
    }, null, 2) + "\n");
    writeAtomic(join(dir, STATE_FILES.reader), JSON.stringify(facts, null, 2) + "\n");
  }
  const deny = w.denyState;
  const run: RunState = {
    format: STATE_FORMAT, clockUnixMs: w.now() * 1000, runs: (o.previous?.run.runs ?? 0) + 1,
    taps: (o.previous?.run.taps ?? 0) + o.taps, denyVersion: deny.version,
    deniedWalletIds: deny.walletIds.map(hex), eraseCounts,
    provisionedFor: w.clearingKeys === undefined ? null : {
      clearingPublicKey: hex(w.clearingKeys.clearing),
      operatorPublicKey: hex(w.clearingKeys.operator),
    },
  };
  writeAtomic(join(dir, STATE_FILES.state), JSON.stringify(run, null, 2) + "\n");
  syncDir(dir);
  return { dir, facts, identity: id, issuerKeyIds: w.issuerKeyIds, run };
}

/** The state folder to continue, or undefined when DIR is new (or empty): then the caller
 *  creates it. A file, or a folder holding something else, is refused. */
export function openOrNew(dir: string): KeptReader | undefined {
  if (!existsSync(dir)) return undefined;
  if (!statSync(dir).isDirectory()) throw new StateError(`${dir} is a file, not a state folder`);
  if (!isStateDir(dir)) {
    const names = readdirSync(dir).filter((n) => n !== LOCK_FILE_NAME && !n.endsWith(".tmp"));
    if (names.length === 0) return undefined;
    throw new StateError(`${dir} is a folder but not a reader state (no reader.json); ` +
      "give a new or empty folder");
  }
  return loadState(dir);
}

/** Batches one export may hold: a 448-record ledger needs a few dozen at most. */
export const EXPORT_BATCHES_MAX = 1_000;

/** The kept reader booted again: the firmware recovers its ledger from the kept flash. */
export function bootKept(k: KeptReader, board: WorldOptions["board"],
  clearingKeys?: WorldOptions["clearingKeys"]): SimWorld {
  return new SimWorld({
    seed: `${k.facts.seed}/boot-${k.run.runs}`, mode: k.facts.mode, captureLogs: false,
    ...(board === undefined ? {} : { board }), ...keptWorldOptions(k),
    ...(clearingKeys === undefined ? {} : { clearingKeys }),
  });
}

export interface KeptExport {
  /** The signed batches back to back (docs/LEDGER.md §5), as clearing ingests them. */
  file: Uint8Array;
  batches: number;
  firstSeq: number;
  lastSeq: number;
  ackedSeq: number;
}

/** Every unacknowledged record of the kept reader as the firmware's signed batches. */
export function exportKept(w: SimWorld): KeptExport {
  const r = w.reader;
  const e = r.exports;
  const parts: Uint8Array[] = [];
  let from = 0;
  let firstSeq = 0;
  let lastSeq = 0;
  for (let n = 0; n < EXPORT_BATCHES_MAX; n++) {
    const len = e.ledgerExport(from, 0);
    if (len < 0) throw new StateError(`the reader's firmware refused the export: status ${len}`);
    if (len === 0) break;
    const b = r.get(0, len);
    parts.push(b);
    const v = new DataView(b.buffer, b.byteOffset);
    if (firstSeq === 0) firstSeq = v.getUint32(24, true);
    lastSeq = v.getUint32(28, true);
    from = lastSeq + 1;
  }
  const file = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    file.set(p, at);
    at += p.length;
  }
  return { file, batches: parts.length, firstSeq, lastSeq, ackedSeq: e.ledgerAckedSeq() };
}
