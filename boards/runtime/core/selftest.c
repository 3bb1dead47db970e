/* The selftest line language (docs/SELFTEST.md), answered through the firmware's crypto
 * exports exactly as build/selftest.wasm answers it (host/device/selftest-lines.ts is the
 * same on the desktop). Inputs go through the I/O buffer; messages that do not fit with
 * their key and signature stream through the *Begin/Update/End exports. */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "console_cmds.h"
#include "fw.h"
#include "hex.h"
#include "status.h"

#define ST_MESSAGE_BYTES_MAX 4096u /* MESSAGE_BYTES_MAX of docs/SELFTEST.md */
#define ST_FIELDS_MAX 4u
#define ST_PK_BYTES 32u
#define ST_SIG_BYTES 64u
#define ST_DIGEST_BYTES 64u

static uint8_t st_msg[ST_MESSAGE_BYTES_MAX];

typedef struct st_io {
    uint8_t *base;
    uint32_t bytes;
    int32_t ptr;
} st_io;

static int st_split(char *line, char **f)
{
    while (*line == ' ' || *line == '\t') {
        line++;
    }
    uint32_t n = 0;
    f[n++] = line;
    for (char *p = line; *p != '\0'; p++) {
        if (*p == ' ' || *p == '\t') {
            *p = '\0';
            if (n == ST_FIELDS_MAX) {
                return -1;
            }
            f[n++] = p + 1;
        }
    }
    return (int)n;
}

static const char *st_fixed(const char *field, uint32_t bytes, uint8_t *out, const char *name,
                            char *err, uint32_t cap)
{
    if (strlen(field) != bytes * 2) {
        snprintf(err, cap, "error %s must be %u bytes (%u hex digits)", name, (unsigned)bytes,
                 (unsigned)bytes * 2);
        return err;
    }
    if (hex_decode(field, bytes * 2, out, bytes) < 0) {
        snprintf(err, cap, "error %s is not hex", name);
        return err;
    }
    return 0;
}

/* The message field into st_msg; its length, or -1 with the error in err. */
static int32_t st_message(const char *field, char *err, uint32_t cap)
{
    size_t len = strlen(field);
    if (len == 0 || strcmp(field, "-") == 0) {
        return 0;
    }
    if (len > ST_MESSAGE_BYTES_MAX * 2) {
        snprintf(err, cap, "error message longer than %u bytes", (unsigned)ST_MESSAGE_BYTES_MAX);
        return -1;
    }
    int32_t n = hex_decode(field, (uint32_t)len, st_msg, sizeof st_msg);
    if (n < 0) {
        snprintf(err, cap, "error message is not hex (even number of digits, or - for empty)");
    }
    return n;
}

static bool st_slot(const char *field, int32_t *slot, char *err, uint32_t cap)
{
    size_t len = strlen(field);
    int32_t v = 0;
    for (size_t i = 0; i < len; i++) {
        if (field[i] < '0' || field[i] > '9') {
            len = 0;
            break;
        }
        v = v * 10 + (field[i] - '0');
    }
    if (len == 0 || len > 9) {
        snprintf(err, cap, "error slot must be a decimal number of at most 9 digits");
        return false;
    }
    *slot = v;
    return true;
}

static int32_t st_call(enum fw_export e, int32_t a, int32_t b, int32_t c, int32_t d)
{
    int32_t args[4] = {a, b, c, d};
    int32_t r = -1;
    static const uint8_t nargs[FW_EXPORT_COUNT] = {
        [FW_SHA512] = 3, [FW_SHA512_INIT] = 0, [FW_SHA512_UPDATE] = 2, [FW_SHA512_FINAL] = 1,
        [FW_ED25519_VERIFY] = 4, [FW_ED25519_VERIFY_BEGIN] = 2, [FW_ED25519_VERIFY_UPDATE] = 2,
        [FW_ED25519_VERIFY_END] = 0, [FW_ED25519_REGISTER_KEY] = 2,
        [FW_ED25519_VERIFY_REGISTERED] = 4, [FW_ED25519_PUBLIC_KEY] = 2, [FW_ED25519_SIGN] = 4,
    };
    return fw_call(e, args, nargs[e], &r) == OT_OK ? r : OT_ERR_TRAP;
}

/* Streams st_msg[0 … len) through an Update export, chunk by chunk after `head` bytes. */
static void st_stream(const st_io *io, enum fw_export update, uint32_t head, int32_t len)
{
    uint32_t chunk = io->bytes - head;
    for (int32_t i = 0; i < len; i += (int32_t)chunk) {
        uint32_t n = (uint32_t)(len - i) < chunk ? (uint32_t)(len - i) : chunk;
        memcpy(io->base + head, st_msg + i, n);
        st_call(update, io->ptr + (int32_t)head, (int32_t)n, 0, 0);
    }
}

static void st_sha512(const st_io *io, int32_t len, char *out)
{
    if ((uint32_t)len + ST_DIGEST_BYTES <= io->bytes) {
        memcpy(io->base + ST_DIGEST_BYTES, st_msg, (size_t)len);
        st_call(FW_SHA512, io->ptr + ST_DIGEST_BYTES, len, io->ptr, 0);
    } else {
        st_call(FW_SHA512_INIT, 0, 0, 0, 0);
        st_stream(io, FW_SHA512_UPDATE, ST_DIGEST_BYTES, len);
        st_call(FW_SHA512_FINAL, io->ptr, 0, 0, 0);
    }
    hex_encode(io->base, ST_DIGEST_BYTES, out);
}

static bool st_verify(const st_io *io, const uint8_t *pk, int32_t len, const uint8_t *sig)
{
    const uint32_t head = ST_PK_BYTES + ST_SIG_BYTES;
    memcpy(io->base, pk, ST_PK_BYTES);
    memcpy(io->base + ST_PK_BYTES, sig, ST_SIG_BYTES);
    if ((uint32_t)len + head <= io->bytes) {
        memcpy(io->base + head, st_msg, (size_t)len);
        return st_call(FW_ED25519_VERIFY, io->ptr, io->ptr + (int32_t)head, len,
                       io->ptr + ST_PK_BYTES) == 0;
    }
    if (st_call(FW_ED25519_VERIFY_BEGIN, io->ptr, io->ptr + ST_PK_BYTES, 0, 0) != 0) {
        return false;
    }
    st_stream(io, FW_ED25519_VERIFY_UPDATE, head, len);
    return st_call(FW_ED25519_VERIFY_END, 0, 0, 0, 0) == 0;
}

static const char *st_fits(const st_io *io, uint32_t need, char *out, uint32_t cap)
{
    if (need <= io->bytes) {
        return 0;
    }
    snprintf(out, cap, "error message too long for the device's I/O buffer");
    return out;
}

static void st_sign(const st_io *io, const uint8_t *seed, int32_t len, char *out, uint32_t cap)
{
    if (st_fits(io, 2 * ST_SIG_BYTES + (uint32_t)len, out, cap) != 0) {
        return;
    }
    memcpy(io->base, seed, 32);
    st_call(FW_ED25519_PUBLIC_KEY, io->ptr, io->ptr + 32, 0, 0);
    memcpy(io->base + ST_SIG_BYTES, st_msg, (size_t)len);
    uint32_t sig_at = ST_SIG_BYTES + (uint32_t)len;
    st_call(FW_ED25519_SIGN, io->ptr, io->ptr + ST_SIG_BYTES, len, io->ptr + (int32_t)sig_at);
    hex_encode(io->base + sig_at, ST_SIG_BYTES, out);
    memset(io->base, 0, 32); /* the seed */
}

static void st_dispatch(const st_io *io, char **f, int n, char *out, uint32_t cap)
{
    uint8_t a[ST_SIG_BYTES];
    uint8_t b[ST_SIG_BYTES];
    int32_t slot = 0;
    int32_t len;
    const char *cmd = f[0];
    if (strcmp(cmd, "verify") == 0) {
        if (n != 4) {
            snprintf(out, cap, "error usage: verify <pk-hex> <msg-hex> <sig-hex>");
        } else if (st_fixed(f[1], 32, a, "public key", out, cap) == 0 &&
                   (len = st_message(f[2], out, cap)) >= 0 &&
                   st_fixed(f[3], 64, b, "signature", out, cap) == 0) {
            snprintf(out, cap, "%s", st_verify(io, a, len, b) ? "ok" : "fail");
        }
    } else if (strcmp(cmd, "register") == 0) {
        if (n != 3) {
            snprintf(out, cap, "error usage: register <slot> <pk-hex>");
        } else if (st_slot(f[1], &slot, out, cap) &&
                   st_fixed(f[2], 32, a, "public key", out, cap) == 0) {
            memcpy(io->base, a, 32);
            int32_t r = st_call(FW_ED25519_REGISTER_KEY, slot, io->ptr, 0, 0);
            snprintf(out, cap, "%s", r == 0 ? "ok" : "fail");
        }
    } else if (strcmp(cmd, "verify-registered") == 0) {
        if (n != 4) {
            snprintf(out, cap, "error usage: verify-registered <slot> <msg-hex> <sig-hex>");
        } else if (st_slot(f[1], &slot, out, cap) && (len = st_message(f[2], out, cap)) >= 0 &&
                   st_fixed(f[3], 64, b, "signature", out, cap) == 0 &&
                   st_fits(io, ST_SIG_BYTES + (uint32_t)len, out, cap) == 0) {
            memcpy(io->base, b, ST_SIG_BYTES);
            memcpy(io->base + ST_SIG_BYTES, st_msg, (size_t)len);
            int32_t r = st_call(FW_ED25519_VERIFY_REGISTERED, slot, io->ptr + ST_SIG_BYTES, len,
                                io->ptr);
            snprintf(out, cap, "%s", r == 0 ? "ok" : "fail");
        }
    } else if (strcmp(cmd, "sha512") == 0) {
        if (n != 2) {
            snprintf(out, cap, "error usage: sha512 <msg-hex>");
        } else if ((len = st_message(f[1], out, cap)) >= 0) {
            st_sha512(io, len, out);
        }
    } else if (strcmp(cmd, "sign") == 0) {
        if (n != 3) {
            snprintf(out, cap, "error usage: sign <seed-hex> <msg-hex>");
        } else if (st_fixed(f[1], 32, a, "seed", out, cap) == 0 &&
                   (len = st_message(f[2], out, cap)) >= 0) {
            st_sign(io, a, len, out, cap);
        }
    } else {
        snprintf(out, cap, "error unknown command");
    }
}

void selftest_answer(char *line, char *out, uint32_t out_cap)
{
    char *f[ST_FIELDS_MAX];
    st_io io;
    io.base = fw_io(&io.bytes, &io.ptr);
    int n = st_split(line, f);
    if (n < 0) {
        snprintf(out, out_cap, "error too many fields");
        return;
    }
    if (io.base == 0 || io.bytes < 2 * ST_SIG_BYTES + ST_PK_BYTES) {
        snprintf(out, out_cap, "error the firmware has no usable I/O buffer");
        return;
    }
    st_dispatch(&io, f, n, out, out_cap);
}
