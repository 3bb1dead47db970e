// Crypto vectors as selftest lines (docs/SELFTEST.md) and their answers as outcomes: what
// the wasi engine sends to build/selftest.wasm and the device engine to a board in test
// mode. Keys and signatures of the wrong length are judged rejected without being sent,
// exactly as the v8 engine does (host/vectors/run.ts).
import { PUBLIC_KEY_BYTES, SIGNATURE_BYTES } from "../crypto/encoding.ts";
import type { EddsaVerifyCase, ExpectedResult } from "./wycheproof.ts";
import type { CaseResult } from "./results.ts";

const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");

/** The verify line for a case, or null when its lengths make it a rejection without a run. */
export function verifyLine(c: EddsaVerifyCase): string | null {
  if (c.publicKey.length !== PUBLIC_KEY_BYTES || c.signature.length !== SIGNATURE_BYTES) return null;
  return `verify ${hex(c.publicKey)} ${c.message.length === 0 ? "-" : hex(c.message)} ${hex(c.signature)}`;
}

/** Names an answer line the way the v8 engine names statuses where it can. */
function gotName(answer: string | undefined): string {
  if (answer === undefined) return "no answer";
  if (answer === "ok") return "Valid";
  if (answer === "fail") return "rejected";
  return answer;
}

function passes(expected: ExpectedResult, answer: string | undefined): boolean {
  if (answer !== "ok" && answer !== "fail") return false;
  if (expected === "acceptable") return true;
  return (answer === "ok") === (expected === "valid");
}

/** Judges a case from its answer line (null: not sent, judged rejected). */
export function judgeAnswer(c: EddsaVerifyCase, answer: string | undefined | null, seconds: number): CaseResult {
  const got = answer === null ? "WrongLength" : gotName(answer);
  const passed = answer === null ? c.result !== "valid" : passes(c.result, answer);
  const r: CaseResult = { id: String(c.tcId), tcId: c.tcId, name: `tcId ${c.tcId}${c.comment ? `: ${c.comment}` : ""}`, passed, seconds, comment: c.comment };
  if (!passed) {
    r.expected = c.result;
    r.got = got;
    r.message = `expected ${c.result}, got ${got}`;
  }
  return r;
}
