/* hal.h on a desktop: flash partitions in one file laid out as the board's flash (the
 * offsets of boards/<id>.json), a PN532 on a serial port (a USB-UART breakout or the
 * emulator on a pseudo-terminal), CLOCK_MONOTONIC, getrandom(), outputs as lines on
 * stdout, the console on a serial device or pseudo-terminal, the seed in a 0600 file,
 * and a SIGALRM watchdog that ends the process like a reset. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "../../core/hex.h"
#include "../../core/status.h"
#include "../../drivers/pn532/pn532.h"
#include "../../hal.h"
#include "board.h"
#include "hal_posix.h"
#include "serial.h"

#define POSIX_SEED_FILE_BYTES_MAX 80u /* 64 hex digits and a newline, with room */

static posix_board pb = {0, false, 0, -1, -1, false};
static int pb_flash_fd = -1;
static pn532 pb_pn532;
static bool pb_nfc_ready;
static bool pb_card_waiting; /* the field check selected a new card */

static const struct {
    uint32_t offset;
    uint32_t bytes;
} pb_parts[HAL_PART_COUNT] = {
    [HAL_PART_LEDGER] = {OT_BOARD_LEDGER_OFFSET, OT_BOARD_LEDGER_BYTES},
    [HAL_PART_DENY] = {OT_BOARD_DENYLIST_OFFSET, OT_BOARD_DENYLIST_BYTES},
    [HAL_PART_CONFIG] = {OT_BOARD_CONFIG_OFFSET, OT_BOARD_CONFIG_BYTES},
    [HAL_PART_WASM] = {OT_BOARD_WASM_OFFSET, OT_BOARD_WASM_BYTES},
};

posix_board *posix_board_get(void)
{
    return &pb;
}

int posix_board_open(posix_board *b)
{
    pb = *b;
    pb_flash_fd = open(b->flash_path, O_RDWR | O_CREAT, 0600);
    if (pb_flash_fd < 0) {
        fprintf(stderr, "offtap-reader: cannot open flash file %s: %s\n", b->flash_path,
                strerror(errno));
        return -1;
    }
    struct stat st;
    if (fstat(pb_flash_fd, &st) != 0) {
        return -1;
    }
    if (st.st_size == 0) {
        /* A new flash is erased: every byte 0xFF. */
        static uint8_t erased[OT_BOARD_SECTOR_BYTES];
        memset(erased, 0xFF, sizeof erased);
        for (uint32_t off = 0; off < OT_BOARD_FLASH_BYTES; off += sizeof erased) {
            if (pwrite(pb_flash_fd, erased, sizeof erased, off) != (ssize_t)sizeof erased) {
                return -1;
            }
        }
    } else if ((uint64_t)st.st_size != OT_BOARD_FLASH_BYTES) {
        fprintf(stderr, "offtap-reader: flash file %s is %lld bytes, not the board's %u "
                "(give the board's flash image)\n", b->flash_path, (long long)st.st_size,
                (unsigned)OT_BOARD_FLASH_BYTES);
        return -1;
    }
    return 0;
}

int hal_flash_geometry(int part, hal_geometry *out)
{
    if (part < 0 || part >= HAL_PART_COUNT) {
        return OT_ERR_PARTITION;
    }
    out->size_bytes = pb_parts[part].bytes;
    out->sector_bytes = OT_BOARD_SECTOR_BYTES;
    out->page_bytes = OT_BOARD_PAGE_BYTES;
    return OT_OK;
}

int hal_flash_read(int part, uint32_t offset, uint8_t *dst, uint32_t len)
{
    ssize_t n = pread(pb_flash_fd, dst, len, (off_t)pb_parts[part].offset + offset);
    return n == (ssize_t)len ? OT_OK : OT_ERR_IO;
}

static int pb_sync(void)
{
    return (!pb.flash_sync || fdatasync(pb_flash_fd) == 0) ? OT_OK : OT_ERR_IO;
}

int hal_flash_program(int part, uint32_t offset, const uint8_t *src, uint32_t len)
{
    uint8_t cell[512];
    if (len > sizeof cell || hal_flash_read(part, offset, cell, len) != OT_OK) {
        return OT_ERR_IO;
    }
    for (uint32_t i = 0; i < len; i++) {
        cell[i] &= src[i]; /* NOR: programming only clears bits */
    }
    ssize_t n = pwrite(pb_flash_fd, cell, len, (off_t)pb_parts[part].offset + offset);
    return n == (ssize_t)len ? pb_sync() : OT_ERR_IO;
}

int hal_flash_erase_sector(int part, uint32_t offset)
{
    static uint8_t erased[OT_BOARD_SECTOR_BYTES];
    memset(erased, 0xFF, sizeof erased);
    ssize_t n = pwrite(pb_flash_fd, erased, sizeof erased, (off_t)pb_parts[part].offset + offset);
    return n == (ssize_t)sizeof erased ? pb_sync() : OT_ERR_IO;
}

int hal_flash_map(int part, const uint8_t **data, uint32_t *len)
{
    void *p = mmap(0, pb_parts[part].bytes, PROT_READ, MAP_PRIVATE, pb_flash_fd,
                   (off_t)pb_parts[part].offset);
    if (p == MAP_FAILED) {
        return OT_ERR_IO;
    }
    *data = p;
    *len = pb_parts[part].bytes;
    return OT_OK;
}

/* The PN532 link over the serial port (HSU). */
static int pb_link_send(void *ctx, const uint8_t *data, uint32_t len)
{
    (void)ctx;
    return ser_write_all(pb.nfc_fd, data, len) == 0 ? OT_OK : OT_ERR_IO;
}

static int pb_link_recv(void *ctx, uint8_t *buf, uint32_t cap, uint32_t timeout_ms)
{
    (void)ctx;
    return ser_read(pb.nfc_fd, buf, cap, timeout_ms);
}

int posix_nfc_begin(void)
{
    if (pb.nfc_fd < 0) {
        return OT_OK;
    }
    pn532_link link = {0, pb_link_send, pb_link_recv, true};
    int rc = pn532_begin(&pb_pn532, &link);
    pb_nfc_ready = rc == OT_OK;
    return rc;
}

const pn532 *posix_pn532(void);
const pn532 *posix_pn532(void)
{
    return &pb_pn532;
}

int hal_nfc_poll(uint32_t timeout_ms)
{
    if (!pb_nfc_ready) {
        usleep(timeout_ms * 1000u);
        return 0;
    }
    if (pb_card_waiting && pb_pn532.target) {
        pb_card_waiting = false;
        return 1;
    }
    pb_card_waiting = false;
    int rc = pn532_poll(&pb_pn532);
    if (rc == 0) {
        usleep(timeout_ms * 1000u);
    }
    return rc;
}

int hal_nfc_transceive(const uint8_t *tx, uint32_t tx_len, uint8_t *rx, uint32_t rx_cap,
                       uint32_t timeout_ms)
{
    if (!pb_nfc_ready) {
        return OT_ERR_TIMEOUT;
    }
    return pn532_transceive(&pb_pn532, tx, tx_len, rx, rx_cap, timeout_ms);
}

/* After a tap: the card is released (it sees a DESELECT), then the field is polled once;
 * the same card (same NFCID1) still there counts as present, so a phone left on the
 * reader is not charged again; another card or none ends the wait. */
int hal_nfc_card_present(void)
{
    if (!pb_nfc_ready) {
        return 0;
    }
    uint8_t uid[PN532_UID_BYTES_MAX];
    uint8_t uid_len = pb_pn532.uid_len;
    memcpy(uid, pb_pn532.uid, uid_len);
    if (pb_pn532.target) {
        (void)pn532_release(&pb_pn532);
    }
    if (pn532_poll(&pb_pn532) != 1) {
        return 0;
    }
    bool same = uid_len > 0 && pb_pn532.uid_len == uid_len &&
                memcmp(pb_pn532.uid, uid, uid_len) == 0;
    if (same) {
        (void)pn532_release(&pb_pn532);
        return 1;
    }
    pb_card_waiting = true; /* another card, already selected: the next poll takes it */
    return 0;
}

uint32_t hal_clock_millis(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint32_t)((uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u);
}

int hal_random(uint8_t *dst, uint32_t len)
{
    uint32_t done = 0;
    while (done < len) {
        ssize_t n = getrandom(dst + done, len - done, 0);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            return OT_ERR_RNG;
        }
        done += (uint32_t)n;
    }
    return OT_OK;
}

void hal_output(int kind, int32_t value)
{
    static const char *const kinds[] = {"gate", "led", "buzzer", "display"};
    static const char *const leds[] = {"off", "green", "red", "amber"};
    if (pb.quiet_outputs || kind < 0 || kind > 3) {
        return;
    }
    if (kind == HAL_OUT_LED && value >= 0 && value <= 3) {
        printf("out led %s\n", leds[value]);
    } else if (kind == HAL_OUT_GATE) {
        printf("out gate %s %ums\n", value == 1 ? "open" : "closed",
               (unsigned)OT_BOARD_GATE_PULSE_MS);
    } else {
        printf("out %s %d\n", kinds[kind], (int)value);
    }
    fflush(stdout);
}

void hal_log(int level, const char *text, uint32_t len)
{
    static const char *const levels[] = {"debug", "info", "warn", "error"};
    fprintf(stderr, "log %s %.*s\n", levels[level & 3], (int)len, text);
}

int hal_console_read(uint8_t *dst, uint32_t cap, uint32_t timeout_ms)
{
    if (pb.console_fd < 0) {
        usleep(timeout_ms * 1000u);
        return 0;
    }
    int n = ser_read(pb.console_fd, dst, cap, timeout_ms);
    return n < 0 ? OT_ERR_IO : n;
}

int hal_console_write(const uint8_t *src, uint32_t len)
{
    if (pb.console_fd < 0) {
        return OT_OK;
    }
    return ser_write_all(pb.console_fd, src, len) == 0 ? OT_OK : OT_ERR_IO;
}

/* The desktop's secure store is one file the user alone may read (mode 0600): any
 * store/namespace/key of the image's reference names it. */
int hal_seed_load(uint8_t store, const char *name_space, const char *key, uint8_t seed[32])
{
    char text[POSIX_SEED_FILE_BYTES_MAX + 1];
    if (pb.seed_path == 0) {
        fprintf(stderr, "offtap-reader: the image references seed %u:%s/%s; give --seed-file\n",
                (unsigned)store, name_space, key);
        return OT_ERR_SEED;
    }
    int fd = open(pb.seed_path, O_RDONLY);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0 || (st.st_mode & 077) != 0) {
        fprintf(stderr, "offtap-reader: seed file %s is missing or readable by others "
                "(chmod 600 it)\n", pb.seed_path);
        if (fd >= 0) {
            close(fd);
        }
        return OT_ERR_SEED;
    }
    ssize_t n = read(fd, text, POSIX_SEED_FILE_BYTES_MAX);
    close(fd);
    while (n > 0 && (text[n - 1] == '\n' || text[n - 1] == '\r')) {
        n--;
    }
    int rc = (n == 64 && hex_decode(text, 64, seed, 32) == 32) ? OT_OK : OT_ERR_SEED;
    memset(text, 0, sizeof text);
    return rc;
}

static void pb_watchdog_fired(int sig)
{
    static const char msg[] = "offtap-reader: watchdog: a firmware call hung; resetting\n";
    (void)sig;
    ssize_t ignored = write(2, msg, sizeof msg - 1);
    (void)ignored;
    _exit(3);
}

void hal_watchdog_arm(uint32_t timeout_ms)
{
    struct itimerval t;
    memset(&t, 0, sizeof t);
    t.it_value.tv_sec = timeout_ms / 1000u;
    t.it_value.tv_usec = (suseconds_t)(timeout_ms % 1000u) * 1000;
    signal(SIGALRM, pb_watchdog_fired);
    setitimer(ITIMER_REAL, &t, 0);
}

void hal_watchdog_disarm(void)
{
    struct itimerval t;
    memset(&t, 0, sizeof t);
    setitimer(ITIMER_REAL, &t, 0);
}
