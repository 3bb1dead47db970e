// Power cuts on the embedded default (docs/CLEARING.md "Durability", issue 16).
// A child process (durability-child.ts) ingests reader uploads into a durable PGlite
// directory and hands out an acknowledgement after each; every write it makes and every
// fsync is logged. The disk after a power cut at sync point k is rebuilt from that log:
// the directory as it was when the child started, plus the writes each file had fsynced by
// point k, with the names each directory had fsynced by point k — everything not synced is
// dropped (files by inode, so renames keep their content; a name never synced in its
// directory is gone; a synced name whose content never was is an empty file).
// At each cut the database is reopened (PostgreSQL crash recovery) and must hold every
// payment acknowledged before the cut exactly once, with balances summing to zero; the
// uploads are then sent again, as readers do, and everything settles exactly once.
// Cut points: every sync of the ingest with OFFTAP_POWERCUT=all, else a seeded sample
// (OFFTAP_POWERCUT_SEED). OFFTAP_POWERCUT_UNSAFE=1 runs the child on PGlite as shipped
// (fsync=off, no sync reaches the disk): the test then fails, acknowledged payments lost.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  copyFileSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Clearing } from "../../host/clearing/index.ts";
import { num } from "../../host/clearing/db.ts";
import type { CraftedUploads } from "../../host/clearing/craft-uploads.ts";
import type { PowerEvent } from "./durability-child.ts";
import { CHILD, embeddedEnv, freshDb, runChild, writeWork } from "./durability-support.ts";

/** Cut points checked per run by default (the first, the last, and a seeded sample). */
const CUTS_SAMPLED = 8;
const SEED = Number(process.env["OFFTAP_POWERCUT_SEED"] ?? 16);

interface Entry { ino: number; dir: boolean }
type Namespace = Map<string, Map<string, Entry>>;

/** The directory tree as the child found it: names by directory, and each file's bytes. */
function baseline(root: string): { ns: Namespace; files: Map<number, Buffer> } {
  const ns: Namespace = new Map();
  const files = new Map<number, Buffer>();
  const walk = (rel: string): void => {
    const names = new Map<string, Entry>();
    ns.set(rel, names);
    for (const d of readdirSync(join(root, rel), { withFileTypes: true })) {
      const r = rel === "" ? d.name : `${rel}/${d.name}`;
      const ino = lstatSync(join(root, r)).ino;
      names.set(d.name, { ino, dir: d.isDirectory() });
      if (d.isDirectory()) walk(r);
      else files.set(ino, readFileSync(join(root, r)));
    }
  };
  walk("");
  return { ns, files };
}

/** Writes the disk as it stands after the first `cut` sync events into `out`. */
function rebuild(
  base: ReturnType<typeof baseline>, events: PowerEvent[], cut: number, out: string,
): void {
  const ns: Namespace = new Map([...base.ns].map(([k, v]) => [k, new Map(v)]));
  const files = new Map([...base.files].map(([k, v]) => [k, Buffer.from(v)]));
  let syncs = 0;
  for (const e of events) {
    if (e.t === "ack") continue;
    if (syncs++ === cut) break;
    if (e.t === "dir") {
      ns.set(e.path, new Map(e.entries.map(([name, ino, dir]) => [name, { ino, dir }])));
      continue;
    }
    let bytes = files.get(e.ino) ?? Buffer.alloc(0);
    for (const [pos, b64] of e.writes) {
      const chunk = Buffer.from(b64, "base64");
      if (pos + chunk.length > bytes.length) {
        bytes = Buffer.concat([bytes, Buffer.alloc(pos + chunk.length - bytes.length)]);
      }
      chunk.copy(bytes, pos);
    }
    const sized = Buffer.alloc(e.size);
    bytes.copy(sized, 0, 0, Math.min(bytes.length, e.size));
    files.set(e.ino, sized);
  }
  const write = (rel: string): void => {
    mkdirSync(join(out, rel), { recursive: true });
    for (const [name, entry] of ns.get(rel) ?? new Map<string, Entry>()) {
      const r = rel === "" ? name : `${rel}/${name}`;
      if (entry.dir) write(r);
      else writeFileSync(join(out, r), files.get(entry.ino) ?? Buffer.alloc(0));
    }
  };
  write("");
}

/** Acknowledgements handed out before sync event `cut` happened: reader → last seq. */
function ackedBefore(events: PowerEvent[], cut: number): Map<string, number> {
  const acked = new Map<string, number>();
  let syncs = 0;
  for (const e of events) {
    if (e.t !== "ack") {
      if (syncs++ === cut) break;
      continue;
    }
    acked.set(e.reader, Math.max(acked.get(e.reader) ?? 0, e.seq));
  }
  return acked;
}

/** A small deterministic generator (mulberry32) for the sample of cut points. */
function sampler(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

function cutPoints(total: number, first: number): number[] {
  if (process.env["OFFTAP_POWERCUT"] === "all") {
    return Array.from({ length: total - first + 1 }, (_, i) => first + i);
  }
  const rnd = sampler(SEED);
  const cuts = new Set([first, total]);
  while (cuts.size < Math.min(CUTS_SAMPLED, total - first + 1)) {
    cuts.add(first + Math.floor(rnd() * (total - first + 1)));
  }
  return [...cuts].sort((a, b) => a - b);
}

async function checkCut(dir: string, w: CraftedUploads, acked: Map<string, number>): Promise<void> {
  // Recovery replays the WAL either way; the checks after it need no fsync (and run faster).
  const c = await Clearing.open({ dataDir: dir, databaseUrl: null, unsafeNoFsync: true });
  const payments = w.payments;
  try {
    for (const [reader, seq] of acked) {
      const rows = await c.db.query(
        `SELECT count(*) AS n, count(DISTINCT seq) AS d FROM payments
         WHERE reader_id = $1 AND seq <= $2`,
        [reader, seq],
      );
      assert.equal(num(rows[0]!["n"]), seq, `reader ${reader}: ${seq} acknowledged payments kept`);
      assert.equal(num(rows[0]!["d"]), seq, `reader ${reader}: each exactly once`);
    }
    assert.ok((await c.checkInvariants()).ok, "balances sum to zero after recovery");
    // What was not acknowledged is done again: the operator's registrations (idempotent),
    // the readers' uploads. Nothing settles twice.
    await c.registerIssuerKey(1, w.issuer.publicKey);
    for (const r of w.readers) {
      const spec = { readerId: r.hex, devicePublicKey: r.key.publicKey, operatorId: "durability" };
      await c.registerReader(spec);
    }
    for (const u of w.uploads) await c.ingest(u.bytes);
    const all = await c.db.query(
      "SELECT count(*) AS n, count(DISTINCT auth_sha) AS d FROM payments",
    );
    assert.equal(num(all[0]!["n"]), payments);
    assert.equal(num(all[0]!["d"]), payments);
    assert.ok((await c.checkInvariants()).ok, "balances sum to zero after the uploads again");
  } finally {
    await c.close();
  }
}

test("power cuts at sync points during ingest: every acknowledged payment survives exactly once",
  async (t) => {
    const dir = mkdtempSync(join(tmpdir(), "offtap-durable-powercut-"));
    try {
      const w = writeWork(join(dir, "work"), 24, 2, 4);
      const db = join(dir, "db");
      await freshDb(db);
      const base = baseline(db);
      const eventsFile = join(dir, "events.jsonl");
      const args = ["--import", "tsx", CHILD, db, join(dir, "work"), "--events", eventsFile];
      const unsafe = process.env["OFFTAP_POWERCUT_UNSAFE"] === "1";
      const env = embeddedEnv(unsafe ? { OFFTAP_UNSAFE_NO_FSYNC: "1" } : {});
      const r = await runChild(process.execPath, args, env);
      assert.equal(r.code, 0, r.stderr);
      const events = readFileSync(eventsFile, "utf8").trim().split("\n")
        .map((l) => JSON.parse(l) as PowerEvent);
      const total = events.filter((e) => e.t !== "ack").length;
      const acks = events.filter((e) => e.t === "ack").length;
      assert.equal(acks, w.uploads.length);
      const cuts = cutPoints(total, 0);
      t.diagnostic(`${total} sync events, ${acks} acknowledgements; cuts at ${cuts.join(", ")}`);
      for (const cut of cuts) {
        const disk = join(dir, `cut-${cut}`);
        rebuild(base, events, cut, disk);
        // The data key file beside the directory was written before the child started
        // (unless OFFTAP_DATA_KEY_FILE names one elsewhere): it survives every cut.
        if (existsSync(`${db}.key`)) copyFileSync(`${db}.key`, `${disk}.key`);
        await checkCut(disk, w, ackedBefore(events, cut));
        rmSync(disk, { recursive: true, force: true });
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
