// Bearer tokens for the HTTP API (docs/SERVER.md "Authentication").
//
// A token names its subject — the operator, or one owner — and carries an HMAC-SHA-256
// of that subject under the server's secret: `otk1.<subject, base64url>.<mac, base64url>`.
// The server keeps no token table: it recomputes the MAC and compares in constant time,
// so a token is valid exactly as long as the secret is. Rotating the secret revokes
// every token at once. Tokens travel only in the Authorization header (never in URLs or
// cookies), which also keeps the API out of reach of cross-site requests.
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import type { IncomingMessage } from "node:http";
import { HttpError } from "./http.ts";

export type Principal = { role: "operator" } | { role: "owner"; ownerId: string };

/** The secret is at least 256 bits: the MAC is the only thing standing behind a token. */
export const TOKEN_SECRET_BYTES_MIN = 32;
const PREFIX = "otk1";
/** Owner ids are short identifiers from the cash-out registry; bounded so a token stays small. */
const OWNER_ID_CHARS_MAX = 128;

export class TokenAuthority {
  private readonly secret: Buffer;

  constructor(secret: Uint8Array = randomBytes(TOKEN_SECRET_BYTES_MIN)) {
    if (secret.length < TOKEN_SECRET_BYTES_MIN) throw new RangeError(`token secret must be at least ${TOKEN_SECRET_BYTES_MIN} bytes`);
    this.secret = Buffer.from(secret);
  }

  issue(p: Principal): string {
    const subject = subjectOf(p);
    return `${PREFIX}.${Buffer.from(subject, "utf8").toString("base64url")}.${this.mac(subject).toString("base64url")}`;
  }

  /** The principal a token stands for, or undefined when it is malformed or forged. */
  verify(token: string): Principal | undefined {
    const parts = token.split(".");
    if (parts.length !== 3 || parts[0] !== PREFIX) return undefined;
    const subject = Buffer.from(parts[1]!, "base64url").toString("utf8");
    const given = Buffer.from(parts[2]!, "base64url");
    const expected = this.mac(subject);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
    return principalOf(subject);
  }

  /** The principal behind a request's `Authorization: Bearer …` header (401 otherwise). */
  authenticate(req: IncomingMessage): Principal {
    const header = req.headers.authorization;
    if (header === undefined) throw new HttpError(401, "missing Authorization: Bearer <token> header");
    const m = /^Bearer\s+(\S+)$/i.exec(header);
    if (m === null) throw new HttpError(401, "Authorization header must be 'Bearer <token>'");
    const p = this.verify(m[1]!);
    if (p === undefined) throw new HttpError(401, "invalid or revoked token");
    return p;
  }

  private mac(subject: string): Buffer {
    return createHmac("sha256", this.secret).update(`offtap-api-token\u0000${subject}`).digest();
  }
}

function subjectOf(p: Principal): string {
  if (p.role === "operator") return "operator";
  if (p.ownerId.length === 0 || p.ownerId.length > OWNER_ID_CHARS_MAX) throw new RangeError("owner id must be 1…128 characters");
  return `owner:${p.ownerId}`;
}

function principalOf(subject: string): Principal | undefined {
  if (subject === "operator") return { role: "operator" };
  if (subject.startsWith("owner:") && subject.length > 6) return { role: "owner", ownerId: subject.slice(6) };
  return undefined;
}

/** Operators see everything; an owner sees and acts on its own account only. */
export function requireOperator(p: Principal): void {
  if (p.role !== "operator") throw new HttpError(403, "this endpoint is for the operator's token");
}

export function requireOwnerOrOperator(p: Principal, ownerId: string): void {
  if (p.role === "operator") return;
  if (p.ownerId !== ownerId) throw new HttpError(403, "an owner's token acts on that owner's own account only");
}
