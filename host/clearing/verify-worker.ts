// A signature-checking worker thread for ingest (docs/CLEARING.md §9): the firmware's own
// strict verifier, one instance per thread, answering lists of (key, message, signature).
import { parentPort } from "node:worker_threads";
import { FirmwareCrypto } from "../firmware/crypto.ts";

interface Job { id: number; keys: Uint8Array[]; messages: Uint8Array[]; signatures: Uint8Array[] }

const crypto = new FirmwareCrypto();
parentPort!.on("message", (j: Job) => {
  const statuses = new Int32Array(j.keys.length);
  for (let i = 0; i < j.keys.length; i++) statuses[i] = crypto.verify(j.keys[i]!, j.messages[i]!, j.signatures[i]!);
  parentPort!.postMessage({ id: j.id, statuses }, [statuses.buffer]);
});
