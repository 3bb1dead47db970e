// Worker bootstrap: worker threads do not inherit the parent's TypeScript loader in every
// setup (node --test runs files in a child process), so register tsx here, as bin/offtap.mjs does.
import { register } from "tsx/esm/api";
register();
await import("./worker.ts");
