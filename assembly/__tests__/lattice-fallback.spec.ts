// The firmware's own lattice search gives up on the challenges of
// test/vectors/ed25519/lattice-fallback.json (ground by tools/gen-lattice-fallback-
// vectors.ts against the BigInt model in host/crypto/lattice.ts), so those vectors really
// exercise the classic path of verify.ts; test/host/lattice-fallback.test.ts checks this
// list matches the file's `challenge` fields and runs the vectors on every path.
import { shortLatticeVector } from "../crypto/verify-lattice";
import { putHex } from "./hex";

const k: usize = memory.data(32, 16);
const r: usize = memory.data(32, 16);
const m: usize = memory.data(32, 16);

// k = SHA-512(R ‖ A ‖ M) mod L of tcId 1–2, 3 and 4 (little-endian hex).
const FALLBACK_CHALLENGES: string[] = [
  "7e45ebb45ea43c1cef5e6fea91474022a56f1da5e9ec680d4f742ec06ba3200a",
  "202c268a6919985cfef7ceadf61e6230d0827e278089b2d2320b1c0859c11f02",
  "b917f1b5125a91d5c81d19cd1a206cbf805723dadb91248b9043927b792bdc0b",
];

describe("lattice fallback vectors", () => {
  it("find no short vector, so verify takes the classic path", () => {
    for (let i = 0; i < FALLBACK_CHALLENGES.length; i++) {
      putHex(k, FALLBACK_CHALLENGES[i]);
      expect(shortLatticeVector(k, r, m)).toBe(0, FALLBACK_CHALLENGES[i]);
    }
  });

  it("the same challenge with byte 20 changed does find one (the search is not stuck)", () => {
    putHex(k, FALLBACK_CHALLENGES[0]);
    store<u8>(k + 20, load<u8>(k + 20) ^ 0x55);
    expect(shortLatticeVector(k, r, m)).not.toBe(0);
  });
});
