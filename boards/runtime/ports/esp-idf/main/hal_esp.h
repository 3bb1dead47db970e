/* The ESP32 board's pins and the hooks app_main.c gives hal_esp.c. */
#ifndef OT_HAL_ESP_H
#define OT_HAL_ESP_H

#include <stdint.h>

#include "driver/spi_master.h"

typedef struct esp_board_pins {
    spi_host_device_t spi_host;
    int spi_hz;
    int sck, miso, mosi, cs;
    int relay, led_green, led_red, buzzer; /* -1 when the board has none */
} esp_board_pins;

int esp_hal_begin(const esp_board_pins *pins);
int esp_nfc_begin(void);
const esp_board_pins *esp_board_pins_get(void);
void esp_board_display(int32_t code);

#endif
