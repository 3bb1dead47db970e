// Malformed requests: what the server says to the client and writes to its log.
// node:http refuses a broken request line, header or framing before any handler runs
// ('clientError'); the handler refuses a target it cannot parse. Both answer 400 (431
// for oversized headers) and write one bounded, printable log line — attacker bytes
// never reach the log unescaped.
import type { Server } from "node:http";
import type { Socket } from "node:net";

/** Longer targets are refused before parsing; node already caps the header block (16 KiB). */
export const REQUEST_TARGET_CHARS_MAX = 8 * 1024;
/** A log line quotes at most this much of what the client sent. */
export const LOG_QUOTE_CHARS_MAX = 120;

export function defaultClientErrorLog(line: string): void {
  console.error(line);
}

/** `offtap serve: 400 from 127.0.0.1: <why> (GET "/x")`, printable ASCII only. */
export function clientErrorLine(
  remote: string | undefined,
  why: string,
  method?: string,
  target?: string,
): string {
  const what =
    method === undefined && target === undefined
      ? ""
      : ` (${quote(method ?? "")} ${quote(target ?? "")})`;
  return `offtap serve: 400 from ${quote(remote ?? "?")}: ${quote(why)}${what}`;
}

function quote(s: string): string {
  const cut = s.slice(0, LOG_QUOTE_CHARS_MAX).replace(/[^\x20-\x7e]|\\/g, (c) => `\\x${hex(c)}`);
  return s.length > LOG_QUOTE_CHARS_MAX ? `${cut}...` : cut;
}

function hex(c: string): string {
  return c.charCodeAt(0).toString(16).padStart(2, "0");
}

interface ParserError extends Error {
  code?: string;
}

/** Answers a request node:http could not parse and logs it; never throws. */
export function installClientErrorHandler(server: Server, log: (line: string) => void): void {
  server.on("clientError", (err: ParserError, socket: Socket) => {
    try {
      const code = err.code ?? "ERR";
      if (code !== "ECONNRESET") {
        log(clientErrorLine(socket.remoteAddress, `${code}: ${err.message}`));
      }
      if (!socket.writable || code === "ECONNRESET") {
        socket.destroy();
        return;
      }
      const status =
        code === "HPE_HEADER_OVERFLOW" ? "431 Request Header Fields Too Large" : "400 Bad Request";
      const message = "malformed HTTP request";
      const error = { status: Number(status.slice(0, 3)), code: "bad_request", message };
      const body = JSON.stringify({ error });
      socket.end(
        `HTTP/1.1 ${status}\r\nconnection: close\r\n` +
          "content-type: application/json; charset=utf-8\r\n" +
          `content-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
      );
    } catch {
      socket.destroy();
    }
  });
}
