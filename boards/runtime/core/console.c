#include "console.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "../hal.h"
#include "crc32.h"
#include "hex.h"
#include "status.h"

#include "console_cmds.h"

/* Bytes hex-encoded per console write of a streamed answer. */
#define CONS_HEX_CHUNK_BYTES 64u

static char cons_line[CONS_LINE_BYTES_MAX + 1];
static uint32_t cons_len;
static bool cons_discarding; /* inside a line that was already too long */
static cons_stats cons_st;
static cons_identity cons_id;

const cons_stats *cons_get_stats(void)
{
    return &cons_st;
}

void cons_init(const cons_identity *id)
{
    cons_id = *id;
    cons_len = 0;
    cons_discarding = false;
}

const cons_identity *cons_get_identity(void)
{
    return &cons_id;
}

/* Writes "<seq> <kind>[ <text>] ~<crc>\n" in pieces, the CRC taken over the body as it
 * goes out: no second copy of a long answer (a 4 KiB batch is 8 KiB of hex). */
void cons_send(uint32_t seq, const char *kind, const char *text)
{
    char head[32];
    size_t text_len = strlen(text);
    int n = snprintf(head, sizeof head, "%u %s%s", (unsigned)seq, kind, text_len > 0 ? " " : "");
    if (n < 0 || (size_t)n >= sizeof head || (size_t)n + text_len > CONS_BODY_BYTES_MAX) {
        n = snprintf(head, sizeof head, "%u err internal", (unsigned)seq);
        text = "";
        text_len = 0;
    }
    uint32_t crc = crc_update(crc_update(0, head, (size_t)n), text, text_len);
    char tail[12];
    snprintf(tail, sizeof tail, " ~%08x\n", (unsigned)crc);
    hal_console_write((const uint8_t *)head, (uint32_t)n);
    hal_console_write((const uint8_t *)text, (uint32_t)text_len);
    hal_console_write((const uint8_t *)tail, 11);
}

void cons_send_hex(uint32_t seq, const char *kind, const uint8_t *bytes, uint32_t len)
{
    char head[32];
    int n = snprintf(head, sizeof head, "%u %s%s", (unsigned)seq, kind, len > 0 ? " " : "");
    if (n < 0 || (size_t)n >= sizeof head || (uint64_t)n + 2u * len > CONS_BODY_BYTES_MAX) {
        cons_send(seq, "err", "internal answer too long");
        return;
    }
    uint32_t crc = crc_update(0, head, (size_t)n);
    hal_console_write((const uint8_t *)head, (uint32_t)n);
    char chunk[2 * CONS_HEX_CHUNK_BYTES + 1];
    for (uint32_t at = 0; at < len; at += CONS_HEX_CHUNK_BYTES) {
        uint32_t k = len - at < CONS_HEX_CHUNK_BYTES ? len - at : CONS_HEX_CHUNK_BYTES;
        hex_encode(bytes + at, k, chunk);
        crc = crc_update(crc, chunk, 2u * k);
        hal_console_write((const uint8_t *)chunk, 2u * k);
    }
    char tail[12];
    snprintf(tail, sizeof tail, " ~%08x\n", (unsigned)crc);
    hal_console_write((const uint8_t *)tail, 11);
}

void cons_announce(const char *text)
{
    cons_send(0, text, "");
}

/* A frame is "<body> ~<8 hex digits>", the digits the CRC-32 of the body. Returns the
 * body length, or -1 when the frame is damaged. */
static int32_t cons_unframe(const char *line, uint32_t len)
{
    if (len < 11 || line[len - 10] != ' ' || line[len - 9] != '~') {
        return -1;
    }
    uint8_t crc_be[4];
    if (hex_decode(line + len - 8, 8, crc_be, sizeof crc_be) != 4) {
        return -1;
    }
    uint32_t want = (uint32_t)crc_be[0] << 24 | (uint32_t)crc_be[1] << 16 |
                    (uint32_t)crc_be[2] << 8 | crc_be[3];
    return crc32(line, len - 10) == want ? (int32_t)(len - 10) : -1;
}

/* "<seq> <command>[ <rest>]": seq 1 … 999,999, command [a-z-]+. */
static bool cons_parse(char *body, uint32_t len, uint32_t *seq, char **cmd, char **rest)
{
    uint32_t i = 0;
    uint32_t s = 0;
    while (i < len && i < 6 && body[i] >= '0' && body[i] <= '9') {
        s = s * 10 + (uint32_t)(body[i] - '0');
        i++;
    }
    if (i == 0 || i >= len || body[i] != ' ' || s < 1 || s > CONS_SEQ_MAX) {
        return false;
    }
    uint32_t c = ++i;
    while (i < len && ((body[i] >= 'a' && body[i] <= 'z') || body[i] == '-')) {
        i++;
    }
    if (i == c || (i < len && body[i] != ' ')) {
        return false;
    }
    body[len] = '\0';
    *seq = s;
    *cmd = body + c;
    *rest = i < len ? body + i + 1 : body + len;
    body[i] = '\0';
    return true;
}

static void cons_handle_line(uint32_t len)
{
    if (len > 0 && cons_line[len - 1] == '\r') {
        len--;
    }
    if (len == 0) {
        return;
    }
    cons_st.frames++;
    int32_t body = cons_unframe(cons_line, len);
    if (body < 0) {
        cons_st.checksum_errors++;
        cons_send(0, "err", "checksum frame damaged or unframed (resend it)");
        return;
    }
    uint32_t seq;
    char *cmd;
    char *rest;
    if (!cons_parse(cons_line, (uint32_t)body, &seq, &cmd, &rest)) {
        cons_st.bad_requests++;
        cons_send(0, "err", "bad-request not <seq> <command>");
        return;
    }
    cmds_dispatch(seq, cmd, rest);
}

void cons_feed(const uint8_t *data, uint32_t len)
{
    for (uint32_t i = 0; i < len; i++) {
        char c = (char)data[i];
        if (c == '\n') {
            if (cons_discarding) {
                cons_st.too_long++;
                cons_send(0, "err", "line-too-long");
            } else {
                cons_handle_line(cons_len);
            }
            cons_len = 0;
            cons_discarding = false;
        } else if (cons_discarding) {
            continue;
        } else if (cons_len >= CONS_LINE_BYTES_MAX) {
            cons_discarding = true;
        } else {
            cons_line[cons_len++] = c;
        }
    }
}
