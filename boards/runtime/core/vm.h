/* The interpreter as the runtime uses it: load one module with the imports of
 * boards/ABI.md linked to core/abi.c, find exports by name, call them with i32
 * arguments, see linear memory. core/vm_wasm3.c implements it over WASM3 (built only
 * when WASM3_SRC is given); test/fake_vm.c stands in for it in the unit tests. */
#ifndef OT_VM_H
#define OT_VM_H

#include <stdint.h>

/* Exports the runtime may look up in one module (it calls about twenty). */
#define VM_EXPORTS_MAX 48u
/* Arguments of the widest export the runtime calls (ed25519Verify: 4). */
#define VM_ARGS_MAX 6u

typedef struct vm_usage {
    uint32_t heap_bytes;       /* interpreter allocations: module and code, without
                                * linear memory and the interpreter stack */
    uint32_t stack_bytes;      /* interpreter stack reserved */
    uint32_t stack_bytes_used; /* high-water mark of that stack */
    uint32_t memory_bytes;     /* linear memory */
} vm_usage;

int vm_load(const uint8_t *wasm, uint32_t len, uint32_t stack_bytes);
void vm_unload(void);
/* A handle (>= 0) for an exported function, or OT_ERR_NO_EXPORT. */
int vm_find(const char *name);
/* OT_OK, or OT_ERR_TRAP (trap, abort, watchdog), OT_ERR_VM (signature mismatch). */
int vm_call(int handle, const int32_t *args, uint32_t nargs, int32_t *result);
int vm_memory(uint8_t **base, uint32_t *bytes);
/* The interpreter's message for the last failure ("" when none). */
const char *vm_last_error(void);
void vm_get_usage(vm_usage *out);

#endif
