/* PN532 host-link frames (NXP UM0701-02 §6.2.1): normal and extended information frames,
 * ACK, NACK and the application error frame. The same frames travel over HSU (UART) and
 * SPI; only the link (pn532.h's pn_link) differs. Prefix pnf_. */
#ifndef OT_PN532_FRAME_H
#define OT_PN532_FRAME_H

#include <stdint.h>

#define PNF_TFI_HOST 0xD4u /* host → PN532 */
#define PNF_TFI_CHIP 0xD5u /* PN532 → host */
/* The PN532's largest information field (TFI + command + data) is 264 bytes: a
 * 261-byte short C-APDU with TFI, InDataExchange and the target number. */
#define PNF_INFO_BYTES_MAX 265u
/* Preamble 1 + start code 2 + extended length 5 + info + DCS 1 + postamble 1. */
#define PNF_FRAME_BYTES_MAX (PNF_INFO_BYTES_MAX + 10u)

enum pnf_kind {
    PNF_NEED_MORE = 0,
    PNF_ACK = 1,
    PNF_NACK = 2,
    PNF_ERROR = 3, /* the application-level error frame (TFI 7F) */
    PNF_DATA = 4,
    PNF_BAD = 5    /* a length or data checksum failed: discard and resynchronise */
};

typedef struct pnf_frame {
    enum pnf_kind kind;
    const uint8_t *info; /* TFI onwards (PNF_DATA) */
    uint32_t info_len;
    uint32_t consumed;   /* bytes of the input this result accounts for */
} pnf_frame;

/* Encodes TFI D4 ‖ data as a normal frame (≤ 254 data bytes) or an extended one; the
 * frame length, or -1 when data is too long or out is too small. */
int32_t pnf_encode(const uint8_t *data, uint32_t len, uint8_t *out, uint32_t cap);
/* Finds the first frame in buf (leading bytes before a start code are skipped). */
void pnf_decode(const uint8_t *buf, uint32_t len, pnf_frame *out);

extern const uint8_t pnf_ack[6];
extern const uint8_t pnf_nack[6];

#endif
