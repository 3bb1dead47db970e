/* What a board provides to the portable runtime (core/): flash partitions, the NFC front
 * end, a monotonic clock, the hardware RNG, the outputs, the console's serial port, the
 * secure seed store and a watchdog. One implementation per port (ports/posix,
 * ports/esp-idf); the unit tests link a fake (test/fake_hal.c). Every function returns
 * 0 or a negative enum ot_status unless its comment says otherwise. */
#ifndef OT_HAL_H
#define OT_HAL_H

#include <stdint.h>

/* Board partitions. 0 … 2 are the ABI's partition ids (boards/ABI.md); the image
 * partition is the runtime's own and is never reachable from the firmware. */
enum hal_part {
    HAL_PART_LEDGER = 0,
    HAL_PART_DENY = 1,
    HAL_PART_CONFIG = 2,
    HAL_PART_WASM = 3,
    HAL_PART_COUNT = 4
};

typedef struct hal_geometry {
    uint32_t size_bytes;
    uint32_t sector_bytes; /* erase unit, a power of two */
    uint32_t page_bytes;   /* program unit, a power of two <= sector_bytes */
} hal_geometry;

/* OT_ERR_PARTITION when the board has no such partition. */
int hal_flash_geometry(int part, hal_geometry *out);
/* Raw device access; core/flash.c checks ranges, pages and NOR rules before calling. */
int hal_flash_read(int part, uint32_t offset, uint8_t *dst, uint32_t len);
/* NOR semantics: the stored byte becomes old & data. */
int hal_flash_program(int part, uint32_t offset, const uint8_t *src, uint32_t len);
int hal_flash_erase_sector(int part, uint32_t offset);
/* A read-only view of a whole partition (memory-mapped flash on the ESP32) that stays
 * valid until reboot: the interpreter keeps pointers into the image. */
int hal_flash_map(int part, const uint8_t **data, uint32_t *len);

/* NFC front end. poll: 1 = an ISO-DEP card is selected, 0 = none within timeout_ms. */
int hal_nfc_poll(uint32_t timeout_ms);
/* One C-APDU out, its R-APDU back: the R-APDU length, or OT_ERR_TIMEOUT,
 * OT_ERR_FIELD_LOST, OT_ERR_OVERFLOW (longer than rx_cap: nothing past rx_cap written),
 * OT_ERR_FRAME. */
int hal_nfc_transceive(const uint8_t *tx, uint32_t tx_len, uint8_t *rx, uint32_t rx_cap,
                       uint32_t timeout_ms);
/* 1 while the selected card still answers, 0 once the field is empty. */
int hal_nfc_card_present(void);

/* Monotonic milliseconds since boot (wraps at 2^32). */
uint32_t hal_clock_millis(void);
/* Fills from the hardware RNG; OT_ERR_RNG when it fails. */
int hal_random(uint8_t *dst, uint32_t len);

/* Outputs, as signal() of boards/ABI.md: kind 0 gate (the board times the relay
 * pulse), 1 LED, 2 buzzer, 3 display; kind 4 the runtime's own decline display. */
enum hal_out { HAL_OUT_GATE = 0, HAL_OUT_LED = 1, HAL_OUT_BUZZER = 2, HAL_OUT_DISPLAY = 3 };
void hal_output(int kind, int32_t value);
/* Diagnostics: level 0 debug … 3 error; text is not NUL-terminated. */
void hal_log(int level, const char *text, uint32_t len);

/* The console's serial port: bytes read (0 when none came within timeout_ms). */
int hal_console_read(uint8_t *dst, uint32_t cap, uint32_t timeout_ms);
int hal_console_write(const uint8_t *src, uint32_t len);

/* The device seed from secure storage (docs/IMAGE.md "Key reference"): store 1 NVS,
 * 2 eFuse, 3 secure element. OT_ERR_SEED when absent. */
int hal_seed_load(uint8_t store, const char *name_space, const char *key, uint8_t seed[32]);

/* A watchdog around every firmware call: reset the board when not disarmed in time. */
void hal_watchdog_arm(uint32_t timeout_ms);
void hal_watchdog_disarm(void);

#endif
