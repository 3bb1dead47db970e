// What the image builder and inspector need to know about a firmware binary: the ABI
// version it exports, and whether it fits the device profile. The profile check is the
// one every build runs (tools/profile/), imported on demand.
import { repoRoot } from "../firmware/paths.ts";
import path from "node:path";

export interface FirmwareProfileResult {
  ok: boolean;
  profile: string;
  sizeBytes: number;
  findings: { rule: string; message: string }[];
}

/** Instantiates the module with inert imports and calls its `abiVersion()` export.
 *  Returns a message instead of a number when the module has no such export or cannot start. */
export function firmwareAbiVersion(bytes: Uint8Array): number | string {
  let module: WebAssembly.Module;
  try {
    module = new WebAssembly.Module(Uint8Array.from(bytes));
  } catch (e) {
    return `not a WebAssembly module: ${(e as Error).message}`;
  }
  const exp = WebAssembly.Module.exports(module).find((e) => e.name === "abiVersion");
  if (exp === undefined || exp.kind !== "function")
    return "the firmware exports no abiVersion() function";
  // Every import answers 0 / does nothing: abiVersion() reads a constant, and a start
  // function that needs the board would fail here as it would on the device.
  const imports: Record<string, Record<string, WebAssembly.ImportValue>> = {};
  for (const imp of WebAssembly.Module.imports(module)) {
    if (imp.kind !== "function")
      return `import ${imp.module}.${imp.name} is a ${imp.kind}, which the board ABI does not provide`;
    (imports[imp.module] ??= {})[imp.name] = () => 0;
  }
  try {
    const instance = new WebAssembly.Instance(module, imports);
    const v = (instance.exports["abiVersion"] as () => unknown)();
    return typeof v === "number" ? v : "abiVersion() did not return an i32";
  } catch (e) {
    return `the firmware could not start: ${(e as Error).message}`;
  }
}

/** The device-profile check of tools/profile/ against boards/wasm3-profile.json, with V8 as
 *  the validator (tools/profile/rules.ts says why that is enough): loading binaryen cost
 *  ~20 s per image under the TypeScript loader, the build (make build) runs the binaryen check. */
export async function checkFirmwareProfile(bytes: Uint8Array): Promise<FirmwareProfileResult> {
  const { loadProfile } = await import("../../tools/profile/profile.ts");
  const { checkModuleWith, v8Validator } = await import("../../tools/profile/rules.ts");
  const profile = loadProfile(path.join(repoRoot, "boards", "wasm3-profile.json"));
  const r = checkModuleWith(bytes, profile, "firmware", v8Validator);
  return { ok: r.ok, profile: r.profile, sizeBytes: r.sizeBytes, findings: r.findings };
}
