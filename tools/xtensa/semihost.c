// Semihosting calls (see semihost.h). Everything the harness prints and reads goes here.
#include "semihost.h"

static int32_t simcall(int32_t nr, int32_t a, int32_t b, int32_t c) {
  register int32_t a2 __asm__("a2") = nr;
  register int32_t a3 __asm__("a3") = a;
  register int32_t a4 __asm__("a4") = b;
  register int32_t a5 __asm__("a5") = c;
  __asm__ volatile("simcall" : "+a"(a2), "+a"(a3) : "a"(a4), "a"(a5) : "memory");
  return a2;
}

int32_t semi_read(int32_t fd, void *buf, size_t len) {
  return simcall(SEMI_SYS_READ, fd, (int32_t)(uintptr_t)buf, (int32_t)len);
}

int32_t semi_write(int32_t fd, const void *buf, size_t len) {
  return simcall(SEMI_SYS_WRITE, fd, (int32_t)(uintptr_t)buf, (int32_t)len);
}

void semi_exit(int32_t code) {
  simcall(SEMI_SYS_EXIT, code, 0, 0);
  for (;;) {
  }
}
