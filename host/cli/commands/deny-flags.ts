// `--deny-slot-bytes N` and `--vouch-refresh S`: how clearing builds the deny lists it
// signs for readers (docs/CLEARING.md §8), for every command that produces one.
import { UsageError } from "../command.ts";
import { intFlag } from "../args.ts";
import {
  DENY_SLOT_BYTES_DEFAULT,
  VOUCH_REFRESH_S_DEFAULT,
  denySlotBytesProblem,
} from "../../clearing/vouch.ts";

export const DENY_FLAG_OPTIONS = {
  "deny-slot-bytes": { type: "string" },
  "vouch-refresh": { type: "string" },
} as const;

/** Help lines, indented for an options table. */
export const DENY_FLAGS_HELP = [
  "  --deny-slot-bytes N  the readers' deny-list slot: half their deny partition, the smallest",
  `                       in the fleet (default ${DENY_SLOT_BYTES_DEFAULT}; a multiple of 1024):`,
  "                       bounds the certificates the deny list vouches for",
  "  --vouch-refresh S    a change of the vouched certificates alone issues a new deny-list",
  `                       version at most every S seconds (default ${VOUCH_REFRESH_S_DEFAULT})`,
].join("\n");

/** Seconds in a year: a refresh period longer than that is a typo. */
const VOUCH_REFRESH_S_MAX = 366 * 86_400;

export interface DenyFlagValues {
  "deny-slot-bytes"?: string | undefined;
  "vouch-refresh"?: string | undefined;
}

/** The Clearing options the flags give (none when absent). */
export function denyFlags(v: DenyFlagValues): { denySlotBytes?: number; vouchRefreshS?: number } {
  const out: { denySlotBytes?: number; vouchRefreshS?: number } = {};
  const slot = v["deny-slot-bytes"];
  if (slot !== undefined) {
    const n = intFlag("deny-slot-bytes", slot, DENY_SLOT_BYTES_DEFAULT);
    const problem = denySlotBytesProblem(n);
    if (problem !== undefined) {
      throw new UsageError(
        `--deny-slot-bytes ${n} ${problem} (give half the readers' deny partition, ` +
          `e.g. ${DENY_SLOT_BYTES_DEFAULT})`,
      );
    }
    out.denySlotBytes = n;
  }
  const refresh = v["vouch-refresh"];
  if (refresh !== undefined) {
    out.vouchRefreshS = intFlag("vouch-refresh", refresh, VOUCH_REFRESH_S_DEFAULT,
      VOUCH_REFRESH_S_MAX);
  }
  return out;
}
