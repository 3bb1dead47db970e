// The firmware's choice of verification path, modelled exactly: assembly/crypto/
// verify-lattice.ts's shortLatticeVector in BigInt. The firmware verifies through a
// short lattice vector for almost every challenge k and takes the classic path when none
// fits its bit budget (a few in a million hash values). Generators use this to find
// inputs that reach the rare path; tests check the firmware agrees.
import { GROUP_L } from "./encoding.ts";

/** Largest scalar length (bits) the firmware's short multiplication accepts. */
export const LATTICE_BITS_MAX = 136;
/** Euclid steps before the firmware gives up. */
const EUCLID_STEPS_MAX = 300;
const EIGHT_L = 8n * GROUP_L;

export interface ShortVector {
  r: bigint;
  m: bigint;
  sigma: 1 | -1;
}

function bitLength(x: bigint): number {
  return x === 0n ? 0 : x.toString(2).length;
}

/** The pair (r, m) the firmware finds for k < L, or null when it takes the classic path. */
export function shortLatticeVector(k: bigint): ShortVector | null {
  let r0 = EIGHT_L;
  let r1 = k;
  let t0 = 0n;
  let t1 = 1n;
  let sigma: 1 | -1 = 1;
  const step = (): void => {
    const q = r0 / r1;
    [r0, r1] = [r1, r0 - q * r1];
    [t0, t1] = [t1, t0 + q * t1];
    sigma = sigma === 1 ? -1 : 1;
  };
  for (let steps = 1; bitLength(r1) > 128; steps++) {
    if (steps > EUCLID_STEPS_MAX) return null;
    step();
  }
  if ((t1 & 1n) === 0n) {
    if (bitLength(r0) <= LATTICE_BITS_MAX) {
      [r0, r1] = [r1, r0];
      [t0, t1] = [t1, t0];
      sigma = sigma === 1 ? -1 : 1;
    } else if (r1 !== 0n) {
      step();
    }
  }
  if ((t1 & 1n) === 0n) return null;
  if (bitLength(r1) > LATTICE_BITS_MAX || bitLength(t1) > LATTICE_BITS_MAX) return null;
  return { r: r1, m: t1, sigma };
}

/** True when the firmware verifies a signature with challenge k on the classic path. */
export function takesClassicPath(k: bigint): boolean {
  return shortLatticeVector(k) === null;
}
