// The register of issued API tokens (docs/SERVER.md "Authentication"): one JSON file,
// mode 0600, holding each token's id, subject, dates and note — never the token itself,
// which is shown once when issued. `offtap tokens` writes it; a running server re-reads it
// when its modification time or size changes, so a revocation takes effect at once.
import {
  chmodSync,
  existsSync,
  mkdirSync,
  readFileSync,
  renameSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { dirname, join } from "node:path";

export interface TokenRecord {
  id: string;
  subject: string;
  createdAt: number;
  expiresAt: number;
  revokedAt: number | null;
  note: string;
}

/** The register lives beside the token secret. */
export function registerPath(secretFile: string): string {
  return join(dirname(secretFile), "api-tokens.json");
}

/** Bounds the file a server re-reads: far more tokens than any installation issues. */
export const TOKEN_RECORDS_MAX = 100_000;

export class TokenRegister {
  private records: TokenRecord[] = [];
  private stamp = "";

  /** `path` undefined: in memory only (tests, the demo). */
  constructor(readonly path?: string) {
    this.reload();
  }

  list(): TokenRecord[] {
    this.reload();
    return this.records.map((r) => ({ ...r }));
  }

  /** Only registered, unrevoked ids are good: deleting the register revokes every token. */
  isGood(id: string): boolean {
    this.reload();
    const r = this.records.find((x) => x.id === id);
    return r !== undefined && r.revokedAt === null;
  }

  add(r: TokenRecord): void {
    this.reload();
    if (this.records.length >= TOKEN_RECORDS_MAX) {
      throw new RangeError(
        `the token register holds ${TOKEN_RECORDS_MAX} tokens; prune expired ones`,
      );
    }
    this.records.push(r);
    this.save();
  }

  /** Marks a token revoked; false when the id is unknown. */
  revoke(id: string, nowS: number): boolean {
    this.reload();
    const r = this.records.find((x) => x.id === id);
    if (r === undefined) return false;
    r.revokedAt ??= nowS;
    this.save();
    return true;
  }

  private reload(): void {
    if (this.path === undefined) return;
    if (!existsSync(this.path)) {
      this.records = [];
      this.stamp = "";
      return;
    }
    const st = statSync(this.path);
    const stamp = `${st.mtimeMs}:${st.size}`;
    if (stamp === this.stamp) return;
    const parsed = JSON.parse(readFileSync(this.path, "utf8")) as { tokens?: TokenRecord[] };
    if (!Array.isArray(parsed.tokens)) throw new Error(`${this.path} is not a token register`);
    this.records = parsed.tokens;
    this.stamp = stamp;
  }

  private save(): void {
    if (this.path === undefined) return;
    mkdirSync(dirname(this.path), { recursive: true, mode: 0o700 });
    const tmp = `${this.path}.tmp`;
    writeFileSync(tmp, `${JSON.stringify({ tokens: this.records }, null, 1)}\n`, { mode: 0o600 });
    chmodSync(tmp, 0o600);
    renameSync(tmp, this.path);
    const st = statSync(this.path);
    this.stamp = `${st.mtimeMs}:${st.size}`;
  }
}
