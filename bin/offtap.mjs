#!/usr/bin/env node
// Front door of the offtap host tools: runs host/cli/main.ts through tsx's loader. The
// top-level help and the version print from the plain-JavaScript command table without
// starting the loader, which costs more than Node's own start-up.
import { VERSION, usage } from "../host/cli/commands.mjs";

// A reader of our output that goes away (`offtap … | head`) is not an error.
for (const stream of [process.stdout, process.stderr]) {
  stream.on("error", (err) => {
    if (err.code === "EPIPE") process.exit(process.exitCode ?? 0);
    throw err;
  });
}

const argv = process.argv.slice(2);
const [first] = argv;
if (argv.length <= 1 && (first === undefined || first === "--help" || first === "-h" ||
  first === "help")) {
  console.log(usage());
  process.exitCode = first === undefined ? 2 : 0;
} else if (argv.length === 1 && first === "--version") {
  console.log(`offtap ${VERSION}`);
} else {
  const { register } = await import("tsx/esm/api");
  register();
  const { main } = await import("../host/cli/main.ts");
  process.exitCode = await main(argv);
}
