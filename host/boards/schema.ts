// A small JSON Schema interpreter: the subset boards/board.schema.json uses (type,
// properties, required, additionalProperties, items, enum, const, pattern, minimum,
// maximum, multipleOf, minLength, maxLength, minItems, maxItems, $ref into $defs).
// Every finding names its JSON path, e.g. `partitions[3].offset`. No dependency: the
// schema stays a plain document that editors can use too.

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export interface Schema {
  type?: string | string[];
  properties?: Record<string, Schema>;
  required?: string[];
  additionalProperties?: boolean | Schema;
  items?: Schema;
  enum?: Json[];
  const?: Json;
  pattern?: string;
  minimum?: number;
  maximum?: number;
  multipleOf?: number;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
  $ref?: string;
  $defs?: Record<string, Schema>;
  description?: string;
}

export interface SchemaFinding {
  path: string;
  message: string;
}

/** Nesting bound: board documents are a few levels deep; a cyclic $ref stops here. */
const DEPTH_MAX = 32;

function kindOf(v: Json): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "array";
  if (typeof v === "number") return Number.isInteger(v) ? "integer" : "number";
  return typeof v;
}

function typeMatches(v: Json, t: string): boolean {
  const k = kindOf(v);
  return k === t || (t === "number" && k === "integer");
}

const child = (path: string, key: string | number): string =>
  typeof key === "number" ? `${path}[${key}]` : path === "" ? key : `${path}.${key}`;

export function validateSchema(value: Json, schema: Schema, root: Schema = schema): SchemaFinding[] {
  const out: SchemaFinding[] = [];
  walk(value, schema, root, "", out, 0);
  return out;
}

function resolve(s: Schema, root: Schema): Schema {
  if (s.$ref === undefined) return s;
  const m = /^#\/\$defs\/([A-Za-z0-9_-]+)$/.exec(s.$ref);
  const target = m === null ? undefined : root.$defs?.[m[1]!];
  if (target === undefined) throw new Error(`schema: unresolvable $ref ${s.$ref}`);
  return target;
}

function walk(v: Json, s0: Schema, root: Schema, path: string, out: SchemaFinding[], depth: number): void {
  if (depth > DEPTH_MAX) throw new Error(`schema: nesting deeper than ${DEPTH_MAX} at ${path}`);
  const s = resolve(s0, root);
  const at = path === "" ? "(document)" : path;
  if (s.type !== undefined) {
    const types = Array.isArray(s.type) ? s.type : [s.type];
    if (!types.some((t) => typeMatches(v, t))) {
      out.push({ path: at, message: `expected ${types.join(" or ")}, got ${kindOf(v)}` });
      return;
    }
  }
  if (s.const !== undefined && JSON.stringify(v) !== JSON.stringify(s.const)) {
    out.push({ path: at, message: `must be ${JSON.stringify(s.const)}, got ${JSON.stringify(v)}` });
  }
  if (s.enum !== undefined && !s.enum.some((e) => JSON.stringify(e) === JSON.stringify(v))) {
    out.push({ path: at, message: `${JSON.stringify(v)} is not one of ${s.enum.map((e) => JSON.stringify(e)).join(", ")}` });
  }
  if (typeof v === "string") checkString(v, s, at, out);
  if (typeof v === "number") checkNumber(v, s, at, out);
  if (Array.isArray(v)) {
    if (s.minItems !== undefined && v.length < s.minItems) out.push({ path: at, message: `needs at least ${s.minItems} items, has ${v.length}` });
    if (s.maxItems !== undefined && v.length > s.maxItems) out.push({ path: at, message: `holds at most ${s.maxItems} items, has ${v.length}` });
    if (s.items !== undefined) v.forEach((item, i) => walk(item, s.items!, root, child(path, i), out, depth + 1));
  } else if (v !== null && typeof v === "object") {
    for (const key of s.required ?? []) {
      if (!(key in v)) out.push({ path: at, message: `missing required property '${key}'` });
    }
    for (const [key, item] of Object.entries(v)) {
      const sub = s.properties?.[key];
      if (sub !== undefined) walk(item, sub, root, child(path, key), out, depth + 1);
      else if (s.additionalProperties === false) out.push({ path: child(path, key), message: "is not a known property" });
      else if (typeof s.additionalProperties === "object") walk(item, s.additionalProperties, root, child(path, key), out, depth + 1);
    }
  }
}

function checkString(v: string, s: Schema, at: string, out: SchemaFinding[]): void {
  if (s.minLength !== undefined && v.length < s.minLength) out.push({ path: at, message: `must be at least ${s.minLength} characters` });
  if (s.maxLength !== undefined && v.length > s.maxLength) out.push({ path: at, message: `must be at most ${s.maxLength} characters, has ${v.length}` });
  if (s.pattern !== undefined && !new RegExp(s.pattern, "u").test(v)) out.push({ path: at, message: `'${v}' does not match ${s.pattern}` });
}

function checkNumber(v: number, s: Schema, at: string, out: SchemaFinding[]): void {
  if (s.minimum !== undefined && v < s.minimum) out.push({ path: at, message: `${v} is below the minimum ${s.minimum}` });
  if (s.maximum !== undefined && v > s.maximum) out.push({ path: at, message: `${v} is above the maximum ${s.maximum}` });
  if (s.multipleOf !== undefined && v % s.multipleOf !== 0) out.push({ path: at, message: `${v} is not a multiple of ${s.multipleOf}` });
}
