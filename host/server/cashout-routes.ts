// Cash-out endpoints (docs/SERVER.md, docs/CASHOUT.md): a fee quote before anything is
// committed, a request that holds the amount, a TOTP confirmation that releases it, a
// cancel that voids the hold, and each cash-out's status timeline. Moving money is for
// the owner's own token only: the operator may look, not act for an owner.
import {
  HttpError,
  readJson,
  requireAmount,
  requireString,
  optionalString,
  sendJson,
  queryInt,
} from "./http.ts";
import type { Principal } from "./auth.ts";
import type { Router } from "./router.ts";
import type { CashoutPort, ServerContext } from "./context.ts";

/** Digits and spaces ("123 456", as authenticator apps show a code). */
const TOTP_CODE = /^[\d ]+$/;
const TOTP_CODE_CHARS_MAX = 16;
const OWNER_ID = /^[A-Za-z0-9_.:-]{1,128}$/;
/** The dashboard lists recent cash-outs; 200 bounds one response. */
export const CASHOUTS_LIMIT_MAX = 200;

export function cashoutRoutes(r: Router, s: ServerContext): void {
  const port = (): CashoutPort => {
    if (s.cashout === undefined)
      throw new HttpError(503, "cash-out is not configured on this server", "unavailable");
    return s.cashout;
  };

  r.add("GET", "/api/me", async ({ req, res }) => {
    const p = s.auth(req);
    const clock = { name: s.clock.name, now: new Date(s.clock.now()).toISOString() };
    if (p.role === "operator") {
      const owners = s.cashout === undefined ? [] : await s.cashout.owners();
      sendJson(res, 200, { role: "operator", owners, clock });
      return;
    }
    const owner = await port().owner(p.ownerId);
    if (owner === undefined) throw new HttpError(404, `owner ${p.ownerId} is not registered`);
    sendJson(res, 200, { role: "owner", owner, clock });
  });

  r.add("POST", "/api/cashouts/quote", async ({ req, res }) => {
    const p = s.auth(req);
    const body = await readJson(req);
    const ownerId = p.role === "owner" ? p.ownerId : requireString(body, "ownerId", OWNER_ID);
    if (p.role === "owner" && body["ownerId"] !== undefined && body["ownerId"] !== p.ownerId) {
      throw new HttpError(403, "an owner's token quotes for that owner's own account only");
    }
    sendJson(res, 200, await port().quote(ownerId, requireAmount(body, "amount")));
  });

  r.add("POST", "/api/cashouts", async ({ req, res }) => {
    const ownerId = ownerOnly(s.auth(req));
    const body = await readJson(req);
    const amount = requireAmount(body, "amount");
    const bankAccountId = optionalString(body, "bankAccountId", 128);
    sendJson(res, 201, await port().request(ownerId, amount, bankAccountId));
  });

  r.add("GET", "/api/cashouts", async ({ req, res, url }) => {
    const p = s.auth(req);
    const limit = queryInt(url, "limit", 20, 1, CASHOUTS_LIMIT_MAX);
    sendJson(res, 200, {
      cashouts: await port().list(p.role === "owner" ? p.ownerId : undefined, limit),
    });
  });

  r.add("GET", "/api/cashouts/:id", async ({ req, res, params }) => {
    const p = s.auth(req);
    const c = await port().get(params["id"]!);
    // Someone else's cash-out answers exactly like a missing one: ids are not an oracle.
    if (c === undefined || (p.role === "owner" && c.ownerId !== p.ownerId))
      throw new HttpError(404, `no cash-out ${params["id"]!}`);
    sendJson(res, 200, c);
  });

  r.add("POST", "/api/cashouts/:id/confirm", async ({ req, res, params }) => {
    const ownerId = ownerOnly(s.auth(req));
    const body = await readJson(req);
    // Any short text reaches cash-out, which tells a mistyped code (wrong length: not
    // counted) from a wrong one (counted, with the tries left).
    const code = requireString(body, "code", TOTP_CODE, TOTP_CODE_CHARS_MAX);
    sendJson(res, 200, await port().confirm(ownerId, params["id"]!, code));
  });

  r.add("POST", "/api/cashouts/:id/cancel", async ({ req, res, params }) => {
    const ownerId = ownerOnly(s.auth(req));
    await readJson(req); // enforces the JSON content type (CSRF) even without a body
    sendJson(res, 200, await port().cancel(ownerId, params["id"]!));
  });
}

function ownerOnly(p: Principal): string {
  if (p.role !== "owner")
    throw new HttpError(403, "cash-outs are requested and confirmed with the owner's own token");
  return p.ownerId;
}
