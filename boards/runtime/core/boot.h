/* Boot: the image from the wasm partition through every check of docs/IMAGE.md, the
 * device seed from the secure store when the image references it, the config partition
 * kept equal to the image's block, then the firmware instantiated, its abiVersion()
 * checked once more and init() called with the block. Prefix boot_. */
#ifndef OT_BOOT_H
#define OT_BOOT_H

#include <stdint.h>

#include "image.h"

/* Boot-time refusals beyond the image checks (enum img_status). */
enum boot_status {
    BOOT_ERR_FIRMWARE_ABI = -130, /* abiVersion() differs from the header */
    BOOT_ERR_IO_BUFFER = -131,    /* the I/O buffer cannot hold the config block */
    BOOT_ERR_CONFIG_PART = -132   /* the config partition cannot hold the block */
};

typedef struct boot_info {
    img_view image;
    uint8_t firmware_sha256[32];
    int init_status;        /* init()'s result (0 = provisioned) */
    uint32_t boot_ms;       /* from boot_run's start to init's return */
    uint32_t config_written; /* 1 when the config partition was rewritten */
} boot_info;

/* OT_OK when the firmware runs (init_status says whether it is provisioned), else the
 * first refusal; nothing is instantiated after an image refusal. */
int boot_run(const img_board *board, const uint8_t release_pk[32], uint32_t stack_bytes,
             boot_info *out);
const boot_info *boot_get_info(void);
/* Test mode: a fresh, unprovisioned instance of the booted firmware (no init). */
int boot_fresh_instance(void);
/* Boots again with the last boot_run's board, key and stack (after a test session). */
int boot_rerun(void);

#endif
