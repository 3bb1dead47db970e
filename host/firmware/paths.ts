import { fileURLToPath } from "node:url";
import path from "node:path";

/** Repository root, resolved from this file so the CLI works from any directory. */
export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const firmwarePath = path.join(repoRoot, "build", "offtap.wasm");
export const selftestPath = path.join(repoRoot, "build", "selftest.wasm");
