// Runs a WASI command module (build/selftest.wasm, build/taprunner.wasm) with some input on
// stdin: in this process under node:wasi, or under an external runtime (`--runtime CMD`,
// e.g. a WASM3 build) spawned as `CMD MODULE.wasm` with the input on its stdin.
import { spawnSync } from "node:child_process";
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { createRequire } from "node:module";
import type { WASI as WasiClass } from "node:wasi";

export interface WasiRun {
  exitCode: number;
  /** stdout split into lines (the final newline removed). */
  lines: string[];
  stderr: string;
  ms: number;
}

/** A runtime that did not run the module at all (missing binary, killed, timed out). */
export class RuntimeError extends Error {}

/** Cap on one runtime invocation: a hung runtime fails the run instead of stalling it. */
export const RUNTIME_TIMEOUT_MS = 300_000;

const modules = new Map<string, WebAssembly.Module>();

function compiled(modulePath: string): WebAssembly.Module {
  let m = modules.get(modulePath);
  if (m === undefined) {
    let bytes: Buffer;
    try {
      bytes = readFileSync(modulePath);
    } catch {
      throw new RuntimeError(`cannot read ${modulePath}: build it first (make build)`);
    }
    m = new WebAssembly.Module(Uint8Array.from(bytes));
    modules.set(modulePath, m);
  }
  return m;
}

function splitLines(text: string): string[] {
  if (text === "") return [];
  const lines = text.split("\n");
  if (lines[lines.length - 1] === "") lines.pop();
  return lines;
}

/** node:wasi prints an ExperimentalWarning when it is loaded; vector reports are read by
 *  people and CI, so that one warning is dropped (every other warning still shows) and
 *  the module is loaded on first use, after the filter is in place. */
let wasiClass: typeof WasiClass | undefined;
function loadWasi(): typeof WasiClass {
  if (wasiClass !== undefined) return wasiClass;
  const emit = process.emitWarning.bind(process) as (...args: unknown[]) => void;
  process.emitWarning = ((warning: string | Error, ...rest: unknown[]): void => {
    const text = typeof warning === "string" ? warning : warning.message;
    if (/WASI is an experimental feature/.test(text)) return;
    emit(warning, ...rest);
  }) as typeof process.emitWarning;
  wasiClass = (createRequire(import.meta.url)("node:wasi") as { WASI: typeof WasiClass }).WASI;
  return wasiClass;
}

/** node:wasi needs file descriptors, so input and output go through a temporary directory. */
function runNodeWasi(modulePath: string, input: string): WasiRun {
  const WASI = loadWasi();
  const dir = mkdtempSync(path.join(tmpdir(), "offtap-wasi-"));
  try {
    const inPath = path.join(dir, "stdin");
    const outPath = path.join(dir, "stdout");
    writeFileSync(inPath, input);
    const stdin = openSync(inPath, "r");
    const stdout = openSync(outPath, "w");
    const t0 = performance.now();
    let exitCode: number;
    try {
      const wasi = new WASI({ version: "preview1", stdin, stdout, stderr: 2, returnOnExit: true });
      const imports = wasi.getImportObject() as WebAssembly.Imports;
      const instance = new WebAssembly.Instance(compiled(modulePath), imports);
      try {
        exitCode = wasi.start(instance);
      } catch (e) {
        // A trap is a bug in the module; report it like a runtime would, as a failed run.
        return {
          exitCode: 134, lines: splitLines(readFileSync(outPath, "utf8")),
          stderr: `trap: ${(e as Error).message}`, ms: performance.now() - t0,
        };
      }
    } finally {
      closeSync(stdin);
      closeSync(stdout);
    }
    const lines = splitLines(readFileSync(outPath, "utf8"));
    return { exitCode, lines, stderr: "", ms: performance.now() - t0 };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Splits a --runtime value into a program and its leading arguments
 *  ("wasm3 --stack-size 64000"). */
export function runtimeCommand(runtime: string): string[] {
  const parts = runtime.trim().split(/\s+/).filter((p) => p !== "");
  if (parts.length === 0) throw new RuntimeError("--runtime is empty");
  return parts;
}

function runExternal(runtime: string, modulePath: string, input: string): WasiRun {
  const [program, ...args] = runtimeCommand(runtime);
  const t0 = performance.now();
  const r = spawnSync(program!, [...args, modulePath], {
    input, encoding: "utf8", maxBuffer: 64 << 20, timeout: RUNTIME_TIMEOUT_MS,
  });
  const ms = performance.now() - t0;
  // A runtime that exits before it has read all of stdin breaks the pipe (EPIPE): it ran,
  // and its exit status says how it ended. Any other error means it could not run.
  const brokePipe = (r.error as NodeJS.ErrnoException | undefined)?.code === "EPIPE";
  if (r.error && !(brokePipe && r.status !== null)) {
    throw new RuntimeError(`runtime '${runtime}' could not run: ${r.error.message}`);
  }
  if (r.status === null) {
    const why = r.stderr ? `: ${r.stderr.trim().slice(0, 300)}` : "";
    throw new RuntimeError(`runtime '${runtime}' was stopped by ${r.signal ?? "a signal"}${why}`);
  }
  return { exitCode: r.status, lines: splitLines(r.stdout), stderr: r.stderr, ms };
}

/** Runs the module with `input` on stdin under node:wasi (runtime null) or `runtime`. */
export function runWasi(modulePath: string, input: string, runtime: string | null): WasiRun {
  return runtime === null
    ? runNodeWasi(modulePath, input)
    : runExternal(runtime, modulePath, input);
}
