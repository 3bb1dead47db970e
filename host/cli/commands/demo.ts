// `offtap demo` — the whole product on embedded defaults, in three acts:
//  1. the real firmware at a simulated transit gate: riders tap (honest and not), the
//     firmware decides each tap and exports its ledger as signed batches;
//  2. two gates of one metro line, one wallet spending the same counter at both; both
//     ledgers cleared in an embedded PostgreSQL (PGlite, temporary directory): each
//     payment settled once, the double spend caught, balances double-entry and zero-sum,
//     acknowledgements and the new deny list verified and installed by the firmware;
//  3. the operator cashes out: fee quote first, request, TOTP second factor, pain.001.
import { createHash, createPrivateKey, sign as nodeSign } from "node:crypto";
import { join } from "node:path";
import type { Command } from "../command.ts";
import { EXIT_FAILED, EXIT_OK, UsageError } from "../command.ts";
import { needDataDir, opening } from "./db-flags.ts";
import { parse, intFlag } from "../args.ts";
import { FirmwareCrypto } from "../../firmware/crypto.ts";
import { runGateScenario, type ScenarioResult } from "../../sim/gate.ts";
import { CashoutService } from "../../cashout/index.ts";
import { green, red, bold, dim, table } from "../output.ts";
import { alignRight, currencyLabel, formatMoney, isoTime, parseAmount } from "../../money/index.ts";
import { runTwoReaders } from "../../demo/readers.ts";
import {
  DemoDbInUse,
  checkDemoDb,
  openDemoClearing,
  clearTwoReaders,
  type ClearingAct,
} from "../../demo/clearing.ts";
import {
  enrolDemoOwner,
  cashOut,
  DEMO_PAYOUT_FILES,
  type CashoutAct,
  type EnrolledOwner,
} from "../../demo/cashout.ts";
import { checkOutput, outputFolder } from "../files.ts";
import { checkPortFree } from "../ports.ts";
import { totp } from "../../cashout/totp.ts";
import { startServer, TokenAuthority, DEFAULT_HOST } from "../../server/index.ts";
import { ServiceCashoutPort } from "../../server/cashout-port.ts";

const HELP = `usage: offtap demo [--seed N] [--json] [--out DIR [--force]] [--db DIR [--create]]
                  [--serve [--port N]]

Runs build/offtap.wasm as a transit-gate reader on the desktop simulator: a scripted
rush of riders taps (accepted taps, a torn exchange and its re-tap, an expired
certificate, a replayed counter and authorization, a phone without the app, a wallet at
its cap, a vanished phone). Shows each decision and its reason, then exports the ledger
as signed batches and verifies signature, hash chain and sequence on the host.

Then two gates of one metro line take taps, one wallet spending the same counter at
both; both ledgers are cleared in an embedded PostgreSQL (PGlite in a temporary
directory): balances, the caught double spend, the acknowledgements and deny list the
readers install. Finally the operator cashes out (fee quote, request, TOTP second
factor) and the payout file is written as ISO 20022 pain.001 and CSV.

options:
  --seed N    seed for keys, wallets, clock and randomness (default 1)
  --json      print the result as JSON
  --out DIR   where the payout files go (default build, whose demo files are replaced);
              a folder, created if missing; its payout files are not replaced without --force
  --force     replace the payout files in --out DIR
  --db DIR    keep the demo's clearing database in DIR (a new one: --create, or made by
              'offtap clear init'; it must hold no clearing data yet): afterwards 'offtap
              clear balances --db DIR', 'offtap cashout … --db DIR' and 'offtap serve --db
              DIR' go on with it (owner metro, enrolled, with its second factor)
  --create    create DIR when it does not exist
  --serve     afterwards, serve the API and dashboard on the demo's data until Ctrl-C
  --port N    port for --serve (default 8080)
  -h, --help  show this help

Exit code 0 when every decision is the one docs/PROTOCOL.md prescribes, the exported
ledgers verify, clearing settled each payment once and caught the double spend, the
balances sum to zero and the cash-out reached the payout file; 1 otherwise.`;

const PKCS8_ED25519_PREFIX = Buffer.from("302e020100300506032b657004220420", "hex");

/** Device-key signing through the firmware, byte-compared with node:crypto. */
function deviceSignatureMatchesNode(seedNumber: number): boolean {
  const fw = new FirmwareCrypto();
  const seed = createHash("sha256").update(`offtap-demo-device-${seedNumber}`).digest();
  const pk = fw.publicKey(seed);
  const msg = new TextEncoder().encode(`offtap demo ${seedNumber}`);
  const sig = fw.sign(new Uint8Array([...seed, ...pk]), msg);
  const nodeKey = createPrivateKey({
    key: Buffer.concat([PKCS8_ED25519_PREFIX, seed]),
    format: "der",
    type: "pkcs8",
  });
  return Buffer.from(sig).equals(nodeSign(null, msg, nodeKey)) && fw.verify(pk, msg, sig) === 0;
}

const verdict = (ok: boolean): string => (ok ? green("ok") : red("FAILED"));
/** Every amount of the demo is in euros (its readers, issuers and owner use EUR, 978). */
const eur = (minor: number): string => formatMoney(minor, "EUR");
const short = (hex: string): string => `${hex.slice(0, 8)}…`;

function printGate(r: ScenarioResult, signatureOk: boolean): void {
  console.log(
    bold(
      `offtap demo — gate reader ${r.readerId}, ` +
        `fare ${formatMoney(r.fare, r.currency)}, seed ${r.seed}`,
    ),
  );
  console.log(dim("every tap below ran through build/offtap.wasm on the simulated board\n"));
  const rows = r.taps.map((t) => [
    String(t.step),
    t.rider,
    t.what,
    t.ok ? green(t.reason) : red(`${t.reason} (expected ${t.expected})`),
    t.receipt ? `#${t.receipt.sequence}` : "",
    `${t.simulatedMs.toFixed(0)} ms`,
  ]);
  console.log(table([["#", "rider", "what happens", "decision", "receipt", "radio"], ...rows]));
  const c = r.export.check;
  console.log("");
  console.log(
    `ledger: ${r.ledgerRecords} records; exported as ${c.batches} signed batch(es), ${r.export.bytes} bytes`,
  );
  console.log(
    `  device signature ${verdict(c.signatureOk)}, hash chain ${verdict(c.chainOk)}, sequence ${c.firstSeq}…${c.lastSeq} gap-free ${verdict(c.sequenceOk)}`,
  );
  for (const p of c.problems) console.log(red(`  ${p}`));
  console.log(`firmware Ed25519 signatures identical to node:crypto: ${verdict(signatureOk)}`);
  console.log("");
  console.log(
    r.ok && signatureOk
      ? green("every decision as docs/PROTOCOL.md prescribes; nothing charged twice")
      : red("the run did not go as prescribed"),
  );
}

function printClearing(a: ClearingAct, where: string): void {
  console.log("");
  console.log(bold("two gates, one metro line — and a wallet that spends one counter twice"));
  console.log(
    table([
      ["gate", "rider", "what happens", "decision", "counter"],
      ...a.taps.map((t) => [
        t.reader,
        t.rider,
        t.what,
        t.accepted ? green(t.reason) : red(t.reason),
        t.counter === undefined ? "" : String(t.counter),
      ]),
    ]),
  );
  console.log(
    dim("each gate accepted what it could check offline; only clearing sees both ledgers\n"),
  );
  console.log(bold(`clearing (embedded PostgreSQL: PGlite in ${where})`));
  console.log(
    table([
      [
        "reader",
        "batches",
        "records",
        "signed+chained",
        "settled",
        "double spends",
        "ack installed",
        "flash freed to",
      ],
      ...a.uploads.map((u) => [
        `${u.name} ${short(u.readerId)}`,
        String(u.batches),
        String(u.records),
        verdict(u.verified),
        String(u.report.settled),
        u.report.doubleSpends > 0 ? red(String(u.report.doubleSpends)) : "0",
        u.ackStatus >= 0 ? green("yes") : red(`status ${u.ackStatus}`),
        `#${u.ackedSeq}`,
      ]),
    ]),
  );
  for (const d of a.doubleSpends) {
    console.log(
      red(
        `double spend caught: wallet ${short(d.walletId)} counter ${d.counter} (${d.kind.replace(/_/g, " ")}) at reader ${short(d.readerId)} #${d.seq}; `,
      ) +
        `${eur(d.excess)} booked to issuer ${d.issuerKeyId}'s offline risk, ` +
        "the gate's operator is paid in full",
    );
  }
  console.log(
    `the same files uploaded again: ${a.reupload.settled} settled, ${a.reupload.doubleSpends} double spends ${verdict(a.reupload.settled === 0 && a.reupload.doubleSpends === 0)}`,
  );
  console.log(
    `deny list v${a.denyList.version} (${a.denyList.walletIds.length} wallet(s)) signed and installed by both readers: ${verdict(a.denyList.readerStatus.every((s) => s >= 0))}`,
  );
  console.log("");
  const accounts = a.balances.map((b) => [b.name || b.id, b.code, eur(b.balance)]);
  console.log(table(alignRight([["account", "kind", "balance"], ...accounts], [2])));
  console.log(`balances sum to zero: ${verdict(a.balancesSumToZero)}`);
}

function printCashout(c: CashoutAct, balanceAfter: number): void {
  console.log("");
  console.log(bold("cash-out: Metro Transit Ltd to its verified bank account"));
  const q = c.quote;
  console.log(
    `quote ${q.id}: ${q.display.gross}, fee ${q.display.fee} at ${q.display.schedule}, ` +
      `you receive ${q.display.net}; available ${q.display.available}`,
  );
  console.log(
    `request ${c.requested.id}: ${c.requested.state} — held: ` +
      `${eur(c.requested.netMinor)} to payouts in transit, ${eur(c.requested.feeMinor)} fee`,
  );
  console.log(
    `second factor: TOTP ${c.totpCode} (RFC 6238, as the owner's authenticator shows it) → ${c.confirmed.state}`,
  );
  const ctrlSum = eur(Number(parseAmount(c.payout.ctrlSum, "EUR")));
  console.log(
    `payout file ${c.payout.msgId}: ${c.payout.nbOfTxs} transfer(s), ${ctrlSum} ` +
      `→ ${c.exported.state}`,
  );
  const steps = c.exported.timeline.map((t) => [t.state, isoTime(t.at), t.actor, t.detail]);
  console.log(table([["status", "at", "by", "detail"], ...steps]));
  console.log(`pain.001: ${c.files.pain001}`);
  console.log(`CSV:      ${c.files.csv}`);
  console.log(`operator balance after the cash-out: ${eur(balanceAfter)}`);
}

interface FullResult {
  ok: boolean;
  json: Record<string, unknown>;
}

async function runAll(
  seed: number,
  outDir: string,
  json: boolean,
  serve: { port: number } | undefined,
  keep?: { dir: string; create: boolean },
): Promise<FullResult> {
  const gate = await runGateScenario(seed);
  const signatureOk = deviceSignatureMatchesNode(seed);
  if (!json) printGate(gate, signatureOk);

  const run = runTwoReaders(seed);
  const demo = await opening(() => openDemoClearing(run, keep));
  try {
    const act = await clearTwoReaders(seed, demo.clearing, run);
    if (!json) printClearing(act, keep === undefined ? "a temporary directory" : keep.dir);
    const world = run.net.world;
    const now = (): number => world.now() * 1000;
    const advance = (ms: number): void => world.idle(ms);
    const svc = await CashoutService.open(demo.clearing, { now });
    const owner = await enrolDemoOwner(svc, now, advance);
    const operatorAccount = (await demo.clearing.account("operator:metro:978"))!;
    // Half the settled balance: the rest stays for a cash-out by hand in the dashboard (--serve).
    const gross = Math.min(1_000, operatorAccount.available);
    const co = await cashOut(svc, owner, gross, now, advance, outDir);
    const after = (await demo.clearing.account("operator:metro:978"))!;
    const inv = await demo.clearing.checkInvariants();
    if (!json) printCashout(co, after.balance);
    const cashoutOk =
      co.confirmed.state === "confirmed" &&
      co.exported.state === "exported" &&
      co.payout.nbOfTxs === 1 &&
      after.balance === operatorAccount.balance - gross;
    const ok = gate.ok && signatureOk && act.ok && cashoutOk && inv.ok;
    const result: Record<string, unknown> = {
      accepted: act.accepted,
      settled: act.settled,
      doubleSpendsCaught: act.doubleSpends.length,
      cashouts: cashoutOk ? 1 : 0,
      balancesSumToZero: inv.ok,
      ok,
      seed,
      gate: {
        ...gate,
        currency: currencyLabel(gate.currency),
        signatureMatchesNode: signatureOk,
      },
      readers: act.uploads,
      doubleSpends: act.doubleSpends,
      reupload: act.reupload,
      denyList: act.denyList,
      balances: (await demo.clearing.accounts()).map((a) => ({
        id: a.id,
        code: a.code,
        currency: currencyLabel(a.currency),
        balance: a.balance,
      })),
      cashout: {
        id: co.exported.id,
        state: co.exported.state,
        currency: co.exported.currency,
        gross: co.exported.grossMinor,
        fee: co.exported.feeMinor,
        net: co.exported.netMinor,
        timeline: co.exported.timeline.map((t) => t.state),
        payoutFile: co.payout.msgId,
        files: co.files,
      },
    };
    if (!json) {
      console.log("");
      console.log(
        ok
          ? green(
              "clearing settled every payment once, caught the double spend, balances sum to zero, cash-out exported",
            )
          : red("the clearing or cash-out run did not go as it must"),
      );
      if (keep !== undefined) {
        console.log(
          dim(
            `the demo's clearing is kept in ${keep.dir}: ` +
              `offtap clear balances --db ${keep.dir}`,
          ),
        );
      }
      if (serve === undefined)
        console.log(dim("see it in the dashboard, with API tokens: npx offtap demo --serve"));
    }
    if (serve !== undefined) await serveDemo(demo.clearing, owner, now(), serve.port);
    return { ok, json: result };
  } finally {
    await demo.dispose();
  }
}

/** Keeps the demo's database up behind the API and dashboard until Ctrl-C. Cash-out's
 *  clock continues from the demo's simulated time at real pace, so the owner's TOTP codes
 *  (printed at each new 30-second step, as an authenticator app would show them) follow it. */
async function serveDemo(
  clearing: Parameters<typeof startServer>[0]["clearing"],
  owner: EnrolledOwner,
  simNowMs: number,
  port: number,
): Promise<void> {
  const realStartMs = Date.now();
  // From the next 30-second step on: the demo's own confirmation used the current one.
  const clock = (): number => simNowMs + 30_000 + (Date.now() - realStartMs);
  const svc = await CashoutService.open(clearing, { now: clock });
  const tokens = new TokenAuthority();
  const cashout = new ServiceCashoutPort(svc);
  const running = await startServer({
    clearing,
    cashout,
    tokens,
    port,
    clock: { name: "demo", now: clock },
  });
  const op = tokens.issue({ role: "operator" });
  const ownerToken = tokens.issue({ role: "owner", ownerId: owner.ownerId });
  console.log("");
  console.log(bold(`dashboard on the demo's data: ${running.url}`));
  console.log(`  operator:     ${running.url}/#token=${op}`);
  console.log(`  owner ${owner.ownerId}:  ${running.url}/#token=${ownerToken}`);
  console.log(
    dim(
      "  the owner's authenticator codes follow the demo's clock and are printed below. Ctrl-C stops.",
    ),
  );
  let lastStep = -1;
  const showCode = (): void => {
    const step = Math.floor(clock() / 30_000);
    if (step === lastStep) return;
    lastStep = step;
    console.log(
      `  TOTP code for ${owner.ownerId} now: ${totp(owner.totpSecret, Math.floor(clock() / 1000))}`,
    );
  };
  showCode();
  const timer = setInterval(showCode, 1_000);
  await new Promise<void>((resolve) => {
    process.once("SIGINT", () => resolve());
    process.once("SIGTERM", () => resolve());
  });
  clearInterval(timer);
  await running.close();
}

export const command: Command = {
  name: "demo",
  summary: "run the firmware at gates, clear their ledgers, catch a double spend, cash out",
  async run(argv) {
    const { values } = parse(argv, {
      seed: { type: "string" },
      json: { type: "boolean" },
      out: { type: "string" },
      serve: { type: "boolean" },
      port: { type: "string" },
      help: { type: "boolean" },
      force: { type: "boolean" },
      db: { type: "string" },
      create: { type: "boolean" },
    });
    if (values.help) {
      console.log(HELP);
      return EXIT_OK;
    }
    const seed = intFlag("seed", values.seed, 1, 0xffffffff);
    const port = intFlag("port", values.port, 8080, 65_535);
    // Checked before the demo runs: a busy port or an unusable --out must not cost the whole demo.
    if (values.serve === true) await checkPortFree(DEFAULT_HOST, port);
    if (values.out !== undefined) {
      outputFolder(values.out);
      for (const f of Object.values(DEMO_PAYOUT_FILES)) {
        checkOutput(join(values.out, f), { force: values.force === true });
      }
    }
    const keep =
      values.db === undefined ? undefined : { dir: values.db, create: values.create === true };
    if (keep !== undefined) {
      needDataDir(keep.dir, keep.create);
      await opening(() => checkDemoDb(keep.dir, keep.create)).catch((e: unknown) => {
        throw e instanceof DemoDbInUse ? new UsageError(e.message) : e;
      });
    }
    const serve = values.serve === true ? { port } : undefined;
    const r = await runAll(seed, values.out ?? "build", values.json === true, serve, keep);
    if (values.json) console.log(JSON.stringify(r.json));
    return r.ok ? EXIT_OK : EXIT_FAILED;
  },
};
