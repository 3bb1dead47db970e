// Thin wrapper over node:util parseArgs that turns its errors into UsageError.
import { parseArgs, type ParseArgsConfig } from "node:util";
import { UsageError } from "./command.ts";

export function parse<T extends NonNullable<ParseArgsConfig["options"]>>(
  argv: string[],
  options: T,
  allowPositionals = false,
) {
  try {
    return parseArgs({ args: argv, options, allowPositionals, strict: true });
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err));
  }
}

/** Parses a non-negative integer flag value with a clear error. */
export function intFlag(
  name: string, value: string | undefined, fallback: number, max = Number.MAX_SAFE_INTEGER,
): number {
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value)) throw new UsageError(`--${name} takes a whole number, got '${value}'`);
  const n = Number(value);
  if (n > max) throw new UsageError(`--${name} is at most ${max}, got ${n}`);
  return n;
}
