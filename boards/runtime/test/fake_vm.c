/* A stand-in for WASM3 behind core/vm.h: a 128 KiB linear memory and a table of C
 * functions registered by the tests as the module's exports. */
#include <string.h>

#include "../core/status.h"
#include "../core/vm.h"
#include "fake.h"

static uint8_t fake_memory[FAKE_MEMORY_BYTES];
static struct {
    const char *name;
    fake_export_fn fn;
} fake_exports[FAKE_EXPORTS_MAX];
static uint32_t fake_export_count;
static bool fake_loaded;

void fake_vm_reset(void)
{
    memset(fake_memory, 0, sizeof fake_memory);
    fake_export_count = 0;
    fake_loaded = false;
}

void fake_vm_export(const char *name, fake_export_fn fn)
{
    if (fake_export_count < FAKE_EXPORTS_MAX) {
        fake_exports[fake_export_count].name = name;
        fake_exports[fake_export_count].fn = fn;
        fake_export_count++;
    }
}

abi_mem fake_vm_mem(void)
{
    abi_mem m = {fake_memory, sizeof fake_memory};
    return m;
}

int vm_load(const uint8_t *wasm, uint32_t len, uint32_t stack_bytes)
{
    (void)stack_bytes;
    static const uint8_t magic[4] = {0x00, 0x61, 0x73, 0x6D};
    if (len < 8 || memcmp(wasm, magic, 4) != 0) {
        return OT_ERR_VM;
    }
    fake_loaded = true;
    return OT_OK;
}

void vm_unload(void)
{
    fake_loaded = false;
}

int vm_find(const char *name)
{
    for (uint32_t i = 0; i < fake_export_count; i++) {
        if (strcmp(fake_exports[i].name, name) == 0) {
            return (int)i;
        }
    }
    return OT_ERR_NO_EXPORT;
}

int vm_call(int handle, const int32_t *args, uint32_t nargs, int32_t *result)
{
    if (!fake_loaded || handle < 0 || (uint32_t)handle >= fake_export_count) {
        return OT_ERR_VM;
    }
    int32_t ignored = 0;
    return fake_exports[handle].fn(fake_vm_mem(), args, nargs, result ? result : &ignored);
}

int vm_memory(uint8_t **base, uint32_t *bytes)
{
    *base = fake_memory;
    *bytes = sizeof fake_memory;
    return OT_OK;
}

const char *vm_last_error(void)
{
    return "";
}

void vm_get_usage(vm_usage *out)
{
    memset(out, 0, sizeof *out);
    out->memory_bytes = sizeof fake_memory;
}
