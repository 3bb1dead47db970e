// Vector files `offtap vectors run` accepts, told apart by shape: Wycheproof EdDSA verify
// files (crypto vectors: "schema" + "testGroups") and tap-vector files (recorded tap
// exchanges: "tapes", test/vectors/protocol/exchanges.json, host/sim/tape.ts).
import type { Tape, TapeStep } from "../sim/tape.ts";
import {
  type EddsaVerifyFile,
  VectorFileError,
  parseEddsaVerifyFile,
  readVectorJson,
} from "./wycheproof.ts";

export interface TapVectorFile {
  label: string;
  tapes: Tape[];
}

export type VectorFile =
  { kind: "crypto"; file: EddsaVerifyFile } | { kind: "tap"; file: TapVectorFile };

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json =>
  typeof v === "object" && v !== null && !Array.isArray(v);
const HEX = /^(?:[0-9a-fA-F]{2})*$/;

function fail(where: string, what: string): never {
  throw new VectorFileError(`${where}: ${what}`);
}

function int(o: Json, key: string, where: string, min = 0, max = 0xffffffff): number {
  const v = o[key];
  if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max)
    fail(where, `"${key}" must be an integer from ${min} to ${max}`);
  return v;
}

function hex(o: Json, key: string, where: string, nullable = false): void {
  const v = o[key];
  if (nullable && v === null) return;
  if (typeof v !== "string" || !HEX.test(v))
    fail(where, `"${key}" must be a hex string${nullable ? " or null" : ""}`);
}

function checkTapStep(s: Json, where: string): void {
  int(s, "unixSeconds", where);
  int(s, "amount", where, 0, 0x7fffffff);
  int(s, "flashProgramFailures", where, 0, 1_000_000);
  if (typeof s.randomFails !== "boolean") fail(where, `"randomFails" must be true or false`);
  if (!Array.isArray(s.random) || !s.random.every((r) => typeof r === "string" && HEX.test(r)))
    fail(where, `"random" must be an array of hex strings`);
  if (!Array.isArray(s.exchanges)) fail(where, `"exchanges" must be an array`);
  s.exchanges.forEach((x: unknown, k: number) => {
    const at = `${where}, exchanges[${k}]`;
    if (!isObject(x)) fail(at, "not an object");
    hex(x, "command", at);
    hex(x, "response", at, true);
    int(x, "status", at, -0x80000000, 0x7fffffff);
    int(x, "elapsedMs", at, 0, 3_600_000);
  });
  int(s, "decision", where, 0, 255);
  if (typeof s.reason !== "string") fail(where, `"reason" must be a string`);
  hex(s, "receipt", where, true);
  if (
    !Array.isArray(s.signals) ||
    !s.signals.every(
      (p) => Array.isArray(p) && p.length === 2 && p.every((n) => Number.isInteger(n)),
    )
  ) {
    fail(where, `"signals" must be an array of [kind, value] pairs`);
  }
}

function checkStep(step: unknown, where: string): void {
  if (!isObject(step)) fail(where, "step is not an object");
  if (step.op === "init") {
    hex(step, "config", where);
    int(step, "expect", where, -0x80000000, 0x7fffffff);
    return;
  }
  if (step.op === "denyList") {
    hex(step, "image", where);
    int(step, "expect", where, -0x80000000, 0x7fffffff);
    return;
  }
  if (step.op === "tap") {
    checkTapStep(step, where);
    return;
  }
  if (step.op === "idle") {
    int(step, "pieces", where, 0, 16);
    return;
  }
  fail(where, `"op" must be init, denyList, tap or idle (got ${JSON.stringify(step.op)})`);
}

function checkTape(t: unknown, where: string): Tape {
  if (!isObject(t)) fail(where, "tape is not an object");
  if (typeof t.id !== "string" || t.id === "") fail(where, `"id" must be a non-empty string`);
  const at = `${where} (${t.id})`;
  if (typeof t.comment !== "string") fail(at, `"comment" must be a string`);
  if (!isObject(t.geometry)) fail(at, `"geometry" must be an object`);
  for (const k of ["ledgerBytes", "sectorBytes", "pageBytes", "configBytes"])
    int(t.geometry, k, `${at}, geometry`, 1);
  int(t.geometry, "denyBytes", `${at}, geometry`);
  int(t, "startUnixSeconds", at);
  int(t, "rngSeed", at, -0x80000000, 0xffffffff);
  if (!Array.isArray(t.steps) || t.steps.length === 0)
    fail(at, `"steps" must be a non-empty array`);
  t.steps.forEach((s: unknown, i: number) => checkStep(s, `${at}, steps[${i}]`));
  return t as unknown as Tape;
}

export function parseTapVectorFile(doc: Json, label: string): TapVectorFile {
  if (!Array.isArray(doc.tapes) || doc.tapes.length === 0)
    fail(label, `"tapes" must be a non-empty array`);
  const tapes = doc.tapes.map((t, i) => checkTape(t, `${label}: tapes[${i}]`));
  const seen = new Set<string>();
  for (const t of tapes) {
    if (seen.has(t.id)) fail(label, `tape id "${t.id}" appears more than once`);
    seen.add(t.id);
  }
  return { label, tapes };
}

/** Reads a vector file and tells its kind by shape; every problem is a VectorFileError. */
export function loadVectorFile(path: string): VectorFile {
  const doc = readVectorJson(path);
  if (isObject(doc) && "tapes" in doc && !("testGroups" in doc))
    return { kind: "tap", file: parseTapVectorFile(doc, path) };
  return { kind: "crypto", file: parseEddsaVerifyFile(doc, path) };
}

export type { TapeStep };
