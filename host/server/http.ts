// The HTTP edge: reading bounded request bodies, content-type rules and JSON replies.
// Every expected failure is an HttpError with a status and a message the caller can act
// on; anything else that escapes a handler is a bug and answers 500.
import type { IncomingMessage, ServerResponse } from "node:http";

/** A reader batch file is a few KiB per 100 records; 8 MiB holds any ledger (448 records)
 *  many times over and bounds what one request can make the server buffer. */
export const BATCH_BODY_BYTES_MAX = 8 * 1024 * 1024;
/** JSON requests are small forms (a quote, a confirmation code). */
export const JSON_BODY_BYTES_MAX = 64 * 1024;

export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly code = codeFor(status),
    /** Extra fields of the error object, beside status, code and message. */
    readonly detail: Record<string, number | string> = {},
  ) {
    super(message);
  }
}

function codeFor(status: number): string {
  switch (status) {
    case 400:
      return "bad_request";
    case 401:
      return "unauthorized";
    case 403:
      return "forbidden";
    case 404:
      return "not_found";
    case 405:
      return "method_not_allowed";
    case 409:
      return "conflict";
    case 413:
      return "too_large";
    case 415:
      return "unsupported_media_type";
    case 422:
      return "unprocessable";
    default:
      return status >= 500 ? "internal" : "error";
  }
}

/** The media type without parameters, lower case ("application/json; charset=utf-8" → "application/json"). */
export function mediaType(req: IncomingMessage): string {
  return (req.headers["content-type"] ?? "").split(";")[0]!.trim().toLowerCase();
}

/** Reads the whole body, refusing more than `maxBytes` (413) before buffering it. */
export async function readBody(req: IncomingMessage, maxBytes: number): Promise<Uint8Array> {
  const declared = Number(req.headers["content-length"] ?? "NaN");
  if (Number.isFinite(declared) && declared > maxBytes)
    throw new HttpError(413, `request body of ${declared} bytes exceeds the limit of ${maxBytes}`);
  const parts: Buffer[] = [];
  let total = 0;
  for await (const chunk of req) {
    const b = chunk as Buffer;
    total += b.length;
    if (total > maxBytes)
      throw new HttpError(413, `request body exceeds the limit of ${maxBytes} bytes`);
    parts.push(b);
  }
  return new Uint8Array(Buffer.concat(parts));
}

/** State-changing JSON endpoints require `Content-Type: application/json`. A browser
 *  cannot send that cross-origin without a CORS preflight, which this server never
 *  grants, so a forged form post from another site is refused here (CSRF). */
export async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  if (mediaType(req) !== "application/json")
    throw new HttpError(415, "send the request body as Content-Type: application/json");
  const bytes = await readBody(req, JSON_BODY_BYTES_MAX);
  const text = new TextDecoder().decode(bytes).trim();
  if (text === "") return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new HttpError(
      400,
      `request body is not valid JSON: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
  if (value === null || typeof value !== "object" || Array.isArray(value))
    throw new HttpError(400, "request body must be a JSON object");
  return value as Record<string, unknown>;
}

const SECURITY_HEADERS: Record<string, string> = {
  "x-content-type-options": "nosniff",
  "x-frame-options": "DENY",
  "referrer-policy": "no-referrer",
  "cache-control": "no-store",
};

export function send(
  res: ServerResponse,
  status: number,
  body: string | Uint8Array,
  contentType: string,
  extra: Record<string, string> = {},
): void {
  const bytes =
    typeof body === "string"
      ? Buffer.from(body, "utf8")
      : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  res.writeHead(status, {
    ...SECURITY_HEADERS,
    "content-type": contentType,
    "content-length": String(bytes.length),
    ...extra,
  });
  res.end(bytes);
}

/** JSON replies; bigint values (amounts in minor units may be bigint in storage) become numbers or strings. */
export function sendJson(res: ServerResponse, status: number, value: unknown): void {
  send(res, status, JSON.stringify(value, jsonReplacer), "application/json; charset=utf-8");
}

export function jsonReplacer(_key: string, v: unknown): unknown {
  if (typeof v === "bigint") return Number.isSafeInteger(Number(v)) ? Number(v) : v.toString();
  if (v instanceof Uint8Array) return Buffer.from(v).toString("hex");
  if (v instanceof Date) return v.toISOString();
  return v;
}

export function sendError(res: ServerResponse, err: HttpError): void {
  const error = { ...err.detail, status: err.status, code: err.code, message: err.message };
  sendJson(res, err.status, { error });
}

// ---- input validation helpers: each names the field and what it must be ----

export function requireString(
  body: Record<string, unknown>,
  field: string,
  pattern?: RegExp,
  maxChars = 200,
): string {
  const v = body[field];
  if (typeof v !== "string" || v.length === 0)
    throw new HttpError(400, `'${field}' is required and must be a non-empty string`);
  if (v.length > maxChars) throw new HttpError(400, `'${field}' is at most ${maxChars} characters`);
  if (pattern !== undefined && !pattern.test(v))
    throw new HttpError(400, `'${field}' has the wrong format (expected ${pattern.source})`);
  return v;
}

export function optionalString(
  body: Record<string, unknown>,
  field: string,
  maxChars = 200,
): string | undefined {
  if (body[field] === undefined || body[field] === null) return undefined;
  return requireString(body, field, undefined, maxChars);
}

/** A positive whole amount in minor units (cents), as a JSON number or a digit string. */
export function requireAmount(body: Record<string, unknown>, field: string): number {
  const v = body[field];
  const n = typeof v === "string" && /^\d{1,15}$/.test(v) ? Number(v) : v;
  if (typeof n !== "number" || !Number.isSafeInteger(n) || n <= 0) {
    throw new HttpError(
      400,
      `'${field}' must be a positive whole number of minor units (e.g. cents), got ${JSON.stringify(v)}`,
    );
  }
  return n;
}

export function queryInt(
  url: URL,
  name: string,
  fallback: number,
  min: number,
  max: number,
): number {
  const raw = url.searchParams.get(name);
  if (raw === null) return fallback;
  if (!/^\d{1,9}$/.test(raw))
    throw new HttpError(400, `query parameter '${name}' must be a whole number, got '${raw}'`);
  const n = Number(raw);
  if (n < min || n > max)
    throw new HttpError(
      400,
      `query parameter '${name}' must be between ${min} and ${max}, got ${n}`,
    );
  return n;
}
