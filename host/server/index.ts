// The offtap HTTP API and dashboard server (docs/SERVER.md): node:http, JSON in and
// out, bearer tokens, bound to 127.0.0.1 unless told otherwise.
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Clearing } from "../clearing/index.ts";
import { TokenAuthority } from "./auth.ts";
import { HttpError, send, sendError } from "./http.ts";
import { Router, MethodNotAllowed } from "./router.ts";
import { clearingRoutes } from "./clearing-routes.ts";
import { cashoutRoutes } from "./cashout-routes.ts";
import { CashoutRefused, type CashoutPort, type ServerContext } from "./context.ts";
import { CONTENT_SECURITY_POLICY, loadStaticFiles } from "./static.ts";

export { TokenAuthority, type Principal } from "./auth.ts";
export type { CashoutPort, OwnerView, QuoteView, CashoutView } from "./context.ts";

export interface ServerOptions {
  clearing: Clearing;
  cashout?: CashoutPort;
  tokens: TokenAuthority;
  /** Default 127.0.0.1: the API is for this machine unless an operator opens it on purpose. */
  host?: string;
  /** Default 0: an ephemeral port (tests). */
  port?: number;
  /** Called for every 5xx with the error (logging); default writes to stderr. */
  onError?: (err: unknown) => void;
}

export interface RunningServer {
  server: Server;
  /** http://host:port */
  url: string;
  close(): Promise<void>;
}

export const DEFAULT_HOST = "127.0.0.1";

export function buildHandler(o: ServerOptions): (req: IncomingMessage, res: ServerResponse) => void {
  const cashout = o.cashout;
  const ctx: ServerContext = {
    clearing: o.clearing,
    cashout,
    auth: (req) => o.tokens.authenticate(req),
    ownerAccountIds: async (ownerId) => {
      const owner = cashout === undefined ? undefined : await cashout.owner(ownerId);
      return new Set(owner === undefined ? [] : [owner.accountId]);
    },
    ownerOperatorId: async (ownerId) => (cashout === undefined ? undefined : (await cashout.owner(ownerId))?.operatorId),
  };
  const router = new Router();
  clearingRoutes(router, ctx);
  cashoutRoutes(router, ctx);
  const files = loadStaticFiles();
  const onError = o.onError ?? ((err: unknown): void => { console.error("offtap serve: internal error:", err); });

  return (req, res) => {
    const url = new URL(req.url ?? "/", "http://localhost");
    const method = req.method ?? "GET";
    const file = files.get(url.pathname);
    if (file !== undefined && (method === "GET" || method === "HEAD")) {
      send(res, 200, file.body, file.contentType, { "content-security-policy": CONTENT_SECURITY_POLICY });
      return;
    }
    // A refused request may leave its body unread: node:http discards it once the
    // response has finished, so keep-alive connections stay usable.
    void (async (): Promise<void> => {
      try {
        const { handler, params } = router.match(method, url.pathname);
        await handler({ req, res, url, params });
      } catch (err) {
        if (res.headersSent) { res.destroy(); return; }
        if (err instanceof MethodNotAllowed) { res.setHeader("allow", err.allowed.join(", ")); sendError(res, err); return; }
        if (err instanceof HttpError) {
          // An oversized body is not worth draining: answer and close the connection.
          if (err.status === 413) res.setHeader("connection", "close");
          sendError(res, err);
          return;
        }
        if (err instanceof CashoutRefused) { sendError(res, new HttpError(err.status, err.message, err.code)); return; }
        onError(err);
        sendError(res, new HttpError(500, "internal error; the server log has the details"));
      }
    })();
  };
}

export async function startServer(o: ServerOptions): Promise<RunningServer> {
  const server = createHttpServer(buildHandler(o));
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
