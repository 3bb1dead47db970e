// Builds the device-cost harness (harness.c + WASM3 from the user's checkout) for the
// Xtensa lx106 core with Debian's cross compiler and picolibc, twice: as measured, and a
// counting build that also counts 64-bit multiply calls (tools/xtensa/README.md).
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, statSync } from "node:fs";
import path from "node:path";
import { repoRoot } from "../../host/firmware/paths.ts";

export const CC = "xtensa-lx106-elf-gcc";
export const QEMU = "qemu-system-xtensa";
export const PICOLIBC_SPECS = "/usr/lib/xtensa-lx106-elf/picolibc.specs";
const PICOLIBC_CRT0 = "/usr/lib/xtensa-lx106-elf/lib/crt0-minimal.o";

/** WASM3's sources the harness links: the core, no WASI or libc extensions (the harness
 *  implements the three WASI calls itself). */
const WASM3_SOURCES = [
  "m3_bind", "m3_code", "m3_compile", "m3_core", "m3_env", "m3_exec", "m3_function",
  "m3_info", "m3_module", "m3_parse", "m3_validate",
];

/** WASM3 configured as its ESP32 port builds it (platforms/embedded/esp32-idf: -O3,
 *  -DESP32 -DM3_IN_IRAM, which selects d_m3CascadedOpcodes=0, d_m3CodePageAlignSize=1024,
 *  d_m3MaxFunctionStackHeight=256, 64-bit slots off → 32-bit slots as the platform
 *  default), without floating point: the firmware has no float instructions, and
 *  Debian's lx106 libgcc has no soft-float helpers to link them. */
const WASM3_FLAGS = [
  "-O3", "-mtext-section-literals", "-ffunction-sections", "-fdata-sections",
  "-DESP32", "-DM3_IN_IRAM", "-Dd_m3HasFloat=0", "-Dd_m3LogOutput=0",
];

/** The counting build: __muldi3 counts its calls, WASM3's op profiler hook counts
 *  dispatches (wrapped into the harness). It runs a different interpreter, so its
 *  instruction counts are never reported — only its counts. */
const COUNTING_FLAGS = ["-DOFFTAP_XT_COUNT", "-Dd_m3EnableOpProfiling=1"];

export interface HarnessBuild {
  measured: string;
  counting: string;
}

export class ToolchainError extends Error {}

/** Says what is missing, with the package that provides it. */
export function checkToolchain(wasm3Src: string): void {
  const need: [string, boolean, string][] = [
    [CC, which(CC), "apt-get install gcc-xtensa-lx106"],
    [PICOLIBC_SPECS, existsSync(PICOLIBC_SPECS), "apt-get install picolibc-xtensa-lx106-elf"],
    [QEMU, which(QEMU), "apt-get install qemu-system-misc"],
    [`${wasm3Src}/source/wasm3.h`, existsSync(path.join(wasm3Src, "source", "wasm3.h")),
      "WASM3_SRC must name a checkout of the public wasm3 repository"],
  ];
  const missing = need.filter(([, ok]) => !ok).map(([what, , fix]) => `${what} (${fix})`);
  if (missing.length > 0) throw new ToolchainError(`missing: ${missing.join("; ")}`);
}

function which(cmd: string): boolean {
  return spawnSync("sh", ["-c", `command -v ${cmd}`], { encoding: "utf8" }).status === 0;
}

function run(args: string[]): void {
  const r = spawnSync(CC, args, { encoding: "utf8", maxBuffer: 16 << 20 });
  if (r.status !== 0) {
    throw new ToolchainError(`${CC} failed: ${(r.stderr || r.error?.message || "").slice(-2000)}`);
  }
}

function newer(out: string, inputs: readonly string[]): boolean {
  if (!existsSync(out)) return false;
  const t = statSync(out).mtimeMs;
  return inputs.every((i) => statSync(i).mtimeMs <= t);
}

/** Compiles one variant into build/xtensa/VARIANT/harness.elf (skipped when up to date). */
function buildVariant(wasm3Src: string, variant: "measured" | "counting"): string {
  const here = path.join(repoRoot, "tools", "xtensa");
  const out = path.join(repoRoot, "build", "xtensa", variant);
  mkdirSync(out, { recursive: true });
  const elf = path.join(out, "harness.elf");
  const src = path.join(wasm3Src, "source");
  const own = ["harness.c", "semihost.c", "libgcc-lx106.c", "reset.S", "harness.ld"]
    .map((f) => path.join(here, f));
  const wasm3 = WASM3_SOURCES.map((f) => path.join(src, `${f}.c`));
  if (newer(elf, [...own, ...wasm3])) return elf;
  const flags = [
    `-specs=${PICOLIBC_SPECS}`, ...WASM3_FLAGS, `-I${src}`, `-I${here}`,
    ...(variant === "counting" ? COUNTING_FLAGS : []),
  ];
  const objects: string[] = [];
  for (const c of [...wasm3, ...own.filter((f) => f.endsWith(".c"))]) {
    const o = path.join(out, `${path.basename(c, ".c")}.o`);
    run([...flags, "-c", c, "-o", o]);
    objects.push(o);
  }
  run([
    ...flags, "-nostartfiles", "-T", path.join(here, "harness.ld"), path.join(here, "reset.S"),
    PICOLIBC_CRT0, ...objects, "-Wl,--gc-sections", "-Wl,--no-warn-rwx-segments",
    ...(variant === "counting" ? ["-Wl,--wrap=ProfileHit"] : []),
    "-o", elf,
  ]);
  return elf;
}

export function buildHarness(wasm3Src: string): HarnessBuild {
  checkToolchain(wasm3Src);
  return {
    measured: buildVariant(wasm3Src, "measured"),
    counting: buildVariant(wasm3Src, "counting"),
  };
}
