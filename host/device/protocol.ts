// The device test-mode serial protocol (boards/TESTMODE.md), as data: request and response
// line formats, limits and timeouts. Both the host client and the device emulator use it.
// Protocol 2 (boards/CONSOLE.md, the board runtime's console) seals every line with a
// CRC-32: "<body> ~<8 hex digits>"; a board speaking protocol 1 answers unsealed lines.
import { crc32 } from "node:zlib";

export const TESTMODE_PROTOCOL_VERSION = 1;
/** The board runtime's console protocol: protocol 1's lines, each sealed with a CRC-32. */
export const CONSOLE_PROTOCOL_VERSION = 2;
const SEAL = / ~([0-9a-f]{8})$/;

/** "<body> ~<crc32 of body, 8 lower-case hex digits>" (boards/CONSOLE.md). */
export function sealLine(body: string): string {
  const crc = crc32(Buffer.from(body, "latin1")) >>> 0;
  return `${body} ~${crc.toString(16).padStart(8, "0")}`;
}

/** A received line without its seal: `sealed` false for an unsealed (protocol 1) line,
 *  null when the seal does not match (a damaged line, to be ignored). */
export function openLine(line: string): { body: string; sealed: boolean } | null {
  const m = SEAL.exec(line);
  if (m === null) return { body: line, sealed: false };
  const body = line.slice(0, line.length - 10);
  const crc = crc32(Buffer.from(body, "latin1")) >>> 0;
  return crc === parseInt(m[1]!, 16) ? { body, sealed: true } : null;
}
/** Longest request or response line in bytes, LF excluded: the longest selftest line
 *  (SELFTEST_LINE_BYTES_MAX = 8,448 bytes, a verify of a 4,096-byte message) plus
 *  "<seq> selftest " (at most 16 bytes), rounded up. Tap-script lines are ≤ 2,048 bytes. */
export const TESTMODE_LINE_BYTES_MAX = 8480;
/** Sequence numbers run 1 … SEQ_MAX and wrap; 0 is the board's unsolicited `ready`. */
export const SEQ_MAX = 999_999;
export const DEFAULT_BAUD = 115_200;

/** How long the host waits for a request's terminal line. A tap on an ESP32 takes ~0.3 s and
 *  a sign ~0.5 s under WASM3; these leave an order of magnitude for a slow board. */
export const TIMEOUT_MS = {
  identify: 3_000, selftest: 10_000, tapLine: 15_000, session: 5_000,
} as const;

export const ERROR_CODES = [
  "unknown-command", "bad-request", "line-too-long", "no-session", "script", "internal",
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

export interface Request { seq: number; command: string; rest: string }

/** Parses "<seq> <command>[ <rest>]"; null when the line is not a request. */
export function parseRequest(line: string): Request | null {
  const m = /^(\d{1,6}) ([a-z-]+)(?: (.*))?$/.exec(line);
  if (!m) return null;
  const seq = Number(m[1]);
  if (seq < 1 || seq > SEQ_MAX) return null;
  return { seq, command: m[2]!, rest: m[3] ?? "" };
}

export type Response =
  | { seq: number; kind: "out"; text: string }
  | { seq: number; kind: "ok"; text: string }
  | { seq: number; kind: "err"; code: string; text: string };

/** Parses a board line; null for anything else (boot chatter, `#` logs). */
export function parseResponse(line: string): Response | null {
  const m = /^(\d{1,6}) (>|ok|err)(?: (.*))?$/.exec(line);
  if (!m) return null;
  const seq = Number(m[1]);
  const text = m[3] ?? "";
  if (m[2] === ">") return { seq, kind: "out", text };
  if (m[2] === "ok") return { seq, kind: "ok", text };
  const sp = text.indexOf(" ");
  const code = sp < 0 ? text : text.slice(0, sp);
  return { seq, kind: "err", code, text: sp < 0 ? "" : text.slice(sp + 1) };
}

export interface Identity {
  board: string;
  abi: number;
  firmwareSha256: string;
  protocol: number;
  lineMax: number;
}

/** Parses identify's "board=… abi=… firmware=… protocol=… line-max=…". */
export function parseIdentity(text: string): Identity {
  const pair = (f: string): [string, string] => {
    const eq = f.indexOf("=");
    return [f.slice(0, eq), f.slice(eq + 1)];
  };
  const fields = new Map(text.split(" ").filter((f) => f.includes("=")).map(pair));
  const need = (k: string): string => {
    const v = fields.get(k);
    if (v === undefined || v === "") throw new Error(`identify answer lacks ${k}= (got "${text}")`);
    return v;
  };
  const num = (k: string): number => {
    const v = Number(need(k));
    if (!Number.isInteger(v) || v < 0) {
      throw new Error(`identify answer: ${k} is not a number (got "${fields.get(k)}")`);
    }
    return v;
  };
  const firmwareSha256 = need("firmware");
  if (!/^[0-9a-f]{64}$/.test(firmwareSha256)) {
    throw new Error(`identify answer: firmware= must be 64 hex digits (got "${firmwareSha256}")`);
  }
  return {
    board: need("board"), abi: num("abi"), firmwareSha256, protocol: num("protocol"),
    lineMax: num("line-max"),
  };
}
