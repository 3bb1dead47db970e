// Starts the PN532 emulator in a worker thread on one serial device (see worker.ts) and
// drives it: load the field, close.
import { Worker } from "node:worker_threads";
import type { WorkerLoad } from "./worker.ts";

export interface EmulatorWorker {
  load(m: WorkerLoad): Promise<void>;
  close(): Promise<void>;
}

export async function startEmulatorWorker(
  path: string,
  timeScale: number,
): Promise<EmulatorWorker> {
  const boot = `import { register } from "tsx/esm/api"; register();
    await import(${JSON.stringify(new URL("./worker.ts", import.meta.url).href)});`;
  const worker = new Worker(boot, { eval: true, workerData: { path, timeScale } });
  await new Promise<void>((resolve, reject) => {
    worker.once("message", () => resolve());
    worker.once("error", reject);
  });
  return {
    load(m) {
      return new Promise((resolve, reject) => {
        worker.once("message", (x) => (x === "loaded" ? resolve() : reject(new Error(String(x)))));
        worker.postMessage(m);
      });
    },
    async close() {
      worker.postMessage("close");
      await worker.terminate();
    },
  };
}
