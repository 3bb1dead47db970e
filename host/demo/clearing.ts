// The demo's clearing act: the two gates' signed batches go to clearing (embedded PGlite
// in a temporary directory, so no server is needed), which settles each payment once,
// catches the cross-gate double spend, books every movement double-entry, and answers
// the readers with a signed acknowledgement and a signed deny list that the firmware
// itself verifies and installs.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Clearing, type DoubleSpend, type IngestReport } from "../clearing/index.ts";
import { verifyBatchFile } from "../ledger/batch.ts";
import { runTwoReaders, type DemoTap, type TwoReaderRun } from "./readers.ts";

export interface ReaderUpload {
  name: string;
  readerId: string;
  bytes: number;
  batches: number;
  records: number;
  /** Device signature, hash chain and gap-free sequence all verify on the host. */
  verified: boolean;
  report: Pick<IngestReport, "settled" | "settledAmount" | "duplicates" | "held"> & {
    rejected: number;
    doubleSpends: number;
  };
  /** The firmware's status for clearing's acknowledgement (0 = accepted, flash freed). */
  ackStatus: number;
  ackedSeq: number;
}

export interface ClearingAct {
  run: TwoReaderRun;
  taps: DemoTap[];
  accepted: number;
  uploads: ReaderUpload[];
  settled: number;
  doubleSpends: DoubleSpend[];
  /** The same files uploaded again: nothing may settle twice. */
  reupload: { settled: number; doubleSpends: number };
  denyList: {
    version: number;
    walletIds: string[];
    /** Certificates clearing verified, vouched for to every reader (docs/CLEARING.md §8). */
    vouchedCertHashes: string[];
    readerStatus: number[];
  };
  balances: { id: string; code: string; name: string; balance: number }[];
  balancesSumToZero: boolean;
  ok: boolean;
}

/** The demo's clearing holds data already: it needs a database of its own. */
export class DemoDbInUse extends Error {}

/** Refuses (DemoDbInUse) a kept database that holds clearing data already: run before the
 *  demo, whose service keys would replace the database's own. */
export async function checkDemoDb(dir: string, create: boolean): Promise<void> {
  const c = await Clearing.open({ databaseUrl: null, dataDir: dir, create });
  try {
    if ((await c.readers()).length > 0 || (await c.accounts()).length > 0) {
      throw new DemoDbInUse(
        `${dir} already holds clearing data; the demo needs a database of ` +
          "its own (a new --db DIR with --create, or one just made by 'offtap clear init')",
      );
    }
  } finally {
    await c.close();
  }
}

/** Opens the demo's embedded clearing database: in a fresh temporary directory removed
 *  afterwards, or kept in `keep` (`offtap demo --db DIR`), which must hold no clearing data
 *  yet (checkDemoDb first); `create` lets DIR be missing (docs/CLEARING.md). */
export async function openDemoClearing(
  run: TwoReaderRun,
  keep?: { dir: string; create: boolean },
): Promise<{ clearing: Clearing; dir: string; dispose(): Promise<void> }> {
  const dir = keep?.dir ?? mkdtempSync(join(tmpdir(), "offtap-demo-"));
  const world = run.net.world;
  const clearing = await Clearing.open({
    databaseUrl: null,
    dataDir: keep === undefined ? join(dir, "clearing") : dir,
    clearingKey: world.clearingKey,
    operatorKey: world.operatorKey,
    now: () => world.now(),
    ...(run.net.denySlotBytes === undefined ? {} : { denySlotBytes: run.net.denySlotBytes }),
    ...(keep === undefined ? {} : { create: keep.create }),
  });
  for (const k of run.issuerKeys) await clearing.registerIssuerKey(k.keyId, k.publicKey);
  for (const spec of run.readerSpecs) await clearing.registerReader(spec);
  const dispose = async (): Promise<void> => {
    await clearing.close();
    if (keep === undefined) rmSync(dir, { recursive: true, force: true });
  };
  return { clearing, dir, dispose };
}

export async function clearTwoReaders(
  seed: number,
  clearing: Clearing,
  run: TwoReaderRun = runTwoReaders(seed),
): Promise<ClearingAct> {
  const net = run.net;
  const uploads: ReaderUpload[] = [];
  const doubleSpends: DoubleSpend[] = [];
  let settled = 0;
  for (const [i, b] of run.batches.entries()) {
    const check = verifyBatchFile(b.bytes, net.readers[i]!.deviceKey.publicKey);
    const report = await clearing.ingest(b.bytes);
    settled += report.settled;
    doubleSpends.push(...report.doubleSpends);
    const ack = await clearing.acknowledgement(b.readerId);
    const ackStatus = ack === undefined ? -1 : net.acknowledge(i, ack);
    uploads.push({
      name: b.name,
      readerId: Buffer.from(b.readerId).toString("hex"),
      bytes: b.bytes.length,
      batches: check.batches,
      records: check.records,
      verified: check.signatureOk && check.chainOk && check.sequenceOk,
      report: {
        settled: report.settled,
        settledAmount: report.settledAmount,
        duplicates: report.duplicates,
        held: report.held,
        rejected: report.rejectedRecords.length,
        doubleSpends: report.doubleSpends.length,
      },
      ackStatus,
      ackedSeq: net.readers[i]!.reader.exports.ledgerAckedSeq(),
    });
  }
  let again = { settled: 0, doubleSpends: 0 };
  for (const b of run.batches) {
    const r = await clearing.ingest(b.bytes);
    again = {
      settled: again.settled + r.settled,
      doubleSpends: again.doubleSpends + r.doubleSpends.length,
    };
  }
  // The readers were provisioned with deny list version 1; clearing's first list follows it.
  const deny = await clearing.denyList({ minVersion: 2 });
  const readerStatus = net.installDenyList(deny.image);
  const inv = await clearing.checkInvariants();
  const balances = (await clearing.accounts()).map((a) => ({
    id: a.id,
    code: a.code,
    name: a.name,
    balance: a.balance,
  }));
  const accepted = run.taps.filter((t) => t.accepted).length;
  const ok =
    uploads.every(
      (u) => u.verified && u.ackStatus >= 0 && u.report.held === 0 && u.report.rejected === 0,
    ) &&
    settled + doubleSpends.filter((d) => d.kind === "counter_reuse").length === accepted &&
    doubleSpends.some(
      (d) => d.walletId === run.cheater.walletId && d.counter === run.cheater.counter,
    ) &&
    again.settled === 0 &&
    again.doubleSpends === 0 &&
    deny.walletIds.includes(run.cheater.walletId) &&
    readerStatus.every((s) => s >= 0) &&
    inv.ok;
  return {
    run,
    taps: run.taps,
    accepted,
    uploads,
    settled,
    doubleSpends,
    reupload: again,
    denyList: {
      version: deny.version,
      walletIds: deny.walletIds,
      vouchedCertHashes: deny.vouchedCertHashes,
      readerStatus,
    },
    balances,
    balancesSumToZero: inv.ok,
    ok,
  };
}
