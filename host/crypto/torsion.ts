// The eight small-order (torsion) points of edwards25519 and every way of writing them,
// canonical or not. Test generators use them to build the inputs strict policies reject.
import { Point } from "@noble/ed25519";
import { FIELD_P, encodedY, numberToBytesLE } from "./encoding.ts";

/**
 * A point of order 8, as published in libsodium's small-order blocklist and the
 * ed25519-speccheck vectors. torsionPoints() checks its order instead of trusting it.
 */
const ORDER_8_ENCODING = "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a";

export interface TorsionEncoding {
  /** The 32-byte encoding. */
  bytes: Uint8Array;
  /** Order of the point it decodes to (1, 2, 4 or 8). */
  order: number;
  /** True for the unique canonical encoding of the point. */
  canonical: boolean;
  /** Index i of the point i·T8 in the torsion group (0 = identity). */
  index: number;
}

function orderOf(p: Point): number {
  let q = p;
  for (let n = 1; n <= 8; n *= 2) {
    if (q.is0()) return n;
    q = q.double();
  }
  throw new Error("not a torsion point");
}

/** The 8 torsion points i·T8, i = 0..7, with T8 a point of order exactly 8. */
export function torsionPoints(): Point[] {
  const t8 = Point.fromBytes(Buffer.from(ORDER_8_ENCODING, "hex"));
  if (orderOf(t8) !== 8) throw new Error("torsion generator does not have order 8");
  const points: Point[] = [Point.ZERO];
  for (let i = 1; i < 8; i++) points.push(points[i - 1]!.add(t8));
  return points;
}

function withSign(y: bigint, sign: boolean): Uint8Array {
  const b = numberToBytesLE(y, 32);
  if (sign) b[31] = b[31]! | 0x80;
  return b;
}

/**
 * Every 32-byte string that decodes (leniently) to a torsion point: the 8 canonical
 * encodings, plus y + p where that is below 2^255 (y = 0 and y = 1), plus a set sign bit
 * on the x = 0 points (y = 1 and y = p - 1). 14 encodings in all.
 */
export function torsionEncodings(): TorsionEncoding[] {
  const out: TorsionEncoding[] = [];
  torsionPoints().forEach((p, index) => {
    const canonicalBytes = p.toBytes();
    const order = orderOf(p);
    out.push({ bytes: canonicalBytes, order, canonical: true, index });
    const y = encodedY(canonicalBytes);
    const sign = (canonicalBytes[31]! & 0x80) !== 0;
    const xIsZero = y === 1n || y === FIELD_P - 1n;
    if (xIsZero) out.push({ bytes: withSign(y, true), order, canonical: false, index });
    if (y + FIELD_P < 2n ** 255n) {
      out.push({ bytes: withSign(y + FIELD_P, sign), order, canonical: false, index });
      if (xIsZero) out.push({ bytes: withSign(y + FIELD_P, true), order, canonical: false, index });
    }
  });
  return out;
}
