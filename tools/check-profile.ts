// tools/check-profile.ts — checks a built .wasm against the device profile
// (boards/wasm3-profile.json). Exit codes: 0 fits the device, 1 does not, 2 usage or I/O error.
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { checkModule, formatReport } from "./profile/check.ts";
import {
  BINARY_KINDS,
  defaultProfilePath,
  loadProfile,
  type BinaryKind,
} from "./profile/profile.ts";

const USAGE = `Usage: node --import tsx tools/check-profile.ts FILE.wasm [options]

Checks a WebAssembly binary against the reader's device profile: allowed features
(WASM3: MVP + sign-ext, mutable globals, non-trapping float-to-int, multi-value),
binary size, memory limits, no memory.grow, and the import modules its kind may use.

Options:
  --kind firmware|selftest|taprunner  which import and size rules apply (default: firmware)
  --profile PATH            device profile JSON (default: boards/wasm3-profile.json)
  --json                    print the report as JSON
  -h, --help                show this help

Exit status: 0 the binary fits the profile, 1 it does not, 2 usage or I/O error.`;

function fail(message: string): never {
  process.stderr.write(`check-profile: ${message}\n`);
  process.exit(2);
}

function main(argv: string[]): number {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        kind: { type: "string", default: "firmware" },
        profile: { type: "string", default: defaultProfilePath },
        json: { type: "boolean", default: false },
        help: { type: "boolean", short: "h", default: false },
      },
    });
  } catch (e) {
    fail(`${(e as Error).message}\n${USAGE}`);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (positionals.length !== 1) fail(`expected exactly one FILE.wasm\n${USAGE}`);
  const kind = values.kind;
  if (!(BINARY_KINDS as readonly string[]).includes(kind))
    fail(`--kind must be one of ${BINARY_KINDS.join(", ")}, not "${kind}"`);
  const file = positionals[0]!;
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(file);
  } catch (e) {
    fail(`cannot read ${file}: ${(e as Error).message}`);
  }
  let profile;
  try {
    profile = loadProfile(values.profile);
  } catch (e) {
    fail((e as Error).message);
  }
  const report = checkModule(bytes, profile, kind as BinaryKind);
  process.stdout.write(
    values.json
      ? `${JSON.stringify({ file, ...report }, null, 2)}\n`
      : `${formatReport(file, report)}\n`,
  );
  return report.ok ? 0 : 1;
}

process.exitCode = main(process.argv.slice(2));
