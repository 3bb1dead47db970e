/* hal.h on an ESP32 (ESP-IDF v5): partitions through esp_partition, the PN532 on SPI
 * (DW/SR/DR bytes, LSB first), GPIO outputs with the relay pulse timed by esp_timer,
 * esp_random, the console on UART0, the seed from NVS (encrypted when the board's
 * sdkconfig enables it), the task watchdog. Not compiled in this repository's CI (no
 * Xtensa toolchain): keep it thin; everything it calls is tested in core/ and drivers/. */
#include <string.h>

#include "driver/gpio.h"
#include "driver/spi_master.h"
#include "driver/uart.h"
#include "esp_partition.h"
#include "esp_random.h"
#include "esp_task_wdt.h"
#include "esp_timer.h"
#include "freertos/FreeRTOS.h"
#include "freertos/task.h"
#include "nvs.h"

#include "../../../core/status.h"
#include "../../../drivers/pn532/pn532.h"
#include "../../../hal.h"
#include "board.h"
#include "hal_esp.h"

#define ESP_PN532_DW 0x01u /* data write */
#define ESP_PN532_SR 0x02u /* status read: bit 0 set when a frame is ready */
#define ESP_PN532_DR 0x03u /* data read */
#define ESP_PN532_READ_BYTES PNF_FRAME_BYTES_MAX
#define ESP_CONSOLE_UART UART_NUM_0
#define ESP_CONSOLE_RX_BYTES 16384

static const esp_partition_t *esp_parts[HAL_PART_COUNT];
static const uint8_t esp_subtypes[HAL_PART_COUNT] = {0x41, 0x42, 0x43, 0x40};
static const uint32_t esp_part_bytes[HAL_PART_COUNT] = {
    OT_BOARD_LEDGER_BYTES, OT_BOARD_DENYLIST_BYTES, OT_BOARD_CONFIG_BYTES, OT_BOARD_WASM_BYTES,
};
static spi_device_handle_t esp_spi;
static pn532 esp_pn532;
static bool esp_nfc_ready;
static bool esp_card_waiting; /* the field check selected a new card */
static esp_timer_handle_t esp_relay_timer;

int esp_hal_begin(const esp_board_pins *pins)
{
    for (int i = 0; i < HAL_PART_COUNT; i++) {
        esp_parts[i] = esp_partition_find_first(ESP_PARTITION_TYPE_DATA, esp_subtypes[i], 0);
        if (esp_parts[i] == 0 || esp_parts[i]->size != esp_part_bytes[i]) {
            return OT_ERR_PARTITION; /* the flashed table is not the board profile's */
        }
    }
    spi_bus_config_t bus = {
        .mosi_io_num = pins->mosi, .miso_io_num = pins->miso, .sclk_io_num = pins->sck,
        .quadwp_io_num = -1, .quadhd_io_num = -1, .max_transfer_sz = 512,
    };
    spi_device_interface_config_t dev = {
        .clock_speed_hz = pins->spi_hz, .mode = 0, .spics_io_num = pins->cs, .queue_size = 1,
        .flags = SPI_DEVICE_BIT_LSBFIRST, /* the PN532 talks SPI least significant bit first */
    };
    if (spi_bus_initialize(pins->spi_host, &bus, SPI_DMA_CH_AUTO) != ESP_OK ||
        spi_bus_add_device(pins->spi_host, &dev, &esp_spi) != ESP_OK) {
        return OT_ERR_IO;
    }
    const int outs[] = {pins->relay, pins->led_green, pins->led_red, pins->buzzer};
    for (size_t i = 0; i < sizeof outs / sizeof outs[0]; i++) {
        if (outs[i] >= 0) {
            gpio_reset_pin(outs[i]);
            gpio_set_direction(outs[i], GPIO_MODE_OUTPUT);
            gpio_set_level(outs[i], 0);
        }
    }
    uart_driver_install(ESP_CONSOLE_UART, ESP_CONSOLE_RX_BYTES, 0, 0, 0, 0);
    return OT_OK;
}

int hal_flash_geometry(int part, hal_geometry *out)
{
    if (part < 0 || part >= HAL_PART_COUNT || esp_parts[part] == 0) {
        return OT_ERR_PARTITION;
    }
    out->size_bytes = esp_part_bytes[part];
    out->sector_bytes = OT_BOARD_SECTOR_BYTES;
    out->page_bytes = OT_BOARD_PAGE_BYTES;
    return OT_OK;
}

int hal_flash_read(int part, uint32_t offset, uint8_t *dst, uint32_t len)
{
    return esp_partition_read(esp_parts[part], offset, dst, len) == ESP_OK ? OT_OK : OT_ERR_IO;
}

int hal_flash_program(int part, uint32_t offset, const uint8_t *src, uint32_t len)
{
    /* SPI NOR page program: bits only go from 1 to 0, as hal.h requires. */
    return esp_partition_write(esp_parts[part], offset, src, len) == ESP_OK ? OT_OK : OT_ERR_IO;
}

int hal_flash_erase_sector(int part, uint32_t offset)
{
    esp_err_t e = esp_partition_erase_range(esp_parts[part], offset, OT_BOARD_SECTOR_BYTES);
    return e == ESP_OK ? OT_OK : OT_ERR_IO;
}

int hal_flash_map(int part, const uint8_t **data, uint32_t *len)
{
    const void *p = 0;
    esp_partition_mmap_handle_t h;
    esp_err_t e = esp_partition_mmap(esp_parts[part], 0, esp_part_bytes[part],
                                     ESP_PARTITION_MMAP_DATA, &p, &h);
    if (e != ESP_OK) {
        return OT_ERR_IO;
    }
    *data = p;
    *len = esp_part_bytes[part];
    return OT_OK;
}

/* The PN532 SPI link: every transaction starts with its DW/SR/DR byte. */
static int esp_spi_xfer(const uint8_t *tx, uint8_t *rx, uint32_t len)
{
    spi_transaction_t t = {.length = len * 8, .tx_buffer = tx, .rx_buffer = rx};
    return spi_device_polling_transmit(esp_spi, &t) == ESP_OK ? OT_OK : OT_ERR_IO;
}

static int esp_link_send(void *ctx, const uint8_t *data, uint32_t len)
{
    static uint8_t buf[1 + PNF_FRAME_BYTES_MAX];
    (void)ctx;
    if (len > PNF_FRAME_BYTES_MAX) {
        return OT_ERR_BOUNDS;
    }
    buf[0] = ESP_PN532_DW;
    memcpy(buf + 1, data, len);
    return esp_spi_xfer(buf, 0, len + 1);
}

static int esp_link_recv(void *ctx, uint8_t *dst, uint32_t cap, uint32_t timeout_ms)
{
    static uint8_t tx[1 + ESP_PN532_READ_BYTES];
    static uint8_t rx[1 + ESP_PN532_READ_BYTES];
    (void)ctx;
    int64_t deadline = esp_timer_get_time() + (int64_t)timeout_ms * 1000;
    for (;;) {
        uint8_t sr[2] = {ESP_PN532_SR, 0};
        uint8_t st[2] = {0, 0};
        if (esp_spi_xfer(sr, st, 2) != OT_OK) {
            return OT_ERR_IO;
        }
        if ((st[1] & 1u) != 0) {
            break;
        }
        if (esp_timer_get_time() >= deadline) {
            return 0;
        }
        vTaskDelay(1);
    }
    uint32_t n = cap < ESP_PN532_READ_BYTES ? cap : ESP_PN532_READ_BYTES;
    memset(tx, 0, sizeof tx);
    tx[0] = ESP_PN532_DR;
    if (esp_spi_xfer(tx, rx, n + 1) != OT_OK) {
        return OT_ERR_IO;
    }
    memcpy(dst, rx + 1, n);
    return (int)n;
}

int esp_nfc_begin(void)
{
    pn532_link link = {0, esp_link_send, esp_link_recv, false};
    int rc = pn532_begin(&esp_pn532, &link);
    esp_nfc_ready = rc == OT_OK;
    return rc;
}

int hal_nfc_poll(uint32_t timeout_ms)
{
    if (esp_card_waiting && esp_pn532.target) {
        esp_card_waiting = false;
        return 1;
    }
    esp_card_waiting = false;
    int rc = esp_nfc_ready ? pn532_poll(&esp_pn532) : 0;
    if (rc == 0) {
        vTaskDelay(pdMS_TO_TICKS(timeout_ms));
    }
    return rc;
}

int hal_nfc_transceive(const uint8_t *tx, uint32_t tx_len, uint8_t *rx, uint32_t rx_cap,
                       uint32_t timeout_ms)
{
    return esp_nfc_ready ? pn532_transceive(&esp_pn532, tx, tx_len, rx, rx_cap, timeout_ms)
                         : OT_ERR_TIMEOUT;
}

/* As the POSIX port: release, poll once, the same NFCID1 still there is "present". */
int hal_nfc_card_present(void)
{
    uint8_t uid[PN532_UID_BYTES_MAX];
    uint8_t n = esp_pn532.uid_len;
    memcpy(uid, esp_pn532.uid, n);
    if (esp_pn532.target) {
        (void)pn532_release(&esp_pn532);
    }
    if (pn532_poll(&esp_pn532) != 1) {
        return 0;
    }
    bool same = n > 0 && esp_pn532.uid_len == n && memcmp(esp_pn532.uid, uid, n) == 0;
    if (same) {
        (void)pn532_release(&esp_pn532);
        return 1;
    }
    esp_card_waiting = true; /* another card, already selected: the next poll takes it */
    return 0;
}

uint32_t hal_clock_millis(void)
{
    return (uint32_t)(esp_timer_get_time() / 1000);
}

int hal_random(uint8_t *dst, uint32_t len)
{
    /* A true RNG while the RF subsystem or the bootloader's entropy source runs; this
     * board keeps Wi-Fi off, so app_main enables bootloader_random at start. */
    esp_fill_random(dst, len);
    return OT_OK;
}

static void esp_relay_close(void *arg)
{
    (void)arg;
    gpio_set_level(esp_board_pins_get()->relay, 0);
}

void hal_output(int kind, int32_t value)
{
    const esp_board_pins *p = esp_board_pins_get();
    if (kind == HAL_OUT_GATE && value == 1 && p->relay >= 0) {
        gpio_set_level(p->relay, 1);
        if (esp_relay_timer == 0) {
            esp_timer_create_args_t a = {.callback = esp_relay_close, .name = "relay"};
            esp_timer_create(&a, &esp_relay_timer);
        }
        esp_timer_stop(esp_relay_timer);
        esp_timer_start_once(esp_relay_timer, (uint64_t)OT_BOARD_GATE_PULSE_MS * 1000u);
    } else if (kind == HAL_OUT_LED) {
        gpio_set_level(p->led_green, value == 1 || value == 3);
        gpio_set_level(p->led_red, value == 2 || value == 3);
    } else if (kind == HAL_OUT_BUZZER) {
        gpio_set_level(p->buzzer, 1);
        vTaskDelay(pdMS_TO_TICKS(value == 1 ? 80 : 300));
        gpio_set_level(p->buzzer, 0);
    } else if (kind == HAL_OUT_DISPLAY) {
        esp_board_display(value); /* the display driver of the board (app_main.c) */
    }
}

void hal_log(int level, const char *text, uint32_t len)
{
    static const char *const levels[] = {"debug", "info", "warn", "error"};
    /* Log lines start with '#', which console hosts skip (boards/CONSOLE.md). */
    printf("# %s %.*s\n", levels[level & 3], (int)len, text);
}

int hal_console_read(uint8_t *dst, uint32_t cap, uint32_t timeout_ms)
{
    int n = uart_read_bytes(ESP_CONSOLE_UART, dst, cap, pdMS_TO_TICKS(timeout_ms));
    return n < 0 ? OT_ERR_IO : n;
}

int hal_console_write(const uint8_t *src, uint32_t len)
{
    return uart_write_bytes(ESP_CONSOLE_UART, src, len) == (int)len ? OT_OK : OT_ERR_IO;
}

int hal_seed_load(uint8_t store, const char *name_space, const char *key, uint8_t seed[32])
{
    if (store != 1) {
        return OT_ERR_SEED; /* eFuse HMAC and secure elements: not on these boards yet */
    }
    nvs_handle_t h;
    if (nvs_open(name_space, NVS_READONLY, &h) != ESP_OK) {
        return OT_ERR_SEED;
    }
    size_t n = 32;
    esp_err_t e = nvs_get_blob(h, key, seed, &n);
    nvs_close(h);
    return (e == ESP_OK && n == 32) ? OT_OK : OT_ERR_SEED;
}

void hal_watchdog_arm(uint32_t timeout_ms)
{
    (void)timeout_ms; /* CONFIG_ESP_TASK_WDT_TIMEOUT_S = FW_CALL_WATCHDOG_MS */
    esp_task_wdt_add(0);
    esp_task_wdt_reset();
}

void hal_watchdog_disarm(void)
{
    esp_task_wdt_delete(0);
}
