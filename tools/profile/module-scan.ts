// Reads a WebAssembly binary section by section and collects the facts a device profile
// judges: imports, memories, tables, globals, exports, data segments, and every feature
// the module uses (from types, section forms and each instruction of every body).
import { ByteReader, MalformedWasm } from "./byte-reader.ts";
import type { Feature } from "./features.ts";
import { UndecodableInstruction, valueTypeFeature, walkExpression, type OpUse, type WalkContext } from "./instructions.ts";

export type ExternKind = "func" | "table" | "memory" | "global" | "tag";
const EXTERN_KINDS: readonly ExternKind[] = ["func", "table", "memory", "global", "tag"];

export interface ImportFact { module: string; field: string; kind: ExternKind; mutable: boolean }
export interface MemoryFact { minPages: number; maxPages: number | null; shared: boolean; memory64: boolean; imported: boolean }
export interface TableFact { refType: number; min: number; max: number | null; imported: boolean }
export interface GlobalFact { mutable: boolean; imported: boolean }
export interface ExportFact { name: string; kind: ExternKind; index: number }
export interface DataFact { offset: number | null; lengthBytes: number; form: number }

export interface ModuleFacts {
  sizeBytes: number;
  imports: ImportFact[];
  memories: MemoryFact[];
  tables: TableFact[];
  globals: GlobalFact[];
  exports: ExportFact[];
  data: DataFact[];
  functionBodies: number;
  /** Every feature use found, in file order (instructions, types, section forms). */
  uses: OpUse[];
  /** Function bodies the walker could not finish (after an undecodable instruction). */
  undecoded: string[];
}

const MAGIC = [0x00, 0x61, 0x73, 0x6d];
const VERSION = [0x01, 0x00, 0x00, 0x00];
const SECTION = { custom: 0, type: 1, import: 2, function: 3, table: 4, memory: 5, global: 6, export: 7,
  start: 8, element: 9, code: 10, data: 11, dataCount: 12, tag: 13 } as const;

function externKind(byte: number, at: number): ExternKind {
  const k = EXTERN_KINDS[byte];
  if (k === undefined) throw new MalformedWasm(`unknown import/export kind ${byte} at byte 0x${at.toString(16)}`);
  return k;
}

class Scanner {
  readonly facts: ModuleFacts;
  private typeCount = 0;

  constructor(sizeBytes: number) {
    this.facts = { sizeBytes, imports: [], memories: [], tables: [], globals: [], exports: [], data: [],
      functionBodies: 0, uses: [], undecoded: [] };
  }

  private get ctx(): WalkContext {
    return { typeCount: this.typeCount };
  }

  use(name: string, feature: Feature, offset: number): void {
    this.facts.uses.push({ name, feature, offset });
  }

  valueType(r: ByteReader, where: string): void {
    const at = r.pos;
    const f = valueTypeFeature(r.u8("value type"));
    if (f !== "mvp") this.use(`${where} of a non-number type`, f, at);
  }

  limits(r: ByteReader, what: string): { min: number; max: number | null; flags: number } {
    const at = r.pos;
    const flags = r.u8(`${what} limits flags`);
    if (flags & 0x02) this.use(`shared ${what}`, "threads", at);
    if (flags & 0x04) this.use(`64-bit ${what}`, "memory64", at);
    if (flags & ~0x07) throw new MalformedWasm(`unsupported ${what} limits flags 0x${flags.toString(16)} at byte 0x${at.toString(16)}`);
    const min = r.u32(`${what} minimum`);
    const max = flags & 0x01 ? r.u32(`${what} maximum`) : null;
    return { min, max, flags };
  }

  types(r: ByteReader): void {
    const n = r.u32("type count");
    for (let i = 0; i < n; i++) {
      const at = r.pos;
      const form = r.u8("type form");
      if (form !== 0x60) {
        this.use("recursive/struct/array type", "gc", at);
        throw new UndecodableInstruction("GC type section");
      }
      const params = r.u32("param count");
      for (let p = 0; p < params; p++) this.valueType(r, "parameter");
      const results = r.u32("result count");
      if (results > 1) this.use(`function type ${i} with ${results} results`, "multi-value", at);
      for (let p = 0; p < results; p++) this.valueType(r, "result");
      this.typeCount++;
    }
  }

  tableType(r: ByteReader, imported: boolean): void {
    const at = r.pos;
    const refType = r.u8("table element type");
    if (refType !== 0x70) this.use("table of a type other than funcref", valueTypeFeature(refType), at);
    const { min, max } = this.limits(r, "table");
    if (this.facts.tables.length === 1) this.use("a second table", "reference-types", at);
    this.facts.tables.push({ refType, min, max, imported });
  }

  memoryType(r: ByteReader, imported: boolean): void {
    const at = r.pos;
    const { min, max, flags } = this.limits(r, "memory");
    if (this.facts.memories.length === 1) this.use("a second memory", "multi-memory", at);
    this.facts.memories.push({ minPages: min, maxPages: max, shared: (flags & 0x02) !== 0, memory64: (flags & 0x04) !== 0, imported });
  }

  globalType(r: ByteReader, imported: boolean): boolean {
    this.valueType(r, "global");
    const at = r.pos;
    const mut = r.u8("global mutability");
    if (mut > 1) throw new MalformedWasm(`bad global mutability ${mut} at byte 0x${at.toString(16)}`);
    if (mut === 1 && imported) this.use("imported mutable global", "mutable-globals", at);
    this.facts.globals.push({ mutable: mut === 1, imported });
    return mut === 1;
  }

  imports(r: ByteReader): void {
    const n = r.u32("import count");
    for (let i = 0; i < n; i++) {
      const module = r.name("import module name");
      const field = r.name("import field name");
      const at = r.pos;
      const kind = externKind(r.u8("import kind"), at);
      let mutable = false;
      if (kind === "func") r.u32("import type index");
      else if (kind === "table") this.tableType(r, true);
      else if (kind === "memory") this.memoryType(r, true);
      else if (kind === "global") mutable = this.globalType(r, true);
      else { this.use(`imported tag ${module}.${field}`, "exceptions", at); throw new UndecodableInstruction("tag import"); }
      this.facts.imports.push({ module, field, kind, mutable });
    }
  }

  constExpr(r: ByteReader): number | null {
    const start = r.pos;
    let offset: number | null = null;
    if (r.bytes[start] === 0x41) {
      const probe = new ByteReader(r.bytes, start + 1, r.end);
      offset = probe.s32("i32.const");
    }
    let count = 0;
    walkExpression(r, this.ctx, (u) => {
      count++;
      if (u.feature !== "mvp") this.facts.uses.push(u);
    });
    // A constant expression of more than `i32.const; end` computes its value: not a plain offset.
    return count === 2 ? offset : null;
  }

  globals(r: ByteReader): void {
    const n = r.u32("global count");
    for (let i = 0; i < n; i++) {
      this.globalType(r, false);
      this.constExpr(r);
    }
  }

  exports(r: ByteReader): void {
    const n = r.u32("export count");
    for (let i = 0; i < n; i++) {
      const name = r.name("export name");
      const at = r.pos;
      const kind = externKind(r.u8("export kind"), at);
      const index = r.u32("export index");
      if (kind === "global" && this.facts.globals[index]?.mutable) this.use(`exported mutable global "${name}"`, "mutable-globals", at);
      if (kind === "tag") this.use(`exported tag "${name}"`, "exceptions", at);
      this.facts.exports.push({ name, kind, index });
    }
  }

  elements(r: ByteReader): void {
    const n = r.u32("element segment count");
    for (let i = 0; i < n; i++) {
      const at = r.pos;
      const form = r.u32("element segment form");
      if (form > 7) throw new MalformedWasm(`unknown element segment form ${form} at byte 0x${at.toString(16)}`);
      if (form !== 0) this.use(`element segment form ${form}`, form >= 4 ? "reference-types" : "bulk-memory", at);
      if (form === 2 || form === 6) r.u32("element table index");
      if ((form & 0x01) === 0) this.constExpr(r);
      if (form === 1 || form === 2 || form === 3) r.u8("element kind");
      if (form === 5 || form === 6 || form === 7) r.u8("element reference type");
      const count = r.u32("element count");
      for (let e = 0; e < count; e++) {
        if (form < 4) r.u32("element function index");
        else this.constExpr(r);
      }
    }
  }

  code(r: ByteReader): void {
    const n = r.u32("function body count");
    for (let i = 0; i < n; i++) {
      const size = r.u32("function body size");
      const bodyStart = r.pos;
      r.skip(size, "function body");
      const body = new ByteReader(r.bytes, bodyStart, bodyStart + size);
      this.facts.functionBodies++;
      try {
        const groups = body.u32("local group count");
        for (let g = 0; g < groups; g++) {
          body.u32("local count");
          this.valueType(body, "local");
        }
        walkExpression(body, this.ctx, (u) => { if (u.feature !== "mvp" || u.name === "memory.grow") this.facts.uses.push(u); });
        if (!body.atEnd()) throw new MalformedWasm(`function body ${i} has bytes after its final end`);
      } catch (e) {
        if (!(e instanceof UndecodableInstruction)) throw e;
        this.facts.undecoded.push(`function body ${i} (stopped at ${e.message})`);
      }
    }
  }

  data(r: ByteReader): void {
    const n = r.u32("data segment count");
    for (let i = 0; i < n; i++) {
      const at = r.pos;
      const form = r.u32("data segment form");
      if (form > 2) throw new MalformedWasm(`unknown data segment form ${form} at byte 0x${at.toString(16)}`);
      if (form !== 0) this.use(form === 1 ? "passive data segment" : "data segment with a memory index", "bulk-memory", at);
      if (form === 2 && r.u32("data memory index") !== 0) this.use("data segment for memory > 0", "multi-memory", at);
      const offset = form === 1 ? null : this.constExpr(r);
      const lengthBytes = r.u32("data segment length");
      r.skip(lengthBytes, "data segment bytes");
      this.facts.data.push({ offset, lengthBytes, form });
    }
  }

  section(id: number, r: ByteReader): void {
    switch (id) {
      case SECTION.custom: return;
      case SECTION.function: { const n = r.u32("function count"); for (let i = 0; i < n; i++) r.u32("function type index"); return; }
      case SECTION.start: r.u32("start function index"); return;
      case SECTION.type: return this.types(r);
      case SECTION.import: return this.imports(r);
      case SECTION.table: { const n = r.u32("table count"); for (let i = 0; i < n; i++) this.tableType(r, false); return; }
      case SECTION.memory: { const n = r.u32("memory count"); for (let i = 0; i < n; i++) this.memoryType(r, false); return; }
      case SECTION.global: return this.globals(r);
      case SECTION.export: return this.exports(r);
      case SECTION.element: return this.elements(r);
      case SECTION.code: return this.code(r);
      case SECTION.data: return this.data(r);
      case SECTION.dataCount: this.use("data count section", "bulk-memory", r.pos); r.u32("data count"); return;
      case SECTION.tag: this.use("tag section", "exceptions", r.pos); return;
      default: throw new MalformedWasm(`unknown section id ${id} at byte 0x${(r.pos - 1).toString(16)}`);
    }
  }
}

/** Scans a whole module. Throws MalformedWasm on bytes that are not a valid binary layout. */
export function scanModule(bytes: Uint8Array): ModuleFacts {
  const r = new ByteReader(bytes);
  MAGIC.forEach((b, i) => { if (r.u8("magic") !== b) throw new MalformedWasm(`not a WebAssembly binary (bad magic at byte ${i})`); });
  VERSION.forEach(() => { r.u8("version"); });
  if (VERSION.some((b, i) => bytes[4 + i] !== b)) throw new MalformedWasm("unsupported WebAssembly binary version (expected 1)");
  const s = new Scanner(bytes.length);
  while (!r.atEnd()) {
    const id = r.u8("section id");
    const size = r.u32("section size");
    const start = r.pos;
    r.skip(size, `section ${id}`);
    const body = new ByteReader(bytes, start, start + size);
    try {
      s.section(id, body);
    } catch (e) {
      if (!(e instanceof UndecodableInstruction)) throw e;
      s.facts.undecoded.push(`section ${id} (stopped at ${e.message})`);
      continue;
    }
    if (id !== SECTION.custom && !body.atEnd()) throw new MalformedWasm(`section ${id} is longer than its contents`);
  }
  return s.facts;
}
