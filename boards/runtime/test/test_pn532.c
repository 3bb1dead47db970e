/* PN532 framing against recorded frames (UM0701-02 §6.2.1 and §7 examples; a MIFARE
 * Classic S50 InListPassiveTarget answer as captured on a UART link), then the driver
 * over a scripted link: ACK, split and corrupted frames, NACK retransmission, chaining,
 * RF errors, overflow, timeouts. */
#include <string.h>

#include "../core/status.h"
#include "../drivers/pn532/pn532.h"
#include "test.h"

/* Host → PN532, from the user manual. */
static const uint8_t rec_get_version[] = {0x00, 0x00, 0xFF, 0x02, 0xFE, 0xD4, 0x02, 0x2A, 0x00};
static const uint8_t rec_sam[] = {0x00, 0x00, 0xFF, 0x05, 0xFB, 0xD4, 0x14,
                                  0x01, 0x14, 0x01, 0x02, 0x00};
static const uint8_t rec_list[] = {0x00, 0x00, 0xFF, 0x04, 0xFC, 0xD4, 0x4A, 0x01, 0x00, 0xE1,
                                   0x00};
/* PN532 → host. */
static const uint8_t rec_version_reply[] = {0x00, 0x00, 0xFF, 0x06, 0xFA, 0xD5, 0x03,
                                            0x32, 0x01, 0x06, 0x07, 0xE8, 0x00};
static const uint8_t rec_sam_reply[] = {0x00, 0x00, 0xFF, 0x02, 0xFE, 0xD5, 0x15, 0x16, 0x00};
static const uint8_t rec_mifare_reply[] = {0x00, 0x00, 0xFF, 0x0C, 0xF4, 0xD5, 0x4B, 0x01,
                                           0x01, 0x00, 0x04, 0x08, 0x04, 0xFB, 0x0E, 0xE2,
                                           0x0B, 0xD8, 0x00};
static const uint8_t rec_error[] = {0x00, 0x00, 0xFF, 0x01, 0xFF, 0x7F, 0x81, 0x00};

/* A PN532 → host frame (TFI D5), written independently of pnf_encode. */
static uint32_t chip_frame(const uint8_t *data, uint32_t len, uint8_t *out)
{
    uint32_t info = len + 1;
    uint32_t n = 0;
    out[n++] = 0x00;
    out[n++] = 0x00;
    out[n++] = 0xFF;
    if (info < 256) {
        out[n++] = (uint8_t)info;
        out[n++] = (uint8_t)(256 - info);
    } else {
        out[n++] = 0xFF;
        out[n++] = 0xFF;
        out[n++] = (uint8_t)(info >> 8);
        out[n++] = (uint8_t)info;
        out[n++] = (uint8_t)(0 - (uint8_t)((info >> 8) + (info & 0xFF)));
    }
    uint8_t sum = 0xD5;
    out[n++] = 0xD5;
    for (uint32_t i = 0; i < len; i++) {
        out[n++] = data[i];
        sum = (uint8_t)(sum + data[i]);
    }
    out[n++] = (uint8_t)(0 - sum);
    out[n++] = 0x00;
    return n;
}

static void tp_encode(void)
{
    uint8_t out[PNF_FRAME_BYTES_MAX];
    static const uint8_t v[] = {0x02};
    static const uint8_t sam[] = {0x14, 0x01, 0x14, 0x01};
    static const uint8_t list[] = {0x4A, 0x01, 0x00};
    CHECK_EQ(pnf_encode(v, 1, out, sizeof out), sizeof rec_get_version);
    CHECK(memcmp(out, rec_get_version, sizeof rec_get_version) == 0);
    CHECK_EQ(pnf_encode(sam, 4, out, sizeof out), sizeof rec_sam);
    CHECK(memcmp(out, rec_sam, sizeof rec_sam) == 0);
    CHECK_EQ(pnf_encode(list, 3, out, sizeof out), sizeof rec_list);
    CHECK(memcmp(out, rec_list, sizeof rec_list) == 0);
    /* 263 data bytes: an extended frame (LEN 0xFFFF marker, LENM LENL LCS). */
    uint8_t big[263];
    memset(big, 0x11, sizeof big);
    int32_t n = pnf_encode(big, sizeof big, out, sizeof out);
    CHECK_EQ(n, 8 + 264 + 2);
    CHECK(out[3] == 0xFF && out[4] == 0xFF && out[5] == 0x01 && out[6] == 0x08);
    CHECK_EQ((uint8_t)(out[5] + out[6] + out[7]), 0);
    pnf_frame f;
    pnf_decode(out, (uint32_t)n, &f); /* our own decoder reads it back */
    CHECK_EQ(f.kind, PNF_DATA);
    CHECK_EQ(f.info_len, 264);
    CHECK_EQ(pnf_encode(big, PNF_INFO_BYTES_MAX, out, sizeof out), -1);
    CHECK_EQ(pnf_encode(v, 1, out, 8), -1);
}

static void tp_decode(void)
{
    pnf_frame f;
    pnf_decode(rec_version_reply, sizeof rec_version_reply, &f);
    CHECK_EQ(f.kind, PNF_DATA);
    CHECK_EQ(f.info_len, 6);
    CHECK(f.info != 0 && f.info[0] == 0xD5 && f.info[1] == 0x03 && f.info[2] == 0x32);
    CHECK_EQ(f.consumed, sizeof rec_version_reply - 1);
    pnf_decode(pnf_ack, sizeof pnf_ack, &f);
    CHECK_EQ(f.kind, PNF_ACK);
    pnf_decode(pnf_nack, sizeof pnf_nack, &f);
    CHECK_EQ(f.kind, PNF_NACK);
    pnf_decode(rec_error, sizeof rec_error, &f);
    CHECK_EQ(f.kind, PNF_ERROR);
    /* Every proper prefix needs more bytes; none is mistaken for a frame. */
    for (uint32_t i = 0; i + 1 < sizeof rec_mifare_reply; i++) {
        pnf_decode(rec_mifare_reply, i, &f);
        CHECK_EQ(f.kind, PNF_NEED_MORE);
    }
    /* Garbage before the preamble is skipped. */
    uint8_t buf[64] = {0x55, 0x13, 0xFF, 0x42};
    memcpy(buf + 4, rec_sam_reply, sizeof rec_sam_reply);
    pnf_decode(buf, 4 + sizeof rec_sam_reply, &f);
    CHECK_EQ(f.kind, PNF_DATA);
    CHECK(f.info[1] == 0x15);
    /* A damaged length checksum, a damaged data checksum, every single bit flip. */
    memcpy(buf, rec_version_reply, sizeof rec_version_reply);
    buf[4] ^= 0x01;
    pnf_decode(buf, sizeof rec_version_reply, &f);
    CHECK_EQ(f.kind, PNF_BAD);
    int bad = 0;
    for (uint32_t bit = 8 * 5; bit < 8 * (sizeof rec_version_reply - 1); bit++) {
        memcpy(buf, rec_version_reply, sizeof rec_version_reply);
        buf[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        pnf_decode(buf, sizeof rec_version_reply, &f);
        bad += f.kind != PNF_DATA;
    }
    CHECK_EQ(bad, 8 * (sizeof rec_version_reply - 6)); /* every flip in TFI…DCS is caught */
    uint8_t ext[300];
    uint8_t payload[270];
    memset(payload, 0x5A, sizeof payload);
    payload[0] = 0x41;
    uint32_t n = chip_frame(payload, 262, ext);
    pnf_decode(ext, n, &f);
    CHECK_EQ(f.kind, PNF_DATA);
    CHECK_EQ(f.info_len, 263);
    ext[6] ^= 1;
    pnf_decode(ext, n, &f);
    CHECK_EQ(f.kind, PNF_BAD);
}

/* A scripted PN532 on the other end of the link. */
#define TP_STEPS_MAX 16
static struct {
    uint8_t sent[4096];
    uint32_t sent_len;
    uint32_t sends;
    uint8_t pending[2048];
    uint32_t pending_len;
    uint32_t chunk; /* bytes per recv: small values split frames */
    struct {
        uint32_t after_send;
        uint8_t bytes[600];
        uint32_t len;
    } steps[TP_STEPS_MAX];
    uint32_t step_count;
} tl;

static void tl_reset(uint32_t chunk)
{
    memset(&tl, 0, sizeof tl);
    tl.chunk = chunk;
}

/* Queues bytes the chip sends after the host's n-th send (1-based). */
static void tl_after(uint32_t send, const uint8_t *bytes, uint32_t len)
{
    tl.steps[tl.step_count].after_send = send;
    memcpy(tl.steps[tl.step_count].bytes, bytes, len);
    tl.steps[tl.step_count].len = len;
    tl.step_count++;
}

/* ACK then the reply frame for data, after the n-th send. */
static void tl_reply(uint32_t send, const uint8_t *data, uint32_t len)
{
    uint8_t frame[600];
    memcpy(frame, pnf_ack, 6);
    uint32_t n = chip_frame(data, len, frame + 6);
    tl_after(send, frame, 6 + n);
}

static int tl_send(void *ctx, const uint8_t *data, uint32_t len)
{
    (void)ctx;
    memcpy(tl.sent + tl.sent_len, data, len);
    tl.sent_len += len;
    tl.sends++;
    for (uint32_t i = 0; i < tl.step_count; i++) {
        if (tl.steps[i].after_send == tl.sends) {
            memcpy(tl.pending + tl.pending_len, tl.steps[i].bytes, tl.steps[i].len);
            tl.pending_len += tl.steps[i].len;
        }
    }
    return OT_OK;
}

static int tl_recv(void *ctx, uint8_t *buf, uint32_t cap, uint32_t timeout_ms)
{
    (void)ctx;
    (void)timeout_ms;
    uint32_t n = tl.pending_len < tl.chunk ? tl.pending_len : tl.chunk;
    n = n < cap ? n : cap;
    memcpy(buf, tl.pending, n);
    memmove(tl.pending, tl.pending + n, tl.pending_len - n);
    tl.pending_len -= n;
    return (int)n;
}

static const pn532_link tl_link = {0, tl_send, tl_recv, true};
static pn532 tp_dev;

static void tp_begin(uint32_t chunk)
{
    static const uint8_t sam[] = {0x15};
    static const uint8_t version[] = {0x03, 0x32, 0x01, 0x06, 0x07};
    static const uint8_t rf[] = {0x33};
    tl_reset(chunk);
    tl_reply(2, sam, 1); /* send 1 is the HSU wake-up */
    tl_reply(3, version, sizeof version);
    tl_reply(4, rf, 1);
    CHECK_EQ(pn532_begin(&tp_dev, &tl_link), OT_OK);
    CHECK_EQ(tp_dev.firmware_version, 0x32010607u);
    CHECK(tl.sent[0] == 0x55 && tl.sent[1] == 0x55);
    CHECK(memcmp(tl.sent + 16, rec_sam, sizeof rec_sam) == 0);
    CHECK(memcmp(tl.sent + 16 + sizeof rec_sam, rec_get_version, sizeof rec_get_version) == 0);
}

/* A chip that misses the first wake-up answers the second. */
static void tp_begin_retry(void)
{
    static const uint8_t sam[] = {0x15};
    static const uint8_t version[] = {0x03, 0x32, 0x01, 0x06, 0x07};
    static const uint8_t rf[] = {0x33};
    tl_reset(64);
    /* sends: 1 wake, 2 SAM (silence), 3 ACK abort, 4 wake, 5 SAM, 6 version, 7 RF */
    tl_reply(5, sam, 1);
    tl_reply(6, version, sizeof version);
    tl_reply(7, rf, 1);
    CHECK_EQ(pn532_begin(&tp_dev, &tl_link), OT_OK);
    CHECK_EQ(tl.sends, 7);
    /* A chip that never answers is absent after PN532_BEGIN_ATTEMPTS tries. */
    tl_reset(64);
    CHECK_EQ(pn532_begin(&tp_dev, &tl_link), OT_ERR_TIMEOUT);
    CHECK_EQ(tl.sends, 3 * PN532_BEGIN_ATTEMPTS);
}

static void tp_driver_poll(void)
{
    tp_begin(3);
    /* The recorded MIFARE Classic answer: a card, but no ISO-DEP, so not a wallet; the
     * driver releases it. */
    uint32_t s = tl.sends;
    tl_after(s + 1, pnf_ack, 6);
    tl_after(s + 1, rec_mifare_reply, sizeof rec_mifare_reply);
    static const uint8_t released[] = {0x53, 0x00};
    tl_reply(s + 2, released, 2);
    CHECK_EQ(pn532_poll(&tp_dev), 0);
    CHECK(!tp_dev.target);
    CHECK_EQ(tl.sends, s + 2);
    /* An ISO-DEP phone: SEL_RES 0x20, 4-byte NFCID, ATS. */
    static const uint8_t phone[] = {0x4B, 0x01, 0x01, 0x00, 0x04, 0x20, 0x04, 0x08,
                                    0x11, 0x22, 0x33, 0x05, 0x78, 0x80, 0x70, 0x02};
    tl_reply(tl.sends + 1, phone, sizeof phone);
    CHECK_EQ(pn532_poll(&tp_dev), 1);
    CHECK(tp_dev.target);
    CHECK_EQ(tp_dev.uid_len, 4);
    CHECK(tp_dev.uid[0] == 0x08 && tp_dev.uid[3] == 0x33);
    /* No card: NbTg 0. */
    static const uint8_t none[] = {0x4B, 0x00};
    tl_reply(tl.sends + 1, none, 2);
    CHECK_EQ(pn532_poll(&tp_dev), 0);
}

static void tp_select_phone(void)
{
    static const uint8_t phone[] = {0x4B, 0x01, 0x01, 0x00, 0x04, 0x20, 0x04, 0x08,
                                    0x11, 0x22, 0x33, 0x05, 0x78, 0x80, 0x70, 0x02};
    tp_begin(64);
    tl_reply(tl.sends + 1, phone, sizeof phone);
    CHECK_EQ(pn532_poll(&tp_dev), 1);
}

static void tp_driver_transceive(void)
{
    static const uint8_t apdu[] = {0x00, 0xA4, 0x04, 0x00, 0x07, 0xF0, 0x01,
                                   0x02, 0x03, 0x04, 0x05, 0x06, 0x00};
    uint8_t rx[258];
    tp_select_phone();
    /* One piece. */
    static const uint8_t ok[] = {0x41, 0x00, 0xCA, 0xFE, 0x90, 0x00};
    uint32_t at = tl.sent_len;
    tl_reply(tl.sends + 1, ok, sizeof ok);
    CHECK_EQ(pn532_transceive(&tp_dev, apdu, sizeof apdu, rx, sizeof rx, 100), 4);
    CHECK(rx[0] == 0xCA && rx[3] == 0x00);
    CHECK(tl.sent[at + 5] == 0xD4 && tl.sent[at + 6] == 0x40 && tl.sent[at + 7] == 0x01);
    CHECK(memcmp(tl.sent + at + 8, apdu, sizeof apdu) == 0);
    /* Two pieces chained with MI: 200 + 58 bytes = a 258-byte R-APDU. */
    static uint8_t p1[202];
    static uint8_t p2[60];
    p1[0] = 0x41;
    p1[1] = 0x40;
    memset(p1 + 2, 0xAA, 200);
    p2[0] = 0x41;
    p2[1] = 0x00;
    memset(p2 + 2, 0xBB, 58);
    tl_reply(tl.sends + 1, p1, sizeof p1);
    tl_reply(tl.sends + 2, p2, sizeof p2);
    CHECK_EQ(pn532_transceive(&tp_dev, apdu, sizeof apdu, rx, sizeof rx, 100), 258);
    CHECK(rx[199] == 0xAA && rx[200] == 0xBB && rx[257] == 0xBB);
    /* The same answer into 257 bytes: overflow, nothing past the capacity. */
    uint8_t small[260];
    memset(small, 0xEE, sizeof small);
    tl_reply(tl.sends + 1, p1, sizeof p1);
    tl_reply(tl.sends + 2, p2, sizeof p2);
    CHECK_EQ(pn532_transceive(&tp_dev, apdu, sizeof apdu, small, 257, 100), OT_ERR_OVERFLOW);
    CHECK_EQ(small[257], 0xEE);
    /* RF status errors. */
    static const uint8_t timeout[] = {0x41, 0x01};
    static const uint8_t gone[] = {0x41, 0x2B};
    static const uint8_t crc[] = {0x41, 0x02};
    tl_reply(tl.sends + 1, timeout, 2);
    CHECK_EQ(pn532_transceive(&tp_dev, apdu, sizeof apdu, rx, sizeof rx, 100), OT_ERR_TIMEOUT);
    tl_reply(tl.sends + 1, gone, 2);
    CHECK_EQ(pn532_transceive(&tp_dev, apdu, sizeof apdu, rx, sizeof rx, 100),
             OT_ERR_FIELD_LOST);
    tl_reply(tl.sends + 1, crc, 2);
    CHECK_EQ(pn532_transceive(&tp_dev, apdu, sizeof apdu, rx, sizeof rx, 100), OT_ERR_FRAME);
}

static void tp_driver_faults(void)
{
    static const uint8_t apdu[] = {0x80, 0x10, 0x00, 0x00, 0x00};
    uint8_t rx[258];
    tp_select_phone();
    /* A reply with a damaged checksum: the driver NACKs, the chip sends it again. */
    static const uint8_t ok[] = {0x41, 0x00, 0x90, 0x00};
    uint8_t frame[64];
    memcpy(frame, pnf_ack, 6);
    uint32_t n = chip_frame(ok, sizeof ok, frame + 6);
    frame[6 + n - 2] ^= 0x10;
    uint32_t s = tl.sends;
    tl_after(s + 1, frame, 6 + n);
    uint8_t again[64];
    uint32_t m = chip_frame(ok, sizeof ok, again);
    tl_after(s + 2, again, m);
    uint32_t bad = tp_dev.frames_bad;
    CHECK_EQ(pn532_transceive(&tp_dev, apdu, sizeof apdu, rx, sizeof rx, 100), 2);
    CHECK_EQ(tp_dev.frames_bad, bad + 1);
    CHECK_EQ(tl.sends, s + 2);
    CHECK(memcmp(tl.sent + tl.sent_len - 6, pnf_nack, 6) == 0);
    /* Silence after the ACK: a timeout, and an ACK sent to abort the command. */
    tl_after(tl.sends + 1, pnf_ack, 6);
    CHECK_EQ(pn532_transceive(&tp_dev, apdu, sizeof apdu, rx, sizeof rx, 20), OT_ERR_TIMEOUT);
    CHECK(memcmp(tl.sent + tl.sent_len - 6, pnf_ack, 6) == 0);
    /* No ACK at all, then a NACK where an ACK belongs. */
    CHECK_EQ(pn532_transceive(&tp_dev, apdu, sizeof apdu, rx, sizeof rx, 20), OT_ERR_TIMEOUT);
    tl_after(tl.sends + 1, pnf_nack, 6);
    CHECK_EQ(pn532_transceive(&tp_dev, apdu, sizeof apdu, rx, sizeof rx, 20), OT_ERR_FRAME);
    /* The application error frame instead of a reply. */
    uint8_t err[16];
    memcpy(err, pnf_ack, 6);
    memcpy(err + 6, rec_error, sizeof rec_error);
    tl_after(tl.sends + 1, err, 6 + sizeof rec_error);
    CHECK_EQ(pn532_transceive(&tp_dev, apdu, sizeof apdu, rx, sizeof rx, 20), OT_ERR_FRAME);
    /* A late reply to an earlier command before the right one: skipped. */
    static const uint8_t other[] = {0x03, 0x32, 0x01, 0x06, 0x07};
    tl_reply(tl.sends + 1, other, sizeof other);
    uint8_t right[32];
    uint32_t rn = chip_frame(ok, sizeof ok, right);
    tl_after(tl.sends + 1, right, rn);
    uint32_t stale = tp_dev.frames_stale;
    CHECK_EQ(pn532_transceive(&tp_dev, apdu, sizeof apdu, rx, sizeof rx, 20), 2);
    CHECK_EQ(tp_dev.frames_stale, stale + 1);
    /* A frame from the host's side (TFI D4) where the chip's reply belongs. */
    uint8_t echo[32];
    memcpy(echo, pnf_ack, 6);
    int32_t en = pnf_encode(apdu, sizeof apdu, echo + 6, sizeof echo - 6);
    tl_after(tl.sends + 1, echo, 6 + (uint32_t)en);
    CHECK_EQ(pn532_transceive(&tp_dev, apdu, sizeof apdu, rx, sizeof rx, 20), OT_ERR_FRAME);
    /* Presence: Diagnose 06 answers 00 while the card is there, else the target is gone. */
    static const uint8_t here[] = {0x01, 0x00};
    static const uint8_t away[] = {0x01, 0x01};
    tl_reply(tl.sends + 1, here, 2);
    CHECK_EQ(pn532_present(&tp_dev), 1);
    tl_reply(tl.sends + 1, away, 2);
    CHECK_EQ(pn532_present(&tp_dev), 0);
    CHECK_EQ(pn532_transceive(&tp_dev, apdu, sizeof apdu, rx, sizeof rx, 20), OT_ERR_FIELD_LOST);
}

void test_pn532(void)
{
    tp_encode();
    tp_decode();
    tp_begin_retry();
    tp_driver_poll();
    tp_driver_transceive();
    tp_driver_faults();
}
