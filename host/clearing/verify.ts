// Re-verification of a ledger record from its body (authorization 107 ‖ certificate 131)
// with the reader's checks in the reader's order (docs/PROTOCOL.md "Reader checks",
// docs/CLEARING.md §5), using the firmware's own strict verifier: one policy everywhere.
import { hash } from "node:crypto";
import { FirmwareCrypto } from "../firmware/crypto.ts";
import {
  AUTHORIZATION_BYTES,
  AUTHORIZATION_SIGNED_BYTES,
  AUTH_LABEL,
  CERTIFICATE_BYTES,
  CERTIFICATE_SIGNED_BYTES,
  CERT_LABEL,
  Reason,
  readU16,
  readU32,
  toHex,
  equalBytes,
} from "../protocol/index.ts";
import type { LedgerRecord } from "../ledger/format.ts";
import type { SigJob, VerifyPool } from "./verify-pool.ts";

export const RECORD_BODY_BYTES = AUTHORIZATION_BYTES + CERTIFICATE_BYTES; // 238
/** Verified certificates remembered (like the reader's cache, but bigger: clearing sees
 *  every wallet). */
export const CERT_CACHE_MAX = 100_000;

export interface IssuerKeyInfo {
  publicKey: Uint8Array;
  revokedAt: number | null;
}

/** What the reader was provisioned with (the registry's reader row). */
export interface ReaderPolicy {
  readerId: Uint8Array; // 16-byte ledger id (the wire's 8 bytes, zero-padded)
  currency: number;
  amountMin: number;
  amountMax: number;
  driftToleranceS: number;
}

export interface VerifiedRecord {
  ok: true;
  walletIdHex: string;
  counter: number;
  amount: number;
  cumulative: number;
  time: number;
  certHashHex: string;
  issuerKeyId: number;
  offlineCap: number;
  currency: number;
  /** The certificate's validity end (unix seconds): clearing vouches for it until then. */
  validUntil: number;
  /** SHA-512/16 of the authorization: two records are the same payment iff these are equal. */
  authShaHex: string;
}
export type RecordCheck = VerifiedRecord | { ok: false; reason: number };

/** Signature statuses worked out ahead (in worker threads) for one record. */
export interface PreChecked {
  cert?: number;
  auth?: number;
}
/** Where a status checked ahead goes: a record's certificate or authorization signature. */
export interface PreSlot {
  r: LedgerRecord;
  what: "cert" | "auth";
}

/** Stores statuses[from + i] as slots[i]'s status. */
export function storeStatuses(
  slots: readonly PreSlot[],
  statuses: Int32Array,
  from: number,
  out: WeakMap<LedgerRecord, PreChecked>,
): void {
  slots.forEach((s, i) => {
    const p = out.get(s.r) ?? {};
    p[s.what] = statuses[from + i]!;
    out.set(s.r, p);
  });
}

const no = (reason: number): RecordCheck => ({ ok: false, reason });
const concat = (...parts: Uint8Array[]): Uint8Array => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
};
/** SHA-512/16, one-shot (no hash object per record: ingest takes two per record). */
const h16 = (b: Uint8Array): Uint8Array => {
  const d = hash("sha512", b, "buffer");
  return new Uint8Array(d.buffer, d.byteOffset, 16);
};
const h16Hex = (b: Uint8Array): string => hash("sha512", b, "hex").slice(0, 32);

/** Issuer keys as hex, for the certificate cache's keys (a few keys, every record). */
const keyHexes = new WeakMap<Uint8Array, string>();
function keyHexOf(key: Uint8Array): string {
  let h = keyHexes.get(key);
  if (h === undefined) {
    h = toHex(key);
    keyHexes.set(key, h);
  }
  return h;
}

/** A record's certificate hash, worked out once per record body: the preload, the pool's
 *  jobs and `check` all need it. */
const certHashes = new WeakMap<Uint8Array, { bytes: Uint8Array; hex: string }>();
function certHashOf(body: Uint8Array): { bytes: Uint8Array; hex: string } {
  let h = certHashes.get(body);
  if (h === undefined) {
    const bytes = h16(body.subarray(AUTHORIZATION_BYTES));
    h = { bytes, hex: toHex(bytes) };
    certHashes.set(body, h);
  }
  return h;
}

/** The certificate hash (hex) a record's body carries, as `check` computes it; undefined for
 *  a body that is not a payment's. */
export function recordCertHashHex(r: LedgerRecord): string | undefined {
  if (r.kind !== 1 || r.body.length !== RECORD_BODY_BYTES) return undefined;
  return certHashOf(r.body).hex;
}

export class RecordVerifier {
  private readonly certOk = new Map<string, number>(); // certHash ‖ issuer key → VerifyStatus
  private cryptoInstance: FirmwareCrypto | undefined;

  constructor(crypto?: FirmwareCrypto) {
    this.cryptoInstance = crypto;
  }

  /** The firmware is loaded on first use, so opening clearing for balances needs no build. */
  private get crypto(): FirmwareCrypto {
    this.cryptoInstance ??= new FirmwareCrypto();
    return this.cryptoInstance;
  }

  /** The signature jobs `check` would run for these records (certificates not already
   *  cached nor in `queuedCerts`, which it extends), and where each status goes. A
   *  certificate left out because an earlier chunk queued it is in the cache by the time
   *  `check` meets it, or checked then on this thread. */
  jobsFor(
    records: readonly LedgerRecord[],
    issuers: ReadonlyMap<number, IssuerKeyInfo>,
    queuedCerts: Set<string>,
  ): { jobs: SigJob[]; slots: PreSlot[] } {
    const jobs: SigJob[] = [];
    const slots: PreSlot[] = [];
    for (const r of records) {
      if (r.kind !== 1 || r.body.length !== RECORD_BODY_BYTES) continue;
      const auth = r.body.subarray(0, AUTHORIZATION_BYTES);
      const cert = r.body.subarray(AUTHORIZATION_BYTES);
      const certHash = certHashOf(r.body);
      const issuer = issuers.get(readU32(cert, 1));
      if (issuer !== undefined) {
        const key = certHash.hex + keyHexOf(issuer.publicKey);
        if (!this.certOk.has(key) && !queuedCerts.has(key)) {
          queuedCerts.add(key);
          jobs.push({
            publicKey: issuer.publicKey,
            message: concat(CERT_LABEL, cert.subarray(0, CERTIFICATE_SIGNED_BYTES)),
            signature: cert.subarray(CERTIFICATE_SIGNED_BYTES),
          });
          slots.push({ r, what: "cert" });
        }
      }
      jobs.push({
        publicKey: cert.subarray(21, 53),
        message: concat(AUTH_LABEL, certHash.bytes, auth.subarray(0, AUTHORIZATION_SIGNED_BYTES)),
        signature: auth.subarray(AUTHORIZATION_SIGNED_BYTES),
      });
      slots.push({ r, what: "auth" });
    }
    return { jobs, slots };
  }

  /** Checks the records' signatures in `pool` (see jobsFor); `check` then takes the
   *  statuses from `out`. */
  async prepare(
    records: readonly LedgerRecord[],
    issuers: ReadonlyMap<number, IssuerKeyInfo>,
    pool: VerifyPool,
    queuedCerts = new Set<string>(),
    out = new WeakMap<LedgerRecord, PreChecked>(),
  ): Promise<WeakMap<LedgerRecord, PreChecked>> {
    const { jobs, slots } = this.jobsFor(records, issuers, queuedCerts);
    storeStatuses(slots, await pool.verifyAll(jobs), 0, out);
    return out;
  }

  private certificateStatus(
    cert: Uint8Array,
    certHashHex: string,
    issuerKey: Uint8Array,
    pre?: number,
  ): number {
    const cacheKey = certHashHex + keyHexOf(issuerKey);
    const cached = this.certOk.get(cacheKey);
    if (cached !== undefined) return cached;
    const st =
      pre ??
      this.crypto.verify(
        issuerKey,
        concat(CERT_LABEL, cert.subarray(0, CERTIFICATE_SIGNED_BYTES)),
        cert.subarray(CERTIFICATE_SIGNED_BYTES),
      );
    if (this.certOk.size >= CERT_CACHE_MAX) this.certOk.clear();
    this.certOk.set(cacheKey, st);
    return st;
  }

  /** Every check a reader makes that the record lets clearing repeat; the first failure
   *  names the reason. */
  check(
    r: LedgerRecord,
    reader: ReaderPolicy,
    issuers: ReadonlyMap<number, IssuerKeyInfo>,
    pre?: PreChecked,
  ): RecordCheck {
    if (r.kind !== 1 || r.body.length !== RECORD_BODY_BYTES) return no(Reason.MALFORMED);
    const auth = r.body.subarray(0, AUTHORIZATION_BYTES);
    const cert = r.body.subarray(AUTHORIZATION_BYTES);
    // 1. certificate layout
    if (cert[0] !== 1) return no(Reason.UNSUPPORTED_VERSION);
    const issuerKeyId = readU32(cert, 1);
    const currency = readU16(cert, 53);
    const offlineCap = readU32(cert, 55);
    const validFrom = readU32(cert, 59),
      validUntil = readU32(cert, 63);
    if (validUntil <= validFrom) return no(Reason.MALFORMED);
    // 2–3. issuer known, not revoked, signature
    const issuer = issuers.get(issuerKeyId);
    if (issuer === undefined) return no(Reason.ISSUER_UNKNOWN);
    if (issuer.revokedAt !== null && r.time >= issuer.revokedAt) return no(Reason.ISSUER_REVOKED);
    const { bytes: certHash, hex: certHashHex } = certHashOf(r.body);
    if (this.certificateStatus(cert, certHashHex, issuer.publicKey, pre?.cert) !== 0)
      return no(Reason.CERT_SIGNATURE_INVALID);
    // 4. window, with the reader's drift tolerance
    if (r.time + reader.driftToleranceS < validFrom) return no(Reason.CERT_NOT_YET_VALID);
    if (r.time > validUntil + reader.driftToleranceS) return no(Reason.CERT_EXPIRED);
    // 6. currency and per-tap limits
    if (currency !== reader.currency) return no(Reason.CURRENCY_MISMATCH);
    const amount = Number(r.amount);
    if (amount < reader.amountMin || amount > reader.amountMax)
      return no(Reason.AMOUNT_OUT_OF_LIMITS);
    // 7–9. authorization: version, reader id, amount, currency, time; the record's own fields
    if (auth[0] !== 1) return no(Reason.UNSUPPORTED_VERSION);
    if (!equalBytes(auth.subarray(17, 25), reader.readerId.subarray(0, 8)))
      return no(Reason.READER_ID_MISMATCH);
    if (readU32(auth, 25) !== amount) return no(Reason.AMOUNT_MISMATCH);
    if (readU16(auth, 29) !== reader.currency) return no(Reason.CURRENCY_MISMATCH);
    if (readU32(auth, 31) !== r.time) return no(Reason.MALFORMED);
    const counter = readU32(auth, 35),
      cumulative = readU32(auth, 39);
    if (!equalBytes(r.walletId, cert.subarray(5, 21)) || r.counter !== counter)
      return no(Reason.MALFORMED);
    // 10. wallet signature under the certified wallet key
    const walletStatus =
      pre?.auth ??
      this.crypto.verify(
        cert.subarray(21, 53),
        concat(AUTH_LABEL, certHash, auth.subarray(0, AUTHORIZATION_SIGNED_BYTES)),
        auth.subarray(AUTHORIZATION_SIGNED_BYTES),
      );
    if (walletStatus !== 0) return no(Reason.AUTH_SIGNATURE_INVALID);
    // 12. amount ≤ cumulative ≤ cap
    if (cumulative < amount || cumulative > offlineCap) return no(Reason.OVER_OFFLINE_CAP);
    return {
      ok: true,
      walletIdHex: toHex(r.walletId),
      counter,
      amount,
      cumulative,
      time: r.time,
      certHashHex,
      issuerKeyId,
      offlineCap,
      currency,
      validUntil,
      authShaHex: h16Hex(auth),
    };
  }
}
