// Parser and validator for Wycheproof EdDSA verify files (eddsa_verify_schema*.json).
// Accepts both layouts in circulation: v1 (group.publicKey.pk, C2SP/wycheproof
// testvectors_v1/) and v0 (group.key.pk, google/wycheproof testvectors/). Every problem is
// reported with the file, group and test it was found in; nothing malformed is skipped.
import { readFileSync } from "node:fs";
import { fromHex } from "../crypto/encoding.ts";

export type ExpectedResult = "valid" | "invalid" | "acceptable";
const RESULTS: readonly ExpectedResult[] = ["valid", "invalid", "acceptable"];
const SCHEMA_PATTERN = /^eddsa_verify_schema(_v\d+)?\.json$/;
const CURVE = "edwards25519";

export interface EddsaVerifyCase {
  tcId: number;
  comment: string;
  flags: string[];
  publicKey: Uint8Array;
  message: Uint8Array;
  signature: Uint8Array;
  result: ExpectedResult;
  /** offtap extension: the exact VerifyStatus name the strict policy returns, when a file pins it. */
  expectedStatus?: string;
}

export interface EddsaVerifyFile {
  /** Where it came from, for messages. */
  label: string;
  schema: string;
  cases: EddsaVerifyCase[];
}

/** A vector file that cannot be used; the message says where and why. */
export class VectorFileError extends Error {
  override name = "VectorFileError";
}

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function fail(where: string, what: string): never {
  throw new VectorFileError(`${where}: ${what}`);
}

function hexField(obj: Json, key: string, where: string): Uint8Array {
  const v = obj[key];
  if (typeof v !== "string") fail(where, `"${key}" must be a hex string`);
  try {
    return fromHex(v);
  } catch {
    return fail(where, `"${key}" is not valid hex`);
  }
}

/** v1 files carry group.publicKey.pk; v0 files carry group.key.pk (next to the secret key). */
function groupPublicKey(group: Json, where: string): Uint8Array {
  const holder = isObject(group.publicKey) ? group.publicKey : isObject(group.key) ? group.key : null;
  if (holder === null) fail(where, `missing "publicKey.pk" (or "key.pk")`);
  if (holder.curve !== undefined && holder.curve !== CURVE) {
    fail(where, `curve "${String(holder.curve)}" is not supported (only ${CURVE})`);
  }
  return hexField(holder, "pk", where);
}

function parseTest(test: unknown, publicKey: Uint8Array, where: string): EddsaVerifyCase {
  if (!isObject(test)) fail(where, "test is not an object");
  const tcId = test.tcId;
  if (typeof tcId !== "number" || !Number.isSafeInteger(tcId)) fail(where, `"tcId" must be an integer`);
  const at = `${where}, tcId ${tcId}`;
  const comment = test.comment ?? "";
  if (typeof comment !== "string") fail(at, `"comment" must be a string`);
  const flags = test.flags ?? [];
  if (!Array.isArray(flags) || !flags.every((f) => typeof f === "string")) fail(at, `"flags" must be an array of strings`);
  const result = test.result;
  if (typeof result !== "string" || !RESULTS.includes(result as ExpectedResult)) {
    fail(at, `"result" must be one of ${RESULTS.join(", ")} (got ${JSON.stringify(result)})`);
  }
  const expectedStatus = test.expectedStatus;
  if (expectedStatus !== undefined && typeof expectedStatus !== "string") fail(at, `"expectedStatus" must be a string`);
  return {
    tcId,
    comment,
    flags: flags as string[],
    publicKey,
    message: hexField(test, "msg", at),
    signature: hexField(test, "sig", at),
    result: result as ExpectedResult,
    ...(expectedStatus === undefined ? {} : { expectedStatus }),
  };
}

function parseGroup(group: unknown, where: string): EddsaVerifyCase[] {
  if (!isObject(group)) fail(where, "test group is not an object");
  if (group.type !== undefined && group.type !== "EddsaVerify") fail(where, `group type "${String(group.type)}" is not EddsaVerify`);
  const publicKey = groupPublicKey(group, where);
  if (!Array.isArray(group.tests)) fail(where, `"tests" must be an array`);
  return group.tests.map((t) => parseTest(t, publicKey, where));
}

/** Validates a parsed JSON document as an EdDSA verify file. */
export function parseEddsaVerifyFile(doc: unknown, label: string): EddsaVerifyFile {
  if (!isObject(doc)) fail(label, `the file holds a JSON ${Array.isArray(doc) ? "array" : typeof doc}, not a Wycheproof EdDSA verify file (an object with "schema" and "testGroups")`);
  const schema = doc.schema;
  if (typeof schema !== "string" || !SCHEMA_PATTERN.test(schema)) {
    fail(label, `"schema" must name eddsa_verify_schema*.json (got ${JSON.stringify(schema)}); is this an EdDSA verify file?`);
  }
  if (doc.algorithm !== undefined && doc.algorithm !== "EDDSA") fail(label, `"algorithm" is ${JSON.stringify(doc.algorithm)}, expected "EDDSA"`);
  if (!Array.isArray(doc.testGroups)) fail(label, `"testGroups" must be an array`);
  const cases = doc.testGroups.flatMap((g, i) => parseGroup(g, `${label}: testGroups[${i}]`));
  const seen = new Set<number>();
  for (const c of cases) {
    if (seen.has(c.tcId)) fail(label, `tcId ${c.tcId} appears more than once`);
    seen.add(c.tcId);
  }
  if (doc.numberOfTests !== undefined && doc.numberOfTests !== cases.length) {
    fail(label, `"numberOfTests" says ${String(doc.numberOfTests)} but the file holds ${cases.length} tests`);
  }
  return { label, schema, cases };
}

/** Reads a JSON vector file; an unreadable file or bad JSON is a VectorFileError naming it. */
export function readVectorJson(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    throw new VectorFileError(`${path}: cannot read (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new VectorFileError(`${path}: not valid JSON (${(e as Error).message})`);
  }
}

/** Reads and validates a file; every failure is a VectorFileError naming the file. */
export function loadEddsaVerifyFile(path: string): EddsaVerifyFile {
  return parseEddsaVerifyFile(readVectorJson(path), path);
}
