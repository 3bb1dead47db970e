// The abort handler of selftest.wasm (wired in with asc's `--use abort=...`, see the
// "selftest" target in asconfig.json), so the module imports nothing from `env`.
// abort means a bug (a failed assert in the firmware core): print one `error abort`
// line where the answer would have gone, and exit non-zero.
import { outText, outByte, outDecimal, outLine } from "./out";
import { EXIT_INTERNAL_ERROR, exitWith } from "./wasi";

export function selftestAbort(message: string | null, fileName: string | null, line: u32, column: u32): void {
  outText("error abort: ");
  outText(message);
  outText(" at ");
  outText(fileName);
  outByte(0x3a);
  outDecimal(line);
  outByte(0x3a);
  outDecimal(column);
  outLine();
  exitWith(EXIT_INTERNAL_ERROR);
}
