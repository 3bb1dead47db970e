#include "fw.h"

#include <string.h>

#include "../hal.h"
#include "abi.h"
#include "bytes.h"
#include "status.h"
#include "vm.h"

static const char *const fw_names[FW_EXPORT_COUNT] = {
    "abiVersion", "ioBufferPtr", "ioBufferBytes", "init", "tap", "ledgerExport",
    "ledgerAcknowledge", "ledgerNextSeq", "ledgerAckedSeq", "ledgerReusableSectors",
    "ledgerDenyBegin", "ledgerDenyWrite", "ledgerDenyCommit", "ledgerDenyVersion", "sha512",
    "sha512Init", "sha512Update", "sha512Final", "ed25519Verify", "ed25519VerifyBegin",
    "ed25519VerifyUpdate", "ed25519VerifyEnd", "ed25519RegisterKey", "ed25519VerifyRegistered",
    "ed25519PublicKey",
    "ed25519Sign", "heapTop", "lastTapElapsedMs", "lastReceiptPtr", "lastReceiptLen",
    "idle",
};

/* The exports a reader cannot run without; the rest serve maintenance and diagnostics. */
static const uint8_t fw_required[FW_EXPORT_COUNT] = {
    [FW_ABI_VERSION] = 1, [FW_IO_BUFFER_PTR] = 1, [FW_IO_BUFFER_BYTES] = 1, [FW_INIT] = 1,
    [FW_TAP] = 1,
};

static int fw_handles[FW_EXPORT_COUNT];
static int32_t fw_io_ptr;
static uint32_t fw_io_bytes;

const char *fw_export_name(enum fw_export e)
{
    return (unsigned)e < FW_EXPORT_COUNT ? fw_names[e] : "?";
}

int fw_has(enum fw_export e)
{
    return (unsigned)e < FW_EXPORT_COUNT && fw_handles[e] >= 0;
}

int fw_call(enum fw_export e, const int32_t *args, uint32_t nargs, int32_t *result)
{
    if (!fw_has(e)) {
        return OT_ERR_NO_EXPORT;
    }
    abi_state *st = abi_get_state();
    st->aborted = false;
    hal_watchdog_arm(FW_CALL_WATCHDOG_MS);
    int rc = vm_call(fw_handles[e], args, nargs, result);
    hal_watchdog_disarm();
    if (rc == OT_OK && st->aborted) {
        rc = OT_ERR_TRAP;
    }
    return rc;
}

int fw_bind(void)
{
    for (unsigned i = 0; i < FW_EXPORT_COUNT; i++) {
        fw_handles[i] = vm_find(fw_names[i]);
        if (fw_handles[i] < 0 && fw_required[i]) {
            hal_log(3, "firmware lacks a required export:", 33);
            hal_log(3, fw_names[i], (uint32_t)strlen(fw_names[i]));
            return OT_ERR_NO_EXPORT;
        }
    }
    int32_t ptr = 0;
    int32_t bytes = 0;
    int rc = fw_call(FW_IO_BUFFER_PTR, 0, 0, &ptr);
    if (rc == OT_OK) {
        rc = fw_call(FW_IO_BUFFER_BYTES, 0, 0, &bytes);
    }
    if (rc != OT_OK) {
        return rc;
    }
    uint8_t *base = 0;
    uint32_t mem_bytes = 0;
    rc = vm_memory(&base, &mem_bytes);
    if (rc != OT_OK) {
        return rc;
    }
    if (!by_guest_ok(ptr, bytes, mem_bytes) || bytes == 0) {
        return OT_ERR_BOUNDS;
    }
    fw_io_ptr = ptr;
    fw_io_bytes = (uint32_t)bytes;
    return OT_OK;
}

uint8_t *fw_io(uint32_t *bytes, int32_t *guest_ptr)
{
    uint8_t *base = 0;
    uint32_t mem_bytes = 0;
    if (vm_memory(&base, &mem_bytes) != OT_OK || !by_guest_ok(fw_io_ptr, (int32_t)fw_io_bytes,
                                                              mem_bytes)) {
        *bytes = 0;
        *guest_ptr = 0;
        return 0;
    }
    *bytes = fw_io_bytes;
    *guest_ptr = fw_io_ptr;
    return base + fw_io_ptr;
}
