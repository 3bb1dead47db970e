/* The firmware's exports as the runtime calls them (boards/ABI.md), by name, each call
 * under the watchdog, with the I/O buffer checked against linear memory once at bind.
 * Exports that the ABI marks optional may be absent (handle < 0). Prefix fw_. */
#ifndef OT_FW_H
#define OT_FW_H

#include <stdint.h>

/* A firmware call that has not returned in this long is hung: the watchdog resets the
 * board. A tap is at most 3 exchanges of at most 500 ms (NFC_TIMEOUT_MS_MAX) plus the
 * interpreted crypto (~0.3 s on an ESP32): 5 s is an order of magnitude above. */
#define FW_CALL_WATCHDOG_MS 5000u

enum fw_export {
    FW_ABI_VERSION,
    FW_IO_BUFFER_PTR,
    FW_IO_BUFFER_BYTES,
    FW_INIT,
    FW_TAP,
    FW_LEDGER_EXPORT,
    FW_LEDGER_ACKNOWLEDGE,
    FW_LEDGER_NEXT_SEQ,
    FW_LEDGER_ACKED_SEQ,
    FW_LEDGER_REUSABLE_SECTORS,
    FW_LEDGER_DENY_BEGIN,
    FW_LEDGER_DENY_WRITE,
    FW_LEDGER_DENY_COMMIT,
    FW_LEDGER_DENY_VERSION,
    FW_SHA512,
    FW_SHA512_INIT,
    FW_SHA512_UPDATE,
    FW_SHA512_FINAL,
    FW_ED25519_VERIFY,
    FW_ED25519_VERIFY_BEGIN,
    FW_ED25519_VERIFY_UPDATE,
    FW_ED25519_VERIFY_END,
    FW_ED25519_REGISTER_KEY,
    FW_ED25519_VERIFY_REGISTERED,
    FW_ED25519_PUBLIC_KEY,
    FW_ED25519_SIGN,
    FW_HEAP_TOP,
    FW_LAST_TAP_ELAPSED_MS,
    FW_LAST_RECEIPT_PTR,
    FW_LAST_RECEIPT_LEN,
    FW_IDLE,
    FW_EXPORT_COUNT
};

/* Resolves every export; OT_ERR_NO_EXPORT when a required one is missing, OT_ERR_BOUNDS
 * when the I/O buffer does not lie inside linear memory. */
int fw_bind(void);
int fw_has(enum fw_export e);
/* Calls an export under the watchdog; OT_ERR_TRAP when it trapped or aborted. */
int fw_call(enum fw_export e, const int32_t *args, uint32_t nargs, int32_t *result);
/* The I/O buffer (valid after fw_bind). */
uint8_t *fw_io(uint32_t *bytes, int32_t *guest_ptr);
const char *fw_export_name(enum fw_export e);

#endif
