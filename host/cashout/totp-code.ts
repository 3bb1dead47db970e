// The current TOTP code of an owner, computed as the owner's authenticator app would
// (`offtap cashout totp code`, docs/CASHOUT.md §3): for demo and test databases, so the
// README's road to a cash-out can be pasted. Whoever can run it already holds the
// database and its data key (and so the sealed secret); each use is in the audit trail.
import type { Db } from "../clearing/index.ts";
import type { Sealer } from "../clearing/sealed.ts";
import { audit } from "./store.ts";
import { totpParamsOf } from "./owners.ts";
import { base32Decode, totp } from "./totp.ts";
import type { Result } from "./types.ts";

export interface TotpCode {
  ownerId: string;
  code: string;
  /** Seconds until the next code. */
  validForS: number;
}

export async function currentTotpCode(db: Db, sealer: Sealer, ownerId: string, nowMs: number,
  actor: string): Promise<Result<TotpCode>> {
  return db.transaction(async (tx) => {
    const rows = await tx.query("SELECT * FROM cashout_owners WHERE id = $1", [ownerId]);
    const row = rows[0];
    if (row === undefined) return { ok: false, error: "NOT_FOUND", message: `no owner ${ownerId}` };
    if (row["totp_secret"] === null || row["totp_secret"] === undefined) {
      return { ok: false, error: "TOTP_NOT_ACTIVE",
        message: `owner ${ownerId} has no second factor (offtap cashout totp enroll)` };
    }
    const sealed = String(row["totp_secret"]);
    const secret = sealer.open(sealed, "cashout_owners", "totp_secret", ownerId);
    const params = totpParamsOf(row);
    const nowS = Math.floor(nowMs / 1000);
    const code = totp(base32Decode(secret), nowS, params);
    await audit(tx, new Date(nowMs).toISOString(), {
      actor, action: "totp.code_shown", decision: "ok", ownerId,
    });
    const validForS = params.stepSeconds - (nowS % params.stepSeconds);
    return { ok: true, value: { ownerId, code, validForS } };
  });
}
