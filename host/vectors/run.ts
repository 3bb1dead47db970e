// Runs parsed EdDSA verify vectors through a verifier and judges each outcome.
// The verifier is the firmware in the CLI and the host reference model in its tests;
// both take exactly 32-byte keys and 64-byte signatures, so inputs of any other length
// are judged here as rejected without calling the verifier.
import { PUBLIC_KEY_BYTES, SIGNATURE_BYTES } from "../crypto/encoding.ts";
import { VerifyStatus, statusName } from "../crypto/policy.ts";
import type { EddsaVerifyCase, ExpectedResult } from "./wycheproof.ts";

/** Returns a VerifyStatus for fixed-length inputs; throws only on a bug (e.g. a firmware trap). */
export type StatusVerifier = (publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array) => number;

/** What a case produced: a status name, `WrongLength` when not run, or `Trap: …` when the verifier threw. */
export type Outcome = { kind: "status"; status: number } | { kind: "wrongLength" } | { kind: "trap"; message: string };

export interface CaseFailure {
  file: string;
  tcId: number;
  comment: string;
  expected: ExpectedResult;
  got: string;
}

export interface RunReport {
  total: number;
  passed: number;
  failed: number;
  failures: CaseFailure[];
}

export function outcomeName(o: Outcome): string {
  if (o.kind === "status") return statusName(o.status);
  return o.kind === "wrongLength" ? "WrongLength" : `Trap: ${o.message}`;
}

export function runCase(c: EddsaVerifyCase, verify: StatusVerifier): Outcome {
  if (c.publicKey.length !== PUBLIC_KEY_BYTES || c.signature.length !== SIGNATURE_BYTES) return { kind: "wrongLength" };
  try {
    return { kind: "status", status: verify(c.publicKey, c.message, c.signature) };
  } catch (e) {
    return { kind: "trap", message: e instanceof Error ? e.message : String(e) };
  }
}

/** `acceptable` passes either way; a trap never passes. */
export function judge(expected: ExpectedResult, o: Outcome): boolean {
  if (o.kind === "trap") return false;
  if (expected === "acceptable") return true;
  const accepted = o.kind === "status" && o.status === VerifyStatus.Valid;
  return accepted === (expected === "valid");
}

export function emptyReport(): RunReport {
  return { total: 0, passed: 0, failed: 0, failures: [] };
}

/** Runs every case, adding to `report`; `onTrap` lets the caller replace a verifier left broken by a trap. */
export function runCases(file: string, cases: readonly EddsaVerifyCase[], verify: StatusVerifier, report: RunReport, onTrap?: () => void): RunReport {
  for (const c of cases) {
    const outcome = runCase(c, verify);
    report.total++;
    if (judge(c.result, outcome)) {
      report.passed++;
      continue;
    }
    report.failed++;
    report.failures.push({ file, tcId: c.tcId, comment: c.comment, expected: c.result, got: outcomeName(outcome) });
    if (outcome.kind === "trap") onTrap?.();
  }
  return report;
}
