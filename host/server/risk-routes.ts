// The risk model over HTTP (docs/SERVER.md, docs/CLEARING.md §7a): suspect readers and
// the evidence against them, the operator's decision, issuer-risk holds. Operator only.
import { HttpError, optionalString, readJson, requireString, sendJson } from "./http.ts";
import { requireOperator } from "./auth.ts";
import type { Router } from "./router.ts";
import { currencyLabel } from "../money/index.ts";
import type { ServerContext } from "./context.ts";

const READER_ID = /^[0-9a-f]{16}$|^[0-9a-f]{32}$/;
const NOTE_CHARS_MAX = 500;

export function riskRoutes(r: Router, s: ServerContext): void {
  const c = s.clearing;

  r.add("GET", "/api/readers/suspect", async ({ req, res }) => {
    requireOperator(s.auth(req));
    sendJson(res, 200, { readers: await c.suspectReaders() });
  });

  r.add("POST", "/api/readers/:readerId/decision", async ({ req, res, params }) => {
    requireOperator(s.auth(req));
    const id = params["readerId"]!.toLowerCase();
    if (!READER_ID.test(id)) throw new HttpError(400, "reader id must be 8 or 16 bytes of hex");
    const body = await readJson(req);
    const decision = requireString(body, "decision", /^(release|reject)$/);
    const note = optionalString(body, "note", NOTE_CHARS_MAX) ?? "";
    const out = await c.decideReader(id, decision as "release" | "reject", note);
    if (!out.ok) throw new HttpError(out.error === "READER_NOT_FOUND" ? 404 : 409, out.message);
    sendJson(res, 200, out);
  });

  r.add("GET", "/api/risk/holds", async ({ req, res }) => {
    requireOperator(s.auth(req));
    const holds = await c.riskHolds();
    const shown = holds.map((h) => ({ ...h, currency: currencyLabel(h.currency) }));
    sendJson(res, 200, { holds: shown });
  });
}
