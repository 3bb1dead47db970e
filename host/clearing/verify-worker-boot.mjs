// Starts the TypeScript signature worker (verify-worker.ts) in a worker thread: module
// loader hooks are per thread, so the thread registers tsx itself before importing it.
import { register } from "tsx/esm/api";

register();
await import("./verify-worker.ts");
