// Drives tools/xtensa/libgcc-lx106.c on the host (its symbols renamed by the test's
// -D flags): one operation per stdin line, "OP A B" in hex, the answer in hex.
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

unsigned long long xt_muldi3(unsigned long long, unsigned long long);
unsigned long long xt_umulsidi3(uint32_t, uint32_t);
uint32_t xt_udivsi3(uint32_t, uint32_t);
uint32_t xt_umodsi3(uint32_t, uint32_t);
int32_t xt_divsi3(int32_t, int32_t);
int32_t xt_modsi3(int32_t, int32_t);
unsigned long long xt_udivdi3(unsigned long long, unsigned long long);
unsigned long long xt_umoddi3(unsigned long long, unsigned long long);
long long xt_divdi3(long long, long long);
long long xt_moddi3(long long, long long);

int main(void) {
  char op[16];
  uint64_t a, b;
  while (scanf("%15s %" SCNx64 " %" SCNx64, op, &a, &b) == 3) {
    uint64_t r = 0;
    if (!strcmp(op, "muldi3")) r = xt_muldi3(a, b);
    else if (!strcmp(op, "umulsidi3")) r = xt_umulsidi3((uint32_t)a, (uint32_t)b);
    else if (!strcmp(op, "udivsi3")) r = xt_udivsi3((uint32_t)a, (uint32_t)b);
    else if (!strcmp(op, "umodsi3")) r = xt_umodsi3((uint32_t)a, (uint32_t)b);
    else if (!strcmp(op, "divsi3")) r = (uint32_t)xt_divsi3((int32_t)a, (int32_t)b);
    else if (!strcmp(op, "modsi3")) r = (uint32_t)xt_modsi3((int32_t)a, (int32_t)b);
    else if (!strcmp(op, "udivdi3")) r = xt_udivdi3(a, b);
    else if (!strcmp(op, "umoddi3")) r = xt_umoddi3(a, b);
    else if (!strcmp(op, "divdi3")) r = (uint64_t)xt_divdi3((int64_t)a, (int64_t)b);
    else if (!strcmp(op, "moddi3")) r = (uint64_t)xt_moddi3((int64_t)a, (int64_t)b);
    else return 2;
    printf("%" PRIx64 "\n", r);
  }
  return 0;
}
