// The offtap HTTP API and dashboard server (docs/SERVER.md): node:http, JSON in and
// out, bearer tokens, bound to 127.0.0.1 unless told otherwise.
import {
  createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse,
} from "node:http";
import type { AddressInfo } from "node:net";
import type { Clearing } from "../clearing/index.ts";
import { TokenAuthority } from "./auth.ts";
import { HttpError, send, sendError } from "./http.ts";
import {
  clientErrorLine, defaultClientErrorLog, installClientErrorHandler, REQUEST_TARGET_CHARS_MAX,
} from "./client-error.ts";
import { Router, MethodNotAllowed } from "./router.ts";
import { clearingRoutes } from "./clearing-routes.ts";
import { cashoutRoutes } from "./cashout-routes.ts";
import { riskRoutes } from "./risk-routes.ts";
import {
  CashoutRefused, WALL_CLOCK, type CashoutPort, type ServerClock, type ServerContext,
} from "./context.ts";
import { CONTENT_SECURITY_POLICY, loadStaticFiles } from "./static.ts";

export { TokenAuthority, type Principal } from "./auth.ts";
export type { CashoutPort, OwnerView, QuoteView, CashoutView, ServerClock } from "./context.ts";

export interface ServerOptions {
  clearing: Clearing;
  cashout?: CashoutPort;
  tokens: TokenAuthority;
  /** Default: the wall clock. The demo passes its simulated clock (docs/SERVER.md). */
  clock?: ServerClock;
  /** Default 127.0.0.1: the API is for this machine unless an operator opens it on purpose. */
  host?: string;
  /** Default 0: an ephemeral port (tests). */
  port?: number;
  /** Called for every 5xx with the error (logging); default writes to stderr. */
  onError?: (err: unknown) => void;
  /** Called with one line for every malformed request (400, or refused by the HTTP
   *  parser); default writes it to stderr. */
  onClientError?: (line: string) => void;
}

export interface RunningServer {
  server: Server;
  /** http://host:port */
  url: string;
  close(): Promise<void>;
}

export const DEFAULT_HOST = "127.0.0.1";

export function buildHandler(
  o: ServerOptions,
): (req: IncomingMessage, res: ServerResponse) => void {
  const cashout = o.cashout;
  const ctx: ServerContext = {
    clearing: o.clearing,
    clock: o.clock ?? WALL_CLOCK,
    cashout,
    auth: (req) => o.tokens.authenticate(req),
    ownerAccountIds: async (ownerId) => {
      const owner = cashout === undefined ? undefined : await cashout.owner(ownerId);
      return new Set(owner === undefined ? [] : [owner.accountId]);
    },
    ownerOperatorId: async (ownerId) =>
      (cashout === undefined ? undefined : (await cashout.owner(ownerId))?.operatorId),
  };
  const router = new Router();
  clearingRoutes(router, ctx);
  cashoutRoutes(router, ctx);
  riskRoutes(router, ctx);
  const files = loadStaticFiles();
  const onError = o.onError
    ?? ((err: unknown): void => { console.error("offtap serve: internal error:", err); });

  const onClientError = o.onClientError ?? defaultClientErrorLog;

  return (req, res) => {
    // Everything a request can make throw — its target, its method, a handler, the
    // reply itself — runs inside this try: a request may fail, the server may not.
    void (async (): Promise<void> => {
      try {
        const method = req.method ?? "GET";
        const url = requestUrl(req.url);
        const file = files.get(url.pathname);
        if (file !== undefined && (method === "GET" || method === "HEAD")) {
          const csp = { "content-security-policy": CONTENT_SECURITY_POLICY };
          send(res, 200, file.body, file.contentType, csp);
          return;
        }
        // A refused request may leave its body unread: node:http discards it once the
        // response has finished, so keep-alive connections stay usable.
        const { handler, params } = router.match(method, url.pathname);
        await handler({ req, res, url, params });
      } catch (err) {
        try {
          answerFailure(req, res, err, onError, onClientError);
        } catch (fatal) {
          onError(fatal);
          res.destroy();
        }
      }
    })();
  };
}

/** The request target as a URL on this server. Only origin-form targets ("/path?query")
 *  are served; anything else ("//[", "*", "http://x/", "") is a 400, never an exception. */
export function requestUrl(target: string | undefined): URL {
  if (target === undefined || !target.startsWith("/") || target.length > REQUEST_TARGET_CHARS_MAX) {
    throw new HttpError(400, "request target must be a path starting with '/'");
  }
  if (!TARGET_PATTERN.test(target)) {
    throw new HttpError(400, "request target has characters outside RFC 3986 or a broken %-escape");
  }
  // Prefixing the origin makes "//host/…" a path, not a host: the target is never
  // parsed as an authority.
  try {
    return new URL(`http://localhost${target}`);
  } catch {
    throw new HttpError(400, "request target is not a valid path");
  }
}

/** RFC 3986 origin-form: path and query characters, %-escapes of two hex digits. */
const TARGET_PATTERN = /^\/(?:[A-Za-z0-9\-._~!$&'()*+,;=:@/?]|%[0-9A-Fa-f]{2})*$/;

function isClientGone(err: unknown, req: IncomingMessage): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === "ECONNRESET" || code === "ERR_STREAM_PREMATURE_CLOSE" || req.socket.destroyed;
}

function answerFailure(
  req: IncomingMessage, res: ServerResponse, err: unknown,
  onError: (err: unknown) => void, onClientError: (line: string) => void,
): void {
  // The client went away mid-request (aborted body): nobody is left to answer.
  if (isClientGone(err, req)) { res.destroy(); return; }
  if (res.headersSent) { onError(err); res.destroy(); return; }
  if (err instanceof MethodNotAllowed) {
    res.setHeader("allow", err.allowed.join(", "));
    sendError(res, err);
    return;
  }
  if (err instanceof HttpError) {
    if (err.status === 400) {
      onClientError(clientErrorLine(req.socket.remoteAddress, err.message, req.method, req.url));
    }
    // An oversized body is not worth draining: answer and close the connection.
    if (err.status === 413) res.setHeader("connection", "close");
    sendError(res, err);
    return;
  }
  if (err instanceof CashoutRefused) {
    sendError(res, new HttpError(err.status, err.message, err.code, err.detail));
    return;
  }
  onError(err);
  sendError(res, new HttpError(500, "internal error; the server log has the details"));
}

export async function startServer(o: ServerOptions): Promise<RunningServer> {
  const server = createHttpServer(buildHandler(o));
  installClientErrorHandler(server, o.onClientError ?? defaultClientErrorLog);
  // Bounded waits: a client that stalls cannot hold a connection for ever.
  server.requestTimeout = 30_000;
  server.headersTimeout = 10_000;
  server.keepAliveTimeout = 5_000;
  const host = o.host ?? DEFAULT_HOST;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(o.port ?? 0, host, () => { server.off("error", reject); resolve(); });
  });
  const addr = server.address() as AddressInfo;
  const shownHost = addr.family === "IPv6" ? `[${addr.address}]` : addr.address;
  return {
    server,
    url: `http://${shownHost}:${addr.port}`,
    close: () => new Promise<void>((resolve, reject) => {
      server.closeAllConnections();
      server.close((err) => (err ? reject(err) : resolve()));
    }),
  };
}
