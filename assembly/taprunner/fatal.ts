// A condition the scripted board cannot continue from (its own limit reached, or the
// firmware broke a device rule): one `error` line and exit code 70, like an abort.
import { outText, outLine } from "../selftest/out";
import { EXIT_INTERNAL_ERROR, exitWith } from "../selftest/wasi";

export function fatal(reason: string): void {
  outText("error ");
  outText(reason);
  outLine();
  exitWith(EXIT_INTERNAL_ERROR);
}
