// The enrolment file `offtap flash --factory` writes for each board it provisions, and
// `offtap clear reader import` reads to register the reader: who the reader is (id, device
// public key, the limits its provisioning block carries), what it runs (image digest,
// release key id) and which chip it is (MAC). Nothing secret is in it.
import { readFileSync, writeFileSync } from "node:fs";

export const ENROLMENT_FORMAT = "offtap-enrolment";
export const ENROLMENT_VERSION = 1;

export interface Enrolment {
  format: typeof ENROLMENT_FORMAT;
  version: typeof ENROLMENT_VERSION;
  readerId: string;
  devicePublicKey: string;
  board: string;
  chip: string;
  mac: string;
  flashId: string;
  image: { sha256: string; bytes: number };
  config: {
    mode: string;
    currency: number;
    amountMin: number;
    amountMax: number;
    driftToleranceS: number;
  };
  enrolledAt: string;
}

export class EnrolmentError extends Error {}

/** Writes the file; never replaces one (another board's enrolment may be there). */
export function writeEnrolment(path: string, e: Enrolment): void {
  writeFileSync(path, `${JSON.stringify(e, null, 2)}\n`, { flag: "wx" });
}

const hexOf = (v: unknown, bytes: number, field: string): string => {
  if (typeof v !== "string" || !new RegExp(`^[0-9a-f]{${bytes * 2}}$`).test(v)) {
    throw new EnrolmentError(`${field} must be ${bytes * 2} lower-case hex digits`);
  }
  return v;
};

const intOf = (v: unknown, field: string): number => {
  if (typeof v !== "number" || !Number.isInteger(v) || v < 0)
    throw new EnrolmentError(`${field} must be a whole number`);
  return v;
};

/** Parses and checks an enrolment file's JSON. */
export function parseEnrolment(json: unknown, source: string): Enrolment {
  try {
    if (typeof json !== "object" || json === null) throw new EnrolmentError("not a JSON object");
    const o = json as Record<string, unknown>;
    if (o["format"] !== ENROLMENT_FORMAT)
      throw new EnrolmentError(`format is not "${ENROLMENT_FORMAT}"`);
    if (o["version"] !== ENROLMENT_VERSION)
      throw new EnrolmentError(`version ${String(o["version"])} is not ${ENROLMENT_VERSION}`);
    const c = (o["config"] ?? {}) as Record<string, unknown>;
    const img = (o["image"] ?? {}) as Record<string, unknown>;
    return {
      format: ENROLMENT_FORMAT,
      version: ENROLMENT_VERSION,
      readerId: hexOf(o["readerId"], 8, "readerId"),
      devicePublicKey: hexOf(o["devicePublicKey"], 32, "devicePublicKey"),
      board: String(o["board"] ?? ""),
      chip: String(o["chip"] ?? ""),
      mac: String(o["mac"] ?? ""),
      flashId: String(o["flashId"] ?? ""),
      image: {
        sha256: hexOf(img["sha256"], 32, "image.sha256"),
        bytes: intOf(img["bytes"], "image.bytes"),
      },
      config: {
        mode: String(c["mode"] ?? ""),
        currency: intOf(c["currency"], "config.currency"),
        amountMin: intOf(c["amountMin"], "config.amountMin"),
        amountMax: intOf(c["amountMax"], "config.amountMax"),
        driftToleranceS: intOf(c["driftToleranceS"], "config.driftToleranceS"),
      },
      enrolledAt: String(o["enrolledAt"] ?? ""),
    };
  } catch (err) {
    if (err instanceof EnrolmentError) throw new EnrolmentError(`${source}: ${err.message}`);
    throw err;
  }
}

export function readEnrolment(path: string): Enrolment {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch {
    throw new EnrolmentError(`cannot read ${path}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new EnrolmentError(`${path}: not JSON`);
  }
  return parseEnrolment(json, path);
}
