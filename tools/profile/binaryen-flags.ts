// How each profile feature maps to binaryen's feature flags (for check.ts's validator).
import binaryen from "binaryen";
import type { Feature } from "./features.ts";

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
