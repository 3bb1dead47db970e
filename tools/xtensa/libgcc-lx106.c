// The integer helpers that Debian's xtensa-lx106 libgcc.a does not ship (its build
// leaves out the DImode multiply and the division routines). GCC calls them for every
// 64-bit multiply and for divisions; the ESP32's own toolchain ships equivalents. They
// are written for clarity first, and in the shape libgcc's generic C versions have, so
// the instruction count of a WebAssembly i64.mul under WASM3 is representative: one
// __muldi3 = one __umulsidi3 (four 16×16 hardware multiplies, as lx106 has no MULUH) plus
// two 32-bit MULL cross products.
#include <stdint.h>

typedef unsigned long long u64;
typedef long long i64;

#ifdef OFFTAP_XT_COUNT
// The counting build: how many 64-bit multiplies the interpreter asked for.
uint32_t offtap_xt_muldi3_calls;
#endif

u64 __umulsidi3(uint32_t a, uint32_t b) {
  uint32_t al = a & 0xffffu;
  uint32_t ah = a >> 16;
  uint32_t bl = b & 0xffffu;
  uint32_t bh = b >> 16;
  uint32_t ll = al * bl;
  uint32_t lh = al * bh;
  uint32_t hl = ah * bl;
  uint32_t hh = ah * bh;
  uint32_t mid = (ll >> 16) + (lh & 0xffffu) + (hl & 0xffffu);
  uint32_t lo = (ll & 0xffffu) | (mid << 16);
  uint32_t hi = hh + (lh >> 16) + (hl >> 16) + (mid >> 16);
  return ((u64)hi << 32) | lo;
}

u64 __muldi3(u64 a, u64 b) {
#ifdef OFFTAP_XT_COUNT
  offtap_xt_muldi3_calls++;
#endif
  uint32_t al = (uint32_t)a;
  uint32_t bl = (uint32_t)b;
  u64 r = __umulsidi3(al, bl);
  uint32_t cross = al * (uint32_t)(b >> 32) + (uint32_t)(a >> 32) * bl;
  return r + ((u64)cross << 32);
}

// Unsigned 32-bit division: normalise with NSAU (__builtin_clz), then one
// shift-and-subtract step per quotient bit.
static uint32_t udivmodsi4(uint32_t n, uint32_t d, uint32_t *rem) {
  if (d == 0) {
    *rem = n;
    return 0xffffffffu; // what the hardware-less ABI leaves undefined; never reached
  }
  if (n < d) {
    *rem = n;
    return 0;
  }
  int shift = __builtin_clz(d) - __builtin_clz(n);
  uint32_t q = 0;
  d <<= shift;
  for (int i = 0; i <= shift; i++) {
    q <<= 1;
    if (n >= d) {
      n -= d;
      q |= 1;
    }
    d >>= 1;
  }
  *rem = n;
  return q;
}

uint32_t __udivsi3(uint32_t n, uint32_t d) {
  uint32_t r;
  return udivmodsi4(n, d, &r);
}

uint32_t __umodsi3(uint32_t n, uint32_t d) {
  uint32_t r;
  udivmodsi4(n, d, &r);
  return r;
}

int32_t __divsi3(int32_t n, int32_t d) {
  uint32_t un = n < 0 ? 0u - (uint32_t)n : (uint32_t)n;
  uint32_t ud = d < 0 ? 0u - (uint32_t)d : (uint32_t)d;
  uint32_t q = __udivsi3(un, ud);
  return (n < 0) != (d < 0) ? (int32_t)(0u - q) : (int32_t)q;
}

int32_t __modsi3(int32_t n, int32_t d) {
  uint32_t un = n < 0 ? 0u - (uint32_t)n : (uint32_t)n;
  uint32_t ud = d < 0 ? 0u - (uint32_t)d : (uint32_t)d;
  uint32_t r = __umodsi3(un, ud);
  return n < 0 ? (int32_t)(0u - r) : (int32_t)r;
}

static int clz64(u64 x) {
  uint32_t hi = (uint32_t)(x >> 32);
  return hi != 0 ? __builtin_clz(hi) : 32 + __builtin_clz((uint32_t)x);
}

static u64 udivmoddi4(u64 n, u64 d, u64 *rem) {
  if (d == 0) {
    *rem = n;
    return ~(u64)0;
  }
  if (n < d) {
    *rem = n;
    return 0;
  }
  if ((n >> 32) == 0) {
    uint32_t r32;
    u64 q = udivmodsi4((uint32_t)n, (uint32_t)d, &r32);
    *rem = r32;
    return q;
  }
  int shift = clz64(d) - clz64(n);
  u64 q = 0;
  d <<= shift;
  for (int i = 0; i <= shift; i++) {
    q <<= 1;
    if (n >= d) {
      n -= d;
      q |= 1;
    }
    d >>= 1;
  }
  *rem = n;
  return q;
}

u64 __udivdi3(u64 n, u64 d) {
  u64 r;
  return udivmoddi4(n, d, &r);
}

u64 __umoddi3(u64 n, u64 d) {
  u64 r;
  udivmoddi4(n, d, &r);
  return r;
}

i64 __divdi3(i64 n, i64 d) {
  u64 un = n < 0 ? 0ull - (u64)n : (u64)n;
  u64 ud = d < 0 ? 0ull - (u64)d : (u64)d;
  u64 q = __udivdi3(un, ud);
  return (n < 0) != (d < 0) ? (i64)(0ull - q) : (i64)q;
}

i64 __moddi3(i64 n, i64 d) {
  u64 un = n < 0 ? 0ull - (u64)n : (u64)n;
  u64 ud = d < 0 ? 0ull - (u64)d : (u64)d;
  u64 r = __umoddi3(un, ud);
  return n < 0 ? (i64)(0ull - r) : (i64)r;
}
