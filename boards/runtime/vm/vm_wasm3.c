/* core/vm.h over WASM3 (built only with WASM3_SRC; never vendored). The imports of
 * boards/ABI.md are raw functions that convert arguments and call core/abi.c, which
 * bounds-checks every pointer against the current memory before touching it. */
#include <stdio.h>
#include <string.h>

#if defined(ESP_PLATFORM)
#include "esp_system.h"
#define VM_HAVE_FREE_HEAP 1
#elif defined(__GLIBC__) || defined(__linux__)
#include <malloc.h>
#define VM_HAVE_MALLINFO 1
#endif

/* WASM3's m3ApiRawFunction() declares parameters (runtime, _ctx, _mem) that a short
 * import does not use, and its internal headers are not written for -Wextra. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-parameter"
#pragma GCC diagnostic ignored "-Wshadow"
#include "wasm3.h"
#include "m3_env.h"
#pragma GCC diagnostic pop
#pragma GCC diagnostic ignored "-Wunused-parameter"

#include "../core/abi.h"
#include "../core/status.h"
#include "../core/vm.h"

static IM3Environment vm_env;
static IM3Runtime vm_rt;
static IM3Function vm_fns[VM_EXPORTS_MAX];
static const char *vm_names[VM_EXPORTS_MAX];
static uint32_t vm_fn_count;
static char vm_error[160];
static uint32_t vm_heap_bytes;
static uint32_t vm_stack_bytes;

static abi_mem vm_view(IM3Runtime rt)
{
    uint32_t bytes = 0;
    abi_mem m;
    m.base = m3_GetMemory(rt, &bytes, 0);
    m.bytes = m.base != 0 ? bytes : 0;
    return m;
}

m3ApiRawFunction(vm_abort)
{
    m3ApiGetArg(int32_t, msg);
    m3ApiGetArg(int32_t, file);
    m3ApiGetArg(int32_t, line);
    m3ApiGetArg(int32_t, col);
    abi_abort(vm_view(runtime), msg, file, line, col);
    m3ApiTrap(m3Err_trapAbort);
}

m3ApiRawFunction(vm_flash_read)
{
    m3ApiReturnType(int32_t);
    m3ApiGetArg(int32_t, part);
    m3ApiGetArg(int32_t, offset);
    m3ApiGetArg(int32_t, ptr);
    m3ApiGetArg(int32_t, len);
    m3ApiReturn(abi_flash_read(vm_view(runtime), part, offset, ptr, len));
}

m3ApiRawFunction(vm_flash_program)
{
    m3ApiReturnType(int32_t);
    m3ApiGetArg(int32_t, part);
    m3ApiGetArg(int32_t, offset);
    m3ApiGetArg(int32_t, ptr);
    m3ApiGetArg(int32_t, len);
    m3ApiReturn(abi_flash_program(vm_view(runtime), part, offset, ptr, len));
}

m3ApiRawFunction(vm_flash_erase)
{
    m3ApiReturnType(int32_t);
    m3ApiGetArg(int32_t, part);
    m3ApiGetArg(int32_t, offset);
    m3ApiReturn(abi_flash_erase(part, offset));
}

m3ApiRawFunction(vm_nfc_transceive)
{
    m3ApiReturnType(int32_t);
    m3ApiGetArg(int32_t, tx);
    m3ApiGetArg(int32_t, tx_len);
    m3ApiGetArg(int32_t, rx);
    m3ApiGetArg(int32_t, rx_cap);
    m3ApiGetArg(int32_t, timeout_ms);
    m3ApiReturn(abi_nfc_transceive(vm_view(runtime), tx, tx_len, rx, rx_cap, timeout_ms));
}

m3ApiRawFunction(vm_clock_unix_seconds)
{
    m3ApiReturnType(int32_t);
    m3ApiReturn(abi_clock_unix_seconds());
}

m3ApiRawFunction(vm_clock_millis)
{
    m3ApiReturnType(int32_t);
    m3ApiReturn(abi_clock_millis());
}

m3ApiRawFunction(vm_random_fill)
{
    m3ApiReturnType(int32_t);
    m3ApiGetArg(int32_t, ptr);
    m3ApiGetArg(int32_t, len);
    m3ApiReturn(abi_random_fill(vm_view(runtime), ptr, len));
}

m3ApiRawFunction(vm_signal)
{
    m3ApiGetArg(int32_t, kind);
    m3ApiGetArg(int32_t, value);
    abi_signal(kind, value);
    m3ApiSuccess();
}

m3ApiRawFunction(vm_log)
{
    m3ApiGetArg(int32_t, level);
    m3ApiGetArg(int32_t, ptr);
    m3ApiGetArg(int32_t, len);
    abi_log(vm_view(runtime), level, ptr, len);
    m3ApiSuccess();
}

static const struct {
    const char *name;
    const char *signature;
    M3RawCall fn;
} vm_imports[] = {
    {"abort", "v(iiii)", vm_abort},
    {"flashRead", "i(iiii)", vm_flash_read},
    {"flashProgram", "i(iiii)", vm_flash_program},
    {"flashErase", "i(ii)", vm_flash_erase},
    {"nfcTransceive", "i(iiiii)", vm_nfc_transceive},
    {"clockUnixSeconds", "i()", vm_clock_unix_seconds},
    {"clockMillis", "i()", vm_clock_millis},
    {"randomFill", "i(ii)", vm_random_fill},
    {"signal", "v(ii)", vm_signal},
    {"log", "v(iii)", vm_log},
};

static int vm_fail(const char *what, M3Result r)
{
    snprintf(vm_error, sizeof vm_error, "%s: %s", what, r != 0 ? r : "failed");
    return OT_ERR_VM;
}

static uint32_t vm_heap_in_use(void)
{
#if defined(VM_HAVE_MALLINFO)
    struct mallinfo2 mi = mallinfo2();
    return (uint32_t)(mi.uordblks + mi.hblkhd); /* heap and mmap()ed blocks */
#elif defined(VM_HAVE_FREE_HEAP)
    return UINT32_MAX - (uint32_t)esp_get_free_heap_size(); /* grows as the heap is used */
#else
    return 0;
#endif
}

int vm_load(const uint8_t *wasm, uint32_t len, uint32_t stack_bytes)
{
    vm_unload();
    uint32_t heap_before = vm_heap_in_use();
    vm_env = m3_NewEnvironment();
    vm_rt = vm_env != 0 ? m3_NewRuntime(vm_env, stack_bytes, 0) : 0;
    if (vm_rt == 0) {
        return vm_fail("runtime", m3Err_mallocFailed);
    }
    IM3Module module = 0;
    M3Result r = m3_ParseModule(vm_env, &module, wasm, len);
    if (r != 0) {
        return vm_fail("parse", r);
    }
    r = m3_LoadModule(vm_rt, module);
    if (r != 0) {
        m3_FreeModule(module);
        return vm_fail("load", r);
    }
    for (size_t i = 0; i < sizeof vm_imports / sizeof vm_imports[0]; i++) {
        r = m3_LinkRawFunction(module, "env", vm_imports[i].name, vm_imports[i].signature,
                               vm_imports[i].fn);
        if (r != 0 && r != m3Err_functionLookupFailed) {
            return vm_fail(vm_imports[i].name, r);
        }
    }
    r = m3_CompileModule(module);
    if (r != 0) {
        return vm_fail("compile", r);
    }
    r = m3_RunStart(module);
    if (r != 0) {
        return vm_fail("start", r);
    }
    vm_stack_bytes = stack_bytes;
    uint32_t heap_after = vm_heap_in_use();
    vm_heap_bytes = heap_after > heap_before ? heap_after - heap_before : 0;
    return OT_OK;
}

void vm_unload(void)
{
    if (vm_rt != 0) {
        m3_FreeRuntime(vm_rt);
    }
    if (vm_env != 0) {
        m3_FreeEnvironment(vm_env);
    }
    vm_rt = 0;
    vm_env = 0;
    vm_fn_count = 0;
}

int vm_find(const char *name)
{
    for (uint32_t i = 0; i < vm_fn_count; i++) {
        if (strcmp(vm_names[i], name) == 0) {
            return (int)i;
        }
    }
    if (vm_rt == 0 || vm_fn_count >= VM_EXPORTS_MAX) {
        return OT_ERR_NO_EXPORT;
    }
    IM3Function f = 0;
    if (m3_FindFunction(&f, vm_rt, name) != 0 || f == 0) {
        return OT_ERR_NO_EXPORT;
    }
    vm_fns[vm_fn_count] = f;
    vm_names[vm_fn_count] = name;
    return (int)vm_fn_count++;
}

int vm_call(int handle, const int32_t *args, uint32_t nargs, int32_t *result)
{
    if (handle < 0 || (uint32_t)handle >= vm_fn_count || nargs > VM_ARGS_MAX) {
        return OT_ERR_USAGE;
    }
    IM3Function f = vm_fns[handle];
    if (m3_GetArgCount(f) != nargs || m3_GetRetCount(f) > 1) {
        snprintf(vm_error, sizeof vm_error, "%s: signature differs from boards/ABI.md",
                 vm_names[handle]);
        return OT_ERR_VM;
    }
    const void *argv[VM_ARGS_MAX];
    for (uint32_t i = 0; i < nargs; i++) {
        argv[i] = &args[i];
    }
    M3Result r = m3_Call(f, nargs, argv);
    if (r != 0) {
        M3ErrorInfo info;
        m3_GetErrorInfo(vm_rt, &info);
        snprintf(vm_error, sizeof vm_error, "%s: %s%s%s", vm_names[handle], r,
                 info.message != 0 ? " " : "", info.message != 0 ? info.message : "");
        return OT_ERR_TRAP;
    }
    if (m3_GetRetCount(f) == 1 && result != 0) {
        const void *retv[1] = {result};
        r = m3_GetResults(f, 1, retv);
        if (r != 0) {
            return vm_fail("results", r);
        }
    }
    return OT_OK;
}

int vm_memory(uint8_t **base, uint32_t *bytes)
{
    if (vm_rt == 0) {
        return OT_ERR_VM;
    }
    abi_mem m = vm_view(vm_rt);
    if (m.base == 0) {
        return OT_ERR_VM;
    }
    *base = m.base;
    *bytes = m.bytes;
    return OT_OK;
}

const char *vm_last_error(void)
{
    return vm_error;
}

/* The stack is zeroed at allocation and grows upward: the highest non-zero byte is the
 * high-water mark of every call so far. */
static uint32_t vm_stack_used(void)
{
    if (vm_rt == 0 || vm_rt->originStack == 0) {
        return 0;
    }
    const uint8_t *s = vm_rt->originStack;
    uint32_t n = vm_rt->numStackSlots * (uint32_t)sizeof(m3slot_t);
    while (n > 0 && s[n - 1] == 0) {
        n--;
    }
    return n;
}

void vm_get_usage(vm_usage *out)
{
    memset(out, 0, sizeof *out);
    out->stack_bytes = vm_stack_bytes;
    out->stack_bytes_used = vm_stack_used();
    uint8_t *base = 0;
    uint32_t bytes = 0;
    if (vm_memory(&base, &bytes) == OT_OK) {
        out->memory_bytes = bytes;
    }
    /* What the board's heap budget covers: the interpreter's module, compiled code and
     * stack, without linear memory (budgeted apart as linearMemoryPages). */
    uint32_t outside = bytes + vm_stack_bytes;
    out->heap_bytes = vm_heap_bytes > outside ? vm_heap_bytes - outside : 0;
}
