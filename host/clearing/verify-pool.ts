// Signature checks on more than one core (docs/CLEARING.md §9): a fixed pool of worker
// threads, each running the firmware's verifier. Ingest hands chunks of signatures to the
// pool ahead of the SQL that needs them; results come back in the order given. A chunk
// crosses to a thread as one transferred buffer (./verify-jobs.ts), never as objects.
import { Worker } from "node:worker_threads";
import { availableParallelism } from "node:os";
import { packJobs, type SigJob } from "./verify-jobs.ts";

export type { SigJob } from "./verify-jobs.ts";

/** One thread per core by default, at most this many. */
export const VERIFY_WORKERS_MAX = 16;
export const verifyWorkersDefault = (): number =>
  Math.min(VERIFY_WORKERS_MAX, Math.max(1, availableParallelism()));

interface Pending {
  resolve: (s: Int32Array) => void;
  reject: (e: unknown) => void;
}

export class VerifyPool {
  private readonly workers: Worker[] = [];
  /** Answers owed per worker: the worker is referenced (keeps the process alive) only then. */
  private readonly owed: number[] = [];
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  /** Signatures checked by the pool so far. */
  checked = 0;

  constructor(readonly size: number = verifyWorkersDefault()) {
    if (!Number.isInteger(size) || size < 1 || size > VERIFY_WORKERS_MAX) {
      throw new RangeError(`verify workers must be 1…${VERIFY_WORKERS_MAX}, got ${size}`);
    }
    for (let i = 0; i < size; i++) {
      // The worker is TypeScript like the rest: its bootstrap registers tsx in the thread.
      const w = new Worker(new URL("./verify-worker-boot.mjs", import.meta.url));
      w.on("message", (m: { id: number; statuses: Int32Array }) => {
        const p = this.pending.get(m.id);
        this.pending.delete(m.id);
        p?.resolve(m.statuses);
      });
      w.on("error", (e) => {
        for (const p of this.pending.values()) p.reject(e);
        this.pending.clear();
      });
      w.unref();
      this.workers.push(w);
      this.owed.push(0);
    }
  }

  /** Verifies every job; statuses in the jobs' order (0 = valid, as FirmwareCrypto.verify).
   *  Calls may overlap: each worker answers its messages in the order they were sent. */
  async verifyAll(jobs: readonly SigJob[]): Promise<Int32Array> {
    const out = new Int32Array(jobs.length);
    if (jobs.length === 0) return out;
    this.checked += jobs.length;
    const per = Math.ceil(jobs.length / this.workers.length);
    await Promise.all(
      this.workers.map(async (w, k) => {
        const part = jobs.slice(k * per, (k + 1) * per);
        if (part.length === 0) return;
        const id = this.nextId++;
        const done = new Promise<Int32Array>((resolve, reject) => {
          this.pending.set(id, { resolve, reject });
        });
        this.owe(k, +1);
        const packed = packJobs(part);
        w.postMessage({ id, jobs: packed }, [packed]);
        try {
          out.set(await done, k * per);
        } finally {
          this.owe(k, -1);
        }
      }),
    );
    return out;
  }

  /** Counts the answers worker k owes; it is referenced exactly while it owes one. */
  private owe(k: number, delta: 1 | -1): void {
    const before = this.owed[k] ?? 0;
    this.owed[k] = before + delta;
    if (before === 0) this.workers[k]?.ref();
    if (before + delta === 0) this.workers[k]?.unref();
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
    this.workers.length = 0;
  }
}
