// SHA-512 (FIPS 180-4 §6.4), streaming and one-shot, with no allocation: the caller
// owns the context memory, the round constants and the message schedule are static.
//
// Context layout (SHA512_CTX_BYTES = 208 bytes; any alignment works, 8 is fastest):
//   [  0.. 64)  H0..H7, the chaining state, native (little-endian) u64 words
//   [ 64..192)  the partial block not yet compressed
//   [192..208)  the message length in BYTES as a 128-bit counter (low word, high word);
//               its low 7 bits are the fill of the partial block.
// The FIPS length field counts bits, so it is this counter shifted left by 3.

export const SHA512_CTX_BYTES: i32 = 208;

const STATE: usize = 0;
const BUF: usize = 64;
const LEN_LO: usize = 192;
const LEN_HI: usize = 200;
const BLOCK_BYTES: i32 = 128;
/** Padding puts 0x80 and then the 16-byte length in the last block; a partial block
 *  longer than this has no room for both and spills into one more block. */
const LAST_BLOCK_FILL_MAX: i32 = 111;

// FIPS 180-4 §4.2.3: first 64 bits of the fractional parts of the cube roots of the
// first 80 primes.
const K: usize = memory.data<u64>([
  0x428a2f98d728ae22, 0x7137449123ef65cd, 0xb5c0fbcfec4d3b2f, 0xe9b5dba58189dbbc,
  0x3956c25bf348b538, 0x59f111f1b605d019, 0x923f82a4af194f9b, 0xab1c5ed5da6d8118,
  0xd807aa98a3030242, 0x12835b0145706fbe, 0x243185be4ee4b28c, 0x550c7dc3d5ffb4e2,
  0x72be5d74f27b896f, 0x80deb1fe3b1696b1, 0x9bdc06a725c71235, 0xc19bf174cf692694,
  0xe49b69c19ef14ad2, 0xefbe4786384f25e3, 0x0fc19dc68b8cd5b5, 0x240ca1cc77ac9c65,
  0x2de92c6f592b0275, 0x4a7484aa6ea6e483, 0x5cb0a9dcbd41fbd4, 0x76f988da831153b5,
  0x983e5152ee66dfab, 0xa831c66d2db43210, 0xb00327c898fb213f, 0xbf597fc7beef0ee4,
  0xc6e00bf33da88fc2, 0xd5a79147930aa725, 0x06ca6351e003826f, 0x142929670a0e6e70,
  0x27b70a8546d22ffc, 0x2e1b21385c26c926, 0x4d2c6dfc5ac42aed, 0x53380d139d95b3df,
  0x650a73548baf63de, 0x766a0abb3c77b2a8, 0x81c2c92e47edaee6, 0x92722c851482353b,
  0xa2bfe8a14cf10364, 0xa81a664bbc423001, 0xc24b8b70d0f89791, 0xc76c51a30654be30,
  0xd192e819d6ef5218, 0xd69906245565a910, 0xf40e35855771202a, 0x106aa07032bbd1b8,
  0x19a4c116b8d2d0c8, 0x1e376c085141ab53, 0x2748774cdf8eeb99, 0x34b0bcb5e19b48a8,
  0x391c0cb3c5c95a63, 0x4ed8aa4ae3418acb, 0x5b9cca4f7763e373, 0x682e6ff3d6b2b8a3,
  0x748f82ee5defb2fc, 0x78a5636f43172f60, 0x84c87814a1f0ab72, 0x8cc702081a6439ec,
  0x90befffa23631e28, 0xa4506cebde82bde9, 0xbef9a3f7b2c67915, 0xc67178f2e372532b,
  0xca273eceea26619c, 0xd186b8c721c0c207, 0xeada7dd6cde0eb1e, 0xf57d4f7fee6ed178,
  0x06f067aa72176fba, 0x0a637dc5a2c898a6, 0x113f9804bef90dae, 0x1b710b35131c471b,
  0x28db77f523047d84, 0x32caab7b40c72493, 0x3c9ebe0a15c9bebc, 0x431d67c49c100d4c,
  0x4cc5d4becb3e42b6, 0x597f299cfc657e2a, 0x5fcb6fab3ad6faec, 0x6c44198c4a475817,
]);

// FIPS 180-4 §5.3.5: the initial hash value.
const IV: usize = memory.data<u64>([
  0x6a09e667f3bcc908, 0xbb67ae8584caa73b, 0x3c6ef372fe94f82b, 0xa54ff53a5f1d36f1,
  0x510e527fade682d1, 0x9b05688c2b3e6c1f, 0x1f83d9abfb41bd6b, 0x5be0cd19137e2179,
]);

/** The 80-word message schedule of the block being compressed (FIPS 180-4 §6.4.2 step 1). */
const W: usize = memory.data(80 * 8, 16);
/** Context used by the one-shot sha512(). */
const oneShotCtx: usize = memory.data(SHA512_CTX_BYTES, 16);

@inline function bigSigma0(x: u64): u64 { return rotr<u64>(x, 28) ^ rotr<u64>(x, 34) ^ rotr<u64>(x, 39); }
@inline function bigSigma1(x: u64): u64 { return rotr<u64>(x, 14) ^ rotr<u64>(x, 18) ^ rotr<u64>(x, 41); }
@inline function smallSigma0(x: u64): u64 { return rotr<u64>(x, 1) ^ rotr<u64>(x, 8) ^ (x >> 7); }
@inline function smallSigma1(x: u64): u64 { return rotr<u64>(x, 19) ^ rotr<u64>(x, 61) ^ (x >> 6); }
// Ch in three operations instead of the textbook five.
@inline function ch(e: u64, f: u64, g: u64): u64 { return g ^ (e & (f ^ g)); }
@inline function maj(a: u64, b: u64, c: u64): u64 { return (a & b) | (c & (a | b)); }

/** T1 of a round (FIPS 180-4 §6.4.2 step 3) less its K[t] + W[t] term, passed as kw. */
@inline function t1(e: u64, f: u64, g: u64, h: u64, kw: u64): u64 {
  return h + bigSigma1(e) + ch(e, f, g) + kw;
}
@inline function t2(a: u64, b: u64, c: u64): u64 { return bigSigma0(a) + maj(a, b, c); }

/** Compresses one 128-byte block at p into the state at st.
 *  Shape chosen by measurement under WASM3 (the device's interpreter), where every
 *  instruction costs: the schedule and the constants are walked with moving pointers
 *  so each access is one load with an immediate offset, and the rounds are a loop of
 *  eight. Measured against a fully unrolled version with the schedule in locals and
 *  the constants inline: that one is ~20% faster in V8 but ~40% slower under WASM3
 *  and four times the code (12.7 KB against 2.9 KB), so the loop stays. */
function compress(st: usize, p: usize): void {
  for (let i: usize = 0; i < 128; i += 8) {
    store<u64>(W + i, bswap<u64>(load<u64>(p + i)));
  }
  // W[t] = s1(W[t-2]) + W[t-7] + s0(W[t-15]) + W[t-16], with w = &W[t-16] so every
  // access is an immediate offset.
  for (let w = W; w < W + 64 * 8; w += 8) {
    store<u64>(w, smallSigma1(load<u64>(w, 14 * 8)) + load<u64>(w, 9 * 8) + smallSigma0(load<u64>(w, 8)) + load<u64>(w), 16 * 8);
  }
  let a = load<u64>(st, 0), b = load<u64>(st, 8), c = load<u64>(st, 16), d = load<u64>(st, 24);
  let e = load<u64>(st, 32), f = load<u64>(st, 40), g = load<u64>(st, 48), h = load<u64>(st, 56);
  // Eight rounds per iteration so the working variables rotate by renaming, not by
  // moves. 80 rounds = 10 iterations; k walks K in step with w.
  let k = K;
  for (let w = W; w < W + 80 * 8; w += 64) {
    let t = t1(e, f, g, h, load<u64>(k, 0) + load<u64>(w, 0));    d += t; h = t + t2(a, b, c);
    t = t1(d, e, f, g, load<u64>(k, 8) + load<u64>(w, 8));        c += t; g = t + t2(h, a, b);
    t = t1(c, d, e, f, load<u64>(k, 16) + load<u64>(w, 16));      b += t; f = t + t2(g, h, a);
    t = t1(b, c, d, e, load<u64>(k, 24) + load<u64>(w, 24));      a += t; e = t + t2(f, g, h);
    t = t1(a, b, c, d, load<u64>(k, 32) + load<u64>(w, 32));      h += t; d = t + t2(e, f, g);
    t = t1(h, a, b, c, load<u64>(k, 40) + load<u64>(w, 40));      g += t; c = t + t2(d, e, f);
    t = t1(g, h, a, b, load<u64>(k, 48) + load<u64>(w, 48));      f += t; b = t + t2(c, d, e);
    t = t1(f, g, h, a, load<u64>(k, 56) + load<u64>(w, 56));      e += t; a = t + t2(b, c, d);
    k += 64;
  }
  store<u64>(st, load<u64>(st, 0) + a, 0);
  store<u64>(st, load<u64>(st, 8) + b, 8);
  store<u64>(st, load<u64>(st, 16) + c, 16);
  store<u64>(st, load<u64>(st, 24) + d, 24);
  store<u64>(st, load<u64>(st, 32) + e, 32);
  store<u64>(st, load<u64>(st, 40) + f, 40);
  store<u64>(st, load<u64>(st, 48) + g, 48);
  store<u64>(st, load<u64>(st, 56) + h, 56);
}

// Byte moves into and out of the partial block go eight bytes at a time (wasm allows
// unaligned u64 access): under an interpreter each instruction costs, and short
// messages such as R || A || M are mostly such moves.
@inline function copyBytes(dst: usize, src: usize, n: i32): void {
  let i = 0;
  for (; i + 8 <= n; i += 8) store<u64>(dst + <usize>i, load<u64>(src + <usize>i));
  for (; i < n; i++) store<u8>(dst + <usize>i, load<u8>(src + <usize>i));
}

@inline function zeroBytes(dst: usize, n: i32): void {
  let i = 0;
  for (; i + 8 <= n; i += 8) store<u64>(dst + <usize>i, 0);
  for (; i < n; i++) store<u8>(dst + <usize>i, 0);
}

export function sha512Init(ctx: usize): void {
  for (let i: usize = 0; i < 64; i += 8) store<u64>(ctx + STATE + i, load<u64>(IV + i));
  store<u64>(ctx, 0, LEN_LO);
  store<u64>(ctx, 0, LEN_HI);
}

/** Absorbs len bytes at data. A negative length is a caller bug. */
export function sha512Update(ctx: usize, data: usize, len: i32): void {
  assert(len >= 0, "sha512Update: negative length");
  if (len == 0) return;
  const lo = load<u64>(ctx, LEN_LO);
  const fill = <i32>(lo & 127);
  const newLo = lo + <u64>len;
  store<u64>(ctx, newLo, LEN_LO);
  if (newLo < lo) store<u64>(ctx, load<u64>(ctx, LEN_HI) + 1, LEN_HI);

  if (fill > 0) {
    const room = BLOCK_BYTES - fill;
    const take = len < room ? len : room;
    copyBytes(ctx + BUF + <usize>fill, data, take);
    data += <usize>take;
    len -= take;
    if (fill + take < BLOCK_BYTES) return;
    compress(ctx + STATE, ctx + BUF);
  }
  // Whole blocks are compressed straight from the caller's memory.
  while (len >= BLOCK_BYTES) {
    compress(ctx + STATE, data);
    data += <usize>BLOCK_BYTES;
    len -= BLOCK_BYTES;
  }
  copyBytes(ctx + BUF, data, len);
}

/** Pads, compresses the last block(s) and writes the 64-byte digest to out. The context
 *  is spent: sha512Init it again before reuse. */
export function sha512Final(ctx: usize, out: usize): void {
  const lo = load<u64>(ctx, LEN_LO);
  const hi = load<u64>(ctx, LEN_HI);
  let fill = <i32>(lo & 127);
  store<u8>(ctx + BUF + <usize>fill, 0x80);
  fill++;
  if (fill > LAST_BLOCK_FILL_MAX + 1) {
    zeroBytes(ctx + BUF + <usize>fill, BLOCK_BYTES - fill);
    compress(ctx + STATE, ctx + BUF);
    fill = 0;
  }
  zeroBytes(ctx + BUF + <usize>fill, BLOCK_BYTES - 16 - fill);
  // 128-bit bit count = byte count << 3, big-endian.
  store<u64>(ctx + BUF, bswap<u64>((hi << 3) | (lo >> 61)), 112);
  store<u64>(ctx + BUF, bswap<u64>(lo << 3), 120);
  compress(ctx + STATE, ctx + BUF);
  for (let i: usize = 0; i < 64; i += 8) store<u64>(out + i, bswap<u64>(load<u64>(ctx + STATE + i)));
}

/** One-shot SHA-512 of len bytes at data into the 64 bytes at out. */
export function sha512(data: usize, len: i32, out: usize): void {
  sha512Init(oneShotCtx);
  sha512Update(oneShotCtx, data, len);
  sha512Final(oneShotCtx, out);
}
