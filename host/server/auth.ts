// Bearer tokens for the HTTP API (docs/SERVER.md "Authentication").
//
// A token names its subject — the operator, or one owner — its id and its expiry, and
// carries an HMAC-SHA-256 of all three under the server's secret:
// `otk2.<id>.<expiry, unix s>.<subject, base64url>.<mac, base64url>`. The server
// recomputes the MAC and compares in constant time, refuses an expired token, and refuses
// a revoked one: revocations live in the token register (`api-tokens.json` beside the
// secret, mode 0600), which the `offtap tokens` command writes and the server re-reads
// when it changes. The register holds ids, subjects and dates — never tokens. Rotating
// the secret revokes every token at once. Tokens travel only in the Authorization header.
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import type { IncomingMessage } from "node:http";
import { HttpError } from "./http.ts";
import { TokenRegister } from "./token-register.ts";

export type Principal = { role: "operator" } | { role: "owner"; ownerId: string };

/** The secret is at least 256 bits: the MAC is the only thing standing behind a token. */
export const TOKEN_SECRET_BYTES_MIN = 32;
/** A token lives 30 days unless issued for less (or more, up to a year). */
export const TOKEN_TTL_S_DEFAULT = 30 * 24 * 3600;
export const TOKEN_TTL_S_MAX = 366 * 24 * 3600;
const PREFIX = "otk2";
const TOKEN_ID_BYTES = 12;
/** Owner ids are short identifiers from the cash-out registry; bounded so a token stays small. */
const OWNER_ID_CHARS_MAX = 128;
/** Longer Authorization values are refused before any parsing. */
const TOKEN_CHARS_MAX = 512;

export interface IssuedToken { token: string; id: string; subject: string; expiresAt: number }

export class TokenAuthority {
  private readonly secret: Buffer;
  private readonly now: () => number;

  constructor(
    secret: Uint8Array = randomBytes(TOKEN_SECRET_BYTES_MIN),
    /** Default: in memory, for a server whose tokens live as long as the process. */
    private readonly register: TokenRegister = new TokenRegister(),
    now?: () => number,
  ) {
    if (secret.length < TOKEN_SECRET_BYTES_MIN) throw new RangeError(`token secret must be at least ${TOKEN_SECRET_BYTES_MIN} bytes`);
    this.secret = Buffer.from(secret);
    this.now = now ?? ((): number => Math.floor(Date.now() / 1000));
  }

  /** A token for `p`; recorded in the register (without the token) when there is one. */
  issueToken(p: Principal, o: { ttlS?: number; note?: string } = {}): IssuedToken {
    const ttl = o.ttlS ?? TOKEN_TTL_S_DEFAULT;
    if (!Number.isSafeInteger(ttl) || ttl < 1 || ttl > TOKEN_TTL_S_MAX) {
      throw new RangeError(`token lifetime must be 1…${TOKEN_TTL_S_MAX} s, got ${ttl}`);
    }
    const subject = subjectOf(p);
    const id = randomBytes(TOKEN_ID_BYTES).toString("base64url");
    const createdAt = this.now();
    const expiresAt = createdAt + ttl;
    this.register.add({ id, subject, createdAt, expiresAt, revokedAt: null, note: o.note ?? "" });
    const subj = Buffer.from(subject, "utf8").toString("base64url");
    const token = `${PREFIX}.${id}.${expiresAt}.${subj}.${this.mac(id, expiresAt, subject).toString("base64url")}`;
    return { token, id, subject, expiresAt };
  }

  issue(p: Principal, o: { ttlS?: number; note?: string } = {}): string {
    return this.issueToken(p, o).token;
  }

  /** The principal a token stands for, or undefined when malformed, forged, expired or revoked. */
  verify(token: string): Principal | undefined {
    if (token.length > TOKEN_CHARS_MAX) return undefined;
    const parts = token.split(".");
    if (parts.length !== 5 || parts[0] !== PREFIX || !/^\d{1,12}$/.test(parts[2]!)) return undefined;
    const [, id, exp, subj, mac] = parts as [string, string, string, string, string];
    const expiresAt = Number(exp);
    const subject = Buffer.from(subj, "base64url").toString("utf8");
    const given = Buffer.from(mac, "base64url");
    const expected = this.mac(id, expiresAt, subject);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
    if (this.now() >= expiresAt) return undefined;
    if (!this.register.isGood(id)) return undefined;
    return principalOf(subject);
  }

  /** The principal behind a request's `Authorization: Bearer …` header (401 otherwise). */
  authenticate(req: IncomingMessage): Principal {
    const header = req.headers.authorization;
    if (header === undefined) throw new HttpError(401, "missing Authorization: Bearer <token> header");
    const m = /^Bearer\s+(\S+)$/i.exec(header);
    if (m === null) throw new HttpError(401, "Authorization header must be 'Bearer <token>'");
    const p = this.verify(m[1]!);
    if (p === undefined) throw new HttpError(401, "invalid, expired or revoked token");
    return p;
  }

  private mac(id: string, expiresAt: number, subject: string): Buffer {
    return createHmac("sha256", this.secret)
      .update(`offtap-api-token-v2\u0000${id}\u0000${expiresAt}\u0000${subject}`).digest();
  }
}

export function subjectOf(p: Principal): string {
  if (p.role === "operator") return "operator";
  if (p.ownerId.length === 0 || p.ownerId.length > OWNER_ID_CHARS_MAX) throw new RangeError("owner id must be 1…128 characters");
  return `owner:${p.ownerId}`;
}

export function principalOf(subject: string): Principal | undefined {
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
