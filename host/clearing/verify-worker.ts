// A signature-checking worker thread for ingest (docs/CLEARING.md §9): the firmware's own
// strict verifier (one instance per thread) for records, the host's verifier for batch
// signatures, answering packed job lists with one status per job, in order (0 = valid).
import { parentPort } from "node:worker_threads";
import { FirmwareCrypto } from "../firmware/crypto.ts";
import { verifyEd25519 } from "../ledger/keys.ts";
import { unpackJobs, type SigJob } from "./verify-jobs.ts";

const crypto = new FirmwareCrypto();
const statusOf = (j: SigJob): number =>
  j.verifier === "host"
    ? verifyEd25519(j.publicKey, j.message, j.signature)
      ? 0
      : 1
    : crypto.verify(j.publicKey, j.message, j.signature);

parentPort!.on("message", (m: { id: number; jobs: ArrayBuffer }) => {
  const jobs = unpackJobs(m.jobs);
  const statuses = new Int32Array(jobs.length);
  jobs.forEach((j, i) => {
    statuses[i] = statusOf(j);
  });
  parentPort!.postMessage({ id: m.id, statuses }, [statuses.buffer]);
});
