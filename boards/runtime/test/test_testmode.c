/* Test mode's tap sessions through the console on the fake board: a scripted radio, RNG,
 * clock and scratch flash; taprunner's output lines; script errors; a broken flash rule;
 * the live firmware booted again afterwards. */
#include <stdio.h>
#include <string.h>

#include "../core/abi.h"
#include "../core/boot.h"
#include "../core/console.h"
#include "../core/crc32.h"
#include "../core/hex.h"
#include "../core/status.h"
#include "../core/testmode.h"
#include "../hal.h"
#include "fake.h"
#include "test.h"

static const img_board tt_kiosk = {"esp32s3-kiosk-pn532", 1, 1, 0x10000, 0x80000, 0x10000,
                                   4096, 256};
static uint8_t tt_image[65536];
static uint8_t tt_program_value = 0x12;
static int tt_inits;

static int tt_int(abi_mem m, const int32_t *a, uint32_t n, int32_t *r)
{
    (void)m, (void)a, (void)n;
    *r = 4096;
    return OT_OK;
}

static int tt_abi(abi_mem m, const int32_t *a, uint32_t n, int32_t *r)
{
    (void)m, (void)a, (void)n;
    *r = 1;
    return OT_OK;
}

static int tt_init(abi_mem m, const int32_t *a, uint32_t n, int32_t *r)
{
    (void)m, (void)n;
    tt_inits++;
    *r = a[1] > 0 ? 0 : -30;
    return OT_OK;
}

/* A firmware tap: one exchange, one 16-byte challenge, one flash program, one signal. */
static int tt_tap(abi_mem m, const int32_t *a, uint32_t n, int32_t *r)
{
    (void)a, (void)n;
    memcpy(m.base + 100, "\x00\xA4", 2);
    int32_t got = abi_nfc_transceive(m, 100, 2, 200, 258, 100);
    abi_random_fill(m, 300, 16);
    m.base[400] = tt_program_value;
    abi_flash_program(m, 0, 0, 400, 1);
    abi_signal(1, got >= 0 ? 1 : 2);
    *r = got >= 0 ? 0 : 16;
    return OT_OK;
}

static int tt_zero(abi_mem m, const int32_t *a, uint32_t n, int32_t *r)
{
    (void)m, (void)a, (void)n;
    *r = 0;
    return OT_OK;
}

static int tt_idle_work; /* pieces of idle work the fake firmware has left */

static int tt_idle(abi_mem m, const int32_t *a, uint32_t n, int32_t *r)
{
    (void)m, (void)a, (void)n;
    *r = tt_idle_work > 0;
    tt_idle_work -= tt_idle_work > 0;
    return OT_OK;
}

static void tt_firmware(void)
{
    fake_vm_reset();
    fake_vm_export("abiVersion", tt_abi);
    fake_vm_export("ioBufferPtr", tt_int);
    fake_vm_export("ioBufferBytes", tt_int);
    fake_vm_export("init", tt_init);
    fake_vm_export("tap", tt_tap);
    fake_vm_export("lastReceiptLen", tt_zero);
    fake_vm_export("lastReceiptPtr", tt_zero);
    fake_vm_export("idle", tt_idle);
}

static void tt_send(const char *body)
{
    char frame[512];
    snprintf(frame, sizeof frame, "%s ~%08x\n", body, (unsigned)crc32(body, strlen(body)));
    fake.console_len = 0;
    fake.console[0] = '\0';
    cons_feed((const uint8_t *)frame, (uint32_t)strlen(frame));
}

/* The console output without seals, one answer per line, for comparisons. */
static const char *tt_plain(void)
{
    static char out[4096];
    size_t n = 0;
    for (const char *p = fake.console; *p != '\0' && n + 1 < sizeof out;) {
        const char *nl = strchr(p, '\n');
        size_t len = nl == 0 ? strlen(p) : (size_t)(nl - p);
        size_t body = len >= 11 ? len - 11 + 1 : len;
        memcpy(out + n, p, body);
        n += body;
        out[n++] = '|';
        p += len + (nl != 0);
    }
    out[n] = '\0';
    return out;
}

static void tt_boot(void)
{
    fake_reset(0x40000, 4096, 256);
    fake.size[HAL_PART_WASM] = 0x10000;
    fake.size[HAL_PART_CONFIG] = 0x1000;
    char path[512];
    snprintf(path, sizeof path, "%s/kiosk-inline.img", test_vectors_dir);
    FILE *f = fopen(path, "rb");
    CHECK(f != 0);
    size_t n = f != 0 ? fread(tt_image, 1, sizeof tt_image, f) : 0;
    if (f != 0) {
        fclose(f);
    }
    fake_set_image(tt_image, (uint32_t)n);
    tt_firmware();
    boot_info info;
    CHECK_EQ(boot_run(&tt_kiosk, tt_release_pk_get(), 32768, &info), OT_OK);
    static const uint8_t sha[32] = {0};
    cons_identity id = {"esp32s3-kiosk-pn532", 1, sha};
    cons_init(&id);
}

static void tt_session(void)
{
    tt_boot();
    int inits = tt_inits;
    tt_send("1 tap-begin");
    CHECK(strcmp(tt_plain(), "1 ok|") == 0);
    CHECK(tm_active());
    tt_send("2 tap partition 0 16384 4096 256");
    tt_send("3 tap partition 2 4096 4096 256");
    tt_send("4 tap time 1795305600");
    tt_send("5 tap init 4f54");
    CHECK(strcmp(tt_plain(), "5 > init 0|5 ok|") == 0);
    tt_send("6 tap expect 0");
    CHECK(strcmp(tt_plain(), "6 > pass|6 ok|") == 0);
    tt_send("7 tap random 000102030405060708090a0b0c0d0e0f");
    tt_send("8 tap rapdu 00a4 129000 12");
    tt_send("9 tap tap 0");
    CHECK(strcmp(tt_plain(), "9 > tap 0 exchanges 1 receipt - signals 1:1|9 ok|") == 0);
    CHECK(memcmp(fake_vm_mem().base + 200, "\x12\x90\x00", 3) == 0);
    CHECK(memcmp(fake_vm_mem().base + 300, "\x00\x01\x02", 3) == 0);
    CHECK_EQ(fake.flash[0][0], 0xFF); /* the scratch flash, not the live ledger */
    tt_send("10 tap expect 0 - 1:1");
    CHECK(strcmp(tt_plain(), "10 > pass|10 ok|") == 0);
    /* idle: the firmware's idle work until it has none, as taprunner prints it. */
    tt_idle_work = 2;
    tt_send("10 tap idle");
    CHECK(strcmp(tt_plain(), "10 > idle 2|10 ok|") == 0);
    tt_send("10 tap idle");
    CHECK(strcmp(tt_plain(), "10 > idle 0|10 ok|") == 0);
    /* Nothing queued: both mismatches, a decline, and the expectation fails. */
    tt_send("11 tap tap 0");
    CHECK(strcmp(tt_plain(), "11 > mismatch exchange-not-in-script 1|"
                             "11 > mismatch random-not-in-script 1|"
                             "11 > tap 16 exchanges 0 receipt - signals 1:2|11 ok|") == 0);
    tt_send("12 tap expect 0 - 1:1");
    CHECK(strcmp(tt_plain(), "12 > fail decision signals exchanges|12 ok|") == 0);
    tt_send("13 tap-end");
    CHECK(strcmp(tt_plain(), "13 > done taps 2 expects 3 failed 1 mismatches 2 flash-blocks 1|"
                             "13 ok 1|") == 0);
    CHECK(!tm_active());
    CHECK_EQ(tt_inits, inits + 2); /* the session's init, then the live firmware's again */
}

static void tt_errors(void)
{
    tt_boot();
    tt_send("1 tap tap 0");
    CHECK(strncmp(tt_plain(), "1 err no-session", 16) == 0);
    const char *scripts[][2] = {
        {"bogus", "script unknown command"},
        {"tap 1 2", "script wrong field count"},
        {"tap x", "script bad number"},
        {"idle 1", "script wrong field count"},
        {"tap 0", "script partitions 0 and 2 must be declared first"},
        {"rapdu zz 9000 1", "script bad hex"},
        {"rapdu 00 90 1", "script bad hex"},
        {"partition 3 4096 4096 256", "script bad number"},
        {"expect 0", "script nothing to expect"},
        {"a b c d e f", "script too many fields"},
    };
    for (size_t i = 0; i < sizeof scripts / sizeof scripts[0]; i++) {
        char body[96];
        char want[128];
        tt_send("2 tap-begin");
        snprintf(body, sizeof body, "3 tap %s", scripts[i][0]);
        tt_send(body);
        snprintf(want, sizeof want, "3 err %s|", scripts[i][1]);
        if (strcmp(tt_plain(), want) != 0) {
            test_failures++;
            fprintf(stderr, "tap script '%s': got '%s', expected '%s'\n", scripts[i][0],
                    tt_plain(), want);
        }
        test_checks++;
        CHECK(!tm_active());
    }
    /* A firmware that programs a 0 bit back to 1 breaks a device rule: internal. */
    tt_send("4 tap-begin");
    tt_send("5 tap partition 0 16384 4096 256");
    tt_send("6 tap partition 2 4096 4096 256");
    tt_send("7 tap rapdu 00a4 9000 1");
    tt_send("8 tap random 000102030405060708090a0b0c0d0e0f");
    tt_send("9 tap tap 0");
    tt_program_value = 0x21;
    tt_send("10 tap tap 0");
    tt_program_value = 0x12;
    CHECK(strstr(tt_plain(), "10 err internal flash rule: 0 to 1|") != 0);
    CHECK(!tm_active());
    tt_send("11 reset");
    CHECK(strcmp(tt_plain(), "11 ok|") == 0);
}

void test_testmode(void)
{
    tt_session();
    tt_errors();
}
