/* CRC, the ABI's bounds checks on every import at every edge, and the NOR flash rules. */
#include <stdint.h>
#include <string.h>

#include "../core/abi.h"
#include "../core/bytes.h"
#include "../core/clock.h"
#include "../core/crc32.h"
#include "../core/flash.h"
#include "../core/status.h"
#include "../hal.h"
#include "fake.h"
#include "test.h"

static void test_crc(void)
{
    CHECK_EQ(crc32("123456789", 9), 0xCBF43926u);
    CHECK_EQ(crc32("", 0), 0);
    uint32_t split = crc_update(crc_update(0, "1234", 4), "56789", 5);
    CHECK_EQ(split, 0xCBF43926u);
}

static void test_guest_ok(void)
{
    const uint32_t mem = 131072;
    CHECK(by_guest_ok(0, 0, mem));
    CHECK(by_guest_ok(0, (int32_t)mem, mem));
    CHECK(by_guest_ok((int32_t)mem, 0, mem));
    CHECK(by_guest_ok((int32_t)mem - 1, 1, mem));
    CHECK(!by_guest_ok((int32_t)mem - 1, 2, mem));
    CHECK(!by_guest_ok((int32_t)mem + 1, 0, mem));
    CHECK(!by_guest_ok(-1, 1, mem));
    CHECK(!by_guest_ok(0, -1, mem));
    CHECK(!by_guest_ok(INT32_MAX, INT32_MAX, mem));
    CHECK(!by_guest_ok(INT32_MIN, INT32_MAX, mem));
    CHECK(!by_guest_ok(1, INT32_MAX, mem));
    CHECK(by_guest_ok(INT32_MAX, 1, UINT32_MAX)); /* 2^31 fits a 4 GiB memory: no wrap */
    CHECK(by_range_ok(UINT32_MAX, 0, UINT32_MAX));
    CHECK(!by_range_ok(UINT32_MAX, 1, UINT32_MAX));
    CHECK(!by_range_ok(1, UINT32_MAX, UINT32_MAX));
}

/* Every pointer-taking import refuses each bad (ptr, len) pair and leaves memory alone. */
static void test_import_bounds(void)
{
    fake_reset(16384, 4096, 256);
    fake_vm_reset();
    abi_mem m = fake_vm_mem();
    const int32_t end = (int32_t)m.bytes;
    const int32_t bad[][2] = {
        {-1, 1}, {0, -1}, {end, 1}, {end - 1, 2}, {end + 1, 0}, {INT32_MAX, 1},
        {1, INT32_MAX}, {INT32_MAX, INT32_MAX}, {INT32_MIN, 0}, {-4, 8},
    };
    uint32_t before = abi_get_state()->bounds_refusals;
    size_t n = sizeof bad / sizeof bad[0];
    for (size_t i = 0; i < n; i++) {
        CHECK_EQ(abi_flash_read(m, 0, 0, bad[i][0], bad[i][1]), OT_ERR_BOUNDS);
        CHECK_EQ(abi_flash_program(m, 0, 0, bad[i][0], bad[i][1]), OT_ERR_BOUNDS);
        CHECK_EQ(abi_random_fill(m, bad[i][0], bad[i][1]), OT_ERR_BOUNDS);
        CHECK_EQ(abi_nfc_transceive(m, bad[i][0], bad[i][1], 0, 258, 100), OT_ERR_BOUNDS);
        CHECK_EQ(abi_nfc_transceive(m, 0, 5, bad[i][0], bad[i][1], 100), OT_ERR_BOUNDS);
        abi_log(m, 1, bad[i][0], bad[i][1]);
    }
    CHECK_EQ(abi_get_state()->bounds_refusals - before, 6 * n);
    CHECK_EQ(fake.nfc_next, 0); /* no refused call reached the radio */
    /* The edges themselves are allowed. */
    CHECK_EQ(abi_flash_read(m, 0, 0, end - 16, 16), OT_OK);
    CHECK_EQ(abi_flash_read(m, 0, 0, end, 0), OT_OK);
    CHECK_EQ(abi_random_fill(m, end - 16, 16), OT_OK);
    CHECK(m.base[end - 1] != 0);
    /* Negative offsets, a negative timeout, an over-long C-APDU, foreign partitions. */
    CHECK_EQ(abi_flash_read(m, 0, -1, 0, 4), OT_ERR_BOUNDS);
    CHECK_EQ(abi_flash_program(m, 0, INT32_MIN, 0, 4), OT_ERR_BOUNDS);
    CHECK_EQ(abi_flash_erase(0, -4096), OT_ERR_BOUNDS);
    CHECK_EQ(abi_nfc_transceive(m, 0, 5, 512, 258, -1), OT_ERR_BOUNDS);
    CHECK_EQ(abi_nfc_transceive(m, 0, (int32_t)ABI_TX_BYTES_MAX + 1, 512, 258, 10),
             OT_ERR_BOUNDS);
    CHECK_EQ(abi_flash_read(m, HAL_PART_WASM, 0, 0, 4), OT_ERR_PARTITION);
    CHECK_EQ(abi_flash_erase(HAL_PART_WASM, 0), OT_ERR_PARTITION);
    CHECK_EQ(abi_flash_program(m, 7, 0, 0, 4), OT_ERR_PARTITION);
    CHECK_EQ(abi_flash_read(m, -1, 0, 0, 4), OT_ERR_PARTITION);
    fake.rng_fail = true;
    CHECK_EQ(abi_random_fill(m, 0, 16), OT_ERR_IO);
    fake.rng_fail = false;
}

static void test_import_abort(void)
{
    abi_mem m = fake_vm_mem();
    /* "hi" as an AssemblyScript string at 64: byte length 4 at 60. */
    by_put_le32(m.base + 60, 4);
    memcpy(m.base + 64, "h\0i\0", 4);
    abi_abort(m, 64, 0, 1, 2);
    CHECK(abi_get_state()->aborted);
    CHECK(strstr(abi_get_state()->abort_text, "hi") != 0);
    /* A length field pointing past memory, and pointers at the very edges. */
    by_put_le32(m.base + 60, 0xFFFFFFF0u);
    abi_abort(m, 64, 2, 0, 0);
    CHECK(strstr(abi_get_state()->abort_text, "hi") == 0);
    abi_abort(m, (int32_t)m.bytes, -7, 0, 0);
    abi_abort(m, INT32_MAX, INT32_MIN, 0, 0);
    CHECK(abi_get_state()->aborted);
}

static void test_import_nfc(void)
{
    fake_reset(16384, 4096, 256);
    abi_mem m = fake_vm_mem();
    fake.nfc[0].status = 4;
    memcpy(fake.nfc[0].rx, "\x01\x02\x90\x00", 4);
    fake.nfc[1].status = 300;
    fake.nfc[2].status = OT_ERR_FIELD_LOST;
    fake.nfc_count = 3;
    memset(m.base + 1000, 0xEE, 300);
    CHECK_EQ(abi_nfc_transceive(m, 0, 5, 1000, 258, 100), 4);
    CHECK_EQ(m.base[1002], 0x90);
    CHECK_EQ(abi_nfc_transceive(m, 0, 5, 1000, 258, 100), OT_ERR_OVERFLOW);
    CHECK_EQ(m.base[1000 + 258], 0xEE); /* nothing past rxCap */
    CHECK_EQ(abi_nfc_transceive(m, 0, 5, 1000, 258, 100), OT_ERR_FIELD_LOST);
    CHECK_EQ(abi_nfc_transceive(m, 0, 5, 1000, 258, 100), OT_ERR_TIMEOUT);
    /* rx ending exactly at the end of memory is fine. */
    fake.nfc[3].status = 2;
    fake.nfc_count = 4;
    CHECK_EQ(abi_nfc_transceive(m, 0, 5, (int32_t)m.bytes - 258, 258, 100), 2);
}

static void test_clock_and_signals(void)
{
    clk_reset();
    CHECK(!clk_is_set());
    CHECK_EQ(abi_clock_unix_seconds(), 0);
    clk_set(1795305600u, 1000);
    CHECK_EQ(clk_unix(3500), 1795305602u);
    CHECK_EQ(clk_age_s(61000), 60);
    /* Across the 2^32 ms wrap. */
    clk_set(1795305600u, UINT32_MAX - 499);
    CHECK_EQ(clk_unix(1500), 1795305602u);
    abi_reset_signals();
    fake.output_count = 0;
    for (int i = 0; i < 12; i++) {
        abi_signal(i % 5, i);
    }
    CHECK_EQ(abi_get_state()->signal_count, ABI_SIGNALS_MAX);
    CHECK_EQ(fake.output_count, 10); /* kind 4 is no output */
}

static void test_nor_rules(void)
{
    fake_reset(16384, 4096, 256);
    uint8_t buf[FL_PAGE_BYTES_MAX];
    memset(buf, 0xA5, sizeof buf);
    CHECK_EQ(fl_program(0, 0, buf, 256), OT_OK);
    CHECK_EQ(fake.flash[0][255], 0xA5);
    /* Clearing more bits is allowed; setting a cleared bit back is not. */
    uint8_t less = 0x21;
    CHECK_EQ(fl_program(0, 0, &less, 1), OT_OK);
    uint8_t more = 0xFF;
    uint32_t v0 = fl_get_stats()->rule_violations;
    CHECK_EQ(fl_program(0, 0, &more, 1), OT_ERR_NOR_RULE);
    CHECK_EQ(fl_get_stats()->rule_violations, v0 + 1);
    CHECK_EQ(fake.flash[0][0], 0x21);
    /* Through the ABI a rule break is a device failure and counted as a firmware bug. */
    abi_mem m = fake_vm_mem();
    m.base[0] = 0xFF;
    uint32_t nv = abi_get_state()->nor_violations;
    CHECK_EQ(abi_flash_program(m, 0, 0, 0, 1), OT_ERR_IO);
    CHECK_EQ(abi_get_state()->nor_violations, nv + 1);
    /* A program may not cross a page, nor leave the partition. */
    CHECK_EQ(fl_program(0, 255, buf, 2), OT_ERR_BOUNDS);
    CHECK_EQ(fl_program(0, 256, buf, 256), OT_OK);
    CHECK_EQ(fl_program(0, 16384 - 1, buf, 2), OT_ERR_BOUNDS);
    CHECK_EQ(fl_program(0, UINT32_MAX, buf, 2), OT_ERR_BOUNDS);
    CHECK_EQ(fl_program(0, 0, buf, 0), OT_OK);
    /* Erase: sector-aligned and inside; then every byte is 0xFF again. */
    CHECK_EQ(fl_erase(0, 1), OT_ERR_BOUNDS);
    CHECK_EQ(fl_erase(0, 16384), OT_ERR_BOUNDS);
    CHECK_EQ(fl_erase(0, 0), OT_OK);
    CHECK_EQ(fake.flash[0][0], 0xFF);
    CHECK_EQ(fake.flash[0][511], 0xFF);
    CHECK_EQ(fl_program(0, 0, &more, 1), OT_OK);
    /* Reads: inside only, and a missing partition is named as such. */
    CHECK_EQ(fl_read(0, 16384 - 4, buf, 4), OT_OK);
    CHECK_EQ(fl_read(0, 16384 - 4, buf, 5), OT_ERR_BOUNDS);
    fake.size[1] = 0;
    CHECK_EQ(fl_read(1, 0, buf, 1), OT_ERR_PARTITION);
    CHECK_EQ(fl_erase(9, 0), OT_ERR_PARTITION);
}

void test_core(void)
{
    test_crc();
    test_guest_ok();
    test_import_bounds();
    test_import_abort();
    test_import_nfc();
    test_clock_and_signals();
    test_nor_rules();
}
