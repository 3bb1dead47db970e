#include "hex.h"

static int hex_digit(char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

int32_t hex_decode(const char *text, uint32_t len, uint8_t *out, uint32_t cap)
{
    if (len % 2 != 0 || len / 2 > cap || len / 2 > (uint32_t)INT32_MAX) {
        return -1;
    }
    for (uint32_t i = 0; i < len; i += 2) {
        int hi = hex_digit(text[i]);
        int lo = hex_digit(text[i + 1]);
        if (hi < 0 || lo < 0) {
            return -1;
        }
        out[i / 2] = (uint8_t)(hi << 4 | lo);
    }
    return (int32_t)(len / 2);
}

void hex_encode(const uint8_t *src, uint32_t len, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (uint32_t i = 0; i < len; i++) {
        out[2 * i] = digits[src[i] >> 4];
        out[2 * i + 1] = digits[src[i] & 15];
    }
    out[2 * len] = '\0';
}
