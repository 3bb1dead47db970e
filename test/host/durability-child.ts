// The clearing side of the durability tests, run as a child process:
//   node --import tsx test/host/durability-child.ts DB_DIR WORK_DIR [--events FILE]
// Registers the crafted issuer and readers of WORK_DIR/work.json, ingests each
// WORK_DIR/upload-N.bin and signs its acknowledgement, printing "ACK N READER SEQ" as it
// hands each one out. Before each ingest and each signature it touches a marker path
// (/offtap-trace-marker/…) so an strace of the child shows where they fall among the
// fsyncs. With --events it logs every synced write and directory of DB_DIR to FILE (the
// power-cut simulation replays them: test/host/durability-powercut.test.ts).
import {
  appendFileSync, existsSync, fstatSync, lstatSync, readFileSync, readdirSync, readlinkSync,
} from "node:fs";
import { join, relative } from "node:path";
import { Clearing } from "../../host/clearing/index.ts";
import type { StorageObserver } from "../../host/clearing/durability.ts";

export interface WorkFile {
  issuerPublicKey: string;
  readers: { id: string; key: string }[];
  uploads: { reader: number; firstSeq: number; lastSeq: number }[];
}

/** A file's writes since its previous fsync, made durable by this one; a directory's
 *  entries made durable by its fsync; an acknowledgement handed out. */
export type PowerEvent =
  | { t: "sync"; ino: number; size: number; writes: [number, string][] }
  | { t: "dir"; path: string; entries: [string, number, boolean][] }
  | { t: "ack"; reader: string; seq: number };

function marker(name: string): void {
  existsSync(`/offtap-trace-marker/${name}`);
}

/** Keeps each file's writes since its last fsync (by inode) and logs them when it syncs. */
function eventLog(root: string, file: string): StorageObserver {
  const pending = new Map<number, [number, string][]>();
  const inside = (fd: number): string | undefined => {
    const rel = relative(root, readlinkSync(`/proc/self/fd/${fd}`));
    return rel.startsWith("..") ? undefined : rel;
  };
  const log = (e: PowerEvent): void => appendFileSync(file, `${JSON.stringify(e)}\n`);
  return {
    written(fd, bytes, position) {
      if (inside(fd) === undefined) return;
      const ino = fstatSync(fd).ino;
      const list = pending.get(ino) ?? [];
      list.push([position, Buffer.from(bytes).toString("base64")]);
      pending.set(ino, list);
    },
    synced(fd) {
      const rel = inside(fd);
      if (rel === undefined) return;
      const st = fstatSync(fd);
      if (st.isDirectory()) {
        const dir = join(root, rel);
        const entry = (name: string, isDir: boolean): [string, number, boolean] =>
          [name, lstatSync(join(dir, name)).ino, isDir];
        const entries = readdirSync(dir, { withFileTypes: true })
          .map((d) => entry(d.name, d.isDirectory()));
        log({ t: "dir", path: rel, entries });
        return;
      }
      log({ t: "sync", ino: st.ino, size: st.size, writes: pending.get(st.ino) ?? [] });
      pending.delete(st.ino);
    },
  };
}

async function main(): Promise<void> {
  const [dbDir, workDir, flag, eventsFile] = process.argv.slice(2);
  if (dbDir === undefined || workDir === undefined) throw new Error("usage: DB_DIR WORK_DIR");
  const events = flag === "--events" && eventsFile !== undefined ? eventsFile : undefined;
  const observer = events === undefined ? {} : { storageObserver: eventLog(dbDir, events) };
  const work = JSON.parse(readFileSync(join(workDir, "work.json"), "utf8")) as WorkFile;
  const c = await Clearing.open({ dataDir: dbDir, databaseUrl: null, ...observer });
  await c.registerIssuerKey(1, work.issuerPublicKey);
  for (const r of work.readers) {
    await c.registerReader({ readerId: r.id, devicePublicKey: r.key, operatorId: "durability" });
  }
  for (const [i, u] of work.uploads.entries()) {
    marker(`ingest-${i}`);
    const report = await c.ingest(readFileSync(join(workDir, `upload-${i}.bin`)));
    if (report.settled !== u.lastSeq - u.firstSeq + 1) {
      throw new Error(`upload ${i}: ${report.settled} settled`);
    }
    const reader = work.readers[u.reader]!.id;
    marker(`ack-${i}`);
    const ack = await c.acknowledgement(reader);
    if (ack === undefined) throw new Error(`upload ${i}: nothing to acknowledge`);
    const handedOut: PowerEvent = { t: "ack", reader, seq: u.lastSeq };
    if (events !== undefined) appendFileSync(events, `${JSON.stringify(handedOut)}\n`);
    process.stdout.write(`ACK ${i} ${reader} ${u.lastSeq}\n`);
  }
  await c.close();
}

await main();
