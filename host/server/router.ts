// A small route table: method + path pattern (`/api/cashouts/:id/confirm`) → handler.
// Patterns are matched segment by segment; a path that matches a pattern under another
// method answers 405 with an Allow header, as HTTP asks.
import type { IncomingMessage, ServerResponse } from "node:http";
import { HttpError } from "./http.ts";

export interface RouteContext {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  params: Record<string, string>;
}

export type Handler = (ctx: RouteContext) => Promise<void>;

interface Route { method: string; segments: string[]; handler: Handler }

/** Path parameters are short identifiers; anything longer or odder is refused before a handler sees it. */
const PARAM_PATTERN = /^[A-Za-z0-9_.:-]{1,128}$/;

export class Router {
  private readonly routes: Route[] = [];

  add(method: string, pattern: string, handler: Handler): this {
    this.routes.push({ method, segments: pattern.split("/").filter((s) => s !== ""), handler });
    return this;
  }

  /** The handler and parameters for a request, or an HttpError (404 / 405 / 400). */
  match(method: string, pathname: string): { handler: Handler; params: Record<string, string> } {
    const parts = pathname.split("/").filter((s) => s !== "");
    const allowed: string[] = [];
    for (const r of this.routes) {
      const params = matchSegments(r.segments, parts);
      if (params === undefined) continue;
      if (r.method === method || (method === "HEAD" && r.method === "GET")) return { handler: r.handler, params };
      allowed.push(r.method);
    }
    if (allowed.length > 0) throw new MethodNotAllowed(allowed);
    throw new HttpError(404, `no such endpoint: ${method} ${pathname}`);
  }
}

export class MethodNotAllowed extends HttpError {
  constructor(readonly allowed: string[]) {
    super(405, `method not allowed here; use ${allowed.join(", ")}`);
  }
}

function matchSegments(pattern: string[], parts: string[]): Record<string, string> | undefined {
  if (pattern.length !== parts.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < pattern.length; i++) {
    const p = pattern[i]!;
    let part: string;
    try { part = decodeURIComponent(parts[i]!); } catch { return undefined; }
    if (p.startsWith(":")) {
      if (!PARAM_PATTERN.test(part)) return undefined;
      params[p.slice(1)] = part;
    } else if (p !== part) {
      return undefined;
    }
  }
  return params;
}
