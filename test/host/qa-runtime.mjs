#!/usr/bin/env node
// A stand-in for an external WASI runtime (such as WASM3's command-line runner) in the QA
// tests: `node test/host/qa-runtime.mjs MODULE.wasm` runs MODULE under node:wasi with this
// process's stdin and stdout and exits with the module's exit code, which is exactly the
// contract `offtap vectors run --engine wasi --runtime CMD` relies on. Set
// QA_RUNTIME_MARK=FILE to have it append one line per run to FILE (so a test can see it ran).
import { appendFileSync, readFileSync } from "node:fs";
import { WASI } from "node:wasi";

const [modulePath] = process.argv.slice(2);
if (modulePath === undefined) {
  process.stderr.write("usage: qa-runtime.mjs MODULE.wasm\n");
  process.exit(2);
}
if (process.env.QA_RUNTIME_MARK) appendFileSync(process.env.QA_RUNTIME_MARK, `${modulePath}\n`);
process.removeAllListeners("warning");
const wasi = new WASI({ version: "preview1", stdin: 0, stdout: 1, stderr: 2, returnOnExit: true });
const instance = new WebAssembly.Instance(new WebAssembly.Module(readFileSync(modulePath)), wasi.getImportObject());
process.exitCode = wasi.start(instance);
