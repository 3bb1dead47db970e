#include "boot.h"

#include <sodium.h>
#include <string.h>

#include "../hal.h"
#include "bytes.h"
#include "crc32.h"
#include "flash.h"
#include "fw.h"
#include "status.h"
#include "vm.h"

static boot_info boot_last;
static const img_board *boot_board;
static const uint8_t *boot_release_pk;
static uint32_t boot_stack_bytes;
/* The block passed to init: a RAM copy, so a referenced seed never touches flash. */
static uint8_t boot_config[IMG_CONFIG_BYTES_MAX];

const boot_info *boot_get_info(void)
{
    return &boot_last;
}

/* Writes the seed from the secure store into the RAM copy after checking that it
 * derives the public key the block carries, and re-seals the block's CRC. */
static int boot_insert_seed(const img_view *v)
{
    uint8_t seed[32];
    uint8_t pk[crypto_sign_PUBLICKEYBYTES];
    uint8_t sk[crypto_sign_SECRETKEYBYTES];
    uint8_t *key = boot_config + v->ledger_block_offset + IMG_LEDGER_DEVICE_KEY_OFFSET;
    int rc = hal_seed_load(v->keyref.store, v->keyref.name_space, v->keyref.key, seed);
    if (rc == OT_OK) {
        crypto_sign_seed_keypair(pk, sk, seed);
        rc = sodium_memcmp(pk, key + 32, sizeof pk) == 0 ? OT_OK : OT_ERR_SEED;
    } else {
        rc = OT_ERR_SEED;
    }
    if (rc == OT_OK) {
        memcpy(key, seed, sizeof seed);
        by_put_le32(boot_config + v->config_len - 4, crc32(boot_config, v->config_len - 4));
    }
    sodium_memzero(seed, sizeof seed);
    sodium_memzero(sk, sizeof sk);
    return rc;
}

/* The config partition keeps the block exactly as the image carries it; it is rewritten
 * only when a new image brings a different block. */
static int boot_sync_config_partition(const img_view *v, uint32_t *written)
{
    hal_geometry g;
    uint8_t stored[IMG_CONFIG_BYTES_MAX];
    *written = 0;
    int rc = hal_flash_geometry(HAL_PART_CONFIG, &g);
    if (rc != OT_OK || g.size_bytes < v->config_len) {
        return BOOT_ERR_CONFIG_PART;
    }
    rc = fl_read(HAL_PART_CONFIG, 0, stored, v->config_len);
    if (rc == OT_OK && memcmp(stored, v->config, v->config_len) == 0) {
        return OT_OK;
    }
    for (uint32_t off = 0; off < v->config_len; off += g.sector_bytes) {
        rc = fl_erase(HAL_PART_CONFIG, off);
        if (rc != OT_OK) {
            return rc;
        }
    }
    for (uint32_t off = 0; off < v->config_len; off += g.page_bytes) {
        uint32_t n = v->config_len - off < g.page_bytes ? v->config_len - off : g.page_bytes;
        rc = fl_program(HAL_PART_CONFIG, off, v->config + off, n);
        if (rc != OT_OK) {
            return rc;
        }
    }
    *written = 1;
    return OT_OK;
}

/* Instantiates the firmware, checks its ABI and calls init with the RAM block. */
static int boot_start_firmware(const img_board *b, uint32_t stack_bytes, boot_info *info)
{
    int rc = vm_load(info->image.wasm, info->image.wasm_len, stack_bytes);
    if (rc == OT_OK) {
        rc = fw_bind();
    }
    int32_t abi = -1;
    if (rc == OT_OK) {
        rc = fw_call(FW_ABI_VERSION, 0, 0, &abi);
    }
    if (rc != OT_OK) {
        return rc;
    }
    if (abi != b->abi_version) {
        return BOOT_ERR_FIRMWARE_ABI;
    }
    uint32_t io_bytes = 0;
    int32_t io_ptr = 0;
    uint8_t *io = fw_io(&io_bytes, &io_ptr);
    if (io == 0 || io_bytes < info->image.config_len) {
        return BOOT_ERR_IO_BUFFER;
    }
    memcpy(io, boot_config, info->image.config_len);
    int32_t args[2] = {io_ptr, (int32_t)info->image.config_len};
    int32_t status = 0;
    rc = fw_call(FW_INIT, args, 2, &status);
    /* init copies what it keeps; the seed must not linger in the exchange buffer. */
    sodium_memzero(io, info->image.config_len);
    info->init_status = status;
    return rc;
}

int boot_run(const img_board *b, const uint8_t release_pk[32], uint32_t stack_bytes,
             boot_info *out)
{
    uint32_t start_ms = hal_clock_millis();
    memset(&boot_last, 0, sizeof boot_last);
    boot_board = b;
    boot_release_pk = release_pk;
    boot_stack_bytes = stack_bytes;
    const uint8_t *img = 0;
    uint32_t len = 0;
    int rc = hal_flash_map(HAL_PART_WASM, &img, &len);
    if (rc != OT_OK) {
        return rc;
    }
    /* The partition is larger than the image: the header's total length says how much is
     * image; img_check verifies that length against everything else. */
    if (len >= 76) {
        uint32_t total = by_le32(img + 72);
        len = total <= len ? total : len;
    }
    rc = img_check(img, len, b, release_pk, &boot_last.image);
    if (rc == OT_OK) {
        crypto_hash_sha256(boot_last.firmware_sha256, boot_last.image.wasm,
                           boot_last.image.wasm_len);
        memcpy(boot_config, boot_last.image.config, boot_last.image.config_len);
        if ((boot_last.image.flags & IMG_FLAG_SEED_INLINE) == 0) {
            rc = boot_insert_seed(&boot_last.image);
        }
    }
    if (rc == OT_OK) {
        rc = boot_sync_config_partition(&boot_last.image, &boot_last.config_written);
    }
    if (rc == OT_OK) {
        rc = boot_start_firmware(b, stack_bytes, &boot_last);
    }
    sodium_memzero(boot_config, sizeof boot_config);
    boot_last.boot_ms = hal_clock_millis() - start_ms;
    if (out != 0) {
        *out = boot_last;
    }
    return rc;
}

int boot_fresh_instance(void)
{
    if (boot_last.image.wasm == 0) {
        return OT_ERR_VM;
    }
    int rc = vm_load(boot_last.image.wasm, boot_last.image.wasm_len, boot_stack_bytes);
    return rc == OT_OK ? fw_bind() : rc;
}

int boot_rerun(void)
{
    if (boot_board == 0) {
        return OT_ERR_VM;
    }
    boot_info info;
    return boot_run(boot_board, boot_release_pk, boot_stack_bytes, &info);
}
