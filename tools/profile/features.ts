// The WebAssembly features a device profile can name, and how each maps to binaryen's
// feature flags. Names follow the proposals' own names so a profile reads like the spec.
import binaryen from "binaryen";

export const FEATURE_NAMES = [
  "mvp",
  "sign-ext",
  "mutable-globals",
  "nontrapping-float-to-int",
  "multi-value",
  "bulk-memory",
  "reference-types",
  "simd",
  "tail-call",
  "threads",
  "exceptions",
  "gc",
  "memory64",
  "multi-memory",
  "extended-const",
  /** Instructions from proposals newer than this checker (e.g. unknown 0xFC sub-opcodes). */
  "unknown-proposal",
] as const;

export type Feature = (typeof FEATURE_NAMES)[number];

export function isFeature(name: string): name is Feature {
  return (FEATURE_NAMES as readonly string[]).includes(name);
}

/** binaryen flags for each feature; "mvp" is the empty set. bulk-memory includes
 *  binaryen's separate BulkMemoryOpt flag (memory.copy / memory.fill). */
const BINARYEN_FLAGS: Record<Feature, number> = {
  mvp: binaryen.Features.MVP,
  "sign-ext": binaryen.Features.SignExt,
  "mutable-globals": binaryen.Features.MutableGlobals,
  "nontrapping-float-to-int": binaryen.Features.NontrappingFPToInt,
  "multi-value": binaryen.Features.Multivalue,
  "bulk-memory": binaryen.Features.BulkMemory | binaryen.Features.BulkMemoryOpt,
  "reference-types": binaryen.Features.ReferenceTypes | binaryen.Features.CallIndirectOverlong,
  simd: binaryen.Features.SIMD128 | binaryen.Features.RelaxedSIMD,
  "tail-call": binaryen.Features.TailCall,
  threads: binaryen.Features.Atomics,
  exceptions: binaryen.Features.ExceptionHandling,
  gc: binaryen.Features.GC,
  memory64: binaryen.Features.Memory64,
  "multi-memory": binaryen.Features.MultiMemory,
  "extended-const": binaryen.Features.ExtendedConst,
  "unknown-proposal": 0,
};

export function binaryenFlags(features: readonly Feature[]): number {
  let flags = 0;
  for (const f of features) flags |= BINARYEN_FLAGS[f];
  return flags;
}
