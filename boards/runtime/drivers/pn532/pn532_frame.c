#include "pn532_frame.h"

const uint8_t pnf_ack[6] = {0x00, 0x00, 0xFF, 0x00, 0xFF, 0x00};
const uint8_t pnf_nack[6] = {0x00, 0x00, 0xFF, 0xFF, 0x00, 0x00};

int32_t pnf_encode(const uint8_t *data, uint32_t len, uint8_t *out, uint32_t cap)
{
    uint32_t info = len + 1;
    if (info > PNF_INFO_BYTES_MAX) {
        return -1;
    }
    uint32_t head = info <= 255 ? 5u : 8u;
    if (cap < head + info + 2) {
        return -1;
    }
    uint32_t n = 0;
    out[n++] = 0x00;
    out[n++] = 0x00;
    out[n++] = 0xFF;
    if (info <= 255) {
        out[n++] = (uint8_t)info;
        out[n++] = (uint8_t)(0x100u - info);
    } else {
        out[n++] = 0xFF;
        out[n++] = 0xFF;
        out[n++] = (uint8_t)(info >> 8);
        out[n++] = (uint8_t)info;
        out[n++] = (uint8_t)(0x100u - ((info >> 8) + (info & 0xFFu)));
    }
    uint8_t sum = PNF_TFI_HOST;
    out[n++] = PNF_TFI_HOST;
    for (uint32_t i = 0; i < len; i++) {
        out[n++] = data[i];
        sum = (uint8_t)(sum + data[i]);
    }
    out[n++] = (uint8_t)(0x100u - sum);
    out[n++] = 0x00;
    return (int32_t)n;
}

static void pnf_info(const uint8_t *buf, uint32_t len, uint32_t at, uint32_t info,
                     pnf_frame *out)
{
    if (len - at < info + 1) {
        out->kind = PNF_NEED_MORE;
        return;
    }
    uint8_t sum = 0;
    for (uint32_t i = 0; i <= info; i++) {
        sum = (uint8_t)(sum + buf[at + i]);
    }
    out->consumed = at + info + 1;
    if (sum != 0 || info == 0) {
        out->kind = PNF_BAD;
        return;
    }
    out->info = buf + at;
    out->info_len = info;
    out->kind = (info == 1 && buf[at] == 0x7F) ? PNF_ERROR : PNF_DATA;
}

void pnf_decode(const uint8_t *buf, uint32_t len, pnf_frame *out)
{
    out->kind = PNF_NEED_MORE;
    out->info = 0;
    out->info_len = 0;
    out->consumed = 0;
    uint32_t i = 0;
    while (i + 1 < len && !(buf[i] == 0x00 && buf[i + 1] == 0xFF)) {
        i++;
    }
    out->consumed = i; /* garbage before a start code may be dropped */
    if (len - i < 4) {
        return;
    }
    uint8_t a = buf[i + 2];
    uint8_t b = buf[i + 3];
    if (a == 0x00 && b == 0xFF) {
        out->kind = PNF_ACK;
        out->consumed = i + 4;
    } else if (a == 0xFF && b == 0x00) {
        out->kind = PNF_NACK;
        out->consumed = i + 4;
    } else if (a == 0xFF && b == 0xFF) {
        if (len - i < 7) {
            return;
        }
        uint32_t info = (uint32_t)buf[i + 4] << 8 | buf[i + 5];
        if ((uint8_t)(buf[i + 4] + buf[i + 5] + buf[i + 6]) != 0 || info > PNF_INFO_BYTES_MAX) {
            out->kind = PNF_BAD;
            out->consumed = i + 2;
            return;
        }
        pnf_info(buf, len, i + 7, info, out);
    } else if ((uint8_t)(a + b) != 0) {
        out->kind = PNF_BAD;
        out->consumed = i + 2;
    } else {
        pnf_info(buf, len, i + 4, a, out);
    }
}
