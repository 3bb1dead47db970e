// Loads and validates a device profile (boards/*-profile.json). The file is data written by
// people, so every field is checked here and a mistake names the field.
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { isFeature, type Feature } from "./features.ts";
import type { ExternKind } from "./module-scan.ts";

export const BINARY_KINDS = ["firmware", "selftest", "taprunner"] as const;
export type BinaryKind = (typeof BINARY_KINDS)[number];

export interface KindRules {
  importModules: readonly string[];
  importKinds: readonly ExternKind[];
  /** This kind's own binary size limit, when it differs from the profile's wasmBytesMax. */
  wasmBytesMax?: number;
}

export interface DeviceProfile {
  name: string;
  featuresAllowed: readonly Feature[];
  wasmBytesMax: number;
  memory: {
    pagesMax: number;
    maxRequired: boolean;
    initialEqualsMax: boolean;
    growAllowed: boolean;
  };
  tablesMax: number;
  globals: { importMutable: boolean; exportMutable: boolean };
  kinds: Record<BinaryKind, KindRules>;
}

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const defaultProfilePath = path.join(repoRoot, "boards", "wasm3-profile.json");

const EXTERN_KIND_NAMES: readonly string[] = ["func", "table", "memory", "global", "tag"];

class ProfileError extends Error {}

function obj(v: unknown, field: string): Record<string, unknown> {
  if (typeof v !== "object" || v === null || Array.isArray(v))
    throw new ProfileError(`${field} must be an object`);
  return v as Record<string, unknown>;
}
function bool(v: unknown, field: string): boolean {
  if (typeof v !== "boolean") throw new ProfileError(`${field} must be true or false`);
  return v;
}
function count(v: unknown, field: string): number {
  if (typeof v !== "number" || !Number.isInteger(v) || v < 0)
    throw new ProfileError(`${field} must be a non-negative integer`);
  return v;
}
function strings(v: unknown, field: string): string[] {
  if (!Array.isArray(v) || !v.every((s): s is string => typeof s === "string"))
    throw new ProfileError(`${field} must be an array of strings`);
  return v;
}

function kindRules(v: unknown, field: string): KindRules {
  const o = obj(v, field);
  const importKinds = strings(o["importKinds"], `${field}.importKinds`);
  const bad = importKinds.find((k) => !EXTERN_KIND_NAMES.includes(k));
  if (bad !== undefined)
    throw new ProfileError(
      `${field}.importKinds: unknown kind "${bad}" (known: ${EXTERN_KIND_NAMES.join(", ")})`,
    );
  const rules: KindRules = {
    importModules: strings(o["importModules"], `${field}.importModules`),
    importKinds: importKinds as ExternKind[],
  };
  if (o["wasmBytesMax"] !== undefined) {
    rules.wasmBytesMax = count(o["wasmBytesMax"], `${field}.wasmBytesMax`);
  }
  return rules;
}

/** Validates parsed JSON as a DeviceProfile; throws an Error naming the bad field. */
export function parseProfile(json: unknown): DeviceProfile {
  const o = obj(json, "profile");
  const features = obj(o["features"], "features");
  const allowed = strings(features["allowed"], "features.allowed");
  const unknown = allowed.find((f) => !isFeature(f));
  if (unknown !== undefined)
    throw new ProfileError(`features.allowed: unknown feature "${unknown}"`);
  if (!allowed.includes("mvp")) throw new ProfileError(`features.allowed must include "mvp"`);
  const memory = obj(o["memory"], "memory");
  const globals = obj(o["globals"], "globals");
  const kinds = obj(o["kinds"], "kinds");
  if (typeof o["name"] !== "string") throw new ProfileError("name must be a string");
  return {
    name: o["name"],
    featuresAllowed: allowed as Feature[],
    wasmBytesMax: count(o["wasmBytesMax"], "wasmBytesMax"),
    memory: {
      pagesMax: count(memory["pagesMax"], "memory.pagesMax"),
      maxRequired: bool(memory["maxRequired"], "memory.maxRequired"),
      initialEqualsMax: bool(memory["initialEqualsMax"], "memory.initialEqualsMax"),
      growAllowed: bool(memory["growAllowed"], "memory.growAllowed"),
    },
    tablesMax: count(o["tablesMax"], "tablesMax"),
    globals: {
      importMutable: bool(globals["importMutable"], "globals.importMutable"),
      exportMutable: bool(globals["exportMutable"], "globals.exportMutable"),
    },
    kinds: {
      firmware: kindRules(kinds["firmware"], "kinds.firmware"),
      selftest: kindRules(kinds["selftest"], "kinds.selftest"),
      taprunner: kindRules(kinds["taprunner"], "kinds.taprunner"),
    },
  };
}

export function loadProfile(file: string = defaultProfilePath): DeviceProfile {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, "utf8"));
  } catch (e) {
    throw new Error(`cannot read device profile ${file}: ${(e as Error).message}`);
  }
  try {
    return parseProfile(json);
  } catch (e) {
    throw new Error(`device profile ${file}: ${(e as Error).message}`);
  }
}
