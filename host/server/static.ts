// Serves the dashboard (host/web/) — a fixed list of files read once at start-up, so no
// request path ever reaches the file system.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { join } from "node:path";

export const WEB_DIR = fileURLToPath(new URL("../web/", import.meta.url));

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".svg": "image/svg+xml",
};

/** The dashboard's files: URL path → file name in host/web/. */
const FILES: Record<string, string> = {
  "/": "index.html",
  "/index.html": "index.html",
  "/app.js": "app.js",
  "/style.css": "style.css",
};

export interface StaticFile { body: Uint8Array; contentType: string }

export function loadStaticFiles(dir: string = WEB_DIR): Map<string, StaticFile> {
  const out = new Map<string, StaticFile>();
  for (const [path, name] of Object.entries(FILES)) {
    const ext = name.slice(name.lastIndexOf("."));
    out.set(path, { body: new Uint8Array(readFileSync(join(dir, name))), contentType: TYPES[ext] ?? "application/octet-stream" });
  }
  return out;
}

/** The page loads only its own scripts and styles and talks only to its own origin. */
export const CONTENT_SECURITY_POLICY =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'none'; frame-ancestors 'none'; base-uri 'none'";
