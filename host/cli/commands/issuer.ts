// `offtap issuer` — issuer keys and wallet certificates (docs/PROTOCOL.md).
import { randomBytes } from "node:crypto";
import type { Command } from "../command.ts";
import { EXIT_OK, UsageError } from "../command.ts";
import { parse, intFlag } from "../args.ts";
import { bold, table } from "../output.ts";
import { currencyLabel, formatMoney, isoFromUnixSeconds } from "../../money/index.ts";
import { amountFlag, CURRENCY_FLAG_HELP, currencyFlag } from "../../money/flags.ts";
import {
  Issuer,
  issuerToKeyFile,
  readIssuerKeyFile,
  writeIssuerKeyFile,
} from "../../issuer/issuer.ts";
import { keyFileError } from "../files.ts";
import { paragraphTable } from "../help.ts";
import { certHash, fromHex, toHex, ProtocolError } from "../../protocol/index.ts";

const HELP = `usage: offtap issuer keygen [--key-id N] [--out FILE] [--json]
       offtap issuer certify --issuer KEYFILE --wallet-key HEX --cap 50.00 [--currency EUR]
                             --valid-from T --valid-until T [--wallet-id HEX] [--json]

keygen   creates an Ed25519 issuer key. With --out it writes the key file (mode 0600,
         never overwriting) and prints the public key and key id readers are
         provisioned with; without --out it prints the key file JSON to stdout.
certify  signs a wallet certificate (131 bytes, docs/PROTOCOL.md) with an issuer key
         file and prints it in hex with its certHash and decoded fields.

options:
  --key-id N        issuer key id, 0 … 4294967295 (keygen; default 1)
  --out FILE        key file to create (keygen)
  --issuer KEYFILE  issuer key file (certify)
  --wallet-key HEX  the wallet's Ed25519 public key, 32 bytes
  --wallet-id HEX   16-byte wallet id (default: random)
  --cap AMOUNT      offline spending cap in major units of --currency (50.00 EUR;
                    JPY has no decimals), at most 2^32 - 1 minor units
  --currency C      ${CURRENCY_FLAG_HELP}; default EUR
                    (the certificate carries the numeric code, 978)
  --valid-from T    start of validity: Unix seconds or an ISO 8601 date/time
  --valid-until T   end of validity, after --valid-from
  --json            machine-readable output (offlineCap in minor units beside the
                    currency's ISO 4217 code, times as Unix seconds and ISO 8601)
  --help            show this help`;

/** The certificate's cap is a u32 of minor units (docs/PROTOCOL.md). */
const CAP_MINOR_MAX = 0xffff_ffff;

/** Unix seconds or an ISO 8601 date, as a u32. */
function timeFlag(name: string, value: string | undefined): number {
  if (value === undefined) throw new UsageError(`--${name} is required`);
  let s: number;
  if (/^\d+$/.test(value)) s = Number(value);
  else {
    const ms = Date.parse(value);
    if (Number.isNaN(ms))
      throw new UsageError(`--${name} takes Unix seconds or an ISO 8601 date, got '${value}'`);
    s = Math.floor(ms / 1000);
  }
  if (s < 0 || s > 0xffffffff)
    throw new UsageError(`--${name} is outside the u32 Unix-seconds range`);
  return s;
}

function hexFlag(name: string, value: string | undefined, bytes: number): Uint8Array {
  if (value === undefined) throw new UsageError(`--${name} is required`);
  let b: Uint8Array;
  try {
    b = fromHex(value, name);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  if (b.length !== bytes)
    throw new UsageError(
      `--${name} must be ${bytes} bytes (${2 * bytes} hex digits), got ${b.length}`,
    );
  return b;
}

function required(name: string, value: string | undefined): string {
  if (value === undefined) throw new UsageError(`--${name} is required`);
  return value;
}

async function keygen(argv: string[]): Promise<number> {
  const { values } = parse(argv, {
    "key-id": { type: "string" },
    out: { type: "string" },
    json: { type: "boolean" },
    help: { type: "boolean" },
  });
  if (values.help) {
    console.log(HELP);
    return EXIT_OK;
  }
  const keyId = intFlag("key-id", values["key-id"], 1, 0xffffffff);
  const issuer = Issuer.generate(keyId);
  if (values.out === undefined) {
    console.log(JSON.stringify(issuerToKeyFile(issuer), null, 2));
    return EXIT_OK;
  }
  try {
    writeIssuerKeyFile(values.out, issuer);
  } catch (err) {
    throw keyFileError(values.out, err);
  }
  if (values.json)
    console.log(JSON.stringify({ keyId, publicKey: toHex(issuer.publicKey), file: values.out }));
  else
    console.log(
      `issuer key ${keyId} written to ${values.out} (keep it secret)\npublic key ${toHex(issuer.publicKey)}`,
    );
  return EXIT_OK;
}

async function certify(argv: string[]): Promise<number> {
  const { values } = parse(argv, {
    issuer: { type: "string" },
    "wallet-key": { type: "string" },
    "wallet-id": { type: "string" },
    cap: { type: "string" },
    currency: { type: "string" },
    "valid-from": { type: "string" },
    "valid-until": { type: "string" },
    json: { type: "boolean" },
    help: { type: "boolean" },
  });
  if (values.help) {
    console.log(HELP);
    return EXIT_OK;
  }
  let issuer: Issuer;
  try {
    issuer = readIssuerKeyFile(required("issuer", values.issuer));
  } catch (err) {
    if (err instanceof UsageError) throw err;
    throw new UsageError((err as Error).message);
  }
  const walletPublicKey = hexFlag("wallet-key", values["wallet-key"], 32);
  const walletId =
    values["wallet-id"] === undefined
      ? Uint8Array.from(randomBytes(16))
      : hexFlag("wallet-id", values["wallet-id"], 16);
  const cur = currencyFlag("currency", values.currency);
  const offlineCap = amountFlag("cap", required("cap", values.cap), cur, CAP_MINOR_MAX);
  const currency = cur.numeric;
  const validFrom = timeFlag("valid-from", values["valid-from"]);
  const validUntil = timeFlag("valid-until", values["valid-until"]);
  if (validUntil <= validFrom) throw new UsageError("--valid-until must be after --valid-from");
  let out;
  try {
    out = issuer.certify({
      walletId,
      walletPublicKey,
      offlineCap,
      currency,
      validFrom,
      validUntil,
    });
  } catch (err) {
    if (err instanceof ProtocolError) throw new UsageError(err.message);
    throw err;
  }
  const c = out.certificate;
  const fields = {
    certificate: toHex(out.bytes),
    certHash: toHex(certHash(out.bytes)),
    version: c.version,
    issuerKeyId: c.issuerKeyId,
    walletId: toHex(c.walletId),
    walletPublicKey: toHex(c.walletPublicKey),
    currency: currencyLabel(c.currency),
    offlineCap: c.offlineCap,
    validFrom: c.validFrom,
    validUntil: c.validUntil,
    validFromIso: isoFromUnixSeconds(c.validFrom),
    validUntilIso: isoFromUnixSeconds(c.validUntil),
  };
  if (values.json) {
    console.log(JSON.stringify(fields));
    return EXIT_OK;
  }
  console.log(bold("wallet certificate (131 bytes)"));
  console.log(fields.certificate);
  console.log("");
  console.log(
    table([
      ["field", "value"],
      ["certHash", fields.certHash],
      ["issuer key id", String(c.issuerKeyId)],
      ["wallet id", fields.walletId],
      ["wallet key", fields.walletPublicKey],
      ["currency", `${fields.currency} (${c.currency})`],
      ["offline cap", formatMoney(c.offlineCap, c.currency)],
      ["valid from", fields.validFromIso],
      ["valid until", fields.validUntilIso],
    ]),
  );
  return EXIT_OK;
}

export const command: Command = {
  name: "issuer",
  summary: "create issuer keys and certify wallets",
  help: paragraphTable(HELP, "issuer", ["keygen", "certify"]),
  async run(argv) {
    const [sub, ...rest] = argv;
    if (sub === undefined || sub === "--help" || sub === "-h") {
      console.log(HELP);
      return sub === undefined ? 2 : EXIT_OK;
    }
    if (sub === "keygen") return keygen(rest);
    if (sub === "certify") return certify(rest);
    throw new UsageError(`unknown subcommand '${sub}' (keygen or certify)`);
  },
};
