// Decodes WebAssembly instruction sequences (function bodies and constant expressions)
// opcode by opcode and reports which feature each instruction needs. Immediates are decoded
// for every opcode of the features a device profile could plausibly allow (MVP, sign-ext,
// non-trapping float-to-int, multi-value, bulk memory, reference types, tail calls); for the
// prefixes we never decode (SIMD 0xFD, threads 0xFE, GC 0xFB, exceptions) the walker reports
// the instruction and stops, because without its immediates the rest of the body is unreadable.
import { ByteReader, MalformedWasm } from "./byte-reader.ts";
import type { Feature } from "./features.ts";

export interface OpUse {
  name: string;
  feature: Feature;
  /** Byte offset of the opcode in the module. */
  offset: number;
}

/** Thrown after an instruction whose immediates the walker cannot decode was reported. */
export class UndecodableInstruction extends Error {}

type Imm =
  | "none" | "block" | "idx" | "brTable" | "callIndirect" | "memarg" | "memIdx"
  | "i32" | "i64" | "f32" | "f64" | "selectT" | "heapType" | "idx2" | "stop";

interface OpInfo { name: string; imm: Imm; feature: Feature }

const op = (name: string, imm: Imm = "none", feature: Feature = "mvp"): OpInfo => ({ name, imm, feature });

const SINGLE: ReadonlyMap<number, OpInfo> = new Map<number, OpInfo>([
  [0x00, op("unreachable")], [0x01, op("nop")],
  [0x02, op("block", "block")], [0x03, op("loop", "block")], [0x04, op("if", "block")],
  [0x05, op("else")],
  [0x06, op("try", "stop", "exceptions")], [0x07, op("catch", "stop", "exceptions")],
  [0x08, op("throw", "stop", "exceptions")], [0x09, op("rethrow", "stop", "exceptions")],
  [0x0a, op("throw_ref", "stop", "exceptions")],
  [0x0b, op("end")], [0x0c, op("br", "idx")], [0x0d, op("br_if", "idx")],
  [0x0e, op("br_table", "brTable")], [0x0f, op("return")],
  [0x10, op("call", "idx")], [0x11, op("call_indirect", "callIndirect")],
  [0x12, op("return_call", "idx", "tail-call")], [0x13, op("return_call_indirect", "idx2", "tail-call")],
  [0x14, op("call_ref", "stop", "gc")], [0x15, op("return_call_ref", "stop", "gc")],
  [0x18, op("delegate", "stop", "exceptions")], [0x19, op("catch_all", "stop", "exceptions")],
  [0x1a, op("drop")], [0x1b, op("select")], [0x1c, op("select (typed)", "selectT", "reference-types")],
  [0x1f, op("try_table", "stop", "exceptions")],
  [0x20, op("local.get", "idx")], [0x21, op("local.set", "idx")], [0x22, op("local.tee", "idx")],
  [0x23, op("global.get", "idx")], [0x24, op("global.set", "idx")],
  [0x25, op("table.get", "idx", "reference-types")], [0x26, op("table.set", "idx", "reference-types")],
  [0x3f, op("memory.size", "memIdx")], [0x40, op("memory.grow", "memIdx")],
  [0x41, op("i32.const", "i32")], [0x42, op("i64.const", "i64")],
  [0x43, op("f32.const", "f32")], [0x44, op("f64.const", "f64")],
  [0xc0, op("i32.extend8_s", "none", "sign-ext")], [0xc1, op("i32.extend16_s", "none", "sign-ext")],
  [0xc2, op("i64.extend8_s", "none", "sign-ext")], [0xc3, op("i64.extend16_s", "none", "sign-ext")],
  [0xc4, op("i64.extend32_s", "none", "sign-ext")],
  [0xd0, op("ref.null", "heapType", "reference-types")], [0xd1, op("ref.is_null", "none", "reference-types")],
  [0xd2, op("ref.func", "idx", "reference-types")],
  [0xd3, op("ref.eq", "stop", "gc")], [0xd4, op("ref.as_non_null", "stop", "gc")],
  [0xd5, op("br_on_null", "stop", "gc")], [0xd6, op("br_on_non_null", "stop", "gc")],
]);

const MEMORY_OP_NAMES = [
  "i32.load", "i64.load", "f32.load", "f64.load", "i32.load8_s", "i32.load8_u", "i32.load16_s", "i32.load16_u",
  "i64.load8_s", "i64.load8_u", "i64.load16_s", "i64.load16_u", "i64.load32_s", "i64.load32_u",
  "i32.store", "i64.store", "f32.store", "f64.store", "i32.store8", "i32.store16", "i64.store8", "i64.store16", "i64.store32",
];
const MEMORY_OP_FIRST = 0x28;

/** 0xFC-prefixed instructions, by sub-opcode. */
const PREFIX_FC: ReadonlyMap<number, OpInfo> = new Map<number, OpInfo>([
  [0x00, op("i32.trunc_sat_f32_s", "none", "nontrapping-float-to-int")],
  [0x01, op("i32.trunc_sat_f32_u", "none", "nontrapping-float-to-int")],
  [0x02, op("i32.trunc_sat_f64_s", "none", "nontrapping-float-to-int")],
  [0x03, op("i32.trunc_sat_f64_u", "none", "nontrapping-float-to-int")],
  [0x04, op("i64.trunc_sat_f32_s", "none", "nontrapping-float-to-int")],
  [0x05, op("i64.trunc_sat_f32_u", "none", "nontrapping-float-to-int")],
  [0x06, op("i64.trunc_sat_f64_s", "none", "nontrapping-float-to-int")],
  [0x07, op("i64.trunc_sat_f64_u", "none", "nontrapping-float-to-int")],
  [0x08, op("memory.init", "idx2", "bulk-memory")], [0x09, op("data.drop", "idx", "bulk-memory")],
  [0x0a, op("memory.copy", "idx2", "bulk-memory")], [0x0b, op("memory.fill", "idx", "bulk-memory")],
  [0x0c, op("table.init", "idx2", "bulk-memory")], [0x0d, op("elem.drop", "idx", "bulk-memory")],
  [0x0e, op("table.copy", "idx2", "bulk-memory")],
  [0x0f, op("table.grow", "idx", "reference-types")], [0x10, op("table.size", "idx", "reference-types")],
  [0x11, op("table.fill", "idx", "reference-types")],
]);

/** Prefixes whose instruction sets the walker never decodes. */
const PREFIX_STOP: ReadonlyMap<number, OpInfo> = new Map<number, OpInfo>([
  [0xfb, op("GC instruction (0xFB prefix)", "stop", "gc")],
  [0xfd, op("SIMD instruction (0xFD prefix)", "stop", "simd")],
  [0xfe, op("atomic instruction (0xFE prefix)", "stop", "threads")],
]);

function hex(n: number): string {
  return `0x${n.toString(16).toUpperCase().padStart(2, "0")}`;
}

/** Feature a value type needs: numbers are MVP, v128 is SIMD, funcref/externref need
 *  reference types (outside a table type), anything else is a GC type. */
export function valueTypeFeature(byte: number): Feature {
  if (byte >= 0x7c && byte <= 0x7f) return "mvp";
  if (byte === 0x7b) return "simd";
  if (byte === 0x70 || byte === 0x6f) return "reference-types";
  return "gc";
}

/** Looks up the instruction at r.pos (consuming its opcode bytes). */
function readOpInfo(r: ByteReader): OpInfo {
  const code = r.u8("opcode");
  if (code >= MEMORY_OP_FIRST && code < MEMORY_OP_FIRST + MEMORY_OP_NAMES.length) {
    return op(MEMORY_OP_NAMES[code - MEMORY_OP_FIRST]!, "memarg");
  }
  if (code >= 0x45 && code <= 0xbf) return op(`numeric ${hex(code)}`);
  const single = SINGLE.get(code);
  if (single) return single;
  if (code === 0xfc) {
    const sub = r.u32("0xFC sub-opcode");
    return PREFIX_FC.get(sub) ?? op(`0xFC ${hex(sub)}`, "stop", "unknown-proposal");
  }
  const prefixed = PREFIX_STOP.get(code);
  if (prefixed) return prefixed;
  throw new MalformedWasm(`unknown opcode ${hex(code)} at byte 0x${(r.pos - 1).toString(16)}`);
}

export interface WalkContext {
  /** Entries in the type section: a block type that is a type index must be below it. */
  readonly typeCount: number;
}

/** Decodes the immediates of `info`, reporting extra feature uses they imply. */
function readImmediates(r: ByteReader, info: OpInfo, at: number, ctx: WalkContext, visit: (u: OpUse) => void): void {
  switch (info.imm) {
    case "none": return;
    case "idx": r.u32(`${info.name} index`); return;
    case "idx2": r.u32(`${info.name} index`); r.u32(`${info.name} index`); return;
    case "i32": r.skipSigned(32, "i32.const"); return;
    case "i64": r.skipSigned(64, "i64.const"); return;
    case "f32": r.skip(4, "f32.const"); return;
    case "f64": r.skip(8, "f64.const"); return;
    case "memarg": {
      // Bit 6 of the alignment field announces an explicit memory index (multi-memory).
      if (r.u32("memarg align") >= 64) {
        visit({ name: `${info.name} with a memory index`, feature: "multi-memory", offset: at });
        r.u32("memarg memory index");
      }
      r.u32("memarg offset");
      return;
    }
    case "memIdx":
      if (r.u32(`${info.name} memory index`) !== 0) visit({ name: `${info.name} on memory > 0`, feature: "multi-memory", offset: at });
      return;
    case "callIndirect":
      r.u32("call_indirect type index");
      if (r.u32("call_indirect table index") !== 0) {
        visit({ name: "call_indirect through a table other than 0", feature: "reference-types", offset: at });
      }
      return;
    case "brTable": {
      const n = r.u32("br_table length");
      for (let i = 0; i <= n; i++) r.u32("br_table label");
      return;
    }
    case "block": {
      const t = r.s33("block type");
      if (t >= 0) {
        if (t >= ctx.typeCount) throw new MalformedWasm(`block type index ${t} out of range at byte 0x${at.toString(16)}`);
        visit({ name: `${info.name} with a type-index block type`, feature: "multi-value", offset: at });
      } else if (t !== -0x40) {
        const f = valueTypeFeature(t & 0x7f);
        if (f !== "mvp") visit({ name: `${info.name} of a non-number type`, feature: f, offset: at });
      }
      return;
    }
    case "selectT": {
      const n = r.u32("select type count");
      for (let i = 0; i < n; i++) r.u8("select type");
      return;
    }
    case "heapType": r.s33("heap type"); return;
    case "stop": throw new UndecodableInstruction(info.name);
  }
}

/**
 * Walks one expression starting at r.pos up to and including its final `end`, calling
 * `visit` for every instruction. Throws UndecodableInstruction (after visiting it) at an
 * instruction whose immediates are not decoded, and MalformedWasm on bad bytes.
 */
export function walkExpression(r: ByteReader, ctx: WalkContext, visit: (u: OpUse) => void): void {
  let depth = 0;
  // Each instruction consumes at least one byte, so the loop is bounded by the body length.
  while (!r.atEnd()) {
    const at = r.pos;
    const info = readOpInfo(r);
    visit({ name: info.name, feature: info.feature, offset: at });
    readImmediates(r, info, at, ctx, visit);
    if (info.imm === "block") depth++;
    if (info.name === "end") {
      if (depth === 0) return;
      depth--;
    }
  }
  throw new MalformedWasm(`expression not terminated by end before byte 0x${r.end.toString(16)}`);
}
