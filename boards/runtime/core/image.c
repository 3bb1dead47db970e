#include "image.h"

#include <sodium.h>
#include <string.h>

#include "bytes.h"
#include "crc32.h"

#define IMG_MAGIC 0x4D49544Fu    /* "OTIM" */
#define CFG_MAGIC 0x4352544Fu    /* "OTRC" */
#define KREF_MAGIC 0x524B544Fu   /* "OTKR" */
#define CFG_FIXED_BYTES 52u      /* 48 header + 4 CRC */
#define CFG_ISSUER_BYTES 36u
#define CFG_ISSUERS_MAX 4u
#define KREF_NAME_BYTES_MAX 15u

const char *img_status_name(int status)
{
    static const char *const names[] = {
        "length", "magic", "version", "header-length", "header-crc", "reserved", "lengths",
        "partition", "board", "abi", "signature", "wasm-hash", "config-hash", "config",
        "config-board", "key-reference",
    };
    int i = IMG_ERR_LENGTH - status;
    if (status == 0) {
        return "ok";
    }
    if (i < 0 || i >= (int)(sizeof names / sizeof names[0])) {
        return "unknown";
    }
    return names[i];
}

static bool img_board_id_ok(const uint8_t *h, uint8_t n)
{
    if (n < 2 || n > IMG_BOARD_ID_BYTES_MAX) {
        return false;
    }
    for (uint32_t i = 0; i < IMG_BOARD_ID_BYTES_MAX; i++) {
        uint8_t c = h[12 + i];
        bool ok = i < n ? ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')
                        : c == 0;
        if (!ok) {
            return false;
        }
    }
    return true;
}

/* Steps 1 and 2: shape, header CRC, reserved bits, lengths. */
static int img_check_shape(const uint8_t *img, uint32_t len, const img_board *b)
{
    if (len < IMG_BYTES_MIN) {
        return IMG_ERR_LENGTH;
    }
    if (by_le32(img) != IMG_MAGIC) {
        return IMG_ERR_MAGIC;
    }
    if (by_le16(img + 4) != 1) {
        return IMG_ERR_VERSION;
    }
    if (by_le16(img + 6) != IMG_HEADER_BYTES) {
        return IMG_ERR_HEADER_LEN;
    }
    if (crc32(img, 156) != by_le32(img + 156)) {
        return IMG_ERR_HEADER_CRC;
    }
    if ((img[10] & ~IMG_FLAG_SEED_INLINE) != 0 || by_le32(img + 152) != 0) {
        return IMG_ERR_RESERVED;
    }
    uint64_t w = by_le32(img + 60);
    uint64_t p = by_le32(img + 64);
    uint64_t r = by_le32(img + 68);
    uint64_t t = by_le32(img + 72);
    bool inline_seed = (img[10] & IMG_FLAG_SEED_INLINE) != 0;
    bool r_ok = inline_seed ? r == 0 : (r >= IMG_KEYREF_BYTES_MIN && r <= IMG_KEYREF_BYTES_MAX);
    if (!img_board_id_ok(img, img[11]) || w < IMG_WASM_BYTES_MIN || p > IMG_CONFIG_BYTES_MAX ||
        !r_ok || t != IMG_HEADER_BYTES + w + p + r + IMG_SIG_BYTES) {
        return IMG_ERR_LENGTHS;
    }
    if (t != len) {
        return IMG_ERR_LENGTH;
    }
    if (t > b->wasm_partition_bytes) {
        return IMG_ERR_PARTITION;
    }
    return 0;
}

static int img_check_keyref(const uint8_t *k, uint32_t r, img_keyref *out)
{
    if (by_le32(k) != KREF_MAGIC || k[4] < 1 || k[4] > 3 || k[7] != 0) {
        return IMG_ERR_KEYREF;
    }
    uint32_t a = k[5];
    uint32_t bl = k[6];
    if (a > KREF_NAME_BYTES_MAX || bl < 1 || bl > KREF_NAME_BYTES_MAX || 8 + a + bl != r) {
        return IMG_ERR_KEYREF;
    }
    for (uint32_t i = 0; i < a + bl; i++) {
        if (k[8 + i] < 0x21 || k[8 + i] > 0x7e) {
            return IMG_ERR_KEYREF;
        }
    }
    memset(out, 0, sizeof *out);
    out->store = k[4];
    memcpy(out->name_space, k + 8, a);
    memcpy(out->key, k + 8 + a, bl);
    return 0;
}

/* Step 7: the provisioning block's own framing, then mode and geometry. */
static int img_check_config(const uint8_t *c, uint32_t p, const img_board *b, img_view *v)
{
    if (p < CFG_FIXED_BYTES + CFG_ISSUER_BYTES || by_le32(c) != CFG_MAGIC ||
        by_le16(c + 4) != 1 || by_le16(c + 6) != p) {
        return IMG_ERR_CONFIG;
    }
    uint32_t k = c[17];
    uint32_t l = by_le16(c + 40);
    if (k < 1 || k > CFG_ISSUERS_MAX || CFG_FIXED_BYTES + CFG_ISSUER_BYTES * k + l != p ||
        l < IMG_LEDGER_DEVICE_KEY_OFFSET + 64 || crc32(c, p - 4) != by_le32(c + p - 4)) {
        return IMG_ERR_CONFIG;
    }
    const uint8_t *lb = c + 48 + CFG_ISSUER_BYTES * k;
    if (c[16] != b->mode || by_le32(lb + 8) != b->ledger_bytes ||
        by_le32(lb + 12) != b->sector_bytes || by_le32(lb + 16) != b->page_bytes ||
        by_le32(lb + 20) != b->deny_bytes) {
        return IMG_ERR_CONFIG_BOARD;
    }
    v->ledger_block_offset = 48 + CFG_ISSUER_BYTES * k;
    return 0;
}

static int img_check_hashes(const uint8_t *img, uint32_t w, uint32_t p, uint32_t r)
{
    uint8_t digest[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(digest, img + IMG_HEADER_BYTES, w);
    if (sodium_memcmp(digest, img + 80, sizeof digest) != 0) {
        return IMG_ERR_WASM_HASH;
    }
    crypto_hash_sha256(digest, img + IMG_HEADER_BYTES + w, (unsigned long long)p + r);
    if (sodium_memcmp(digest, img + 112, sizeof digest) != 0) {
        return IMG_ERR_CONFIG_HASH;
    }
    return 0;
}

int img_check(const uint8_t *img, uint32_t len, const img_board *b,
              const uint8_t release_pk[32], img_view *out)
{
    int rc = img_check_shape(img, len, b);
    if (rc != 0) {
        return rc;
    }
    size_t id_len = strlen(b->id);
    if (img[11] != id_len || memcmp(img + 12, b->id, id_len) != 0) {
        return IMG_ERR_BOARD;
    }
    if (by_le16(img + 8) != b->abi_version) {
        return IMG_ERR_ABI;
    }
    /* libsodium's verify rejects S >= L, non-canonical and small-order A and R: the
     * strict policy of SECURITY.md. */
    uint32_t signed_len = len - IMG_SIG_BYTES;
    if (crypto_sign_verify_detached(img + signed_len, img, signed_len, release_pk) != 0) {
        return IMG_ERR_SIGNATURE;
    }
    uint32_t w = by_le32(img + 60);
    uint32_t p = by_le32(img + 64);
    uint32_t r = by_le32(img + 68);
    rc = img_check_hashes(img, w, p, r);
    if (rc != 0) {
        return rc;
    }
    memset(out, 0, sizeof *out);
    rc = img_check_config(img + IMG_HEADER_BYTES + w, p, b, out);
    if (rc != 0) {
        return rc;
    }
    out->flags = img[10];
    if ((out->flags & IMG_FLAG_SEED_INLINE) == 0) {
        rc = img_check_keyref(img + IMG_HEADER_BYTES + w + p, r, &out->keyref);
        if (rc != 0) {
            return rc;
        }
    }
    out->wasm = img + IMG_HEADER_BYTES;
    out->wasm_len = w;
    out->config = img + IMG_HEADER_BYTES + w;
    out->config_len = p;
    out->build_unix_s = by_le32(img + 76);
    return 0;
}
