/* The interpreter's footprint for one firmware on a 32-bit host: WASM3 parses, links and
 * compiles the module exactly as core/vm_wasm3.c does at boot, and the heap it takes is
 * read from glibc (heap and mmap()ed blocks) before and after. `make runtime-footprint`
 * builds it -m32 with WASM3's ESP32 configuration, because a 64-bit desktop doubles every
 * pointer in WASM3's compiled code and uses 32 KiB code pages, and so overstates what an
 * ESP32 (32-bit Xtensa) needs. Prints one line: module, linear memory and stack bytes.
 * Usage: wasm3-footprint FIRMWARE.wasm STACK_BYTES */
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-parameter"
#include "wasm3.h"
#include "m3_env.h"
#pragma GCC diagnostic pop

#define FOOTPRINT_WASM_BYTES_MAX (256u * 1024u)

static uint8_t footprint_wasm[FOOTPRINT_WASM_BYTES_MAX];

#pragma GCC diagnostic ignored "-Wunused-parameter"
m3ApiRawFunction(footprint_stub)
{
    m3ApiSuccess();
}

static const struct {
    const char *name;
    const char *sig;
} footprint_imports[] = {
    {"abort", "v(iiii)"}, {"flashRead", "i(iiii)"}, {"flashProgram", "i(iiii)"},
    {"flashErase", "i(ii)"}, {"nfcTransceive", "i(iiiii)"}, {"clockUnixSeconds", "i()"},
    {"clockMillis", "i()"}, {"randomFill", "i(ii)"}, {"signal", "v(ii)"}, {"log", "v(iii)"},
};

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: wasm3-footprint FIRMWARE.wasm STACK_BYTES\n");
        return 2;
    }
    FILE *f = fopen(argv[1], "rb");
    if (f == 0) {
        fprintf(stderr, "wasm3-footprint: cannot read %s\n", argv[1]);
        return 2;
    }
    size_t n = fread(footprint_wasm, 1, sizeof footprint_wasm, f);
    fclose(f);
    uint32_t stack = (uint32_t)strtoul(argv[2], 0, 10);
    struct mallinfo2 m0 = mallinfo2();
    size_t before = m0.uordblks + m0.hblkhd; /* heap and mmap()ed blocks */
    IM3Environment env = m3_NewEnvironment();
    IM3Runtime rt = m3_NewRuntime(env, stack, 0);
    IM3Module mod = 0;
    M3Result r = m3_ParseModule(env, &mod, footprint_wasm, (uint32_t)n);
    if (r == 0) {
        r = m3_LoadModule(rt, mod);
    }
    for (size_t i = 0; r == 0 && i < sizeof footprint_imports / sizeof footprint_imports[0]; i++) {
        M3Result l = m3_LinkRawFunction(mod, "env", footprint_imports[i].name,
                                        footprint_imports[i].sig, footprint_stub);
        r = (l == m3Err_functionLookupFailed) ? 0 : l;
    }
    if (r == 0) {
        r = m3_CompileModule(mod);
    }
    if (r != 0) {
        fprintf(stderr, "wasm3-footprint: %s\n", r);
        return 1;
    }
    struct mallinfo2 m1 = mallinfo2();
    size_t total = m1.uordblks + m1.hblkhd - before;
    uint32_t memory = m3_GetMemorySize(rt);
    printf("pointer-bits=%u wasm-bytes=%zu heap-total=%zu linear-memory=%u stack=%u "
           "module-and-code=%zu\n", (unsigned)(8 * sizeof(void *)), n, total, (unsigned)memory,
           (unsigned)stack, total - memory - stack);
    return 0;
}
