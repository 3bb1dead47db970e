#include <string.h>

#include "../core/status.h"
#include "../hal.h"
#include "fake.h"

fake_hal fake;

void fake_reset(uint32_t size_bytes, uint32_t sector, uint32_t page)
{
    memset(&fake, 0, sizeof fake);
    memset(fake.flash, 0xFF, sizeof fake.flash);
    for (int i = 0; i < 4; i++) {
        fake.size[i] = size_bytes;
    }
    fake.sector = sector;
    fake.page = page;
}

void fake_set_image(const uint8_t *img, uint32_t len)
{
    memset(fake.flash[HAL_PART_WASM], 0xFF, FAKE_PART_BYTES_MAX);
    memcpy(fake.flash[HAL_PART_WASM], img, len);
}

int hal_flash_geometry(int part, hal_geometry *out)
{
    if (part < 0 || part >= 4 || fake.size[part] == 0) {
        return OT_ERR_PARTITION;
    }
    out->size_bytes = fake.size[part];
    out->sector_bytes = fake.sector;
    out->page_bytes = fake.page;
    return OT_OK;
}

int hal_flash_read(int part, uint32_t offset, uint8_t *dst, uint32_t len)
{
    memcpy(dst, fake.flash[part] + offset, len);
    return OT_OK;
}

int hal_flash_program(int part, uint32_t offset, const uint8_t *src, uint32_t len)
{
    for (uint32_t i = 0; i < len; i++) {
        fake.flash[part][offset + i] &= src[i];
    }
    return OT_OK;
}

int hal_flash_erase_sector(int part, uint32_t offset)
{
    memset(fake.flash[part] + offset, 0xFF, fake.sector);
    return OT_OK;
}

int hal_flash_map(int part, const uint8_t **data, uint32_t *len)
{
    *data = fake.flash[part];
    *len = fake.size[part];
    return OT_OK;
}

int hal_nfc_poll(uint32_t timeout_ms)
{
    (void)timeout_ms;
    return fake.poll_result;
}

int hal_nfc_transceive(const uint8_t *tx, uint32_t tx_len, uint8_t *rx, uint32_t rx_cap,
                       uint32_t timeout_ms)
{
    (void)timeout_ms;
    uint32_t n = tx_len < sizeof fake.last_tx ? tx_len : (uint32_t)sizeof fake.last_tx;
    memcpy(fake.last_tx, tx, n);
    fake.last_tx_len = tx_len;
    if (fake.nfc_next >= fake.nfc_count) {
        return OT_ERR_TIMEOUT;
    }
    const fake_nfc_step *s = &fake.nfc[fake.nfc_next++];
    if (s->status < 0) {
        return s->status;
    }
    if ((uint32_t)s->status > rx_cap) {
        memcpy(rx, s->rx, rx_cap);
        return OT_ERR_OVERFLOW;
    }
    memcpy(rx, s->rx, (size_t)s->status);
    return s->status;
}

int hal_nfc_card_present(void)
{
    if (fake.present_calls_left > 0) {
        fake.present_calls_left--;
        return 1;
    }
    return 0;
}

uint32_t hal_clock_millis(void)
{
    fake.now_ms += fake.ms_per_call;
    return fake.now_ms;
}

int hal_random(uint8_t *dst, uint32_t len)
{
    if (fake.rng_fail) {
        return OT_ERR_RNG;
    }
    for (uint32_t i = 0; i < len; i++) {
        dst[i] = (uint8_t)(i * 37u + 11u);
    }
    return OT_OK;
}

void hal_output(int kind, int32_t value)
{
    if (fake.output_count < FAKE_OUTPUTS_MAX) {
        fake.outputs[fake.output_count][0] = kind;
        fake.outputs[fake.output_count][1] = value;
        fake.output_count++;
    }
}

void hal_log(int level, const char *text, uint32_t len)
{
    (void)level;
    (void)text;
    (void)len;
}

int hal_console_read(uint8_t *dst, uint32_t cap, uint32_t timeout_ms)
{
    (void)dst;
    (void)cap;
    (void)timeout_ms;
    return 0;
}

int hal_console_write(const uint8_t *src, uint32_t len)
{
    uint32_t room = FAKE_CONSOLE_BYTES_MAX - 1 - fake.console_len;
    uint32_t n = len < room ? len : room;
    memcpy(fake.console + fake.console_len, src, n);
    fake.console_len += n;
    fake.console[fake.console_len] = '\0';
    return OT_OK;
}

int hal_seed_load(uint8_t store, const char *name_space, const char *key, uint8_t seed[32])
{
    if (!fake.seed_present || store != 1 || strcmp(name_space, "offtap") != 0 ||
        strcmp(key, "device_seed") != 0) {
        return OT_ERR_SEED;
    }
    memcpy(seed, fake.seed, 32);
    return OT_OK;
}

void hal_watchdog_arm(uint32_t timeout_ms)
{
    (void)timeout_ms;
    fake.watchdog_arms++;
}

void hal_watchdog_disarm(void)
{
}
