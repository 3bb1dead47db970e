#include "abi.h"

#include <string.h>

#include "../hal.h"
#include "bytes.h"
#include "clock.h"
#include "flash.h"
#include "status.h"

static abi_state abi_st;
static const abi_backend *abi_be;

void abi_set_backend(const abi_backend *backend)
{
    abi_be = backend;
}

abi_state *abi_get_state(void)
{
    return &abi_st;
}

void abi_reset_signals(void)
{
    abi_st.signal_count = 0;
}

static int32_t abi_refuse(void)
{
    abi_st.bounds_refusals++;
    return OT_ERR_BOUNDS;
}

/* The firmware may name partitions 0 … 2 only: the image partition is not its business. */
static bool abi_part_ok(int32_t part)
{
    return part == HAL_PART_LEDGER || part == HAL_PART_DENY || part == HAL_PART_CONFIG;
}

/* An AssemblyScript string (UTF-16LE, byte length at ptr - 4) as ASCII, '?' for the
 * rest; "" when any byte of it lies outside memory. Returns the bytes written. */
static uint32_t abi_as_string(abi_mem m, int32_t ptr, char *out, uint32_t cap)
{
    out[0] = '\0';
    if (ptr < 4 || !by_guest_ok(ptr - 4, 4, m.bytes)) {
        return 0;
    }
    uint32_t bytes = by_le32(m.base + ptr - 4);
    if (bytes > (uint32_t)INT32_MAX || !by_guest_ok(ptr, (int32_t)bytes, m.bytes)) {
        return 0;
    }
    uint32_t n = 0;
    for (uint32_t i = 0; i + 1 < bytes && n + 1 < cap; i += 2) {
        uint16_t c = by_le16(m.base + ptr + i);
        out[n++] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
    }
    out[n] = '\0';
    return n;
}

void abi_abort(abi_mem m, int32_t msg, int32_t file, int32_t line, int32_t col)
{
    char text[ABI_ABORT_TEXT_BYTES_MAX / 2];
    char where[ABI_ABORT_TEXT_BYTES_MAX / 2];
    abi_as_string(m, msg, text, sizeof text);
    abi_as_string(m, file, where, sizeof where);
    abi_st.aborted = true;
    size_t n = 0;
    const char *parts[] = {"abort: ", text, " at ", where};
    for (size_t p = 0; p < sizeof parts / sizeof parts[0]; p++) {
        size_t len = strlen(parts[p]);
        if (n + len >= sizeof abi_st.abort_text) {
            len = sizeof abi_st.abort_text - 1 - n;
        }
        memcpy(abi_st.abort_text + n, parts[p], len);
        n += len;
    }
    abi_st.abort_text[n] = '\0';
    (void)line;
    (void)col;
    hal_log(3, abi_st.abort_text, (uint32_t)n);
}

int32_t abi_flash_read(abi_mem m, int32_t part, int32_t offset, int32_t ptr, int32_t len)
{
    if (!by_guest_ok(ptr, len, m.bytes) || offset < 0) {
        return abi_refuse();
    }
    if (!abi_part_ok(part)) {
        return OT_ERR_PARTITION;
    }
    if (abi_be != 0) {
        return abi_be->flash_read(part, (uint32_t)offset, m.base + ptr, (uint32_t)len);
    }
    return fl_read(part, (uint32_t)offset, m.base + ptr, (uint32_t)len);
}

int32_t abi_flash_program(abi_mem m, int32_t part, int32_t offset, int32_t ptr, int32_t len)
{
    if (!by_guest_ok(ptr, len, m.bytes) || offset < 0) {
        return abi_refuse();
    }
    if (!abi_part_ok(part)) {
        return OT_ERR_PARTITION;
    }
    int rc = abi_be != 0 ? abi_be->flash_program(part, (uint32_t)offset, m.base + ptr,
                                                 (uint32_t)len)
                         : fl_program(part, (uint32_t)offset, m.base + ptr, (uint32_t)len);
    if (rc == OT_ERR_NOR_RULE) {
        /* A firmware bug (it programmed bits that were not erased): counted and
         * reported as a device failure, as real NOR flash would leave the bits wrong. */
        abi_st.nor_violations++;
        return OT_ERR_IO;
    }
    return rc;
}

int32_t abi_flash_erase(int32_t part, int32_t offset)
{
    if (offset < 0) {
        return OT_ERR_BOUNDS;
    }
    if (!abi_part_ok(part)) {
        return OT_ERR_PARTITION;
    }
    return abi_be != 0 ? abi_be->flash_erase(part, (uint32_t)offset)
                       : fl_erase(part, (uint32_t)offset);
}

int32_t abi_nfc_transceive(abi_mem m, int32_t tx, int32_t tx_len, int32_t rx, int32_t rx_cap,
                           int32_t timeout_ms)
{
    if (!by_guest_ok(tx, tx_len, m.bytes) || !by_guest_ok(rx, rx_cap, m.bytes) ||
        timeout_ms < 0 || (uint32_t)tx_len > ABI_TX_BYTES_MAX) {
        return abi_refuse();
    }
    abi_st.transceives++;
    int rc = (abi_be != 0 ? abi_be->nfc_transceive : hal_nfc_transceive)(
        m.base + tx, (uint32_t)tx_len, m.base + rx, (uint32_t)rx_cap, (uint32_t)timeout_ms);
    if (rc > rx_cap) {
        return OT_ERR_OVERFLOW; /* a HAL bug: never report more than fits */
    }
    return rc;
}

int32_t abi_clock_unix_seconds(void)
{
    if (abi_be != 0) {
        return (int32_t)abi_be->unix_seconds();
    }
    return (int32_t)clk_unix(hal_clock_millis());
}

int32_t abi_clock_millis(void)
{
    return (int32_t)(abi_be != 0 ? abi_be->millis() : hal_clock_millis());
}

int32_t abi_random_fill(abi_mem m, int32_t ptr, int32_t len)
{
    if (!by_guest_ok(ptr, len, m.bytes) || (uint32_t)len > ABI_RANDOM_BYTES_MAX) {
        return abi_refuse();
    }
    int rc = (abi_be != 0 ? abi_be->random : hal_random)(m.base + ptr, (uint32_t)len);
    return rc == OT_OK ? OT_OK : OT_ERR_IO;
}

void abi_signal(int32_t kind, int32_t value)
{
    if (abi_st.signal_count < ABI_SIGNALS_MAX) {
        abi_st.signals[abi_st.signal_count].kind = kind;
        abi_st.signals[abi_st.signal_count].value = value;
        abi_st.signal_count++;
    }
    if (abi_be != 0) {
        abi_be->signal(kind, value);
    } else if (kind >= HAL_OUT_GATE && kind <= HAL_OUT_DISPLAY) {
        hal_output(kind, value);
    }
}

void abi_log(abi_mem m, int32_t level, int32_t ptr, int32_t len)
{
    if (!by_guest_ok(ptr, len, m.bytes)) {
        abi_refuse();
        hal_log(3, "log text out of bounds", 22);
        return;
    }
    uint32_t n = (uint32_t)len > ABI_LOG_BYTES_MAX ? ABI_LOG_BYTES_MAX : (uint32_t)len;
    hal_log(level < 0 ? 0 : (level > 3 ? 3 : level), (const char *)(m.base + ptr), n);
}
