// Judges one .wasm against a device profile: a validator checks the module as a whole (in
// check.ts: binaryen, with exactly the profile's features enabled; here: V8's own), and our
// section/instruction scan (module-scan.ts) checks what a validator does not (size, memory
// limits, memory.grow, import modules, globals) and names the exact instruction and byte
// offset of every feature the device lacks. No binaryen here: `offtap image build` checks
// every image with the V8 validator without paying for loading binaryen (issue 15).
import { MalformedWasm } from "./byte-reader.ts";
import type { Feature } from "./features.ts";
import { scanModule, type ModuleFacts } from "./module-scan.ts";
import type { BinaryKind, DeviceProfile } from "./profile.ts";

export interface Finding {
  /** Stable rule id: size, memory, memory.grow, feature, import, global, table, data, validate,
   *  malformed. */
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
    const example = ([n, s]: [string, { count: number; first: number }]): string =>
      `${n} ×${s.count} (first at byte ${hex(s.first)})`;
    const shown = list.slice(0, EXAMPLES_MAX).map(example);
    const more = list.length > EXAMPLES_MAX ? `, and ${list.length - EXAMPLES_MAX} more` : "";
    findings.push({
      rule: "feature",
      message: `uses ${feature}, which the device does not support: ${shown.join(", ")}${more}`,
    });
  }
  for (const u of facts.undecoded) {
    findings.push({ rule: "feature", message: `could not check the rest of ${u}` });
  }
  const used = new Set<Feature>(["mvp", ...byFeature.keys()]);
  return [...used];
}

function checkMemory(facts: ModuleFacts, profile: DeviceProfile, findings: Finding[]): void {
  const rules = profile.memory;
  if (facts.memories.length !== 1) {
    findings.push({
      rule: "memory",
      message: `declares ${facts.memories.length} memories; exactly 1 is required`,
    });
  }
  const m = facts.memories[0];
  if (m) {
    if (m.maxPages === null && rules.maxRequired) {
      findings.push({
        rule: "memory",
        message: "memory has no maximum; the device needs a declared maximum ≤ " +
          `${rules.pagesMax} pages`,
      });
    }
    if (m.minPages > rules.pagesMax) {
      findings.push({
        rule: "memory",
        message: `memory initial size ${m.minPages} pages exceeds the device limit of ` +
          `${rules.pagesMax} pages`,
      });
    }
    if (m.maxPages !== null && m.maxPages > rules.pagesMax) {
      findings.push({
        rule: "memory",
        message: `memory maximum ${m.maxPages} pages exceeds the device limit of ` +
          `${rules.pagesMax} pages`,
      });
    }
    if (m.maxPages !== null && rules.initialEqualsMax && m.minPages !== m.maxPages) {
      findings.push({
        rule: "memory",
        message: `memory initial (${m.minPages}) and maximum (${m.maxPages}) pages differ; the ` +
          `device profile fixes memory at start-up`,
      });
    }
    for (const d of facts.data) {
      if (d.offset !== null && (d.offset >>> 0) + d.lengthBytes > m.minPages * PAGE_BYTES) {
        findings.push({
          rule: "data",
          message: `data segment at ${hex(d.offset >>> 0)} (${d.lengthBytes} bytes) lies outside ` +
            `the initial memory`,
        });
      }
    }
  }
  const grows = facts.uses.filter((u) => u.name === "memory.grow");
  if (grows.length > 0 && !rules.growAllowed) {
    findings.push({
      rule: "memory.grow",
      message: `memory.grow appears ${grows.length}× (first at byte ${hex(grows[0]!.offset)}); ` +
        `the device profile allows no memory growth`,
    });
  }
}

function checkImportsExports(
  facts: ModuleFacts, profile: DeviceProfile, kind: BinaryKind, findings: Finding[],
): void {
  const rules = profile.kinds[kind];
  for (const imp of facts.imports) {
    const what = `import ${imp.module}.${imp.field} (${imp.kind})`;
    if (!rules.importModules.includes(imp.module)) {
      findings.push({
        rule: "import",
        message: `${what}: module "${imp.module}" is not allowed for ${kind} (allowed: ` +
          `${rules.importModules.join(", ")})`,
      });
    }
    if (!rules.importKinds.includes(imp.kind)) {
      findings.push({
        rule: "import",
        message: `${what}: importing a ${imp.kind} is not allowed for ${kind} (allowed: ` +
          `${rules.importKinds.join(", ")})`,
      });
    }
    if (imp.kind === "global" && imp.mutable && !profile.globals.importMutable) {
      findings.push({
        rule: "global",
        message: `${what}: imported mutable globals are not allowed`,
      });
    }
  }
  for (const exp of facts.exports) {
    const mutable = facts.globals[exp.index]?.mutable === true;
    if (exp.kind === "global" && mutable && !profile.globals.exportMutable) {
      findings.push({
        rule: "global",
        message: `export "${exp.name}" is a mutable global, which the profile does not allow`,
      });
    }
  }
  if (facts.tables.length > profile.tablesMax) {
    findings.push({
      rule: "table",
      message: `declares ${facts.tables.length} tables; the device allows ${profile.tablesMax}`,
    });
  }
}

/** Validates a whole module: null when valid, else the validator's messages. */
export interface Validator {
  readonly name: string;
  validate(bytes: Uint8Array, allowed: readonly Feature[]): string | null;
}

/** V8's validator (WebAssembly.Module). V8 knows more features than the device: with the
 *  scan above, which decodes every instruction, names the feature of each (an unknown opcode
 *  is a finding) and checks types, imports and memory, it accepts what binaryen with only the
 *  profile's features accepts. The build (make build) still runs the binaryen check. */
export const v8Validator: Validator = {
  name: "V8",
  validate(bytes) {
    try {
      new WebAssembly.Module(Uint8Array.from(bytes));
      return null;
    } catch (e) {
      return e instanceof Error ? e.message : String(e);
    }
  },
};

/** Checks `bytes` against `profile` for a binary of the given kind with `validator`. Never
 *  throws on bad input. */
export function checkModuleWith(
  bytes: Uint8Array, profile: DeviceProfile, kind: BinaryKind, validator: Validator,
): ProfileReport {
  const findings: Finding[] = [];
  const own = profile.kinds[kind].wasmBytesMax;
  const sizeMax = own ?? profile.wasmBytesMax;
  const report: ProfileReport = {
    profile: profile.name, kind, ok: false, sizeBytes: bytes.length,
    sizeBytesMax: sizeMax,
    memoryPages: null, featuresUsed: [], imports: [], findings };
  if (bytes.length > sizeMax) {
    const limit = own === undefined ? "the device limit" : `the ${kind} limit`;
    findings.push({
      rule: "size",
      message: `binary is ${bytes.length} bytes; ${limit} is ${sizeMax} ` +
        `bytes (${bytes.length - sizeMax} over)`,
    });
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
    invalid = validator.validate(bytes, profile.featuresAllowed);
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    invalid = `${validator.name} could not read the module: ${why}`;
  }
  if (invalid !== null) {
    findings.push({
      rule: "validate",
      message: `${validator.name} rejects the module with only the profile's features ` +
        `enabled:\n${invalid}`,
    });
  }
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
  const maxPages = mem?.max === null ? "no" : String(mem?.max);
  lines.push(`  memory    ${mem ? `${mem.initial} pages initial, ${maxPages} max` : "none"}`);
  lines.push(`  features  ${r.featuresUsed.join(", ") || "(not read)"}`);
  lines.push(`  imports   ${r.imports.join(", ") || "none"}`);
  for (const f of r.findings) {
    lines.push(`  ✗ [${f.rule}] ${f.message.replace(/\n/g, "\n      ")}`);
  }
  return lines.join("\n");
}
