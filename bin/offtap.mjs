#!/usr/bin/env node
// Front door of the offtap host tools: runs host/cli/main.ts through tsx's loader.
import { register } from "tsx/esm/api";

// A reader of our output that goes away (`offtap … | head`) is not an error.
for (const stream of [process.stdout, process.stderr]) {
  stream.on("error", (err) => {
    if (err.code === "EPIPE") process.exit(process.exitCode ?? 0);
    throw err;
  });
}

register();
const { main } = await import("../host/cli/main.ts");
process.exitCode = await main(process.argv.slice(2));
