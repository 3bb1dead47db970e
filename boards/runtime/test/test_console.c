/* Console framing (checksums, corrupted and over-long frames, sequence rules) and the
 * commands that do not need a real firmware; then the tap loop's clock rules. */
#include <stdio.h>
#include <string.h>

#include "../core/abi.h"
#include "../core/clock.h"
#include "../core/console.h"
#include "../core/crc32.h"
#include "../core/fw.h"
#include "../core/status.h"
#include "../core/tap.h"
#include "../core/vm.h"
#include "../hal.h"
#include "fake.h"
#include "test.h"

static const uint8_t tc_sha[32] = {0xAB};
static int32_t tc_decision;
static int tc_taps;
static int32_t tc_amount;

static void tc_send_raw(const char *text)
{
    fake.console_len = 0;
    fake.console[0] = '\0';
    cons_feed((const uint8_t *)text, (uint32_t)strlen(text));
}

/* Frames body with its CRC and feeds it. */
static void tc_send(const char *body)
{
    char frame[CONS_LINE_BYTES_MAX + 2];
    snprintf(frame, sizeof frame, "%s ~%08x\n", body, (unsigned)crc32(body, strlen(body)));
    tc_send_raw(frame);
}

/* Every answer line carries a valid checksum. */
static int tc_answers_sealed(void)
{
    int lines = 0;
    const char *p = fake.console;
    while (*p != '\0') {
        const char *nl = strchr(p, '\n');
        if (nl == 0 || nl - p < 11) {
            return -1;
        }
        unsigned crc = 0;
        if (sscanf(nl - 8, "%8x", &crc) != 1 || nl[-10] != ' ' || nl[-9] != '~' ||
            crc32(p, (size_t)(nl - p - 10)) != crc) {
            return -1;
        }
        lines++;
        p = nl + 1;
    }
    return lines;
}

static int tc_int(abi_mem m, const int32_t *a, uint32_t n, int32_t *r)
{
    (void)m, (void)a, (void)n;
    *r = 4096;
    return OT_OK;
}

static int tc_tap(abi_mem m, const int32_t *a, uint32_t n, int32_t *r)
{
    (void)m;
    CHECK_EQ(n, 1);
    tc_amount = a[0];
    tc_taps++;
    abi_signal(1, tc_decision == 0 ? 1 : 2);
    *r = tc_decision;
    return OT_OK;
}

static int tc_trap(abi_mem m, const int32_t *a, uint32_t n, int32_t *r)
{
    (void)a, (void)n, (void)r;
    abi_abort(m, 0, 0, 1, 1);
    return OT_OK;
}

static void tc_firmware(fake_export_fn tap)
{
    fake_reset(16384, 4096, 256);
    fake_vm_reset();
    fake_vm_export("abiVersion", tc_int);
    fake_vm_export("ioBufferPtr", tc_int);
    fake_vm_export("ioBufferBytes", tc_int);
    fake_vm_export("init", tc_int);
    fake_vm_export("tap", tap);
    CHECK_EQ(vm_load((const uint8_t *)"\0asm\1\0\0\0", 8, 4096), OT_OK);
    CHECK_EQ(fw_bind(), OT_OK);
}

/* ledgerExport: a 3,000-byte "batch" in the I/O buffer (at 4096, 4096 bytes). */
static int tc_export(abi_mem m, const int32_t *a, uint32_t n, int32_t *r)
{
    (void)a, (void)n;
    for (uint32_t i = 0; i < 3000; i++) {
        m.base[4096 + i] = (uint8_t)(i * 7u);
    }
    *r = 3000;
    return OT_OK;
}

static void tc_export_streams(void)
{
    tc_firmware(tc_tap);
    fake_vm_export("ledgerExport", tc_export);
    CHECK_EQ(fw_bind(), OT_OK);
    tc_send("18 export 1 10");
    CHECK(strncmp(fake.console, "18 ok 00070e15", 14) == 0);
    CHECK_EQ(fake.console_len, 6 + 6000 + 11);
    CHECK_EQ(tc_answers_sealed(), 1);
}

static void tc_framing(void)
{
    cons_identity id = {"esp32-gate-pn532", 1, tc_sha};
    tc_firmware(tc_tap);
    cons_init(&id);
    tc_send("7 identify");
    CHECK(strstr(fake.console, "7 ok board=esp32-gate-pn532 abi=1 firmware=ab00") ==
          fake.console);
    CHECK(strstr(fake.console, "protocol=2 line-max=8480") != 0);
    CHECK_EQ(tc_answers_sealed(), 1);
    /* A frame split across reads, with CRLF. */
    char frame[64];
    snprintf(frame, sizeof frame, "8 status ~%08x\r\n", (unsigned)crc32("8 status", 8));
    fake.console_len = 0;
    cons_feed((const uint8_t *)frame, 5);
    CHECK_EQ(fake.console_len, 0);
    cons_feed((const uint8_t *)frame + 5, (uint32_t)strlen(frame) - 5);
    CHECK(strncmp(fake.console, "8 ok next-seq=", 14) == 0);
    /* Corruptions: a flipped bit in the body, in the CRC, a missing CRC, a bad CRC
     * digit. Each is refused with seq 0 and nothing is executed. */
    uint32_t errors = cons_get_stats()->checksum_errors;
    snprintf(frame, sizeof frame, "9 clock-set 1795305600 ~%08x\n",
             (unsigned)crc32("9 clock-set 1795305600", 22));
    clk_reset();
    for (size_t i = 0; i + 1 < strlen(frame); i++) {
        if (frame[i] == ' ' || frame[i] == '~') {
            continue;
        }
        char bad[64];
        strcpy(bad, frame);
        bad[i] ^= 0x01;
        tc_send_raw(bad);
        CHECK(strncmp(fake.console, "0 err checksum", 14) == 0 ||
              strncmp(fake.console, "0 err bad-request", 17) == 0);
    }
    CHECK(!clk_is_set());
    CHECK(cons_get_stats()->checksum_errors > errors + 20);
    tc_send_raw("9 clock-set 1795305600\n");
    CHECK(strncmp(fake.console, "0 err checksum", 14) == 0);
    CHECK(!clk_is_set());
    tc_send_raw(frame);
    CHECK(strncmp(fake.console, "9 ok", 4) == 0);
    CHECK(clk_is_set());
    /* Sequence rules: 0, 1,000,000 and non-numbers are bad requests. */
    tc_send("0 identify");
    CHECK(strncmp(fake.console, "0 err bad-request", 17) == 0);
    tc_send("1000000 identify");
    CHECK(strncmp(fake.console, "0 err bad-request", 17) == 0);
    tc_send("x identify");
    CHECK(strncmp(fake.console, "0 err bad-request", 17) == 0);
    tc_send("12 launch");
    CHECK(strncmp(fake.console, "12 err unknown-command", 22) == 0);
    /* An over-long line is dropped whole, answered once, and the next frame works. */
    static char longline[CONS_LINE_BYTES_MAX + 100];
    memset(longline, 'a', sizeof longline - 2);
    longline[sizeof longline - 2] = '\n';
    longline[sizeof longline - 1] = '\0';
    tc_send_raw(longline);
    CHECK(strncmp(fake.console, "0 err line-too-long", 19) == 0);
    CHECK_EQ(tc_answers_sealed(), 1);
    tc_send("13 identify");
    CHECK(strncmp(fake.console, "13 ok", 5) == 0);
    tc_send("14 clock-set 12x");
    CHECK(strncmp(fake.console, "14 err bad-request", 18) == 0);
    tc_send("15 amount 100");
    CHECK(strncmp(fake.console, "15 err mode", 11) == 0);
    tc_send("16 export 1");
    CHECK(strncmp(fake.console, "16 err bad-request", 18) == 0);
    tc_send("17 export 1 10");
    CHECK(strncmp(fake.console, "17 err internal ledgerExport: no-export", 39) == 0);
}

static int tc_idle_calls;
static int tc_idle_work; /* pieces of work the fake firmware still has */

static int tc_idle(abi_mem m, const int32_t *a, uint32_t n, int32_t *r)
{
    (void)m;
    (void)a;
    (void)n;
    tc_idle_calls++;
    *r = tc_idle_work > 0 ? 1 : 0;
    if (tc_idle_work > 0) {
        tc_idle_work--;
    }
    return OT_OK;
}

/* idle() runs once per empty poll and never while a card is in the field; a firmware
 * without it is simply not asked. */
static void tc_idle_loop(void)
{
    tc_firmware(tc_tap);
    tap_configure(0, 600);
    clk_set(1795305600u, hal_clock_millis());
    int32_t d = -1;
    fake.poll_result = 0;
    CHECK_EQ(tap_run_once(10, &d), 0); /* no idle export: nothing to call */
    fake_vm_export("idle", tc_idle);
    CHECK_EQ(fw_bind(), OT_OK);
    tc_idle_calls = 0;
    tc_idle_work = 2;
    uint32_t pieces = tap_get_stats()->idle_pieces;
    for (int i = 0; i < 3; i++) {
        CHECK_EQ(tap_run_once(10, &d), 0);
    }
    CHECK_EQ(tc_idle_calls, 3);
    CHECK_EQ(tap_get_stats()->idle_pieces, pieces + 2);
    tc_idle_work = 1;
    fake.poll_result = 1;
    tc_decision = 0;
    CHECK_EQ(tap_run_once(10, &d), 1);
    CHECK_EQ(tc_idle_calls, 3); /* a tap: no idle work */
    CHECK_EQ(tc_idle_work, 1);
    tap_configure(1, 600); /* a kiosk waiting for its amount idles too */
    CHECK_EQ(tap_run_once(10, &d), 0);
    CHECK_EQ(tc_idle_calls, 4);
    CHECK_EQ(tc_idle_work, 0);
}

static void tc_tap_loop(void)
{
    tc_firmware(tc_tap);
    tap_configure(0, 600);
    clk_reset();
    int32_t d = -1;
    fake.poll_result = 0;
    CHECK_EQ(tap_run_once(10, &d), 0);
    /* A card while the clock was never set: the runtime declines, the firmware is not
     * called. */
    fake.poll_result = 1;
    tc_taps = 0;
    CHECK_EQ(tap_run_once(10, &d), 1);
    CHECK_EQ(d, TAP_DECLINE_CLOCK_UNSET);
    CHECK_EQ(tc_taps, 0);
    CHECK(fake.output_count == 3 && fake.outputs[2][0] == 3 && fake.outputs[2][1] == 64);
    /* Set: the firmware decides; the loop waits for the card to leave. */
    clk_set(1795305600u, hal_clock_millis());
    tc_decision = 0;
    fake.present_calls_left = 3;
    CHECK_EQ(tap_run_once(10, &d), 1);
    CHECK_EQ(d, 0);
    CHECK_EQ(tc_taps, 1);
    CHECK_EQ(tc_amount, 0);
    CHECK_EQ(fake.present_calls_left, 0);
    /* Stale: older than the configured age. */
    fake.now_ms += 601000;
    CHECK_EQ(tap_run_once(10, &d), 1);
    CHECK_EQ(d, TAP_DECLINE_CLOCK_STALE);
    CHECK_EQ(tc_taps, 1);
    /* A kiosk taps only with an amount, which pays once. */
    tap_configure(1, 600);
    clk_set(1795305600u, hal_clock_millis());
    CHECK_EQ(tap_run_once(10, &d), 0);
    CHECK_EQ(tap_set_amount(250), OT_OK);
    CHECK_EQ(tap_run_once(10, &d), 1);
    CHECK_EQ(tc_amount, 250);
    CHECK_EQ(tap_pending_amount(), 0);
    /* A firmware trap is the runtime's own decline and a counted fault. */
    tc_firmware(tc_trap);
    fake.poll_result = 1;
    tap_configure(0, 600);
    clk_set(1795305600u, hal_clock_millis());
    uint32_t faults = tap_get_stats()->faults;
    CHECK_EQ(tap_run_once(10, &d), 1);
    CHECK_EQ(d, TAP_DECLINE_FIRMWARE_FAULT);
    CHECK_EQ(tap_get_stats()->faults, faults + 1);
    CHECK(fake.watchdog_arms > 0);
}

void test_console(void)
{
    tc_framing();
    tc_export_streams();
    tc_tap_loop();
    tc_idle_loop();
}
