/* Fakes for the unit tests: a HAL over RAM (flash partitions, a scripted NFC front end,
 * a settable clock, captured outputs and console) and a WASM runtime whose "exports" are
 * C functions standing in for the firmware (test/fake_vm.c). */
#ifndef OT_TEST_FAKE_H
#define OT_TEST_FAKE_H

#include <stdbool.h>
#include <stdint.h>

#include "../core/abi.h"

#define FAKE_PART_BYTES_MAX (256u * 1024u)
#define FAKE_CONSOLE_BYTES_MAX (64u * 1024u)
#define FAKE_OUTPUTS_MAX 64u
#define FAKE_NFC_SCRIPT_MAX 16u
#define FAKE_MEMORY_BYTES (128u * 1024u)
#define FAKE_EXPORTS_MAX 32u

typedef struct fake_nfc_step {
    int status;          /* transceive result: >= 0 bytes of rx below, or an error */
    uint8_t rx[300];
} fake_nfc_step;

typedef struct fake_hal {
    uint8_t flash[4][FAKE_PART_BYTES_MAX];
    uint32_t size[4];
    uint32_t sector;
    uint32_t page;
    uint32_t now_ms;
    uint32_t ms_per_call;   /* the clock advances this much per hal_clock_millis() */
    int poll_result;        /* hal_nfc_poll's answer */
    int present_calls_left; /* hal_nfc_card_present answers 1 this many times */
    fake_nfc_step nfc[FAKE_NFC_SCRIPT_MAX];
    uint32_t nfc_count;
    uint32_t nfc_next;
    uint8_t last_tx[300];
    uint32_t last_tx_len;
    int32_t outputs[FAKE_OUTPUTS_MAX][2];
    uint32_t output_count;
    char console[FAKE_CONSOLE_BYTES_MAX];
    uint32_t console_len;
    bool seed_present;
    uint8_t seed[32];
    bool rng_fail;
    uint32_t watchdog_arms;
} fake_hal;

extern fake_hal fake;

void fake_reset(uint32_t size_bytes, uint32_t sector, uint32_t page);
void fake_set_image(const uint8_t *img, uint32_t len);

typedef int (*fake_export_fn)(abi_mem m, const int32_t *args, uint32_t n, int32_t *result);
void fake_vm_reset(void);
void fake_vm_export(const char *name, fake_export_fn fn);
abi_mem fake_vm_mem(void);

#endif
