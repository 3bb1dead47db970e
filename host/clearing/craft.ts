// Hand-made ledger batches: records a wallet signs with any counter and cumulative, in
// batches signed by a reader's device key. For tests of what no honest reader produces
// (cross-reader over-cap spend, adversarial encodings) and for the ingest benchmark.
import { randomBytes } from "node:crypto";
import { Ed25519Key } from "../issuer/ed25519.ts";
import type { Issuer } from "../issuer/issuer.ts";
import { encodeRecordContent, type Payment } from "../ledger/format.ts";
import { authorizationSignedMessage, certHash, encodeAuthorization } from "../protocol/index.ts";

/** A signed batch of the given record bodies, as a reader with `deviceKey` would export it (docs/LEDGER.md §5). */
export function craftBatch(deviceKey: Ed25519Key, readerId16: Uint8Array, firstSeq: number, headBefore: Uint8Array, records: Payment[]): { bytes: Uint8Array; head: Uint8Array } {
  let head = headBefore;
  const contents = records.map((p, i) => { const c = encodeRecordContent(firstSeq + i, p, head); head = c.subarray(40, 72); return c; });
  const header = new Uint8Array(96);
  const v = new DataView(header.buffer);
  v.setUint32(0, 0x3142544f, true);
  v.setUint16(4, 1, true);
  v.setUint16(6, records.length, true);
  header.set(readerId16, 8);
  v.setUint32(24, firstSeq, true);
  v.setUint32(28, firstSeq + records.length - 1, true);
  header.set(headBefore, 32);
  header.set(head, 64);
  const signed = Buffer.concat([header, ...contents]);
  return { bytes: Buffer.concat([signed, deviceKey.sign(signed)]), head: Uint8Array.from(head) };
}

export interface CraftedWallet { key: Ed25519Key; certificate: Uint8Array; walletId: Uint8Array }

/** A wallet certified by `issuer` whose authorizations the test writes itself (any counter, any cumulative). */
export function craftWallet(issuer: Issuer, now: number, cap: number, currency = 978): CraftedWallet {
  const key = Ed25519Key.random();
  const walletId = Uint8Array.from(randomBytes(16));
  const cert = issuer.certify({ walletId, walletPublicKey: key.publicKey, offlineCap: cap, currency, validFrom: now - 86_400, validUntil: now + 86_400 * 365 });
  return { key, certificate: Uint8Array.from(cert.bytes), walletId };
}

/** The record body (authorization ‖ certificate) of a payment `w` signs for reader `readerId8`. */
export function craftPayment(w: CraftedWallet, readerId8: Uint8Array, a: { counter: number; amount: number; cumulative: number; time: number; currency?: number }): Payment {
  const body = {
    version: 1, challenge: Uint8Array.from(randomBytes(16)), readerId: readerId8, amount: a.amount, currency: a.currency ?? 978,
    readerTime: a.time, counter: a.counter, cumulative: a.cumulative,
  };
  const auth = encodeAuthorization({ ...body, walletSignature: w.key.sign(authorizationSignedMessage(certHash(w.certificate), body)) });
  return { walletId: w.walletId, counter: a.counter, amount: BigInt(a.amount), time: a.time, body: Buffer.concat([auth, w.certificate]) };
}
