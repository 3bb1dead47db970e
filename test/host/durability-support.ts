// Shared set-up of the durability tests: a crafted workload written where a child process
// (test/host/durability-child.ts) reads it, and a fresh embedded database, migrated.
import { spawn } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Clearing } from "../../host/clearing/index.ts";
import { craftUploads, type CraftedUploads } from "../../host/clearing/craft-uploads.ts";
import type { WorkFile } from "./durability-child.ts";

export const CHILD = join(import.meta.dirname, "durability-child.ts");

export function writeWork(
  dir: string, payments: number, readers: number, perBatch: number,
): CraftedUploads {
  mkdirSync(dir, { recursive: true });
  const w = craftUploads(payments, readers, perBatch);
  const work: WorkFile = {
    issuerPublicKey: Buffer.from(w.issuer.publicKey).toString("hex"),
    readers: w.readers.map((r) => ({
      id: r.hex, key: Buffer.from(r.key.publicKey).toString("hex"),
    })),
    uploads: w.uploads.map((u) => ({ reader: u.reader, firstSeq: u.firstSeq, lastSeq: u.lastSeq })),
  };
  writeFileSync(join(dir, "work.json"), JSON.stringify(work));
  w.uploads.forEach((u, i) => writeFileSync(join(dir, `upload-${i}.bin`), u.bytes));
  return w;
}

/** A new, migrated, durable database in `dir` (closed again). */
export async function freshDb(dir: string): Promise<void> {
  const c = await Clearing.open({ dataDir: dir, databaseUrl: null });
  await c.close();
}

export interface ChildResult { code: number | null; stdout: string; stderr: string }

/** Runs `cmd args` to the end, collecting its output. */
export function runChild(
  cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env,
): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    p.stdout.on("data", (d: Buffer) => { stdout += d.toString(); });
    p.stderr.on("data", (d: Buffer) => { stderr += d.toString(); });
    p.on("error", reject);
    p.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

/** The environment of a child that must use embedded PGlite, durable. */
export function embeddedEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = { ...process.env, ...extra };
  delete env["DATABASE_URL"];
  if (extra["OFFTAP_UNSAFE_NO_FSYNC"] === undefined) delete env["OFFTAP_UNSAFE_NO_FSYNC"];
  return env;
}
