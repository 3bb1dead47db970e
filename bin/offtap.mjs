#!/usr/bin/env node
// Front door of the offtap host tools: runs host/cli/main.ts through tsx's loader.
import { register } from "tsx/esm/api";
register();
const { main } = await import("../host/cli/main.ts");
process.exitCode = await main(process.argv.slice(2));
