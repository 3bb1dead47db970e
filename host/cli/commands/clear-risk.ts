// `offtap clear reader suspects|release|reject` and `offtap clear risk holds|release|limit`:
// the operator's side of the risk model (docs/CLEARING.md §7a).
import {
  alignRight, currencyLabel, formatMoney, isoFromUnixSeconds,
} from "../../money/index.ts";
import { amountFlag, currencyFlag } from "../../money/flags.ts";
import type { Clearing, ReaderDecision } from "../../clearing/index.ts";
import { EXIT_FAILED, EXIT_OK, UsageError } from "../command.ts";
import { green, red, table, yellow } from "../output.ts";

export interface RiskFlags {
  reader?: string;
  note?: string;
  operator?: string;
  amount?: string;
  currency?: string;
}

/** Suspect and rejected readers with their evidence; exit 1 when there are any. */
async function suspects(c: Clearing, json: boolean): Promise<number> {
  const list = await c.suspectReaders();
  if (json) {
    console.log(JSON.stringify({ readers: list }, null, 2));
  } else if (list.length === 0) {
    console.log(green("no suspect readers"));
  } else {
    for (const r of list) {
      console.log(
        red(`${r.readerId} (${r.name || "unnamed"}, operator ${r.operatorId}): ${r.status}`),
      );
      console.log(`  why: ${r.reason}`);
      console.log(`  ${r.heldBatches} batch(es) held, ${r.evidenceCount} record(s) of evidence`);
      for (const e of r.evidence.slice(0, 10)) {
        console.log(
          `  #${e.seq} ${e.kind}: wallet ${e.walletId} counter ${e.counter} amount ${e.amount}`,
        );
      }
    }
  }
  return list.length > 0 ? EXIT_FAILED : EXIT_OK;
}

async function decide(
  c: Clearing,
  decision: ReaderDecision,
  f: RiskFlags,
  json: boolean,
): Promise<number> {
  if (f.reader === undefined) throw new UsageError(`clear reader ${decision} needs --reader HEX`);
  let r;
  try {
    r = await c.decideReader(f.reader, decision, f.note ?? "");
  } catch (e) {
    throw new UsageError(e instanceof Error ? e.message : String(e));
  }
  if (!r.ok) throw new UsageError(`${r.message} (see 'offtap clear reader suspects')`);
  if (json) {
    console.log(JSON.stringify(r, null, 2));
  } else {
    const rep = r.report;
    console.log(
      decision === "reject"
        ? `reader ${r.reader} rejected; its held batches are dropped and later ones refused`
        : `reader ${r.reader} released: ${rep.settled} settled, ${rep.held} held, ` +
            `${rep.evidence.length} new record(s) of evidence`,
    );
    if (rep.suspectReaders.length > 0)
      console.log(yellow("  the released batches made it suspect again"));
  }
  return r.report.suspectReaders.length > 0 ? EXIT_FAILED : EXIT_OK;
}

/** `reader suspects|release|reject`; undefined for other `reader` subcommands. */
export async function readerRisk(
  c: Clearing,
  sub: string | undefined,
  f: RiskFlags,
  json: boolean,
): Promise<number | undefined> {
  if (sub === "suspects") return suspects(c, json);
  if (sub === "release" || sub === "reject") return decide(c, sub, f, json);
  return undefined;
}

/** `risk holds|release|limit`. */
export async function risk(
  c: Clearing,
  sub: string | undefined,
  f: RiskFlags,
  json: boolean,
): Promise<number> {
  if (sub === "holds") {
    const holds = await c.riskHolds();
    const shown = holds.map((h) => ({ ...h, currency: currencyLabel(h.currency) }));
    if (json) console.log(JSON.stringify({ holds: shown }, null, 2));
    else {
      console.log(
        table(alignRight([
          ["transfer", "operator", "reader", "amount", "booked at", "state"],
          ...holds.map((h) => [
            h.transferId,
            h.operatorId,
            h.readerId,
            formatMoney(h.amount, h.currency),
            isoFromUnixSeconds(h.bookedAt),
            h.state,
          ]),
        ], [3])),
      );
    }
    return EXIT_OK;
  }
  if (sub === "release") {
    const r = await c.releaseRiskHolds();
    console.log(
      json
        ? JSON.stringify(r)
        : `${r.released} hold(s) released (${r.amount} minor units), ` +
            `${r.waiting} waiting for the operator's risk limit`,
    );
    return EXIT_OK;
  }
  if (sub === "limit") {
    if (f.operator === undefined)
      throw new UsageError("clear risk limit needs --operator NAME --amount N");
    if (f.amount === undefined) {
      throw new UsageError("clear risk limit needs --amount, in major units (e.g. 100.00)");
    }
    // Major units like every CLI amount; --currency (default EUR) gives the decimals.
    const cur = currencyFlag("currency", f.currency);
    const amount = amountFlag("amount", f.amount, cur, Number.MAX_SAFE_INTEGER);
    if (!(await c.setRiskLimit(f.operator, amount)))
      throw new UsageError(`no operator '${f.operator}'`);
    console.log(
      json
        ? JSON.stringify({ operatorId: f.operator, riskLimit: amount, currency: cur.alpha })
        : `operator ${f.operator}: risk limit ${formatMoney(amount, cur.alpha)}`,
    );
    return EXIT_OK;
  }
  throw new UsageError("usage: clear risk holds|release|limit --operator NAME --amount N");
}
