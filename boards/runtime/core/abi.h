/* The imports of boards/ABI.md (module "env"), as plain C over a view of the firmware's
 * linear memory. Every pointer and length the firmware passes is checked with
 * by_guest_ok() before a byte is touched; the interpreter glue (core/vm_wasm3.c, or the
 * fake in the tests) only converts arguments. Prefix abi_. */
#ifndef OT_ABI_H
#define OT_ABI_H

#include <stdbool.h>
#include <stdint.h>

#define ABI_VERSION 1
/* An abort message kept for the console and the log (longer ones are cut). */
#define ABI_ABORT_TEXT_BYTES_MAX 160u
/* The longest log line passed on to the board (longer ones are cut). */
#define ABI_LOG_BYTES_MAX 240u
/* A short C-APDU: header 4 + Lc 1 + 255 data + Le 1 (the protocol sends nothing longer). */
#define ABI_TX_BYTES_MAX 261u
/* The largest randomFill the board serves in one call (challenges are 16 bytes). */
#define ABI_RANDOM_BYTES_MAX 4096u
/* Signals recorded per tap for the tap loop and the console (a tap sends at most 4). */
#define ABI_SIGNALS_MAX 8u

typedef struct abi_mem {
    uint8_t *base;
    uint32_t bytes;
} abi_mem;

typedef struct abi_signal_rec {
    int32_t kind;
    int32_t value;
} abi_signal_rec;

typedef struct abi_state {
    bool aborted;
    char abort_text[ABI_ABORT_TEXT_BYTES_MAX];
    uint32_t bounds_refusals;  /* calls answered ERR_BOUNDS for a bad pointer */
    uint32_t nor_violations;   /* programs that broke the NOR rule (firmware bugs) */
    uint32_t transceives;
    uint32_t signal_count;
    abi_signal_rec signals[ABI_SIGNALS_MAX];
} abi_state;

/* Where the imports go: the board (NULL, the default) or test mode's scripted board
 * (core/testmode.c). Pointers are checked before any backend is called. */
typedef struct abi_backend {
    int (*flash_read)(int part, uint32_t offset, uint8_t *dst, uint32_t len);
    int (*flash_program)(int part, uint32_t offset, const uint8_t *src, uint32_t len);
    int (*flash_erase)(int part, uint32_t offset);
    int (*nfc_transceive)(const uint8_t *tx, uint32_t tx_len, uint8_t *rx, uint32_t rx_cap,
                          uint32_t timeout_ms);
    uint32_t (*unix_seconds)(void);
    uint32_t (*millis)(void);
    int (*random)(uint8_t *dst, uint32_t len);
    void (*signal)(int32_t kind, int32_t value);
} abi_backend;

void abi_set_backend(const abi_backend *backend);

abi_state *abi_get_state(void);
void abi_reset_signals(void);

void abi_abort(abi_mem m, int32_t msg, int32_t file, int32_t line, int32_t col);
int32_t abi_flash_read(abi_mem m, int32_t part, int32_t offset, int32_t ptr, int32_t len);
int32_t abi_flash_program(abi_mem m, int32_t part, int32_t offset, int32_t ptr, int32_t len);
int32_t abi_flash_erase(int32_t part, int32_t offset);
int32_t abi_nfc_transceive(abi_mem m, int32_t tx, int32_t tx_len, int32_t rx, int32_t rx_cap,
                           int32_t timeout_ms);
int32_t abi_clock_unix_seconds(void);
int32_t abi_clock_millis(void);
int32_t abi_random_fill(abi_mem m, int32_t ptr, int32_t len);
void abi_signal(int32_t kind, int32_t value);
void abi_log(abi_mem m, int32_t level, int32_t ptr, int32_t len);

#endif
