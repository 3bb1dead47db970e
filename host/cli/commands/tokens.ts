// `offtap tokens issue|list|revoke` — the HTTP API's bearer tokens (docs/SERVER.md
// "Authentication"): issued with an expiry, shown once, revoked one by one. They are
// recorded (without the token) in the register beside the server's secret.
import { join } from "node:path";
import type { Command } from "../command.ts";
import { EXIT_OK, UsageError } from "../command.ts";
import { parse, intFlag } from "../args.ts";
import { table } from "../output.ts";
import { TokenAuthority, TOKEN_TTL_S_MAX } from "../../server/auth.ts";
import { registerPath, TokenRegister } from "../../server/token-register.ts";
import { DEFAULT_DB_DIR, loadOrCreateSecret } from "./serve.ts";
import { needDataDir } from "./db-flags.ts";

const DAY_S = 24 * 3600;

const HELP = `usage: offtap tokens issue (--operator | --owner ID) [--days N] [--note TEXT]
       offtap tokens list
       offtap tokens revoke ID

API tokens for 'offtap serve' (docs/SERVER.md "Authentication"). 'issue' prints the token
once (it is not stored); it expires after --days (default 30, at most 366). 'revoke' stops
one token at once, also in a running server.

options:
  --db DIR            the server's data directory (default ${DEFAULT_DB_DIR}); it must
                      exist ('offtap clear init --db DIR' makes one)
  --secret-file FILE  the token secret (default DIR/api-secret); the register of issued
                      tokens is api-tokens.json beside it
  --json              machine-readable output
  -h, --help          this help`;

export const command: Command = {
  name: "tokens",
  summary: "issue, list and revoke API tokens for the server",
  async run(argv) {
    const { values: v, positionals } = parse(
      argv,
      {
        db: { type: "string" },
        "secret-file": { type: "string" },
        json: { type: "boolean" },
        operator: { type: "boolean" },
        owner: { type: "string" },
        days: { type: "string" },
        note: { type: "string" },
        help: { type: "boolean", short: "h" },
      },
      true,
    );
    const [sub, ...rest] = positionals;
    if (v.help === true) {
      console.log(HELP);
      return EXIT_OK;
    }
    // The secret lives in the server's database folder: a mistyped --db is an error.
    if (v["secret-file"] === undefined && sub !== undefined) {
      needDataDir(v.db ?? DEFAULT_DB_DIR, false);
    }
    const secretFile = v["secret-file"] ?? join(v.db ?? DEFAULT_DB_DIR, "api-secret");
    const register = new TokenRegister(registerPath(secretFile));
    const json = v.json === true;
    if (sub === "issue") {
      if ((v.operator === true) === (v.owner !== undefined))
        throw new UsageError("issue needs exactly one of --operator or --owner ID");
      const days = intFlag("days", v.days, 30, Math.floor(TOKEN_TTL_S_MAX / DAY_S));
      if (days < 1) throw new UsageError("--days is at least 1");
      const tokens = new TokenAuthority(loadOrCreateSecret(secretFile), register);
      const p =
        v.owner !== undefined
          ? { role: "owner" as const, ownerId: v.owner }
          : { role: "operator" as const };
      let t;
      try {
        t = tokens.issueToken(p, { ttlS: days * DAY_S, note: v.note ?? "" });
      } catch (e) {
        throw new UsageError(e instanceof Error ? e.message : String(e));
      }
      const expires = new Date(t.expiresAt * 1000).toISOString();
      console.log(
        json
          ? JSON.stringify({ ...t, expires })
          : `${t.token}\n(id ${t.id}, ${t.subject}, expires ${expires}; shown once)`,
      );
      return EXIT_OK;
    }
    if (sub === "list") {
      const now = Math.floor(Date.now() / 1000);
      const list = register.list().map((r) => ({
        ...r,
        state: r.revokedAt !== null ? "revoked" : r.expiresAt <= now ? "expired" : "valid",
      }));
      if (json) console.log(JSON.stringify({ tokens: list }, null, 2));
      else {
        const iso = (s: number): string => new Date(s * 1000).toISOString();
        console.log(
          table([
            ["id", "subject", "issued", "expires", "state", "note"],
            ...list.map((r) => [
              r.id,
              r.subject,
              iso(r.createdAt),
              iso(r.expiresAt),
              r.state,
              r.note,
            ]),
          ]),
        );
      }
      return EXIT_OK;
    }
    if (sub === "revoke") {
      const id = rest[0];
      if (id === undefined)
        throw new UsageError("revoke needs a token id (see 'offtap tokens list')");
      if (!register.revoke(id, Math.floor(Date.now() / 1000)))
        throw new UsageError(`no token with id ${id} (see 'offtap tokens list')`);
      console.log(json ? JSON.stringify({ revoked: id }) : `token ${id} revoked`);
      return EXIT_OK;
    }
    throw new UsageError(
      sub === undefined
        ? "a subcommand is required: issue, list or revoke"
        : `unknown subcommand '${sub}'`,
    );
  },
};
