// boards/ABI.md is the contract between the firmware and every board: the built
// firmware must import exactly the functions it documents and export exactly the
// functions it documents (plus its memory), no more and no fewer.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { repoRoot, firmwarePath } from "../../host/firmware/paths.ts";

const abi = readFileSync(path.join(repoRoot, "boards", "ABI.md"), "utf8");

/** Names in the first column of every table whose header's first cell is `kind`. */
function documented(kind: "import" | "export"): Set<string> {
  const names = new Set<string>();
  let inTable = false;
  for (const line of abi.split("\n")) {
    if (line.startsWith(`| ${kind} |`)) { inTable = true; continue; }
    if (!line.startsWith("|")) { inTable = false; continue; }
    if (!inTable || line.startsWith("|---")) continue;
    const first = line.split("|")[1] ?? "";
    for (const m of first.matchAll(/`(\w+)`/g)) names.add(m[1]!);
  }
  return names;
}

const module = new WebAssembly.Module(readFileSync(firmwarePath));

test("the firmware imports exactly the functions boards/ABI.md lists, all from env", () => {
  const imports = WebAssembly.Module.imports(module);
  for (const imp of imports) {
    assert.equal(imp.module, "env", `${imp.module}.${imp.name} is outside the env module`);
    assert.equal(imp.kind, "function", `${imp.name} is not a function import`);
  }
  assert.deepEqual(new Set(imports.map((i) => i.name)), documented("import"));
});

test("the firmware exports exactly the functions boards/ABI.md lists, plus its memory", () => {
  const exports = WebAssembly.Module.exports(module);
  const functions = exports.filter((e) => e.kind === "function").map((e) => e.name);
  const others = exports.filter((e) => e.kind !== "function").map((e) => `${e.kind} ${e.name}`);
  assert.deepEqual(others, ["memory memory"], "the only non-function export is the memory");
  const doc = documented("export");
  const undocumented = functions.filter((n) => !doc.has(n));
  const missing = [...doc].filter((n) => !functions.includes(n));
  assert.deepEqual(undocumented, [], "exports missing from boards/ABI.md");
  assert.deepEqual(missing, [], "documented exports the firmware lacks");
});

test("the ABI version the firmware reports is the one boards/ABI.md states", () => {
  const stated = /ABI version: \*\*(\d+)\*\*/.exec(abi);
  assert.ok(stated, "ABI.md states its version");
  const env: Record<string, () => number> = {};
  for (const imp of WebAssembly.Module.imports(module)) env[imp.name] = () => -3;
  const instance = new WebAssembly.Instance(module, { env });
  const abiVersion = instance.exports["abiVersion"] as () => number;
  assert.equal(abiVersion(), Number(stated[1]));
});
