/* The boot checks against the committed image vectors (test/vectors/image/runtime/
 * cases.txt), then whole boots on the fake board: seed from the store, config partition,
 * init with the block, the seed wiped from the I/O buffer. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/boot.h"
#include "../core/bytes.h"
#include "../core/crc32.h"
#include "../core/hex.h"
#include "../core/image.h"
#include "../core/status.h"
#include "../hal.h"
#include "fake.h"
#include "test.h"

#define TI_IMAGE_BYTES_MAX 65536u
#define TI_IO_PTR 8192
#define TI_IO_BYTES 4096

static const img_board ti_gate = {"esp32-gate-pn532", 1, 0, 0x10000, 0x40000, 0x8000, 4096, 256};
static const img_board ti_kiosk = {"esp32s3-kiosk-pn532", 1, 1, 0x10000, 0x80000, 0x10000,
                                   4096, 256};
static uint8_t ti_release_pk[32];
static uint8_t ti_image[TI_IMAGE_BYTES_MAX];
static uint8_t ti_init_block[IMG_CONFIG_BYTES_MAX];
static int32_t ti_init_len;
static int ti_init_calls;
static int32_t ti_abi = 1;

static long ti_read(const char *name, uint8_t *out, uint32_t cap)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", test_vectors_dir, name);
    FILE *f = fopen(path, "rb");
    if (f == 0) {
        fprintf(stderr, "cannot open %s\n", path);
        return -1;
    }
    long n = (long)fread(out, 1, cap, f);
    fclose(f);
    return n;
}

static void ti_vectors(void)
{
    char path[512];
    snprintf(path, sizeof path, "%s/runtime/cases.txt", test_vectors_dir);
    FILE *f = fopen(path, "r");
    CHECK(f != 0);
    if (f == 0) {
        return;
    }
    char line[512];
    int cases = 0;
    while (fgets(line, sizeof line, f) != 0) {
        char file[128];
        char board[16];
        char expect[32];
        if (line[0] == '#' || sscanf(line, "%127s %15s %31s", file, board, expect) != 3) {
            continue;
        }
        char rel[160];
        snprintf(rel, sizeof rel, "runtime/%s", file);
        long n = ti_read(rel, ti_image, sizeof ti_image);
        CHECK(n > 0);
        img_view v;
        const img_board *b = strcmp(board, "kiosk") == 0 ? &ti_kiosk : &ti_gate;
        int rc = img_check(ti_image, (uint32_t)(n < 0 ? 0 : n), b, ti_release_pk, &v);
        if (strcmp(img_status_name(rc), expect) != 0) {
            test_failures++;
            fprintf(stderr, "image vector %s (%s): got %s, expected %s\n", file, board,
                    img_status_name(rc), expect);
        }
        test_checks++;
        cases++;
    }
    fclose(f);
    CHECK(cases >= 30);
}

static int ti_abi_version(abi_mem m, const int32_t *a, uint32_t n, int32_t *r)
{
    (void)m, (void)a, (void)n;
    *r = ti_abi;
    return OT_OK;
}

static int ti_io_ptr(abi_mem m, const int32_t *a, uint32_t n, int32_t *r)
{
    (void)m, (void)a, (void)n;
    *r = TI_IO_PTR;
    return OT_OK;
}

static int ti_io_bytes(abi_mem m, const int32_t *a, uint32_t n, int32_t *r)
{
    (void)m, (void)a, (void)n;
    *r = TI_IO_BYTES;
    return OT_OK;
}

static int ti_init(abi_mem m, const int32_t *a, uint32_t n, int32_t *r)
{
    CHECK_EQ(n, 2);
    CHECK(by_guest_ok(a[0], a[1], m.bytes) && a[1] <= (int32_t)sizeof ti_init_block);
    memcpy(ti_init_block, m.base + a[0], (size_t)a[1]);
    ti_init_len = a[1];
    ti_init_calls++;
    *r = 0;
    return OT_OK;
}

static int ti_tap(abi_mem m, const int32_t *a, uint32_t n, int32_t *r)
{
    (void)m, (void)a, (void)n;
    *r = 16;
    return OT_OK;
}

static void ti_firmware(void)
{
    fake_vm_reset();
    fake_vm_export("abiVersion", ti_abi_version);
    fake_vm_export("ioBufferPtr", ti_io_ptr);
    fake_vm_export("ioBufferBytes", ti_io_bytes);
    fake_vm_export("init", ti_init);
    fake_vm_export("tap", ti_tap);
    ti_init_calls = 0;
    ti_init_len = 0;
    ti_abi = 1;
}

static void ti_board(const char *file)
{
    fake_reset(0x40000, 4096, 256);
    fake.size[HAL_PART_WASM] = 0x10000;
    fake.size[HAL_PART_CONFIG] = 0x1000;
    long n = ti_read(file, ti_image, sizeof ti_image);
    CHECK(n > 0);
    fake_set_image(ti_image, (uint32_t)(n < 0 ? 0 : n));
    ti_firmware();
}

/* The block passed to init is the image's, with the seed from the store and a fresh CRC;
 * the seed is gone from the I/O buffer afterwards; the config partition keeps the block
 * without the seed and is written once. */
static void ti_boot_referenced(void)
{
    ti_board("gate-referenced.img");
    fake.seed_present = true;
    memset(fake.seed, 0x04, 32);
    boot_info info;
    CHECK_EQ(boot_run(&ti_gate, ti_release_pk, 32768, &info), OT_OK);
    CHECK_EQ(info.init_status, 0);
    CHECK_EQ(ti_init_calls, 1);
    CHECK_EQ((uint32_t)ti_init_len, info.image.config_len);
    uint32_t p = info.image.config_len;
    CHECK_EQ(crc32(ti_init_block, p - 4), by_le32(ti_init_block + p - 4));
    const uint8_t *seed = ti_init_block + info.image.ledger_block_offset + 48;
    CHECK(memcmp(seed, fake.seed, 32) == 0);
    abi_mem m = fake_vm_mem();
    CHECK(sodium_is_zero(m.base + TI_IO_PTR, p));
    CHECK(memcmp(fake.flash[HAL_PART_CONFIG], info.image.config, p) == 0);
    CHECK(sodium_is_zero(fake.flash[HAL_PART_CONFIG] + info.image.ledger_block_offset + 48, 32));
    CHECK_EQ(info.config_written, 1);
    ti_firmware();
    CHECK_EQ(boot_run(&ti_gate, ti_release_pk, 32768, &info), OT_OK);
    CHECK_EQ(info.config_written, 0);
    /* A seed that derives another public key, and no seed at all. */
    ti_firmware();
    fake.seed[0] ^= 1;
    CHECK_EQ(boot_run(&ti_gate, ti_release_pk, 32768, &info), OT_ERR_SEED);
    CHECK_EQ(ti_init_calls, 0);
    fake.seed_present = false;
    CHECK_EQ(boot_run(&ti_gate, ti_release_pk, 32768, &info), OT_ERR_SEED);
}

static void ti_boot_refusals(void)
{
    boot_info info;
    ti_board("kiosk-inline.img");
    CHECK_EQ(boot_run(&ti_kiosk, ti_release_pk, 32768, &info), OT_OK);
    CHECK_EQ(ti_init_calls, 1);
    /* The same image on the gate: refused before anything is instantiated. */
    ti_firmware();
    CHECK_EQ(boot_run(&ti_gate, ti_release_pk, 32768, &info), IMG_ERR_BOARD);
    CHECK_EQ(ti_init_calls, 0);
    /* A firmware whose abiVersion() disagrees with the header. */
    ti_board("kiosk-inline.img");
    ti_abi = 2;
    CHECK_EQ(boot_run(&ti_kiosk, ti_release_pk, 32768, &info), BOOT_ERR_FIRMWARE_ABI);
    CHECK_EQ(ti_init_calls, 0);
    /* An erased partition. */
    fake_reset(0x40000, 4096, 256);
    fake.size[HAL_PART_WASM] = 0x10000;
    CHECK_EQ(boot_run(&ti_kiosk, ti_release_pk, 32768, &info), IMG_ERR_MAGIC);
    /* A firmware without a required export. */
    ti_board("kiosk-inline.img");
    fake_vm_reset();
    fake_vm_export("abiVersion", ti_abi_version);
    CHECK_EQ(boot_run(&ti_kiosk, ti_release_pk, 32768, &info), OT_ERR_NO_EXPORT);
}

const uint8_t *tt_release_pk_get(void)
{
    return ti_release_pk;
}

void test_image(void)
{
    CHECK_EQ(hex_decode("6e7a1cdd29b0b78fd13af4c5598feff4ef2a97166e3ca6f2e4fbfccd80505bf1", 64,
                        ti_release_pk, 32), 32);
    ti_vectors();
    ti_boot_referenced();
    ti_boot_refusals();
}
