// Clearing endpoints: batch upload, balances, payments, flagged items, deny list,
// acknowledgements and the CSV history (docs/SERVER.md).
import type { Clearing, IngestReport } from "../clearing/index.ts";
import { VIEW_OFFSET_MAX } from "../clearing/queries.ts";
import {
  HttpError,
  BATCH_BODY_BYTES_MAX,
  mediaType,
  readBody,
  send,
  sendJson,
  queryInt,
} from "./http.ts";
import { requireOperator, type Principal } from "./auth.ts";
import type { Router } from "./router.ts";
import { currencyLabel } from "../money/index.ts";
import { reportCurrency } from "../clearing/report-currency.ts";
import type { ServerContext } from "./context.ts";

/** A dashboard page shows tens of rows; 1,000 bounds one response. */
export const PAYMENTS_LIMIT_MAX = 1_000;
export const PAYMENTS_LIMIT_DEFAULT = 50;

export function clearingRoutes(r: Router, s: ServerContext): void {
  const c: Clearing = s.clearing;

  r.add("POST", "/api/batches", async ({ req, res }) => {
    requireOperator(s.auth(req));
    const type = mediaType(req);
    if (type !== "application/octet-stream")
      throw new HttpError(415, "upload a batch file as Content-Type: application/octet-stream");
    const bytes = await readBody(req, BATCH_BODY_BYTES_MAX);
    if (bytes.length === 0)
      throw new HttpError(400, "empty upload: send the reader's exported batch file");
    let report: IngestReport;
    try {
      report = await c.ingest(bytes);
    } catch (err) {
      // Clearing throws only for bytes that are not batches at all (docs/CLEARING.md §4),
      // and the batch codec says so with a RangeError; anything else is a server fault.
      if (err instanceof RangeError) throw new HttpError(422, `not a batch file: ${err.message}`);
      throw err;
    }
    const code = await reportCurrency(c, report);
    sendJson(res, 200, { ...report, currency: code === undefined ? null : currencyLabel(code) });
  });

  r.add("GET", "/api/balances", async ({ req, res }) => {
    const p = s.auth(req);
    const all = await c.accounts();
    const own = p.role === "owner" ? await s.ownerAccountIds(p.ownerId) : undefined;
    const visible = own === undefined ? all : all.filter((a) => own.has(a.id));
    const inv = p.role === "operator" ? await c.checkInvariants() : undefined;
    sendJson(res, 200, {
      accounts: visible.map((a) => ({
        id: a.id,
        code: a.code,
        name: a.name,
        currency: currencyLabel(a.currency),
        balance: a.balance,
        available: a.available,
        pending: a.debitsPending,
      })),
      ...(inv === undefined
        ? {}
        : {
            balancesSumToZero: inv.ok,
            sums: inv.sums.map((x) => ({ ...x, currency: currencyLabel(x.currency) })),
          }),
    });
  });

  r.add("GET", "/api/payments", async ({ req, res, url }) => {
    const p = s.auth(req);
    const limit = queryInt(url, "limit", PAYMENTS_LIMIT_DEFAULT, 1, PAYMENTS_LIMIT_MAX);
    const offset = queryInt(url, "offset", 0, 0, VIEW_OFFSET_MAX);
    const operatorId = p.role === "owner" ? await s.ownerOperatorId(p.ownerId) : undefined;
    if (p.role === "owner" && operatorId === undefined) {
      sendJson(res, 200, { payments: [], total: 0, limit, offset });
      return;
    }
    const filter = { limit, offset, ...(operatorId === undefined ? {} : { operatorId }) };
    const [rows, total, names] = await Promise.all([
      c.payments(filter),
      c.paymentCount(filter),
      readerNames(c),
    ]);
    // The tap time is the reader's clock, from the signed record; settledAt is clearing's.
    const payments = rows.map((x) => ({
      ...x,
      currency: currencyLabel(x.currency),
      tapAt: new Date(x.time * 1000).toISOString(),
      readerName: names.get(x.readerId) ?? "",
    }));
    sendJson(res, 200, { payments, total, limit, offset });
  });

  // Reader names for the dashboard: every reader for the operator, a merchant's own.
  r.add("GET", "/api/readers", async ({ req, res }) => {
    const p = s.auth(req);
    const operatorId = p.role === "owner" ? await s.ownerOperatorId(p.ownerId) : undefined;
    const all = p.role === "owner" && operatorId === undefined ? [] : await c.readers();
    const visible = operatorId === undefined ? all : all.filter((x) => x.operatorId === operatorId);
    sendJson(res, 200, {
      readers: visible.map((x) => ({
        readerId: x.readerId,
        name: x.name,
        operatorId: x.operatorId,
        status: x.status,
      })),
    });
  });

  r.add("GET", "/api/flagged", async ({ req, res }) => {
    sendJson(res, 200, await flagged(s, s.auth(req)));
  });

  // Readers fetch these with the operator's token (the reader's uplink runs on the
  // operator's side); both are signed, so the transport need not be trusted.
  r.add("GET", "/api/deny-list", async ({ req, res }) => {
    requireOperator(s.auth(req));
    const d = await c.denyList();
    if (wantsBinary(req.headers.accept)) {
      send(res, 200, d.image, "application/octet-stream", {
        "x-offtap-deny-version": String(d.version),
      });
      return;
    }
    sendJson(res, 200, {
      version: d.version,
      issuedAt: d.issuedAt,
      walletIds: d.walletIds,
      revokedIssuerKeyIds: d.revokedIssuerKeyIds,
      vouchedCertHashes: d.vouchedCertHashes,
      image: Buffer.from(d.image).toString("hex"),
    });
  });

  r.add("GET", "/api/acks/:readerId", async ({ req, res, params }) => {
    requireOperator(s.auth(req));
    const id = params["readerId"]!.toLowerCase();
    if (!/^[0-9a-f]{16}$|^[0-9a-f]{32}$/.test(id))
      throw new HttpError(400, "reader id must be 8 or 16 bytes of hex");
    const readerId = id.length === 16 ? id + "0".repeat(16) : id;
    if ((await c.reader(readerId)) === undefined)
      throw new HttpError(404, `no reader ${readerId} is registered`);
    const ack = await c.acknowledgement(readerId);
    if (ack === undefined)
      throw new HttpError(404, `nothing from reader ${readerId} has been processed yet`);
    if (wantsBinary(req.headers.accept)) {
      send(res, 200, ack, "application/octet-stream");
      return;
    }
    const v = new DataView(ack.buffer, ack.byteOffset, ack.byteLength);
    sendJson(res, 200, {
      readerId,
      ackedSeq: v.getUint32(24, true),
      ack: Buffer.from(ack).toString("hex"),
    });
  });

  // The operator gets everything; a merchant its own readers' payments and the transfers
  // of its own account (the same rows its balance and payments views show).
  r.add("GET", "/api/history.csv", async ({ req, res }) => {
    const p = s.auth(req);
    let scope = {};
    if (p.role === "owner") {
      const operatorId = await s.ownerOperatorId(p.ownerId);
      const [account] = await s.ownerAccountIds(p.ownerId);
      if (operatorId === undefined || account === undefined) {
        throw new HttpError(403, "the history is for operators and merchants");
      }
      scope = { operatorId, account };
    }
    const csv = await c.historyCsv(scope);
    send(res, 200, csv, "text/csv; charset=utf-8", {
      "content-disposition": 'attachment; filename="offtap-history.csv"',
    });
  });
}

/** Held batches, double spends, rejected records and denied wallets: all of them for the
 *  operator; an operator-owner (merchant) sees what concerns its own readers. */
async function flagged(s: ServerContext, p: Principal): Promise<Record<string, unknown[]>> {
  const c = s.clearing;
  const [held, conflicts, rejectedRecords, deniedWallets, suspects] = await Promise.all([
    c.heldBatches(),
    c.conflicts(),
    c.rejectedRecords(),
    c.deniedWallets(),
    c.suspectReaders(),
  ]);
  // A double spend's amounts are in its reader's currency: named by ISO 4217 code.
  const currencyOf = new Map((await c.readers()).map((x) => [x.readerId, x.currency]));
  const doubleSpends = conflicts.map((d) => {
    const code = currencyOf.get(d.readerId);
    return { ...d, currency: code === undefined ? null : currencyLabel(code) };
  });
  const suspectReaders = suspects.map((x) => ({ ...x, evidence: x.evidence.slice(0, 10) }));
  if (p.role === "operator")
    return { held, doubleSpends, rejectedRecords, deniedWallets, suspectReaders };
  const operatorId = await s.ownerOperatorId(p.ownerId);
  if (operatorId === undefined)
    throw new HttpError(403, "flagged items are for operators and merchants");
  const mine = new Set(
    (await c.readers()).filter((r) => r.operatorId === operatorId).map((r) => r.readerId),
  );
  return {
    held: held.filter((h) => mine.has(h.readerId)),
    doubleSpends: doubleSpends.filter((d) => mine.has(d.readerId)),
    rejectedRecords: rejectedRecords.filter((r) => mine.has(r.readerId)),
    deniedWallets: [],
    suspectReaders: suspectReaders.filter((r) => mine.has(r.readerId)),
  };
}

/** Reader id → the name the operator registered it under ("" when none). */
async function readerNames(c: Clearing): Promise<Map<string, string>> {
  return new Map((await c.readers()).map((x) => [x.readerId, x.name]));
}

function wantsBinary(accept: string | undefined): boolean {
  return (
    accept !== undefined &&
    accept.split(",").some((t) => t.split(";")[0]!.trim() === "application/octet-stream")
  );
}
