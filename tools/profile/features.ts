// The WebAssembly features a device profile can name. Names follow the proposals' own names
// so a profile reads like the spec. (Their binaryen flags: binaryen-flags.ts, kept apart so
// that loading a profile does not load binaryen.)

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
