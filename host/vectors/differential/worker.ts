// Worker-thread entry for the differential test: runs one slice and posts its result.
import { parentPort, workerData } from "node:worker_threads";
import { type SliceRequest, runSlice } from "./run.ts";

if (parentPort === null) throw new Error("differential worker must run in a worker thread");
parentPort.postMessage(runSlice(workerData as SliceRequest));
