// Judges one .wasm against a device profile: binaryen validates the module with exactly the
// profile's features enabled, and our own section/instruction scan (module-scan.ts) checks
// what binaryen does not (size, memory limits, memory.grow, import modules, globals) and
// names the exact instruction and byte offset of every feature the device lacks.
import binaryen from "binaryen";
import { MalformedWasm } from "./byte-reader.ts";
import { binaryenFlags, type Feature } from "./features.ts";
import { scanModule, type ModuleFacts } from "./module-scan.ts";
import type { BinaryKind, DeviceProfile } from "./profile.ts";

export interface Finding {
  /** Stable rule id: size, memory, memory.grow, feature, import, global, table, data, validate, malformed. */
  rule: string;
  message: string;
}

export interface ProfileReport {
  profile: string;
  kind: BinaryKind;
  ok: boolean;
  sizeBytes: number;
  sizeBytesMax: number;
  memoryPages: { initial: number; max: number | null } | null;
  featuresUsed: Feature[];
  imports: string[];
  findings: Finding[];
}

const PAGE_BYTES = 65536;
/** Instruction examples listed per disallowed feature before "and N more". */
const EXAMPLES_MAX = 5;

function hex(n: number): string {
  return `0x${n.toString(16)}`;
}

/** Runs binaryen's validator with exactly the allowed features; returns its messages. */
function binaryenValidate(bytes: Uint8Array, allowed: readonly Feature[]): string | null {
  // binaryen.js 132 takes the feature set as readBinary's optional second argument (its
  // typings still name a separate readBinaryWithFeatures that the build does not export).
  const readBinary = binaryen.readBinary as (data: Uint8Array, features?: binaryen.Features) => binaryen.Module;
  const module = readBinary(bytes, binaryen.Features.All);
  const captured: string[] = [];
  const out = process.stdout.write;
  const err = process.stderr.write;
  // binaryen prints validation errors through console.log/console.error; collect them for the report.
  const capture = (chunk: string | Uint8Array): boolean => {
    captured.push(typeof chunk === "string" ? chunk : new TextDecoder().decode(chunk));
    return true;
  };
  try {
    process.stdout.write = capture as typeof process.stdout.write;
    process.stderr.write = capture as typeof process.stderr.write;
    module.setFeatures(binaryenFlags(allowed));
    const valid = module.validate();
    return valid ? null : captured.join("").trim() || "binaryen validation failed";
  } finally {
    process.stdout.write = out;
    process.stderr.write = err;
    module.dispose();
  }
}

function checkFeatures(facts: ModuleFacts, profile: DeviceProfile, findings: Finding[]): Feature[] {
  const byFeature = new Map<Feature, Map<string, { count: number; first: number }>>();
  for (const u of facts.uses) {
    const names = byFeature.get(u.feature) ?? new Map<string, { count: number; first: number }>();
    byFeature.set(u.feature, names);
    const seen = names.get(u.name);
    if (seen) seen.count++;
    else names.set(u.name, { count: 1, first: u.offset });
  }
  for (const [feature, names] of byFeature) {
    if (profile.featuresAllowed.includes(feature)) continue;
    const list = [...names.entries()];
    const shown = list.slice(0, EXAMPLES_MAX).map(([n, s]) => `${n} ×${s.count} (first at byte ${hex(s.first)})`);
    const more = list.length > EXAMPLES_MAX ? `, and ${list.length - EXAMPLES_MAX} more` : "";
    findings.push({ rule: "feature", message: `uses ${feature}, which the device does not support: ${shown.join(", ")}${more}` });
  }
  for (const u of facts.undecoded) findings.push({ rule: "feature", message: `could not check the rest of ${u}` });
  const used = new Set<Feature>(["mvp", ...byFeature.keys()]);
  return [...used];
}

function checkMemory(facts: ModuleFacts, profile: DeviceProfile, findings: Finding[]): void {
  const rules = profile.memory;
  if (facts.memories.length !== 1) {
    findings.push({ rule: "memory", message: `declares ${facts.memories.length} memories; exactly 1 is required` });
  }
  const m = facts.memories[0];
  if (m) {
    if (m.maxPages === null && rules.maxRequired) findings.push({ rule: "memory", message: `memory has no maximum; the device needs a declared maximum ≤ ${rules.pagesMax} pages` });
    if (m.minPages > rules.pagesMax) findings.push({ rule: "memory", message: `memory initial size ${m.minPages} pages exceeds the device limit of ${rules.pagesMax} pages` });
    if (m.maxPages !== null && m.maxPages > rules.pagesMax) findings.push({ rule: "memory", message: `memory maximum ${m.maxPages} pages exceeds the device limit of ${rules.pagesMax} pages` });
    if (m.maxPages !== null && rules.initialEqualsMax && m.minPages !== m.maxPages) {
      findings.push({ rule: "memory", message: `memory initial (${m.minPages}) and maximum (${m.maxPages}) pages differ; the device profile fixes memory at start-up` });
    }
    for (const d of facts.data) {
      if (d.offset !== null && (d.offset >>> 0) + d.lengthBytes > m.minPages * PAGE_BYTES) {
        findings.push({ rule: "data", message: `data segment at ${hex(d.offset >>> 0)} (${d.lengthBytes} bytes) lies outside the initial memory` });
      }
    }
  }
  const grows = facts.uses.filter((u) => u.name === "memory.grow");
  if (grows.length > 0 && !rules.growAllowed) {
    findings.push({ rule: "memory.grow", message: `memory.grow appears ${grows.length}× (first at byte ${hex(grows[0]!.offset)}); the device profile allows no memory growth` });
  }
}

function checkImportsExports(facts: ModuleFacts, profile: DeviceProfile, kind: BinaryKind, findings: Finding[]): void {
  const rules = profile.kinds[kind];
  for (const imp of facts.imports) {
    const what = `import ${imp.module}.${imp.field} (${imp.kind})`;
    if (!rules.importModules.includes(imp.module)) {
      findings.push({ rule: "import", message: `${what}: module "${imp.module}" is not allowed for ${kind} (allowed: ${rules.importModules.join(", ")})` });
    }
    if (!rules.importKinds.includes(imp.kind)) {
      findings.push({ rule: "import", message: `${what}: importing a ${imp.kind} is not allowed for ${kind} (allowed: ${rules.importKinds.join(", ")})` });
    }
    if (imp.kind === "global" && imp.mutable && !profile.globals.importMutable) {
      findings.push({ rule: "global", message: `${what}: imported mutable globals are not allowed` });
    }
  }
  for (const exp of facts.exports) {
    if (exp.kind === "global" && facts.globals[exp.index]?.mutable && !profile.globals.exportMutable) {
      findings.push({ rule: "global", message: `export "${exp.name}" is a mutable global, which the profile does not allow` });
    }
  }
  if (facts.tables.length > profile.tablesMax) {
    findings.push({ rule: "table", message: `declares ${facts.tables.length} tables; the device allows ${profile.tablesMax}` });
  }
}

/** Checks `bytes` against `profile` for a binary of the given kind. Never throws on bad input. */
export function checkModule(bytes: Uint8Array, profile: DeviceProfile, kind: BinaryKind): ProfileReport {
  const findings: Finding[] = [];
  const sizeMax = profile.kinds[kind].wasmBytesMax ?? profile.wasmBytesMax;
  const report: ProfileReport = { profile: profile.name, kind, ok: false, sizeBytes: bytes.length, sizeBytesMax: sizeMax,
    memoryPages: null, featuresUsed: [], imports: [], findings };
  if (bytes.length > sizeMax) {
    const over = bytes.length - sizeMax;
    const limit = profile.kinds[kind].wasmBytesMax === undefined ? "the device limit" : `the ${kind} limit`;
    findings.push({ rule: "size", message: `binary is ${bytes.length} bytes; ${limit} is ${sizeMax} bytes (${over} over)` });
  }
  let facts: ModuleFacts;
  try {
    facts = scanModule(bytes);
  } catch (e) {
    if (!(e instanceof MalformedWasm)) throw e;
    findings.push({ rule: "malformed", message: e.message });
    return report;
  }
  const m = facts.memories[0];
  report.memoryPages = m ? { initial: m.minPages, max: m.maxPages } : null;
  report.imports = facts.imports.map((i) => `${i.module}.${i.field}`);
  report.featuresUsed = checkFeatures(facts, profile, findings);
  checkMemory(facts, profile, findings);
  checkImportsExports(facts, profile, kind, findings);
  let invalid: string | null;
  try {
    invalid = binaryenValidate(bytes, profile.featuresAllowed);
  } catch (e) {
    invalid = `binaryen could not read the module: ${e instanceof Error ? e.message : String(e)}`;
  }
  if (invalid !== null) findings.push({ rule: "validate", message: `binaryen rejects the module with only the profile's features enabled:\n${invalid}` });
  report.ok = findings.length === 0;
  return report;
}

/** Human-readable report, one finding per line. */
export function formatReport(file: string, r: ProfileReport): string {
  const lines: string[] = [];
  const pct = ((100 * r.sizeBytes) / r.sizeBytesMax).toFixed(1);
  lines.push(`${r.ok ? "PASS" : "FAIL"} ${file} (${r.kind}) against device profile ${r.profile}`);
  lines.push(`  size      ${r.sizeBytes} bytes of ${r.sizeBytesMax} (${pct} %)`);
  const mem = r.memoryPages;
  lines.push(`  memory    ${mem ? `${mem.initial} pages initial, ${mem.max === null ? "no" : mem.max} max` : "none"}`);
  lines.push(`  features  ${r.featuresUsed.join(", ") || "(not read)"}`);
  lines.push(`  imports   ${r.imports.join(", ") || "none"}`);
  for (const f of r.findings) lines.push(`  ✗ [${f.rule}] ${f.message.replace(/\n/g, "\n      ")}`);
  return lines.join("\n");
}
