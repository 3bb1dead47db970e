// Payout files and the bank's answer (docs/CASHOUT.md §5): confirmed cash-outs are
// written to one ISO 20022 pain.001.001.09 message and a CSV twin, stored, and marked
// `exported`; the bank's answer marks each `paid` (payouts in transit → bank) or
// `failed` (compensating transfers give the owner back the net and the fee; nothing is
// edited or deleted).
import { createHash, randomBytes } from "node:crypto";
import type { Tx } from "../clearing/index.ts";
import { applyTransfer, createAccount, accountIds } from "../clearing/accounts.ts";
import { renderPain001, decimalSum, type PayoutDebtor, type PayoutLine } from "./pain001.ts";
import { toCsv } from "./csv.ts";
import { isCalendarDate } from "./sepa.ts";
import { currency as currencyInfo, formatMinor } from "./money.ts";
import { validateBic, validateIban } from "./iban.ts";
import { audit, bankDetail, iso, loadCashout, n, setState } from "./store.ts";
import { isoTime } from "../money/index.ts";
import { transferIds } from "./flow.ts";
import { nowIso, validText, type Ctx } from "./context.ts";
import { ok, err, type Cashout, type PayoutFile, type Result } from "./types.ts";

const DEBTOR_KEY = "debtor";

export const CSV_HEADER = [
  "cashout_id",
  "end_to_end_id",
  "owner_id",
  "creditor_name",
  "creditor_iban",
  "creditor_bic",
  "currency",
  "gross",
  "fee",
  "net",
  "requested_at",
  "confirmed_at",
  "remittance",
] as const;

/** The operator's own clearing bank account, debited by every payout. */
export async function setDebtor(
  ctx: Ctx,
  d: PayoutDebtor,
  actor: string,
): Promise<Result<PayoutDebtor>> {
  if (!validText(actor)) return err("INPUT_INVALID", "actor is required");
  if (!validText(d.name, 140)) return err("INPUT_INVALID", "debtor name: 1..140 characters");
  const iban = validateIban(d.iban);
  if (!iban.ok) return err("IBAN_INVALID", iban.message);
  const bic = validateBic(d.bic);
  if (!bic.ok) return err("BIC_INVALID", bic.message);
  const value: PayoutDebtor = { name: d.name, iban: iban.iban, bic: bic.bic };
  return ctx.db.transaction(async (tx) => {
    const at = nowIso(ctx);
    await tx.query(
      `INSERT INTO cashout_settings (key, value, updated_by, updated_at) VALUES ($1, $2::jsonb, $3, $4::timestamptz)
       ON CONFLICT (key) DO UPDATE SET value = $2::jsonb, updated_by = $3, updated_at = $4::timestamptz`,
      [DEBTOR_KEY, JSON.stringify(value), actor, at],
    );
    await audit(tx, at, { actor, action: "debtor.set", decision: "ok", detail: { ...value } });
    return ok(value);
  });
}

export async function getDebtor(tx: Tx): Promise<PayoutDebtor | undefined> {
  const r = (await tx.query("SELECT value FROM cashout_settings WHERE key = $1", [DEBTOR_KEY]))[0];
  if (r === undefined) return undefined;
  const v = r["value"];
  return (typeof v === "string" ? JSON.parse(v) : v) as PayoutDebtor;
}

export interface ExportOptions {
  /** Requested execution date YYYY-MM-DD; default: the export day (UTC). */
  executionDate?: string;
  /** Only this currency; default all. */
  currency?: string;
}

/** One end-to-end id per cash-out, ≤ 35 characters (Max35Text). */
export function endToEndId(cashoutId: string): string {
  return cashoutId.length <= 35
    ? cashoutId
    : `co_${createHash("sha256").update(cashoutId).digest("hex").slice(0, 32)}`;
}

/** Collects the confirmed cash-outs, renders both files, checks them (renderPain001 reads
 *  its output back), stores them and marks the cash-outs exported, all in one transaction. */
export async function exportPayouts(
  ctx: Ctx,
  actor: string,
  o: ExportOptions = {},
): Promise<Result<PayoutFile>> {
  if (!validText(actor)) return err("INPUT_INVALID", "actor is required");
  if (o.executionDate !== undefined && !isCalendarDate(o.executionDate)) {
    return err(
      "INPUT_INVALID",
      `execution date ${o.executionDate} is not a calendar date (YYYY-MM-DD)`,
    );
  }
  if (
    o.executionDate !== undefined &&
    o.executionDate < new Date(ctx.now()).toISOString().slice(0, 10)
  ) {
    return err("INPUT_INVALID", `execution date ${o.executionDate} is in the past`);
  }
  if (o.currency !== undefined) {
    try {
      currencyInfo(o.currency);
    } catch (e) {
      return err("INPUT_INVALID", (e as Error).message);
    }
  }
  const fileId = `pf_${randomBytes(8).toString("hex")}`;
  return ctx.db.transaction(async (tx) => {
    const at = nowIso(ctx);
    const debtor = await getDebtor(tx);
    if (debtor === undefined)
      return err<PayoutFile>(
        "DEBTOR_NOT_CONFIGURED",
        "set the operator's debtor account first (offtap cashout debtor set)",
      );
    const rows = await tx.query(
      `SELECT c.*, b.iban, b.bic, b.holder_name,
         (SELECT max(e.at) FROM cashout_events e WHERE e.cashout_id = c.id AND e.state = 'confirmed') AS confirmed_at
       FROM cashouts c JOIN cashout_bank_accounts b ON b.id = c.bank_account_id
       WHERE c.state = 'confirmed'
         AND c.currency = coalesce($1::text, (SELECT currency FROM cashouts WHERE state = 'confirmed'
           ORDER BY created_at, id LIMIT 1)) -- one currency per file: the oldest's first
       ORDER BY c.created_at, c.id LIMIT $2 FOR UPDATE OF c`,
      [o.currency ?? null, ctx.config.exportBatchMax],
    );
    if (rows.length === 0)
      return err<PayoutFile>("NOTHING_TO_EXPORT", "no confirmed cash-outs to export");
    for (const r of rows) {
      for (const c of ["iban", "bic", "holder_name"]) {
        r[c] = bankDetail(ctx.sealer, r, c, String(r["bank_account_id"]));
      }
    }
    const lines: PayoutLine[] = rows.map((r) => ({
      endToEndId: endToEndId(String(r["id"])),
      amountMinor: n(r["net_minor"]),
      currency: String(r["currency"]),
      creditorName: String(r["holder_name"]),
      creditorIban: String(r["iban"]),
      creditorBic: String(r["bic"]),
      remittance: `offtap cash-out ${String(r["id"])}`.slice(0, 140),
    }));
    const executionDate = o.executionDate ?? at.slice(0, 10);
    // ≤ 28 characters, so PmtInfId (msgId + "-" + currency) stays within Max35Text.
    const msgId = `OFFTAP-${at.slice(0, 10).replace(/-/g, "")}-${fileId.slice(3, 15)}`;
    const xml = renderPain001({
      msgId,
      createdAt: new Date(ctx.now()),
      executionDate,
      debtor,
      lines,
    });
    const csv = toCsv(
      CSV_HEADER,
      rows.map((r, i) => {
        const cur = String(r["currency"]);
        // Like the history CSV (README "Money, currencies and times"): decimals in the
        // currency's own minor unit beside its ISO 4217 code, times ISO 8601 UTC to the second.
        const at = (v: unknown): string => (v === null ? "" : isoTime(iso(v)));
        return [
          String(r["id"]),
          lines[i]!.endToEndId,
          String(r["owner_id"]),
          String(r["holder_name"]),
          String(r["iban"]),
          String(r["bic"]),
          cur,
          formatMinor(n(r["gross_minor"]), cur),
          formatMinor(n(r["fee_minor"]), cur),
          formatMinor(n(r["net_minor"]), cur),
          at(r["created_at"]),
          at(r["confirmed_at"]),
          lines[i]!.remittance,
        ];
      }),
    );
    const ctrlSum = decimalSum(lines);
    const sha = createHash("sha256").update(xml).digest("hex");
    await tx.query(
      `INSERT INTO cashout_payout_files (id, msg_id, execution_date, nb_of_txs, ctrl_sum, xml, csv, xml_sha256, created_by, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::timestamptz)`,
      [
        fileId,
        msgId,
        executionDate,
        lines.length,
        ctrlSum,
        ctx.sealer.seal(xml, "cashout_payout_files", "xml", fileId),
        ctx.sealer.seal(csv, "cashout_payout_files", "csv", fileId),
        sha,
        actor,
        at,
      ],
    );
    const ids = rows.map((r) => String(r["id"]));
    for (const id of ids)
      await setState(tx, id, "exported", actor, at, `payout file ${fileId} (${msgId})`, {
        payout_file_id: fileId,
      });
    await audit(tx, at, {
      actor,
      action: "export",
      decision: "ok",
      detail: {
        fileId,
        msgId,
        nbOfTxs: lines.length,
        ctrlSum,
        executionDate,
        cashoutIds: ids,
        xmlSha256: sha,
      },
    });
    return ok({
      id: fileId,
      msgId,
      executionDate,
      nbOfTxs: lines.length,
      ctrlSum,
      xml,
      csv,
      xmlSha256: sha,
      createdBy: actor,
      createdAt: at,
      cashoutIds: ids,
    });
  });
}

export async function getPayoutFile(ctx: Ctx, id: string): Promise<PayoutFile | undefined> {
  const r = (
    await ctx.db.query("SELECT * FROM cashout_payout_files WHERE id = $1 OR msg_id = $1", [id])
  )[0];
  if (r === undefined) return undefined;
  const file = (c: string): string =>
    ctx.sealer.open(String(r[c]), "cashout_payout_files", c, String(r["id"]));
  const ids = (
    await ctx.db.query(
      "SELECT id FROM cashouts WHERE payout_file_id = $1 ORDER BY created_at, id",
      [String(r["id"])],
    )
  ).map((x) => String(x["id"]));
  return {
    id: String(r["id"]),
    msgId: String(r["msg_id"]),
    executionDate: String(r["execution_date"]),
    nbOfTxs: n(r["nb_of_txs"]),
    ctrlSum: String(r["ctrl_sum"]),
    xml: file("xml"),
    csv: file("csv"),
    xmlSha256: String(r["xml_sha256"]),
    createdBy: String(r["created_by"]),
    createdAt: iso(r["created_at"]),
    cashoutIds: ids,
  };
}

async function bankAnswer(
  ctx: Ctx,
  cashoutId: string,
  actor: string,
  outcome: "paid" | "failed",
  text: string,
): Promise<Result<Cashout>> {
  if (!validText(actor)) return err("INPUT_INVALID", "actor is required");
  if (!validText(text, 140))
    return err(
      "INPUT_INVALID",
      outcome === "paid"
        ? "bank reference: 1..140 characters"
        : "failure reason: 1..140 characters",
    );
  return ctx.db.transaction(async (tx) => {
    const at = nowIso(ctx);
    const c = await loadCashout(tx, cashoutId, true);
    if (c === undefined) return err<Cashout>("NOT_FOUND", `no cash-out ${cashoutId}`);
    if (c.state !== "exported") {
      await audit(tx, at, {
        actor,
        action: outcome,
        decision: "refused",
        ownerId: c.ownerId,
        cashoutId,
        reason: "STATE_INVALID",
      });
      return err<Cashout>(
        "STATE_INVALID",
        `cash-out ${cashoutId} is ${c.state}; only an exported cash-out is paid or failed`,
      );
    }
    const cur = currencyInfo(c.currency).numeric;
    const legs =
      outcome === "paid"
        ? [
            {
              id: transferIds.payout(c.id),
              debit: accountIds.payouts(cur),
              credit: accountIds.bank(cur),
              amount: c.netMinor,
              code: "payout",
            },
          ]
        : [
            {
              id: transferIds.reverse(c.id),
              debit: accountIds.payouts(cur),
              credit: c.clearingAccount,
              amount: c.netMinor,
              code: "payout_reversal",
            },
            {
              id: transferIds.feeRefund(c.id),
              debit: accountIds.fees(cur),
              credit: c.clearingAccount,
              amount: c.feeMinor,
              code: "cashout_fee_refund",
            },
          ];
    if (outcome === "paid")
      await createAccount(tx, {
        id: accountIds.bank(cur),
        code: "bank",
        currency: cur,
        name: "settlement bank",
      });
    for (const leg of legs) {
      if (leg.amount === 0) continue;
      const r = await applyTransfer(tx, {
        id: leg.id,
        debitAccount: leg.debit,
        creditAccount: leg.credit,
        amount: leg.amount,
        code: leg.code,
        ref: c.id,
      });
      if (!r.ok || !r.created)
        throw new Error(
          `cash-out ${c.id}: ${leg.code} transfer failed: ${r.ok ? "already exists" : r.message}`,
        );
    }
    await setState(
      tx,
      cashoutId,
      outcome,
      actor,
      at,
      text,
      outcome === "paid" ? { bank_ref: text } : { failure_reason: text },
    );
    await audit(tx, at, {
      actor,
      action: outcome,
      decision: "ok",
      ownerId: c.ownerId,
      cashoutId,
      reason: outcome === "failed" ? text : "",
      detail: { text, netMinor: c.netMinor, feeMinor: c.feeMinor },
    });
    return ok((await loadCashout(tx, cashoutId))!);
  });
}

export const markPaid = (
  ctx: Ctx,
  cashoutId: string,
  actor: string,
  bankRef: string,
): Promise<Result<Cashout>> => bankAnswer(ctx, cashoutId, actor, "paid", bankRef);
export const markFailed = (
  ctx: Ctx,
  cashoutId: string,
  actor: string,
  reason: string,
): Promise<Result<Cashout>> => bankAnswer(ctx, cashoutId, actor, "failed", reason);
