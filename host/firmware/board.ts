// The `env` import object of a board with flash (boards/ABI.md), backed by the flash
// simulator, and a loader that compiles build/offtap.wasm once and instantiates it per
// boot: a new Instance on the same flash is a reboot.
import { readFileSync } from "node:fs";
import { firmwarePath } from "./paths.ts";
import { baseImports } from "./crypto.ts";
import type { SimFlash } from "../sim/flash.ts";

const ERR_BOUNDS = -1;

const moduleCache = new Map<string, WebAssembly.Module>();

/** Compiles the firmware once per path; every boot reuses the compiled module. */
export function firmwareModule(wasmPath: string = firmwarePath): WebAssembly.Module {
  let m = moduleCache.get(wasmPath);
  if (!m) {
    m = new WebAssembly.Module(readFileSync(wasmPath));
    moduleCache.set(wasmPath, m);
  }
  return m;
}

/** Board imports: abort plus flashRead/flashProgram/flashErase, every pointer bounds-checked. */
export function boardImports(flash: SimFlash, getMemory: () => WebAssembly.Memory): WebAssembly.Imports {
  const imports = baseImports(getMemory);
  const inMemory = (ptr: number, len: number): boolean =>
    ptr >= 0 && len >= 0 && ptr + len <= getMemory().buffer.byteLength;
  Object.assign(imports.env!, {
    flashRead(partition: number, offset: number, ptr: number, len: number): number {
      if (!inMemory(ptr, len)) return ERR_BOUNDS;
      const data = flash.read(partition, offset, len);
      if (typeof data === "number") return data;
      new Uint8Array(getMemory().buffer, ptr, len).set(data);
      return 0;
    },
    flashProgram(partition: number, offset: number, ptr: number, len: number): number {
      if (!inMemory(ptr, len)) return ERR_BOUNDS;
      return flash.program(partition, offset, new Uint8Array(getMemory().buffer, ptr, len).slice());
    },
    flashErase(partition: number, offset: number): number {
      return flash.erase(partition, offset);
    },
  });
  return imports;
}

/** Boots the firmware on a board: a fresh instance (fresh RAM) on the given flash. */
export function bootFirmware<T>(flash: SimFlash, module: WebAssembly.Module = firmwareModule()): T & { memory: WebAssembly.Memory } {
  let memory: WebAssembly.Memory | undefined;
  const imports = boardImports(flash, () => memory!);
  stubMissing(module, imports);
  const instance = new WebAssembly.Instance(module, imports);
  const exports = instance.exports as unknown as T & { memory: WebAssembly.Memory };
  memory = exports.memory;
  return exports;
}

/** A flash-only board: any other function import of the firmware (NFC, clock, signal,
 *  log, random) answers ERR_PARTITION-style -3, which the ledger exports never reach. */
function stubMissing(module: WebAssembly.Module, imports: WebAssembly.Imports): void {
  const env = imports.env as Record<string, unknown>;
  for (const imp of WebAssembly.Module.imports(module)) {
    if (imp.module === "env" && imp.kind === "function" && !(imp.name in env)) env[imp.name] = (): number => -3;
  }
}
