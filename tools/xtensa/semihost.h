// QEMU's Xtensa semihosting (`-semihosting`): the `simcall` instruction with the call
// number in a2 and arguments in a3..a5; the result comes back in a2 (errno in a3). The
// numbers are those of QEMU's target/xtensa/xtensa-semi.c (TARGET_SYS_*).
#ifndef OFFTAP_XT_SEMIHOST_H
#define OFFTAP_XT_SEMIHOST_H
#include <stddef.h>
#include <stdint.h>

enum { SEMI_SYS_EXIT = 1, SEMI_SYS_READ = 3, SEMI_SYS_WRITE = 4 };

int32_t semi_read(int32_t fd, void *buf, size_t len);
int32_t semi_write(int32_t fd, const void *buf, size_t len);
void semi_exit(int32_t code) __attribute__((noreturn));

/** The cycle counter: under `-icount shift=0` it advances by a fixed fraction per
 *  instruction, which the calibration loop measures. */
static inline uint32_t xt_ccount(void) {
  uint32_t c;
  __asm__ volatile("rsr %0, ccount" : "=a"(c));
  return c;
}
#endif
