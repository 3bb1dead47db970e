// One-line human summaries of APDUs for `offtap tap` transcripts. They never throw:
// a frame that does not decode is described as such.
import { equalBytes, toHex, ProtocolError } from "./bytes.ts";
import { decodeTapCommand, parseResponse, RESPONSE_DATA_BYTES, swHex } from "./apdu.ts";
import { statusWordName, SW } from "./constants.ts";
import { decodeCertificate } from "./certificate.ts";
import { decodeAuthorization } from "./authorization.ts";
import {
  authorizationHint, certificateHints, decodePayAnswer, decodeSelectAnswer, proofHint,
} from "./hints.ts";
import { formatMoney, isoFromUnixSeconds } from "../money/index.ts";

const OUTCOME_NAMES = ["accepted", "already accepted", "already used"];

/** "hints honest", or which hints differ from the honest ones (the reader ignores those). */
function hintsText(sent: [string, Uint8Array][], honest: Uint8Array[]): string {
  const wrong = sent.filter(([, h], i) => !equalBytes(h, honest[i]!)).map(([name]) => name);
  if (wrong.length === 0) return "hints honest";
  return `wrong hint${wrong.length > 1 ? "s" : ""} ${wrong.join(", ")} (ignored)`;
}

function errText(err: unknown): string {
  return err instanceof ProtocolError ? err.message : String(err);
}

export function summarizeCommand(bytes: Uint8Array): string {
  try {
    const c = decodeTapCommand(bytes);
    switch (c.kind) {
      case "SELECT": return `SELECT AID ${toHex(c.aid)}`;
      case "PAY": {
        const p = c.payment;
        const challenge = toHex(p.challenge).slice(0, 8);
        return `PAY amount ${formatMoney(p.amount, p.currency)} reader ${toHex(p.readerId)} `
          + `time ${isoFromUnixSeconds(p.readerTime)} challenge ${challenge}…`;
      }
      case "RECEIPT": {
        const r = c.receipt;
        const outcome = OUTCOME_NAMES[r.outcome] ?? `outcome ${r.outcome}`;
        return `RECEIPT ${outcome} seq ${r.sequence} counter ${r.counter} `
          + `amount ${formatMoney(r.amount, r.currency)}`;
      }
    }
  } catch (err) {
    return `undecodable command: ${errText(err)}`;
  }
}

export type ExchangeStep = keyof typeof RESPONSE_DATA_BYTES;

export function summarizeResponse(step: ExchangeStep, bytes: Uint8Array): string {
  let r;
  try {
    r = parseResponse(bytes);
  } catch (err) {
    return `undecodable response: ${errText(err)}`;
  }
  const sw = `${swHex(r.sw)} ${statusWordName(r.sw)}`;
  if (r.sw !== SW.OK) {
    return `${sw}${r.data.length > 0 ? ` with ${r.data.length} data bytes` : ""}`;
  }
  try {
    if (step === "SELECT") {
      const answer = decodeSelectAnswer(r.data);
      const lenient = { strictVersion: false, strictWindow: false };
      const c = decodeCertificate(answer.certificate, lenient);
      const honest = certificateHints(answer.certificate);
      const hints = hintsText(
        [["keyX", answer.keyX], ["certRX", answer.certRX]], [honest.keyX, honest.certRX],
      );
      const wallet = toHex(c.walletId).slice(0, 8);
      return `certificate v${c.version} wallet ${wallet}… issuer ${c.issuerKeyId} `
        + `cap ${formatMoney(c.offlineCap, c.currency)} `
        + `valid ${isoFromUnixSeconds(c.validFrom)}…${isoFromUnixSeconds(c.validUntil)}`
        + `, ${hints}`;
    }
    if (step === "PAY") {
      const answer = decodePayAnswer(r.data);
      const a = decodeAuthorization(answer.authorization, { strictVersion: false });
      const again = answer.kind === "representation";
      const hints = answer.kind === "payment"
        ? hintsText([["rX", answer.rX]], [authorizationHint(answer.authorization)])
        : hintsText([["proofRX", answer.proofRX]], [proofHint(answer.proof)]);
      const what = again ? "re-presented authorization (with possession proof)" : "authorization";
      const challenge = toHex(a.challenge).slice(0, 8);
      return `${what} v${a.version} amount ${formatMoney(a.amount, a.currency)} `
        + `counter ${a.counter} cumulative ${formatMoney(a.cumulative, a.currency)} `
        + `challenge ${challenge}…, ${hints}`;
    }
    return r.data.length === 0 ? "OK" : `OK with ${r.data.length} unexpected data bytes`;
  } catch (err) {
    return `${sw}, bad data: ${errText(err)}`;
  }
}
