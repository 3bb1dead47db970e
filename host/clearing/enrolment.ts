// Registering a reader from the enrolment file `offtap flash --factory` wrote
// (host/flash/enrolment.ts): its id, device public key and the limits its provisioning
// block carries become the clearing registry's reader record.
import { readEnrolment, type Enrolment } from "../flash/enrolment.ts";
import type { ReaderSpec } from "./types.ts";

export function readerSpecFromEnrolment(e: Enrolment, operatorId: string): ReaderSpec {
  return {
    readerId: e.readerId,
    devicePublicKey: e.devicePublicKey,
    operatorId,
    currency: e.config.currency,
    amountMin: e.config.amountMin,
    amountMax: e.config.amountMax,
    driftToleranceS: e.config.driftToleranceS,
    name: `${e.board} ${e.mac}`,
  };
}

export function readerSpecFromEnrolmentFile(path: string, operatorId: string): ReaderSpec {
  return readerSpecFromEnrolment(readEnrolment(path), operatorId);
}
