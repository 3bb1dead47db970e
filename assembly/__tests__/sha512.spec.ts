// SHA-512 against the examples published with FIPS 180-2/180-4 (NIST "Cryptographic
// Standards and Guidelines: Examples with Intermediate Values", SHA512.pdf).
import {
  SHA512_CTX_BYTES, sha512, sha512Init, sha512Update, sha512Final,
} from "../crypto/sha512";

const ctx: usize = memory.data(SHA512_CTX_BYTES, 16);
const out: usize = memory.data(64, 16);
const block: usize = memory.data(1000, 16);

function hex(ptr: usize, len: i32): string {
  const digits = "0123456789abcdef";
  let s = "";
  for (let i = 0; i < len; i++) {
    const b = load<u8>(ptr + <usize>i);
    s += digits.charAt(b >> 4) + digits.charAt(b & 15);
  }
  return s;
}

function oneShot(msg: string): string {
  const bytes = String.UTF8.encode(msg);
  sha512(changetype<usize>(bytes), bytes.byteLength, out);
  return hex(out, 64);
}

function byteByByte(msg: string): string {
  const bytes = String.UTF8.encode(msg);
  const p = changetype<usize>(bytes);
  sha512Init(ctx);
  for (let i = 0; i < bytes.byteLength; i++) sha512Update(ctx, p + <usize>i, 1);
  sha512Final(ctx, out);
  return hex(out, 64);
}

const EMPTY = "cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e";
const ABC = "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f";
const MSG_896 = "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu";
const DIGEST_896 = "8e959b75dae313da8cf4f72814fc143f8f7779c6eb9f7fa17299aeadb6889018501d289e4900f7e4331b99dec4b5433ac7d329eeb6dd26545e96e55b874be909";
const MILLION_A = "e718483d0ce769644e2e42c7bc15b4638e1f98b13b2044285632a803afa973ebde0ff244877ea60a4cb0432ce577c31beb009c5c2c49aa2e4eadb217ad8cc09b";

describe("sha512 (FIPS 180-4 examples)", () => {
  it("hashes the empty message", () => {
    expect(oneShot("")).toBe(EMPTY);
    sha512Init(ctx);
    sha512Final(ctx, out);
    expect(hex(out, 64)).toBe(EMPTY);
  });

  it("hashes \"abc\" (one block)", () => {
    expect(oneShot("abc")).toBe(ABC);
    expect(byteByByte("abc")).toBe(ABC);
  });

  it("hashes the 896-bit message (padding spills into a second block)", () => {
    expect(MSG_896.length).toBe(112);
    expect(oneShot(MSG_896)).toBe(DIGEST_896);
    expect(byteByByte(MSG_896)).toBe(DIGEST_896);
  });

  it("hashes one million 'a' streamed in 1000-byte updates", () => {
    for (let i = 0; i < 1000; i++) store<u8>(block + <usize>i, 0x61);
    sha512Init(ctx);
    for (let i = 0; i < 1000; i++) sha512Update(ctx, block, 1000);
    sha512Final(ctx, out);
    expect(hex(out, 64)).toBe(MILLION_A);
  });

  it("hashes one million 'a' streamed in uneven updates that straddle blocks", () => {
    for (let i = 0; i < 1000; i++) store<u8>(block + <usize>i, 0x61);
    sha512Init(ctx);
    let left = 1000000;
    let step = 1;
    while (left > 0) {
      const n = step < left ? step : left;
      sha512Update(ctx, block, n);
      left -= n;
      step = step * 7 % 997 + 1;
    }
    sha512Final(ctx, out);
    expect(hex(out, 64)).toBe(MILLION_A);
  });

  it("ignores zero-length updates", () => {
    const bytes = String.UTF8.encode("abc");
    const p = changetype<usize>(bytes);
    sha512Init(ctx);
    sha512Update(ctx, p, 0);
    sha512Update(ctx, p, 3);
    sha512Update(ctx, p, 0);
    sha512Final(ctx, out);
    expect(hex(out, 64)).toBe(ABC);
  });

  it("carries the byte counter into its high word (128-bit length field)", () => {
    sha512Init(ctx);
    // Pretend 2^64 - 128 bytes were already absorbed; one more block must carry.
    store<u64>(ctx, 0xffffffffffffff80, 192);
    sha512Update(ctx, block, 128);
    expect(load<u64>(ctx, 192)).toBe(0);
    expect(load<u64>(ctx, 200)).toBe(1);
  });
});
