/* The NXP PN532 as an ISO-DEP (ISO/IEC 14443-4 type A) reader: the commands the
 * TypeScript driver uses (GetFirmwareVersion, SAMConfiguration, RFConfiguration,
 * InListPassiveTarget, InDataExchange with chaining, Diagnose card presence, InRelease)
 * over a byte link that is HSU (UART) or SPI. No allocation: one driver state with
 * fixed buffers. Prefix pn532_. */
#ifndef OT_PN532_H
#define OT_PN532_H

#include <stdbool.h>
#include <stdint.h>

#include "pn532_frame.h"

/* How long the PN532 may take to ACK a command (UM0701-02: ~1 ms; UART latency on a
 * USB bridge adds a few ms). */
#define PN532_ACK_TIMEOUT_MS 100u
/* Host-side margin over a command's own RF timeout before it is aborted. */
#define PN532_REPLY_MARGIN_MS 100u
/* Wake-up and SAMConfiguration attempts before the chip is declared absent. */
#define PN532_BEGIN_ATTEMPTS 3u
/* Replies of commands without RF work (firmware version, SAM, RF config). */
#define PN532_LOCAL_TIMEOUT_MS 200u
/* InDataExchange pieces of one R-APDU (MI chaining); a 258-byte answer needs two. */
#define PN532_CHAIN_PIECES_MAX 4u
/* Start-up drain of stale bytes: reads of up to 64 bytes until the link is quiet. */
#define PN532_DRAIN_READS_MAX 64u
#define PN532_DRAIN_QUIET_MS 20u
/* NFCID1 of an ISO/IEC 14443-3 type A card: 4, 7 or 10 bytes. */
#define PN532_UID_BYTES_MAX 10u
/* Bytes kept while assembling one frame from the link. */
#define PN532_RX_BYTES_MAX (2u * PNF_FRAME_BYTES_MAX)

/* The link: HSU writes and reads the UART; SPI wraps DW/SR/DR (ports supply both). */
typedef struct pn532_link {
    void *ctx;
    int (*send)(void *ctx, const uint8_t *data, uint32_t len);
    /* Bytes read (possibly fewer than cap), 0 when nothing came within timeout_ms. */
    int (*recv)(void *ctx, uint8_t *buf, uint32_t cap, uint32_t timeout_ms);
    bool hsu; /* needs the HSU wake-up preamble */
} pn532_link;

typedef struct pn532 {
    pn532_link link;
    uint8_t rx[PN532_RX_BYTES_MAX];
    uint32_t rx_len;
    uint8_t tx[PNF_FRAME_BYTES_MAX];
    uint8_t reply[PNF_INFO_BYTES_MAX];
    uint32_t reply_len;
    uint32_t firmware_version; /* IC << 24 | Ver << 16 | Rev << 8 | Support */
    bool target;               /* a card is selected as target 1 */
    uint8_t uid[PN532_UID_BYTES_MAX]; /* NFCID1 of the last card selected */
    uint8_t uid_len;
    uint32_t frames_bad;       /* checksum failures seen */
    uint32_t frames_stale;     /* replies to earlier commands, skipped */
} pn532;

/* Wakes the chip, checks it is a PN532 (IC 0x32) and configures the SAM. */
int pn532_begin(pn532 *d, const pn532_link *link);
/* One InListPassiveTarget at 106 kbps type A: 1 when an ISO-DEP card was selected. */
int pn532_poll(pn532 *d);
int pn532_transceive(pn532 *d, const uint8_t *tx, uint32_t tx_len, uint8_t *rx, uint32_t rx_cap,
                     uint32_t timeout_ms);
/* 1 while the selected card answers the presence check, 0 when it has gone. */
int pn532_present(pn532 *d);
int pn532_release(pn532 *d);
/* Sends a command and returns its reply's data (after D5 cmd+1) in d->reply. */
int pn532_command(pn532 *d, const uint8_t *cmd, uint32_t len, uint32_t timeout_ms);

#endif
