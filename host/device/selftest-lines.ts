// The selftest line language (docs/SELFTEST.md) answered through the flashed firmware's
// crypto exports — what a board in test mode does with a `selftest` request, and what the
// device emulator does with build/offtap.wasm. Same answers as build/selftest.wasm.
import { createHash } from "node:crypto";
import type { FirmwareCrypto } from "../firmware/crypto.ts";

const HEX = /^(?:[0-9a-fA-F]{2})*$/;
const MESSAGE_BYTES_MAX = 4096;

function fixed(field: string, bytes: number, name: string): Uint8Array | string {
  if (field.length !== bytes * 2) return `error ${name} must be ${bytes} bytes (${bytes * 2} hex digits)`;
  if (!HEX.test(field)) return `error ${name} is not hex`;
  return Buffer.from(field, "hex");
}

function message(field: string): Uint8Array | string {
  if (field === "" || field === "-") return new Uint8Array(0);
  if (field.length > MESSAGE_BYTES_MAX * 2) return `error message longer than ${MESSAGE_BYTES_MAX} bytes`;
  if (!HEX.test(field)) return "error message is not hex (even number of digits, or - for empty)";
  return Buffer.from(field, "hex");
}

function slot(field: string): number | string {
  return /^\d{1,9}$/.test(field) ? Number(field) : "error slot must be a decimal number of at most 9 digits";
}

/** Answers one selftest line (not a comment or blank line). */
export function answerSelftestLine(fw: FirmwareCrypto, line: string): string {
  const f = line.replace(/\r$/, "").replace(/^[ \t]+/, "").split(/[ \t]/);
  if (f.length > 4) return "error too many fields";
  const [cmd, a = "", b = "", c = ""] = f;
  const ok = (v: boolean): string => (v ? "ok" : "fail");
  const pick = <T>(...vals: (T | string)[]): T[] | string => {
    for (const v of vals) if (typeof v === "string") return v;
    return vals as T[];
  };
  switch (cmd) {
    case "verify": {
      if (f.length !== 4) return "error usage: verify <pk-hex> <msg-hex> <sig-hex>";
      const r = pick<Uint8Array>(fixed(a, 32, "public key"), message(b), fixed(c, 64, "signature"));
      return typeof r === "string" ? r : ok(fw.verify(r[0]!, r[1]!, r[2]!) === 0);
    }
    case "register": {
      if (f.length !== 3) return "error usage: register <slot> <pk-hex>";
      const s = slot(a);
      if (typeof s === "string") return s;
      const pk = fixed(b, 32, "public key");
      return typeof pk === "string" ? pk : ok(fw.registerKey(s, pk) === 0);
    }
    case "verify-registered": {
      if (f.length !== 4) return "error usage: verify-registered <slot> <msg-hex> <sig-hex>";
      const s = slot(a);
      if (typeof s === "string") return s;
      const r = pick<Uint8Array>(message(b), fixed(c, 64, "signature"));
      return typeof r === "string" ? r : ok(fw.verifyRegistered(s, r[0]!, r[1]!) === 0);
    }
    case "sha512": {
      if (f.length !== 2) return "error usage: sha512 <msg-hex>";
      const m = message(a);
      return typeof m === "string" ? m : Buffer.from(fw.sha512(m)).toString("hex");
    }
    case "sign": {
      if (f.length !== 3) return "error usage: sign <seed-hex> <msg-hex>";
      const r = pick<Uint8Array>(fixed(a, 32, "seed"), message(b));
      if (typeof r === "string") return r;
      const sk = new Uint8Array(64);
      sk.set(r[0]!);
      sk.set(fw.publicKey(r[0]!), 32);
      return Buffer.from(fw.sign(sk, r[1]!)).toString("hex");
    }
    default:
      return "error unknown command";
  }
}

/** SHA-256 of the firmware image, as `identify` reports it. */
export function firmwareSha256(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}
