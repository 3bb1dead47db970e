/* The signed reader image of docs/IMAGE.md, checked at every boot before anything is
 * instantiated, in the order the spec gives: shape and header CRC, reserved bits and
 * lengths, board, ABI, release signature (libsodium, strict), section hashes, then the
 * provisioning block against the board. Prefix img_. */
#ifndef OT_IMAGE_H
#define OT_IMAGE_H

#include <stdint.h>

#define IMG_HEADER_BYTES 160u
#define IMG_SIG_BYTES 64u
#define IMG_BYTES_MIN (IMG_HEADER_BYTES + IMG_SIG_BYTES)
#define IMG_BOARD_ID_BYTES_MAX 48u
#define IMG_WASM_BYTES_MIN 8u
#define IMG_CONFIG_BYTES_MAX 708u /* READER_CONFIG_BYTES_MAX of docs/CONFIG.md */
#define IMG_KEYREF_BYTES_MIN 9u
#define IMG_KEYREF_BYTES_MAX 38u
#define IMG_FLAG_SEED_INLINE 0x01u

/* Refusals, one per check of docs/IMAGE.md; the first that fails is the result. */
enum img_status {
    IMG_ERR_LENGTH = -100,     /* shorter than 224 bytes, or T != the stored length */
    IMG_ERR_MAGIC = -101,
    IMG_ERR_VERSION = -102,
    IMG_ERR_HEADER_LEN = -103,
    IMG_ERR_HEADER_CRC = -104,
    IMG_ERR_RESERVED = -105,   /* reserved bytes or unknown flag bits set */
    IMG_ERR_LENGTHS = -106,    /* W, P, R, T inconsistent, or board id malformed */
    IMG_ERR_PARTITION = -107,  /* T larger than the board's wasm partition */
    IMG_ERR_BOARD = -108,
    IMG_ERR_ABI = -109,
    IMG_ERR_SIGNATURE = -110,
    IMG_ERR_WASM_HASH = -111,
    IMG_ERR_CONFIG_HASH = -112,
    IMG_ERR_CONFIG = -113,     /* provisioning block magic, version, length or CRC */
    IMG_ERR_CONFIG_BOARD = -114, /* mode or geometry disagree with the board */
    IMG_ERR_KEYREF = -115
};

/* What the runtime knows about its own board (compiled in from boards/<id>.json). */
typedef struct img_board {
    const char *id;
    uint16_t abi_version;
    uint8_t mode; /* 0 gate, 1 kiosk */
    uint32_t wasm_partition_bytes;
    uint32_t ledger_bytes;
    uint32_t deny_bytes;
    uint32_t sector_bytes;
    uint32_t page_bytes;
} img_board;

typedef struct img_keyref {
    uint8_t store;
    char name_space[16];
    char key[16];
} img_keyref;

typedef struct img_view {
    const uint8_t *wasm;
    uint32_t wasm_len;
    const uint8_t *config;
    uint32_t config_len;
    uint8_t flags;
    uint32_t build_unix_s;
    uint32_t ledger_block_offset; /* within config: 48 + 36k */
    img_keyref keyref;            /* when SEED_INLINE is clear */
} img_view;

int img_check(const uint8_t *img, uint32_t len, const img_board *board,
              const uint8_t release_pk[32], img_view *out);
const char *img_status_name(int status);

/* The device key pair's place in a provisioning block: seed at +0, public key at +32. */
#define IMG_LEDGER_DEVICE_KEY_OFFSET 48u

#endif
