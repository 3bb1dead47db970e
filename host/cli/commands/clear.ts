// `offtap clear` — the clearing service on the command line (docs/CLEARING.md §9).
import { readFileSync } from "node:fs";
import {
  Clearing,
  isDataDir,
  resealAll,
  type Account,
  type IngestReport,
} from "../../clearing/index.ts";
import { currencyLabel, formatMoney } from "../../money/index.ts";
import { amountFlag, currencyFlag } from "../../money/flags.ts";
import { alignRight } from "../../money/columns.ts";
import { addKeyToFile, defaultKeyFile } from "../../clearing/sealed.ts";
import { readerSpecFromEnrolmentFile } from "../../clearing/enrolment.ts";
import { reportCurrency } from "../../clearing/report-currency.ts";
import { EXIT_FAILED, EXIT_OK, EXIT_USAGE, UsageError, type Command } from "../command.ts";
import { intFlag, parse } from "../args.ts";
import { malformedBatch } from "../failures.ts";
import { helpTable } from "../help.ts";
import { green, red, table, yellow } from "../output.ts";
import { unsafeFromEnv } from "../../clearing/durability.ts";
import { doctor } from "./clear-doctor.ts";
import { readerRisk, risk, type RiskFlags } from "./clear-risk.ts";
import { CREATE_HELP, needDataDir, opening } from "./db-flags.ts";
import { needKept } from "./state-flags.ts";
import { DENY_FLAG_OPTIONS, DENY_FLAGS_HELP, denyFlags } from "./deny-flags.ts";
import type { KeptReader } from "../../sim/state.ts";

export const DEFAULT_DB_DIR = ".offtap/clearing";

/** Per-tap amounts travel as u32 minor units (docs/PROTOCOL.md). */
const U32_MAX = 0xffff_ffff;

const HELP = `usage: offtap clear <subcommand> [options]

Clearing: verify and settle readers' batches, show balances (docs/CLEARING.md).

subcommands:
  init                     create the clearing database (--db DIR); every other subcommand
                           refuses a --db that is not one, unless --create
  ingest BATCH…            verify and settle batch files (exit 1 if anything was held, rejected
                           or a double spend was caught)
  balances                 every account and whether the balances sum to zero
  reader add               register a reader: --reader HEX --key HEX --operator NAME
                           [--currency EUR] [--min 0.01] [--max 100.00] [--drift S]
                           [--deny-max-age S]; --currency takes an ISO 4217 code (EUR
                           or 978), --min/--max the per-tap limits in major units
                           [--name TEXT] (the name dashboards show; again: renames it)
                           or --state DIR --operator NAME: the reader kept by 'offtap sim
                           --state DIR' (its id, key, currency and limits) and the issuer
                           keys it was provisioned with (docs/STATE.md)
  reader import FILE       register a reader from its enrolment file (offtap flash --factory)
                           --operator NAME
  reader suspects          readers whose records prove them dishonest, and why (exit 1 if any)
  reader release|reject    the operator's decision on a suspect reader: --reader HEX [--note TEXT]
                           (release: its held batches are processed; reject: refused for good)
  risk holds|release       issuer-risk money held for operators; release what is due
  risk limit               --operator NAME --amount 100.00 [--currency EUR]: the most risk
                           money it may receive (major units)
  issuer add               register an issuer key: --issuer ID --key HEX
  ack --reader HEX         print the signed acknowledgement (hex) for a reader
  denylist                 print the current signed deny list (hex; --json: its wallets, keys
                           and vouched certificates) [--deny-slot-bytes N --vouch-refresh S]
  rekey [--add-key]        re-encrypt every secret at rest under the newest data key, in one
                           transaction; --add-key first appends a new random key to the key
                           file (OFFTAP_DATA_KEY_FILE, or DIR.key beside --db) (§12)
  doctor                   the durability settings in force; exit 1 when commits could be
                           lost on a power cut (docs/CLEARING.md "Durability")

options:
  --db DIR     PGlite data directory (default ${DEFAULT_DB_DIR} under the current directory);
               DATABASE_URL, when set, selects a PostgreSQL server instead
  ${CREATE_HELP}
  --json       machine-readable output
  data key     OFFTAP_DATA_KEY_FILE (0600 file) or OFFTAP_DATA_KEY encrypts secrets at rest;
               embedded default: DIR.key beside --db, created 0600 (docs/CLEARING.md §12)
  --unsafe-no-fsync  accept a database that does not sync commits (throwaway data only;
               also OFFTAP_UNSAFE_NO_FSYNC=1)
${DENY_FLAGS_HELP}
  -h, --help   this help`;

const OPTIONS = {
  db: { type: "string" },
  json: { type: "boolean" },
  help: { type: "boolean", short: "h" },
  "unsafe-no-fsync": { type: "boolean" },
  reader: { type: "string" },
  key: { type: "string" },
  operator: { type: "string" },
  issuer: { type: "string" },
  currency: { type: "string" },
  min: { type: "string" },
  max: { type: "string" },
  drift: { type: "string" },
  "deny-max-age": { type: "string" },
  note: { type: "string" },
  amount: { type: "string" },
  "add-key": { type: "boolean" },
  name: { type: "string" },
  create: { type: "boolean" },
  state: { type: "string" },
  ...DENY_FLAG_OPTIONS,
} as const;

/** `reader import FILE --operator NAME`: registers a reader from its enrolment file. */
async function importReader(
  c: Clearing,
  file: string | undefined,
  operator: string | undefined,
  json: boolean,
): Promise<number> {
  if (file === undefined) throw new UsageError("reader import needs the enrolment FILE");
  const fail = (e: unknown): never => {
    throw new UsageError(e instanceof Error ? e.message : String(e));
  };
  let spec;
  try {
    spec = readerSpecFromEnrolmentFile(file, need(operator, "operator"));
  } catch (e) {
    fail(e);
  }
  const r = await c.registerReader(spec!).catch(fail);
  const text = `reader ${r.readerId} registered for operator ${r.operatorId} from ${file}`;
  console.log(json ? JSON.stringify(r, null, 2) : text);
  return EXIT_OK;
}

/** `unsafeNoFsync` absent: OFFTAP_UNSAFE_NO_FSYNC decides (docs/CLEARING.md "Durability").
 *  The database must exist unless `create` (docs/CLEARING.md "Opening a database"). */
export function openFromFlags(
  db: string | undefined,
  unsafeNoFsync?: boolean,
  create = false,
  deny: { denySlotBytes?: number; vouchRefreshS?: number } = {},
): Promise<Clearing> {
  const dataDir = db ?? DEFAULT_DB_DIR;
  needDataDir(dataDir, create);
  const o = { dataDir, create, ...deny };
  return opening(() => Clearing.open(unsafeNoFsync === true ? { ...o, unsafeNoFsync } : o));
}

/** `rekey --add-key`: a new newest key in the key file the next open reads. */
function addKey(db: string | undefined): string {
  const file = process.env["OFFTAP_DATA_KEY_FILE"];
  if (file === undefined || file === "") {
    if (process.env["OFFTAP_DATA_KEY"] || process.env["DATABASE_URL"]) {
      throw new UsageError(
        "--add-key needs a key file (OFFTAP_DATA_KEY_FILE); with " +
          "OFFTAP_DATA_KEY, append a new key to the variable yourself",
      );
    }
    return addKeyToFile(defaultKeyFile(db ?? DEFAULT_DB_DIR));
  }
  return addKeyToFile(file);
}

/** `init`: creates (and migrates) the database; an existing one is left as it is. */
async function init(db: string | undefined, unsafe: boolean, json: boolean): Promise<number> {
  const dir = db ?? DEFAULT_DB_DIR;
  const server = process.env["DATABASE_URL"] !== undefined && process.env["DATABASE_URL"] !== "";
  needDataDir(dir, true);
  const existed = !server && isDataDir(dir);
  const c = await openFromFlags(db, unsafe, true);
  try {
    const where = server ? "the PostgreSQL server (DATABASE_URL)" : dir;
    const keyId = c.sealer.newestId;
    if (json) console.log(JSON.stringify({ database: where, created: !existed, keyId }));
    else if (existed) console.log(`${where} is already a clearing database; nothing to do`);
    else
      console.log(
        `created the clearing database at ${where} (data key ${c.sealer.newestId}, ` +
          `${c.sealer.source})`,
      );
    return EXIT_OK;
  } finally {
    await c.close();
  }
}

/** `reader add --state DIR`: the kept reader and the issuer keys it trusts, registered. */
async function addKeptReader(
  c: Clearing,
  k: KeptReader,
  operator: string,
  json: boolean,
  name: string | undefined,
): Promise<number> {
  const f = k.facts;
  const fail = (e: unknown): never => {
    throw new UsageError(e instanceof Error ? e.message : String(e));
  };
  for (const i of f.issuerKeys) {
    await c.registerIssuerKey(i.keyId, i.publicKey).catch(fail);
    // The reader's own deny list revokes it from the start: clearing refuses it as well.
    if (i.revoked) await c.revokeIssuerKey(i.keyId, 0).catch(fail);
  }
  const r = await c
    .registerReader({
      readerId: f.readerId,
      devicePublicKey: f.devicePublicKey,
      operatorId: operator,
      currency: f.currency,
      amountMin: f.amountMin,
      amountMax: f.amountMax,
      driftToleranceS: f.driftToleranceS,
      name: name ?? `${f.mode} ${f.readerId.slice(0, 8)}`,
      ...(f.geometry.denyBytes > 0 ? { denyMaxAgeS: f.denyMaxAgeS } : {}),
    })
    .catch(fail);
  const keys = f.issuerKeys.map((i) => `${i.keyId}${i.revoked ? " (revoked)" : ""}`).join(", ");
  if (json) console.log(JSON.stringify({ ...r, issuerKeys: f.issuerKeys }, null, 2));
  else
    console.log(
      `reader ${r.readerId} registered for operator ${r.operatorId} from ${k.dir}; ` +
        `issuer keys ${keys}`,
    );
  return EXIT_OK;
}

function need(v: string | undefined, flag: string): string {
  if (v === undefined || v === "") throw new UsageError(`--${flag} is required`);
  return v;
}

/** A batch file's bytes; a missing file or a folder is an input error naming it. */
function readBatchFile(f: string): Uint8Array {
  try {
    return readFileSync(f);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const what = code === "ENOENT" ? "no such file" : code === "EISDIR" ? "a folder" : code;
    throw new UsageError(`cannot read ${f}: ${what}`, "give the batch file 'ledger export' wrote");
  }
}

/** The value an upload settled, in its readers' currency ("12.50 EUR"); in minor units
 *  only when its batches came from readers of different currencies. */
/** An amount of this upload: with its currency, or in minor units when readers mix them. */
function amountText(minor: number, code: number | undefined): string {
  return code === undefined ? `${minor} minor units` : formatMoney(minor, code);
}

function settledText(r: IngestReport, code: number | undefined): string {
  return amountText(r.settledAmount, code);
}

async function ingestFiles(c: Clearing, files: string[], json: boolean): Promise<number> {
  if (files.length === 0) throw new UsageError("ingest needs at least one batch file");
  let problems = 0;
  const out = [];
  for (const f of files) {
    let bytes: Uint8Array;
    bytes = readBatchFile(f);
    let r;
    try {
      r = await c.ingest(bytes);
    } catch (err) {
      if (err instanceof RangeError) throw malformedBatch(f, err);
      throw new UsageError(`${f}: ${err instanceof Error ? err.message : String(err)}`);
    }
    problems +=
      r.held +
      r.rejectedRecords.length +
      r.doubleSpends.length +
      r.batches.filter((b) => b.status === "rejected").length;
    const code = await reportCurrency(c, r);
    // JSON: amounts stay minor units, beside the readers' ISO 4217 code (null when mixed).
    out.push({ file: f, ...r, currency: code === undefined ? null : currencyLabel(code) });
    if (!json) {
      const held = r.held > 0 ? yellow(`${r.held} held`) : "0 held";
      const rejected = r.rejectedRecords.length;
      console.log(
        `${f}: ${green(`${r.settled} settled`)} (${settledText(r, code)}), ` +
          `${r.duplicates} duplicate, ${held}, ` +
          `${rejected > 0 ? red(`${rejected} rejected`) : "0 rejected"}`,
      );
      for (const b of r.batches.filter((x) => x.status !== "accepted"))
        console.log(`  batch ${b.readerId} ${b.firstSeq}…${b.lastSeq}: ${b.status} ${b.reason}`);
      for (const d of r.doubleSpends)
        console.log(
          red(
            `  double spend: wallet ${d.walletId} counter ${d.counter} (${d.kind}) at ` +
              `${d.readerId} #${d.seq}, ${amountText(d.excess, code)} to issuer ` +
              `${d.issuerKeyId} offline risk`,
          ),
        );
      for (const x of r.rejectedRecords)
        console.log(red(`  rejected: ${x.readerId} #${x.seq} ${x.reasonName}`));
    }
  }
  if (json) console.log(JSON.stringify(out.length === 1 ? out[0] : out, null, 2));
  return problems > 0 ? EXIT_FAILED : EXIT_OK;
}

/** Accounts for JSON: amounts stay integer minor units, `currency` becomes the ISO 4217
 *  alphabetic code (README "Money, currencies and times"). */
function accountsJson(accts: Account[]): object[] {
  return accts.map((a) => ({ ...a, currency: currencyLabel(a.currency) }));
}

async function balances(c: Clearing, json: boolean): Promise<number> {
  const accts = await c.accounts();
  const inv = await c.checkInvariants();
  if (json) {
    const sums = inv.sums.map((x) => ({ ...x, currency: currencyLabel(x.currency) }));
    console.log(
      JSON.stringify(
        {
          accounts: accountsJson(accts),
          balancesSumToZero: inv.ok,
          invariants: { ...inv, sums },
        },
        null,
        2,
      ),
    );
  } else {
    const m = (minor: number, cur: number): string => formatMoney(minor, cur);
    console.log(
      table(
        alignRight(
          [
            ["account", "code", "balance", "pending debits", "available"],
            ...accts.map((a) => [
              a.id,
              a.code,
              m(a.balance, a.currency),
              m(a.debitsPending, a.currency),
              m(a.available, a.currency),
            ]),
          ],
          [2, 3, 4],
        ),
      ),
    );
    console.log(
      inv.ok ? green("balances sum to zero") : red(`invariants broken: ${JSON.stringify(inv)}`),
    );
  }
  return inv.ok ? EXIT_OK : EXIT_FAILED;
}

export const command: Command = {
  name: "clear",
  summary: "clearing: ingest batches, balances, readers, acknowledgements, deny lists",
  help: helpTable(HELP, "clear"),
  async run(argv) {
    const { values: v, positionals } = parse(argv, OPTIONS, true);
    const [sub, ...rest] = positionals;
    if (v.help || sub === undefined) {
      console.log(HELP);
      return sub === undefined && !v.help ? EXIT_USAGE : EXIT_OK;
    }
    const known = [
      "init",
      "ingest",
      "balances",
      "reader",
      "issuer",
      "ack",
      "denylist",
      "doctor",
      "risk",
      "rekey",
    ];
    if (!known.includes(sub)) throw new UsageError(`unknown subcommand '${sub}'`);
    const unsafe = v["unsafe-no-fsync"] === true || unsafeFromEnv();
    if (sub === "doctor") {
      const json = v.json === true;
      needDataDir(v.db ?? DEFAULT_DB_DIR, v.create === true);
      return doctor({ dataDir: v.db ?? DEFAULT_DB_DIR, unsafeNoFsync: unsafe, json });
    }
    if (sub === "init") return init(v.db, unsafe, v.json === true);
    if (sub === "rekey" && v["add-key"] === true) {
      needDataDir(v.db ?? DEFAULT_DB_DIR, v.create === true);
    }
    const added = sub === "rekey" && v["add-key"] === true ? addKey(v.db) : undefined;
    const deny = denyFlags(v);
    const c = await openFromFlags(v.db, unsafe, v.create === true, deny);
    try {
      const json = v.json === true;
      if (sub === "ingest") return await ingestFiles(c, rest, json);
      if (sub === "balances") return await balances(c, json);
      if (sub === "rekey") {
        const n = await resealAll(c.db, c.sealer, true);
        const k = c.sealer.newestId;
        console.log(
          json
            ? JSON.stringify({ resealed: n, keyId: k, keyIds: c.sealer.keyIds })
            : `${added === undefined ? "" : `data key ${added} added to the key file\n`}` +
                `${n} secret(s) re-encrypted under data key ${k}; older keys may now be removed`,
        );
        return EXIT_OK;
      }
      const risky: RiskFlags = { ...v };
      if (sub === "risk") return await risk(c, rest[0], risky, json);
      if (sub === "reader" && rest[0] === "import") {
        return await importReader(c, rest[1], v.operator, json);
      }
      if (sub === "reader") {
        const decided = await readerRisk(c, rest[0], risky, json);
        if (decided !== undefined) return decided;
        if (rest[0] === "add" && v.state !== undefined) {
          return await addKeptReader(
            c,
            needKept(v.state, false),
            need(v.operator, "operator"),
            json,
            v.name,
          );
        }
        if (rest[0] !== "add")
          throw new UsageError("usage: clear reader add --reader HEX --key HEX --operator NAME");
        const cur = currencyFlag("currency", v.currency);
        const r = await c
          .registerReader({
            readerId: need(v.reader, "reader"),
            devicePublicKey: need(v.key, "key"),
            operatorId: need(v.operator, "operator"),
            currency: cur.numeric,
            amountMin: v.min === undefined ? 1 : amountFlag("min", v.min, cur, U32_MAX),
            amountMax: v.max === undefined ? 10_000 : amountFlag("max", v.max, cur, U32_MAX),
            driftToleranceS: intFlag("drift", v.drift, 300, 3600),
            ...(v["deny-max-age"] === undefined
              ? {}
              : { denyMaxAgeS: intFlag("deny-max-age", v["deny-max-age"], 0) }),
            ...(v.name === undefined ? {} : { name: v.name }),
          })
          .catch((e: unknown) => {
            throw new UsageError(e instanceof Error ? e.message : String(e));
          });
        console.log(
          json
            ? JSON.stringify(r, null, 2)
            : `reader ${r.readerId} registered for operator ${r.operatorId}`,
        );
        return EXIT_OK;
      }
      if (sub === "issuer") {
        if (rest[0] !== "add")
          throw new UsageError("usage: clear issuer add --issuer ID --key HEX");
        const id = intFlag("issuer", need(v.issuer, "issuer"), 0, 0xffffffff);
        await c.registerIssuerKey(id, need(v.key, "key")).catch((e: unknown) => {
          throw new UsageError(e instanceof Error ? e.message : String(e));
        });
        console.log(json ? JSON.stringify({ issuerKeyId: id }) : `issuer key ${id} registered`);
        return EXIT_OK;
      }
      if (sub === "ack") {
        const ack = await c.acknowledgement(need(v.reader, "reader")).catch((e: unknown) => {
          throw new UsageError(e instanceof Error ? e.message : String(e));
        });
        console.log(
          json
            ? JSON.stringify({ ack: ack ? Buffer.from(ack).toString("hex") : null })
            : ack
              ? Buffer.from(ack).toString("hex")
              : "nothing to acknowledge",
        );
        return EXIT_OK;
      }
      const dl = await c.denyList();
      console.log(
        json
          ? JSON.stringify({ ...dl, image: Buffer.from(dl.image).toString("hex") }, null, 2)
          : Buffer.from(dl.image).toString("hex"),
      );
      return EXIT_OK;
    } finally {
      await c.close();
    }
  },
};
