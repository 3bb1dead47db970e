// `offtap serve` — the clearing service's HTTP API and dashboard (docs/SERVER.md).
import { existsSync, mkdirSync, readFileSync, writeFileSync, chmodSync } from "node:fs";
import { dirname } from "node:path";
import { randomBytes } from "node:crypto";
import type { Command } from "../command.ts";
import { EXIT_OK, UsageError } from "../command.ts";
import { parse, intFlag } from "../args.ts";
import { bold, dim } from "../output.ts";
import { checkPortFree } from "../ports.ts";
import { Clearing } from "../../clearing/index.ts";
import { startServer, TokenAuthority, DEFAULT_HOST } from "../../server/index.ts";
import { TOKEN_SECRET_BYTES_MIN } from "../../server/auth.ts";
import { openCashoutPort } from "../../server/cashout-port.ts";
import { unsafeFromEnv } from "../../clearing/durability.ts";
import { durabilityLine } from "./clear-doctor.ts";
import { registerPath, TokenRegister } from "../../server/token-register.ts";
import { needDataDir, opening } from "./db-flags.ts";
import { DENY_FLAG_OPTIONS, DENY_FLAGS_HELP, denyFlags } from "./deny-flags.ts";

export const DEFAULT_DB_DIR = ".offtap/clearing";

const HELP = `usage: offtap serve [--port N] [--host ADDR] [--db DIR] [--secret-file FILE]

Serves the clearing HTTP API (/api/…) and the dashboard (/) until interrupted.
Storage: a PostgreSQL server when DATABASE_URL is set, else embedded PGlite in --db.
Secrets at rest are encrypted with the data key from OFFTAP_DATA_KEY_FILE or OFFTAP_DATA_KEY
(embedded default: DIR.key beside --db, created 0600; docs/CLEARING.md §12).

options:
  --port N            TCP port (default 8080; 0 picks a free one)
  --host ADDR         address to bind (default ${DEFAULT_HOST}: this machine only)
  --db DIR            PGlite data directory (default ${DEFAULT_DB_DIR})
  --create            create the database when --db names none yet (else an error)
  --secret-file FILE  the API token secret, created on first start (default DIR/api-secret);
                      delete it to revoke every token
  --unsafe-no-fsync   accept a database that does not sync commits (throwaway data only)
${DENY_FLAGS_HELP}
  --help              show this help

Refuses to start when commits would not be on disk before they are acknowledged (a server
with fsync=off): see \`offtap clear doctor\` and docs/CLEARING.md "Durability".
Prints no token: issue them with 'offtap tokens issue --operator' (or --owner ID), list and
revoke them with 'offtap tokens list|revoke' (docs/SERVER.md "Authentication"). The data
directory and every file in it are made private to this user (0700/0600).`;

/** The token secret survives restarts (tokens stay valid) and is readable by its owner only. */
export function loadOrCreateSecret(path: string): Uint8Array {
  if (existsSync(path)) {
    const hex = readFileSync(path, "utf8").trim();
    if (!/^[0-9a-f]+$/.test(hex) || hex.length < TOKEN_SECRET_BYTES_MIN * 2)
      throw new UsageError(
        `${path} does not hold a hex secret of at least ${TOKEN_SECRET_BYTES_MIN} bytes`,
      );
    return Uint8Array.from(Buffer.from(hex, "hex"));
  }
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const secret = randomBytes(TOKEN_SECRET_BYTES_MIN);
  writeFileSync(path, `${secret.toString("hex")}\n`, { mode: 0o600 });
  chmodSync(path, 0o600);
  return Uint8Array.from(secret);
}

export const command: Command = {
  name: "serve",
  summary: "serve the clearing HTTP API and dashboard",
  async run(argv) {
    const { values } = parse(argv, {
      port: { type: "string" },
      host: { type: "string" },
      db: { type: "string" },
      "secret-file": { type: "string" },
      help: { type: "boolean" },
      "unsafe-no-fsync": { type: "boolean" },
      create: { type: "boolean" },
      ...DENY_FLAG_OPTIONS,
    });
    if (values.help) {
      console.log(HELP);
      return EXIT_OK;
    }
    const port = intFlag("port", values.port, 8080, 65_535);
    const deny = denyFlags(values);
    // A busy port or a bad --host is reported before the database is opened.
    await checkPortFree(values.host ?? DEFAULT_HOST, port);
    const dbDir = values.db ?? DEFAULT_DB_DIR;
    needDataDir(dbDir, values.create === true); // before the API secret is written into it
    const secretFile = values["secret-file"] ?? `${dbDir}/api-secret`;
    const register = new TokenRegister(registerPath(secretFile));
    const tokens = new TokenAuthority(loadOrCreateSecret(secretFile), register);
    const unsafeNoFsync = values["unsafe-no-fsync"] === true || unsafeFromEnv();
    const clearing = await opening(() =>
      Clearing.open({
        dataDir: dbDir,
        unsafeNoFsync,
        create: values.create === true,
        ...deny,
      }),
    );
    const cashout = await openCashoutPort(clearing);
    const host = values.host ?? DEFAULT_HOST;
    const served = { clearing, ...(cashout === undefined ? {} : { cashout }), tokens, host, port };
    // A busy port or a bad --host ends the command: the database is closed (and its lock
    // released) before the one-line error, or the process would stay up holding it.
    const running = await startServer(served).catch(async (e: unknown) => {
      await clearing.close();
      throw e;
    });
    console.log(bold(`offtap serve — ${running.url} (${clearing.db.label})`));
    console.log(`durability: ${durabilityLine(await clearing.db.durability())}`);
    console.log(
      `secrets at rest: AES-256-GCM under data key ${clearing.sealer.newestId} ` +
        `(${clearing.sealer.source}; ${clearing.sealer.keyIds.length} key(s) in the keyring)`,
    );
    console.log(`dashboard: ${running.url}/#token=<token>`);
    console.log(
      dim(
        `tokens: offtap tokens issue --operator|--owner ID --db ${dbDir} (shown once, expire; ` +
          "revoke with offtap tokens revoke ID)",
      ),
    );
    console.log(
      dim("API: docs/SERVER.md; send the token as 'Authorization: Bearer <token>'. Ctrl-C stops."),
    );
    await new Promise<void>((resolve) => {
      const stop = (): void => {
        resolve();
      };
      process.once("SIGINT", stop);
      process.once("SIGTERM", stop);
    });
    await running.close();
    await clearing.close();
    return EXIT_OK;
  },
};
