/* The offtap reader on an ESP32: boot checks, then the tap loop and the console in one
 * task. Pins come from the board profile (boards/<id>.json); this file carries the gate
 * board's, esp32-gate-pn532. Not compiled in this repository's CI (README.md). */
#include <stdio.h>

#include "bootloader_random.h"
#include "freertos/FreeRTOS.h"
#include "freertos/task.h"
#include "nvs_flash.h"
#include "sodium.h"

#include "../../../core/boot.h"
#include "../../../core/console.h"
#include "../../../core/status.h"
#include "../../../core/tap.h"
#include "board.h"
#include "hal_esp.h"

#define APP_POLL_MS 20u
#define APP_CONSOLE_CHUNK 256u

/* boards/esp32-gate-pn532.json: VSPI (SPI3) at 1 MHz, relay 26, LEDs 32/33, buzzer 25. */
static const esp_board_pins app_pins = {
    .spi_host = SPI3_HOST, .spi_hz = 1000000, .sck = 18, .miso = 19, .mosi = 23, .cs = 17,
    .relay = 26, .led_green = 32, .led_red = 33, .buzzer = 25,
};
static const img_board app_board = {
    OT_BOARD_ID, OT_BOARD_ABI_VERSION, OT_BOARD_MODE, OT_BOARD_WASM_BYTES,
    OT_BOARD_LEDGER_BYTES, OT_BOARD_DENYLIST_BYTES, OT_BOARD_SECTOR_BYTES, OT_BOARD_PAGE_BYTES,
};
static const uint8_t app_release_pk[32] = OT_BOARD_RELEASE_PUBLIC_KEY;

const esp_board_pins *esp_board_pins_get(void)
{
    return &app_pins;
}

void esp_board_display(int32_t code)
{
    /* The SSD1306 driver is the board integrator's; the decision code is logged. */
    printf("# display %d\n", (int)code);
}

void app_main(void)
{
    bootloader_random_enable(); /* a true RNG without Wi-Fi (esp_random's requirement) */
    if (nvs_flash_init() != ESP_OK || sodium_init() < 0 || esp_hal_begin(&app_pins) != OT_OK) {
        printf("# offtap: board start-up failed (partition table or SPI bus)\n");
        return;
    }
    boot_info info;
    int rc = boot_run(&app_board, app_release_pk, OT_BOARD_WASM3_STACK_BYTES, &info);
    if (rc != OT_OK) {
        printf("# offtap: boot refused: %s\n",
               rc <= IMG_ERR_LENGTH ? img_status_name(rc) : ot_status_name(rc));
        return; /* the previous image stays in its partition; nothing runs */
    }
    if (esp_nfc_begin() != OT_OK) {
        printf("# offtap: the PN532 does not answer on SPI\n");
    }
    tap_configure(OT_BOARD_MODE, TAP_CLOCK_AGE_S_DEFAULT);
    cons_identity id = {OT_BOARD_ID, OT_BOARD_ABI_VERSION, info.firmware_sha256};
    cons_init(&id);
    cons_announce("ready offtap-console 2");
    uint8_t chunk[APP_CONSOLE_CHUNK];
    for (;;) {
        int n = hal_console_read(chunk, sizeof chunk, 0);
        if (n > 0) {
            cons_feed(chunk, (uint32_t)n);
        }
        int32_t decision;
        (void)tap_run_once(APP_POLL_MS, &decision);
    }
}
