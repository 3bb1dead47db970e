#include "pn532.h"

#include <string.h>

#include "../../core/status.h"

#define PN532_CMD_DIAGNOSE 0x00u
#define PN532_CMD_GET_FIRMWARE_VERSION 0x02u
#define PN532_CMD_SAM_CONFIGURATION 0x14u
#define PN532_CMD_RF_CONFIGURATION 0x32u
#define PN532_CMD_IN_DATA_EXCHANGE 0x40u
#define PN532_CMD_IN_LIST_PASSIVE_TARGET 0x4Au
#define PN532_CMD_IN_RELEASE 0x52u
#define PN532_IC 0x32u
#define PN532_SEL_RES_ISO_DEP 0x20u
#define PN532_STATUS_MI 0x40u
#define PN532_STATUS_ERROR_MASK 0x3Fu
#define PN532_FIELD_TIMEOUT_MS 30u /* one InListPassiveTarget with a single retry */

/* Reads from the link until one frame is complete (or the deadline passes). */
static int pn532_read_frame(pn532 *d, pnf_frame *f, uint32_t timeout_ms)
{
    uint32_t waited = 0;
    for (;;) {
        pnf_decode(d->rx, d->rx_len, f);
        if (f->kind != PNF_NEED_MORE) {
            return OT_OK;
        }
        /* Drop garbage before a start code; keep a partial frame. */
        if (f->consumed > 0) {
            memmove(d->rx, d->rx + f->consumed, d->rx_len - f->consumed);
            d->rx_len -= f->consumed;
        }
        if (d->rx_len >= sizeof d->rx) {
            d->rx_len = 0;
            return OT_ERR_FRAME;
        }
        uint32_t slice = timeout_ms - waited < 10u ? timeout_ms - waited : 10u;
        int n = d->link.recv(d->link.ctx, d->rx + d->rx_len, (uint32_t)sizeof d->rx - d->rx_len,
                             slice);
        if (n < 0) {
            return OT_ERR_IO;
        }
        d->rx_len += (uint32_t)n;
        if (n == 0) {
            waited += slice;
            if (waited >= timeout_ms) {
                return OT_ERR_TIMEOUT;
            }
        }
    }
}

static void pn532_consume(pn532 *d, const pnf_frame *f)
{
    if (!d->link.hsu) {
        d->rx_len = 0; /* SPI: one data-read transaction carries one frame and padding */
        return;
    }
    uint32_t n = f->consumed <= d->rx_len ? f->consumed : d->rx_len;
    memmove(d->rx, d->rx + n, d->rx_len - n);
    d->rx_len -= n;
}

/* Waits for the ACK of a command just sent. */
static int pn532_wait_ack(pn532 *d)
{
    pnf_frame f;
    int rc = pn532_read_frame(d, &f, PN532_ACK_TIMEOUT_MS);
    if (rc != OT_OK) {
        return rc;
    }
    enum pnf_kind kind = f.kind;
    pn532_consume(d, &f);
    if (kind == PNF_BAD) {
        d->frames_bad++;
    }
    return kind == PNF_ACK ? OT_OK : OT_ERR_FRAME;
}

/* Reads the reply of command `code`; a bad checksum is answered with a NACK, which asks
 * the PN532 to send the reply again (UM0701-02 §6.2.1.3), at most twice. */
static int pn532_read_reply(pn532 *d, uint8_t code, uint32_t timeout_ms)
{
    for (int attempt = 0; attempt < 3; attempt++) {
        pnf_frame f;
        int rc = pn532_read_frame(d, &f, timeout_ms);
        if (rc != OT_OK) {
            return rc;
        }
        enum pnf_kind kind = f.kind;
        if (kind == PNF_BAD) {
            d->frames_bad++;
            pn532_consume(d, &f);
            d->link.send(d->link.ctx, pnf_nack, sizeof pnf_nack);
            continue;
        }
        if (kind == PNF_DATA && f.info_len >= 2 && f.info[0] == PNF_TFI_CHIP &&
            f.info[1] != (uint8_t)(code + 1)) {
            /* A late reply to an earlier command (one the host gave up on, or one a
             * previous run of the host left behind): skip it. */
            d->frames_stale++;
            pn532_consume(d, &f);
            continue;
        }
        if (kind != PNF_DATA || f.info_len < 2 || f.info[0] != PNF_TFI_CHIP) {
            pn532_consume(d, &f);
            return OT_ERR_DEVICE;
        }
        d->reply_len = f.info_len - 2;
        memcpy(d->reply, f.info + 2, d->reply_len);
        pn532_consume(d, &f);
        return OT_OK;
    }
    return OT_ERR_FRAME;
}

int pn532_command(pn532 *d, const uint8_t *cmd, uint32_t len, uint32_t timeout_ms)
{
    int32_t n = pnf_encode(cmd, len, d->tx, sizeof d->tx);
    if (n < 0 || len == 0) {
        return OT_ERR_BOUNDS;
    }
    d->rx_len = 0; /* anything left over belongs to an earlier, finished exchange */
    if (d->link.send(d->link.ctx, d->tx, (uint32_t)n) != OT_OK) {
        return OT_ERR_IO;
    }
    int rc = pn532_wait_ack(d);
    if (rc == OT_OK) {
        rc = pn532_read_reply(d, cmd[0], timeout_ms);
    }
    if (rc == OT_ERR_TIMEOUT) {
        /* An ACK from the host aborts the command still running (UM0701-02 §6.2.1.3). */
        d->link.send(d->link.ctx, pnf_ack, sizeof pnf_ack);
    }
    return rc;
}

int pn532_begin(pn532 *d, const pn532_link *link)
{
    memset(d, 0, sizeof *d);
    d->link = *link;
    /* Whatever an earlier run left in the link (a reply to a command it never read) is
     * drained first: the chip's ACK and replies must answer this run's commands. */
    uint8_t junk[64];
    for (uint32_t i = 0; i < PN532_DRAIN_READS_MAX; i++) {
        if (link->recv(link->ctx, junk, sizeof junk, PN532_DRAIN_QUIET_MS) <= 0) {
            break;
        }
    }
    /* A chip just powered, or busy finishing what an earlier host run left, may miss the
     * first wake-up: try a few times before calling the front end absent. */
    static const uint8_t sam[] = {PN532_CMD_SAM_CONFIGURATION, 0x01, 0x14, 0x01};
    int rc = OT_ERR_TIMEOUT;
    for (uint32_t attempt = 0; attempt < PN532_BEGIN_ATTEMPTS && rc != OT_OK; attempt++) {
        if (link->hsu) {
            /* HSU wake-up: a long preamble of 0x55 then zeros (UM0701-02 §7.2.11). */
            static const uint8_t wake[16] = {0x55, 0x55, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
                                             0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};
            if (link->send(link->ctx, wake, sizeof wake) != OT_OK) {
                return OT_ERR_IO;
            }
        }
        rc = pn532_command(d, sam, sizeof sam, PN532_LOCAL_TIMEOUT_MS);
    }
    if (rc != OT_OK) {
        return rc;
    }
    static const uint8_t version[] = {PN532_CMD_GET_FIRMWARE_VERSION};
    rc = pn532_command(d, version, sizeof version, PN532_LOCAL_TIMEOUT_MS);
    if (rc != OT_OK) {
        return rc;
    }
    if (d->reply_len != 4 || d->reply[0] != PN532_IC) {
        return OT_ERR_DEVICE;
    }
    d->firmware_version = (uint32_t)d->reply[0] << 24 | (uint32_t)d->reply[1] << 16 |
                          (uint32_t)d->reply[2] << 8 | d->reply[3];
    /* MaxRetries: ATR 0xFF, PSL 0x01, passive activation 0x01, so one
     * InListPassiveTarget is one short poll and the loop stays in the runtime's hands. */
    static const uint8_t retries[] = {PN532_CMD_RF_CONFIGURATION, 0x05, 0xFF, 0x01, 0x01};
    return pn532_command(d, retries, sizeof retries, PN532_LOCAL_TIMEOUT_MS);
}

int pn532_poll(pn532 *d)
{
    static const uint8_t list[] = {PN532_CMD_IN_LIST_PASSIVE_TARGET, 0x01, 0x00};
    d->target = false;
    int rc = pn532_command(d, list, sizeof list, PN532_FIELD_TIMEOUT_MS + PN532_REPLY_MARGIN_MS);
    if (rc != OT_OK) {
        return rc == OT_ERR_TIMEOUT ? 0 : rc;
    }
    /* NbTg, Tg, SENS_RES (2), SEL_RES, NFCIDLength, NFCID…, ATS… */
    if (d->reply_len < 1 || d->reply[0] == 0) {
        return 0;
    }
    if (d->reply_len < 5 || d->reply[1] != 1 || (d->reply[4] & PN532_SEL_RES_ISO_DEP) == 0) {
        pn532_release(d);
        return 0; /* a card without ISO-DEP (a MIFARE Classic, a tag): not a wallet */
    }
    uint32_t uid_len = d->reply[5];
    if (uid_len <= PN532_UID_BYTES_MAX && d->reply_len >= 6 + uid_len) {
        memcpy(d->uid, d->reply + 6, uid_len);
        d->uid_len = (uint8_t)uid_len;
    } else {
        d->uid_len = 0;
    }
    d->target = true;
    return 1;
}

static int pn532_rf_error(uint8_t status)
{
    switch (status & PN532_STATUS_ERROR_MASK) {
    case 0x00: return OT_OK;
    case 0x01: return OT_ERR_TIMEOUT;
    case 0x29: /* target released */
    case 0x2A: /* card exchanged */
    case 0x2B: return OT_ERR_FIELD_LOST; /* card disappeared */
    default: return OT_ERR_FRAME;
    }
}

int pn532_transceive(pn532 *d, const uint8_t *tx, uint32_t tx_len, uint8_t *rx, uint32_t rx_cap,
                     uint32_t timeout_ms)
{
    static uint8_t cmd[PNF_INFO_BYTES_MAX];
    if (!d->target) {
        return OT_ERR_FIELD_LOST;
    }
    if (tx_len + 2 > sizeof cmd - 1) {
        return OT_ERR_BOUNDS;
    }
    cmd[0] = PN532_CMD_IN_DATA_EXCHANGE;
    cmd[1] = 0x01;
    memcpy(cmd + 2, tx, tx_len);
    uint32_t len = tx_len + 2;
    uint32_t got = 0;
    bool overflow = false;
    for (uint32_t piece = 0; piece < PN532_CHAIN_PIECES_MAX; piece++) {
        int rc = pn532_command(d, cmd, len, timeout_ms + PN532_REPLY_MARGIN_MS);
        if (rc == OT_OK && d->reply_len < 1) {
            rc = OT_ERR_DEVICE;
        }
        if (rc == OT_OK) {
            rc = pn532_rf_error(d->reply[0]);
        }
        if (rc != OT_OK) {
            return rc == OT_ERR_DEVICE ? OT_ERR_FRAME : rc;
        }
        uint32_t n = d->reply_len - 1;
        uint32_t room = rx_cap - got;
        memcpy(rx + got, d->reply + 1, n <= room ? n : room);
        overflow = overflow || n > room;
        got += n <= room ? n : room;
        if ((d->reply[0] & PN532_STATUS_MI) == 0) {
            return overflow ? OT_ERR_OVERFLOW : (int)got;
        }
        len = 2; /* more information: ask for the next piece with an empty exchange */
    }
    return OT_ERR_FRAME;
}

int pn532_present(pn532 *d)
{
    /* Diagnose NumTst 0x06: ISO/IEC 14443-4 card presence (an empty I-block exchange). */
    static const uint8_t diag[] = {PN532_CMD_DIAGNOSE, 0x06};
    if (!d->target) {
        return 0;
    }
    int rc = pn532_command(d, diag, sizeof diag, PN532_FIELD_TIMEOUT_MS + PN532_REPLY_MARGIN_MS);
    if (rc != OT_OK) {
        return rc == OT_ERR_TIMEOUT ? 0 : rc;
    }
    if (d->reply_len >= 1 && d->reply[0] == 0x00) {
        return 1;
    }
    d->target = false;
    return 0;
}

int pn532_release(pn532 *d)
{
    static const uint8_t release[] = {PN532_CMD_IN_RELEASE, 0x00};
    d->target = false;
    int rc = pn532_command(d, release, sizeof release, PN532_LOCAL_TIMEOUT_MS);
    return rc;
}
