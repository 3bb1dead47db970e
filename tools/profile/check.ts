// Judges one .wasm against a device profile with binaryen as the validator (the build's
// check: tools/check-profile.ts); the rules themselves are in rules.ts.
import binaryen from "binaryen";
import { binaryenFlags } from "./binaryen-flags.ts";
import type { Feature } from "./features.ts";
import type { BinaryKind, DeviceProfile } from "./profile.ts";
import { checkModuleWith, type ProfileReport, type Validator } from "./rules.ts";

export { formatReport, checkModuleWith, v8Validator } from "./rules.ts";
export type { Finding, ProfileReport, Validator } from "./rules.ts";

/** Runs binaryen's validator with exactly the allowed features; returns its messages. */
function binaryenValidate(bytes: Uint8Array, allowed: readonly Feature[]): string | null {
  // binaryen.js 132 takes the feature set as readBinary's optional second argument (its
  // typings still name a separate readBinaryWithFeatures that the build does not export).
  type ReadBinary = (data: Uint8Array, features?: binaryen.Features) => binaryen.Module;
  const readBinary = binaryen.readBinary as ReadBinary;
  const module = readBinary(bytes, binaryen.Features.All);
  const captured: string[] = [];
  const out = process.stdout.write;
  const err = process.stderr.write;
  // binaryen prints validation errors through console.log/console.error; collect them for the
  // report.
  const capture = (chunk: string | Uint8Array): boolean => {
    captured.push(typeof chunk === "string" ? chunk : new TextDecoder().decode(chunk));
    return true;
  };
  try {
    process.stdout.write = capture as typeof process.stdout.write;
    process.stderr.write = capture as typeof process.stderr.write;
    module.setFeatures(binaryenFlags(allowed));
    const valid = module.validate();
    return valid ? null : captured.join("").trim() || "binaryen validation failed";
  } finally {
    process.stdout.write = out;
    process.stderr.write = err;
    module.dispose();
  }
}

/** binaryen's validator with exactly the profile's features enabled. */
export const binaryenValidator: Validator = { name: "binaryen", validate: binaryenValidate };

/** Checks `bytes` against `profile` for a binary of the given kind. Never throws on bad input. */
export function checkModule(
  bytes: Uint8Array, profile: DeviceProfile, kind: BinaryKind,
): ProfileReport {
  return checkModuleWith(bytes, profile, kind, binaryenValidator);
}
