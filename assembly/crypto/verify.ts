// Ed25519 signature verification under the strict policy of policy.ts (see SECURITY.md):
// the rules are checked in the policy's order and the first failing one is returned.
//
// Three entry points share the same rules and the same final equation
//   encode([S]B - [k]A) == R (bytes),   k = SHA-512(R || A || M) mod L   (cofactorless):
//   - ed25519Verify: one shot, message in memory;
//   - ed25519VerifyBegin / Update / End: the message streamed in pieces (one stream at a
//     time, in its own static context, so a one-shot verify in between does not disturb it);
//   - ed25519RegisterKey / ed25519VerifyRegistered: an issuer key validated and expanded
//     into precomputed tables in advance, so its verifies skip decompression and use the
//     split-scalar multiplication of verify-msm.ts (32 doublings);
//   - ed25519VerifyRegisteredDecoding / ed25519VerifyDecoded: a registered verify that
//     also decodes another key in the same exponentiation (point.ts, p2ToBytesDecoding),
//     and a following plain verify under that key that uses the decoded point. A reader
//     verifies a certificate under its issuer's registered key, then the payment under
//     the wallet key inside it: one exponentiation fewer per first-time tap.
// Every entry but the stream takes optional decoding hints (docs/PROTOCOL.md, "Decoding
// hints"): the x-coordinates of R and of the key, checked with a few multiplications
// (point.ts, p3FromHint) and used instead of a square root or an inversion when they
// hold, ignored when they do not — the status is the same for every hint.
// Plain verify decides the equation as [u]B ∓ [r]A - [m]R = 0 with short r, m from a
// lattice reduction (verify-lattice.ts: exact for every input, mixed-order keys included;
// ~128 doublings instead of 253 and no inversion); the registered path and the rare
// inputs without a short vector encode [S]B - [k]A and compare bytes.
// Everything is static memory; nothing allocates. Variable time: all inputs are public.
import { REGISTERED_KEYS_MAX, VERIFY_TABLES_BYTES_MAX } from "../limits";
import { VerifyStatus } from "./policy";
import { SHA512_CTX_BYTES, sha512Init, sha512Update, sha512Final } from "./sha512";
import { scalarIsCanonical, scalarReduce64, scalarMulAdd } from "./scalar";
import {
  P2_BYTES, P3_BYTES, DECODE_OK, DECODE_NOT_CANONICAL, DECODE_NOT_ON_CURVE,
  p3FromBytes, p2ToBytes, p2ToBytesDecoding, p2IsIdentity, encodingIsCanonical,
  p3FromHint, p2EqualsHinted, HINT_UNUSABLE, HINT_EQUAL,
} from "./point";
import { shortLatticeVector } from "./verify-lattice";
import {
  VERIFY_TABLE_BYTES, buildBaseTables, buildKeySlotTables,
  doubleScalarMulBase, doubleScalarMulRegistered, tripleScalarMulShort,
} from "./verify-msm";

const PK_BYTES: i32 = 32;
const SIG_BYTES: i32 = 64;

// Canonical y (sign bit cleared) of every small-order point, as four little-endian u64:
// 0 (order 4), 1 (identity), p - 1 (order 2), and the two y of the order-8 points.
const SMALL_ORDER_Y: usize = memory.data<u64>([
  0x0000000000000000, 0x0000000000000000, 0x0000000000000000, 0x0000000000000000,
  0x0000000000000001, 0x0000000000000000, 0x0000000000000000, 0x0000000000000000,
  0xffffffffffffffec, 0xffffffffffffffff, 0xffffffffffffffff, 0x7fffffffffffffff,
  0xb027b2c28f95e826, 0xf098eff289f4c345, 0x3933c6d305acdfd5, 0x05fc536d880238b1,
  0x4fd84d3d706a17c7, 0x0f67100d760b3cba, 0xc6cc392cfa53202a, 0x7a03ac9277fdc74e,
]);
const SMALL_ORDER_Y_COUNT: i32 = 5;

// One-shot working memory.
const oneShotA: usize = memory.data(P3_BYTES, 16);
const oneShotSha: usize = memory.data(SHA512_CTX_BYTES, 16);
// Shared by every path (never live across calls).
const digest: usize = memory.data(64, 16);
const kScalar: usize = memory.data(32, 16);
const checkP2: usize = memory.data(P2_BYTES, 16);
const checkBytes: usize = memory.data(32, 16);
const latticeR: usize = memory.data(32, 16);
const latticeM: usize = memory.data(32, 16);
const uScalar: usize = memory.data(32, 16);
const rPoint: usize = memory.data(P3_BYTES, 16);
const ZERO_SCALAR: usize = memory.data(32, 16);
const hintScratch: usize = memory.data(P3_BYTES, 16);

// The streaming context: copies of the key and signature, the decoded key, the hash
// state and the status of rules 1–6 (End reports it, or runs rule 7 when Valid).
const streamPk: usize = memory.data(PK_BYTES, 16);
const streamSig: usize = memory.data(SIG_BYTES, 16);
const streamA: usize = memory.data(P3_BYTES, 16);
const streamSha: usize = memory.data(SHA512_CTX_BYTES, 16);
let streamStatus: i32 = VerifyStatus.EquationMismatch;
let streamOpen: bool = false;

// Registered keys: the encoded key (hashed into k) and whether the slot holds one.
const slotPk: usize = memory.data(REGISTERED_KEYS_MAX * PK_BYTES, 16);
const slotFilled: usize = memory.data(REGISTERED_KEYS_MAX, 16);
const registerA: usize = memory.data(P3_BYTES, 16);

// The key ed25519VerifyRegisteredDecoding decoded on the side: its bytes (a verify under
// any other bytes never sees the rest), the decoded point and its status by rules 2–4.
const decodedPk: usize = memory.data(PK_BYTES, 16);
const decodedA: usize = memory.data(P3_BYTES, 16);
let decodedStatus: i32 = VerifyStatus.EquationMismatch;
let decodedHeld: bool = false;

assert(VERIFY_TABLE_BYTES <= VERIFY_TABLES_BYTES_MAX, "verify tables over budget");
buildBaseTables();

// ---- rules 1–6 -------------------------------------------------------------------

/** Copies n bytes (a multiple of 8) as u64 words: keys and signatures, nothing longer
 *  (a loop of loads keeps the general memcpy out of the binary). */
function copyWords(dst: usize, src: usize, n: i32): void {
  for (let i: usize = 0; i < <usize>n; i += 8) store<u64>(dst + i, load<u64>(src + i));
}

/** True iff the canonical encoding at s has the y of a small-order point (any sign). */
function isSmallOrderEncoding(s: usize): bool {
  const w0 = load<u64>(s, 0), w1 = load<u64>(s, 8), w2 = load<u64>(s, 16);
  const w3 = load<u64>(s, 24) & 0x7fffffffffffffff;
  for (let i = 0; i < SMALL_ORDER_Y_COUNT; i++) {
    const y = SMALL_ORDER_Y + <usize>(i << 5);
    const low = w0 == load<u64>(y, 0) && w1 == load<u64>(y, 8);
    if (low && w2 == load<u64>(y, 16) && w3 == load<u64>(y, 24)) {
      return true;
    }
  }
  return false;
}

/** Rules 2–4 on the key at pk; on Valid, a holds the decoded point. xHint (0: none) is
 *  a decoding hint for pk (point.ts, p3FromHint): the same status and point either way. */
function checkPublicKey(pk: usize, a: usize, xHint: usize = 0): i32 {
  return publicKeyStatus(decodeHinted(a, pk, xHint), pk);
}

/** p3FromBytes(h, s), from the hint at xHint when there is one (not 0) and it holds. */
function decodeHinted(h: usize, s: usize, xHint: usize): i32 {
  if (xHint != 0 && encodingIsCanonical(s) && p3FromHint(h, s, xHint)) return DECODE_OK;
  return p3FromBytes(h, s);
}

/** Rules 2–4 on the key at pk, given p3FromBytes's result for it. */
function publicKeyStatus(decoded: i32, pk: usize): i32 {
  if (decoded == DECODE_NOT_CANONICAL) return VerifyStatus.PublicKeyNotCanonical;
  if (decoded == DECODE_NOT_ON_CURVE) return VerifyStatus.PublicKeyNotOnCurve;
  // A decoded point has small order iff it is one of the 8 torsion points, whose y are
  // exactly the five SMALL_ORDER_Y values: the bytes decide it without [8]A (three
  // doublings, ~0.2 M interpreted instructions on the device core).
  if (isSmallOrderEncoding(pk)) return VerifyStatus.PublicKeySmallOrder;
  return VerifyStatus.Valid;
}

/** Rules 5–6 on R (the first half of sig). R is checked on its bytes: it is never decoded. */
function checkR(sig: usize): i32 {
  if (!encodingIsCanonical(sig)) return VerifyStatus.RNotCanonical;
  if (isSmallOrderEncoding(sig)) return VerifyStatus.RSmallOrder;
  return VerifyStatus.Valid;
}

/** Rules 1–6 in policy order; on Valid, a holds the decoded key. */
function checkHead(pk: usize, sig: usize, a: usize, pkHint: usize = 0): i32 {
  if (!scalarIsCanonical(sig + <usize>32)) return VerifyStatus.SNotCanonical;
  const keyStatus = checkPublicKey(pk, a, pkHint);
  if (keyStatus != VerifyStatus.Valid) return keyStatus;
  return checkR(sig);
}

/** Starts k's hash: SHA-512(R || A || …). */
function hashBegin(ctx: usize, sig: usize, pk: usize): void {
  sha512Init(ctx);
  sha512Update(ctx, sig, 32);
  sha512Update(ctx, pk, PK_BYTES);
}

/** True iff the encoding of checkP2 equals R (by the hint for R at rHint when there is
 *  one and it holds, without an inversion; else by encoding and comparing bytes). */
function checkEqualsR(sig: usize, rHint: usize = 0): bool {
  if (rHint != 0) {
    const r = p2EqualsHinted(checkP2, sig, rHint, hintScratch);
    if (r != HINT_UNUSABLE) return r == HINT_EQUAL;
  }
  p2ToBytes(checkBytes, checkP2);
  return checkBytesEqualR(sig);
}

/** True iff checkBytes (an encoded point) equals R. */
function checkBytesEqualR(sig: usize): bool {
  const c = checkBytes;
  return load<u64>(c, 0) == load<u64>(sig, 0) && load<u64>(c, 8) == load<u64>(sig, 8)
    && load<u64>(c, 16) == load<u64>(sig, 16) && load<u64>(c, 24) == load<u64>(sig, 24);
}

/**
 * Rule 7 for a decoded key, once the hash holds R || A || M. Normally through the short
 * lattice vector (verify-lattice.ts: ~128 doublings, no inversion, exact for every input);
 * the classic encode-and-compare path covers the inputs where no short vector fits.
 */
function finishEquation(ctx: usize, sig: usize, a: usize, rHint: usize = 0): i32 {
  sha512Final(ctx, digest);
  scalarReduce64(digest, kScalar);
  const sigma = shortLatticeVector(kScalar, latticeR, latticeM);
  if (sigma != 0) {
    // R passed rules 5–6, so it is canonical; an R off the curve can never be encode(…).
    if (decodeHinted(rPoint, sig, rHint) != DECODE_OK) return VerifyStatus.EquationMismatch;
    scalarMulAdd(latticeM, sig + <usize>32, ZERO_SCALAR, uScalar);   // u = m·S mod L
    tripleScalarMulShort(checkP2, uScalar, latticeR, latticeM, a, sigma > 0, rPoint);
    return p2IsIdentity(checkP2) ? VerifyStatus.Valid : VerifyStatus.EquationMismatch;
  }
  doubleScalarMulBase(checkP2, sig + <usize>32, kScalar, a);
  return checkEqualsR(sig, rHint) ? VerifyStatus.Valid : VerifyStatus.EquationMismatch;
}

// ---- one shot --------------------------------------------------------------------

/** Verifies sig (64 bytes) on msg (len bytes) under pk (32 bytes); returns a VerifyStatus.
 *  pkHint and rHint (0: none) are decoding hints for pk and for R (point.ts,
 *  p3FromHint): they change the cost, never the status. */
export function ed25519Verify(
  pk: usize, msg: usize, len: i32, sig: usize, rHint: usize = 0, pkHint: usize = 0,
): i32 {
  const status = checkHead(pk, sig, oneShotA, pkHint);
  if (status != VerifyStatus.Valid) return status;
  hashBegin(oneShotSha, sig, pk);
  sha512Update(oneShotSha, msg, len);
  return finishEquation(oneShotSha, sig, oneShotA, rHint);
}

// ---- streaming -------------------------------------------------------------------

/**
 * Starts a streamed verify: checks rules 1–6 and returns their status (Valid = go on
 * with Update/End). pk and sig are copied, so the caller may reuse their memory.
 */
export function ed25519VerifyBegin(pk: usize, sig: usize): i32 {
  copyWords(streamPk, pk, PK_BYTES);
  copyWords(streamSig, sig, SIG_BYTES);
  streamStatus = checkHead(streamPk, streamSig, streamA);
  streamOpen = true;
  if (streamStatus == VerifyStatus.Valid) hashBegin(streamSha, streamSig, streamPk);
  return streamStatus;
}

/** Feeds the next len bytes of the message (ignored after a failed Begin or without one). */
export function ed25519VerifyUpdate(msg: usize, len: i32): void {
  if (streamOpen && streamStatus == VerifyStatus.Valid && len > 0) {
    sha512Update(streamSha, msg, len);
  }
}

/**
 * Finishes the stream: the status of Begin if it failed, else rule 7. Closes the stream;
 * End without an open stream returns EquationMismatch (nothing was verified).
 */
export function ed25519VerifyEnd(): i32 {
  if (!streamOpen) return VerifyStatus.EquationMismatch;
  streamOpen = false;
  if (streamStatus != VerifyStatus.Valid) return streamStatus;
  streamStatus = VerifyStatus.EquationMismatch;
  return finishEquation(streamSha, streamSig, streamA);
}

// ---- registered keys ---------------------------------------------------------------

/**
 * Validates pk by rules 2–4 and, when Valid, stores it in slot with its precomputed
 * tables. Any other status leaves the slot empty (an operator who meant to replace a
 * key must not silently keep verifying under the old one).
 */
export function ed25519RegisterKey(slot: i32, pk: usize): i32 {
  if (slot < 0 || slot >= REGISTERED_KEYS_MAX) return VerifyStatus.KeySlotInvalid;
  store<u8>(slotFilled + <usize>slot, 0);
  const status = checkPublicKey(pk, registerA);
  if (status != VerifyStatus.Valid) return status;
  copyWords(slotPk + <usize>(slot * PK_BYTES), pk, PK_BYTES);
  buildKeySlotTables(slot, registerA);
  store<u8>(slotFilled + <usize>slot, 1);
  return VerifyStatus.Valid;
}

/** ed25519Verify under the key registered in slot (same rules; 2–4 held at registration);
 *  rHint (0: none) is a decoding hint for R, as in ed25519Verify. */
export function ed25519VerifyRegistered(
  slot: i32, msg: usize, len: i32, sig: usize, rHint: usize = 0,
): i32 {
  const status = registeredEquation(slot, msg, len, sig);
  if (status != VerifyStatus.Valid) return status;
  return checkEqualsR(sig, rHint) ? VerifyStatus.Valid : VerifyStatus.EquationMismatch;
}

/** A registered verify up to its last step: the slot, rules 1, 5, 6 and checkP2 =
 *  [S]B - [k]A, left for encoding. Valid = go on and compare with R. */
function registeredEquation(slot: i32, msg: usize, len: i32, sig: usize): i32 {
  if (slot < 0 || slot >= REGISTERED_KEYS_MAX) return VerifyStatus.KeySlotInvalid;
  if (load<u8>(slotFilled + <usize>slot) == 0) return VerifyStatus.KeySlotEmpty;
  if (!scalarIsCanonical(sig + <usize>32)) return VerifyStatus.SNotCanonical;
  const status = checkR(sig);
  if (status != VerifyStatus.Valid) return status;
  const pk = slotPk + <usize>(slot * PK_BYTES);
  hashBegin(oneShotSha, sig, pk);
  sha512Update(oneShotSha, msg, len);
  sha512Final(oneShotSha, digest);
  scalarReduce64(digest, kScalar);
  doubleScalarMulRegistered(checkP2, sig + <usize>32, kScalar, slot);
  return VerifyStatus.Valid;
}

// ---- a registered verify that decodes the next key -----------------------------------

/**
 * ed25519VerifyRegistered(slot, msg, len, sig) — the same status for every input — that
 * also decodes the key at pk (32 bytes) in the exponentiation encoding its result needs,
 * and holds the point and its rules 2–4 status for ed25519VerifyDecoded under the same
 * key bytes. The key is decoded only when the verify reaches its last step (slot, S and R
 * passed); otherwise nothing is held. Replaces anything held before. rHint and pkHint (0:
 * none) are decoding hints for R and for pk: when they hold, no exponentiation at all.
 */
export function ed25519VerifyRegisteredDecoding(
  slot: i32, msg: usize, len: i32, sig: usize, pk: usize, rHint: usize = 0, pkHint: usize = 0,
): i32 {
  decodedHeld = false;
  const status = registeredEquation(slot, msg, len, sig);
  if (status != VerifyStatus.Valid) return status;
  copyWords(decodedPk, pk, PK_BYTES);
  decodedHeld = true;
  // With hints for both, neither needs the exponentiation; with one, the other is done
  // on its own (no exponent left to share); with none, one exponent does both.
  const keyHinted = pkHint != 0 && encodingIsCanonical(decodedPk)
    && p3FromHint(decodedA, decodedPk, pkHint);
  const compared = rHint != 0 ? p2EqualsHinted(checkP2, sig, rHint, hintScratch) : HINT_UNUSABLE;
  if (keyHinted || compared != HINT_UNUSABLE) {
    const decoded = keyHinted ? DECODE_OK : p3FromBytes(decodedA, decodedPk);
    decodedStatus = publicKeyStatus(decoded, decodedPk);
    const equal = compared != HINT_UNUSABLE ? compared == HINT_EQUAL : checkEqualsR(sig);
    return equal ? VerifyStatus.Valid : VerifyStatus.EquationMismatch;
  }
  decodedStatus = publicKeyStatus(p2ToBytesDecoding(checkBytes, checkP2, decodedA, decodedPk),
    decodedPk);
  return checkBytesEqualR(sig) ? VerifyStatus.Valid : VerifyStatus.EquationMismatch;
}

/**
 * ed25519Verify(pk, msg, len, sig) — the same status for every input, in the policy's
 * order — using the key decoded by the last ed25519VerifyRegisteredDecoding when pk holds
 * the same 32 bytes (else it decodes pk itself). What is held stays until the next
 * ed25519VerifyRegisteredDecoding or ed25519ForgetDecoded.
 */
export function ed25519VerifyDecoded(
  pk: usize, msg: usize, len: i32, sig: usize, rHint: usize = 0, pkHint: usize = 0,
): i32 {
  if (!decodedHeld || !keyBytesEqual(pk, decodedPk)) {
    return ed25519Verify(pk, msg, len, sig, rHint, pkHint);
  }
  if (!scalarIsCanonical(sig + <usize>32)) return VerifyStatus.SNotCanonical;
  if (decodedStatus != VerifyStatus.Valid) return decodedStatus;
  const status = checkR(sig);
  if (status != VerifyStatus.Valid) return status;
  hashBegin(oneShotSha, sig, pk);
  sha512Update(oneShotSha, msg, len);
  return finishEquation(oneShotSha, sig, decodedA, rHint);
}

/** Drops the key held by ed25519VerifyRegisteredDecoding (a reader does at each tap, so
 *  that a tap's cost does not depend on the one before). */
export function ed25519ForgetDecoded(): void {
  decodedHeld = false;
}

function keyBytesEqual(a: usize, b: usize): bool {
  return load<u64>(a, 0) == load<u64>(b, 0) && load<u64>(a, 8) == load<u64>(b, 8)
    && load<u64>(a, 16) == load<u64>(b, 16) && load<u64>(a, 24) == load<u64>(b, 24);
}
