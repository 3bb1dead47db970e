#include "testmode.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "abi.h"
#include "fw.h"
#include "hex.h"
#include "status.h"
#include "vm.h"

#define TM_PARTS 3u
#define TM_FIELDS_MAX 5u
#define TM_OUT_BYTES_MAX 320u /* a tap line: prefix, 128 receipt digits, 96 of signals */

typedef struct tm_part {
    bool declared;
    uint32_t size;
    uint32_t sector;
    uint32_t page;
    uint32_t map_base; /* first entry of this partition in tm_map */
} tm_part;

typedef struct tm_exchange {
    uint8_t capdu[TM_CAPDU_BYTES_MAX];
    uint32_t capdu_len;
    uint8_t rapdu[TM_RAPDU_BYTES_MAX];
    int32_t status; /* R-APDU length, or a negative NFC status */
    uint32_t ms;
} tm_exchange;

static struct {
    bool active;
    bool started; /* the scripted board exists: partitions are fixed */
    bool broken;  /* a device rule was broken: internal error */
    char broken_why[TM_TEXT_BYTES_MAX];
    tm_emit_fn emit;
    tm_part parts[TM_PARTS];
    uint32_t map_used;
    uint64_t unix_ms;
    uint32_t boot_ms;
    uint32_t fail_programs;
    bool fail_random;
    tm_exchange ex[TM_EXCHANGES_MAX];
    uint32_t ex_count;
    uint32_t ex_used;
    uint8_t rnd[TM_RANDOM_FILLS_MAX][TM_RANDOM_BYTES_MAX];
    uint32_t rnd_len[TM_RANDOM_FILLS_MAX];
    uint32_t rnd_count;
    uint32_t rnd_used;
    uint32_t mismatches;
    int32_t signals[ABI_SIGNALS_MAX][2];
    uint32_t signal_count;
    int last_kind; /* 0 none, 1 status, 2 tap */
    int32_t last_value;
    char last_receipt[2 * 64 + 1];
    char last_signals[96];
    uint32_t last_mismatches;
    int32_t deny_status;
    uint32_t deny_offset;
    uint32_t taps, expects, failed, total_mismatches;
} tm;

/* Scratch flash: a map from 256-byte blocks to stored blocks (0 = never written). */
static uint8_t tm_map[TM_FLASH_MAP_BLOCKS];
static uint8_t tm_blocks[TM_FLASH_STORED_BLOCKS][TM_FLASH_BLOCK_BYTES];
static bool tm_block_used[TM_FLASH_STORED_BLOCKS];

static void tm_mismatch(const char *what, uint32_t n)
{
    char line[64];
    tm.mismatches++;
    snprintf(line, sizeof line, "mismatch %s %u", what, (unsigned)n);
    tm.emit(line);
}

static void tm_break(const char *why)
{
    if (!tm.broken) {
        tm.broken = true;
        snprintf(tm.broken_why, sizeof tm.broken_why, "%s", why);
    }
}

static tm_part *tm_get_part(int part)
{
    return (part >= 0 && (uint32_t)part < TM_PARTS && tm.parts[part].declared)
               ? &tm.parts[part] : 0;
}

static uint8_t *tm_block(const tm_part *p, uint32_t offset, bool create)
{
    uint32_t idx = p->map_base + offset / TM_FLASH_BLOCK_BYTES;
    if (tm_map[idx] != 0) {
        return tm_blocks[tm_map[idx] - 1];
    }
    if (!create) {
        return 0;
    }
    for (uint32_t i = 0; i < TM_FLASH_STORED_BLOCKS; i++) {
        if (!tm_block_used[i]) {
            tm_block_used[i] = true;
            memset(tm_blocks[i], 0xFF, TM_FLASH_BLOCK_BYTES);
            tm_map[idx] = (uint8_t)(i + 1);
            return tm_blocks[i];
        }
    }
    tm_break("scripted flash full");
    return 0;
}

static int tm_flash_read(int part, uint32_t offset, uint8_t *dst, uint32_t len)
{
    const tm_part *p = tm_get_part(part);
    if (p == 0) {
        return OT_ERR_PARTITION;
    }
    if ((uint64_t)offset + len > p->size) {
        return OT_ERR_BOUNDS;
    }
    for (uint32_t i = 0; i < len; i++) {
        const uint8_t *b = tm_block(p, offset + i, false);
        dst[i] = b == 0 ? 0xFF : b[(offset + i) % TM_FLASH_BLOCK_BYTES];
    }
    return OT_OK;
}

static int tm_flash_program(int part, uint32_t offset, const uint8_t *src, uint32_t len)
{
    const tm_part *p = tm_get_part(part);
    if (p == 0) {
        return OT_ERR_PARTITION;
    }
    if (tm.fail_programs > 0) {
        tm.fail_programs--;
        return OT_ERR_IO;
    }
    if ((uint64_t)offset + len > p->size ||
        (len > 0 && offset / p->page != (offset + len - 1) / p->page)) {
        return OT_ERR_BOUNDS;
    }
    for (uint32_t i = 0; i < len; i++) {
        uint8_t old = 0xFF;
        (void)tm_flash_read(part, offset + i, &old, 1);
        if ((uint8_t)(src[i] & ~old) != 0) {
            tm_break("flash rule: 0 to 1");
            return OT_ERR_IO;
        }
    }
    for (uint32_t i = 0; i < len; i++) {
        uint8_t *b = tm_block(p, offset + i, src[i] != 0xFF);
        if (b != 0) {
            b[(offset + i) % TM_FLASH_BLOCK_BYTES] &= src[i];
        }
    }
    return tm.broken ? OT_ERR_IO : OT_OK;
}

static int tm_flash_erase(int part, uint32_t offset)
{
    const tm_part *p = tm_get_part(part);
    if (p == 0) {
        return OT_ERR_PARTITION;
    }
    if (offset % p->sector != 0 || offset >= p->size) {
        return OT_ERR_BOUNDS;
    }
    for (uint32_t at = offset; at < offset + p->sector; at += TM_FLASH_BLOCK_BYTES) {
        uint32_t idx = p->map_base + at / TM_FLASH_BLOCK_BYTES;
        if (tm_map[idx] != 0) {
            tm_block_used[tm_map[idx] - 1] = false;
            tm_map[idx] = 0;
        }
    }
    return OT_OK;
}

static int tm_nfc(const uint8_t *tx, uint32_t tx_len, uint8_t *rx, uint32_t rx_cap,
                  uint32_t timeout_ms)
{
    (void)timeout_ms;
    if (tm.ex_used >= tm.ex_count) {
        tm_mismatch("exchange-not-in-script", tm.ex_used + 1);
        return OT_ERR_TIMEOUT;
    }
    const tm_exchange *x = &tm.ex[tm.ex_used++];
    if (x->capdu_len != tx_len || memcmp(x->capdu, tx, tx_len) != 0) {
        tm_mismatch("capdu-differs", tm.ex_used);
    }
    tm.unix_ms += x->ms;
    tm.boot_ms += x->ms;
    if (x->status < 0) {
        return x->status;
    }
    memcpy(rx, x->rapdu, (uint32_t)x->status < rx_cap ? (uint32_t)x->status : rx_cap);
    return (uint32_t)x->status <= rx_cap ? x->status : OT_ERR_OVERFLOW;
}

static uint32_t tm_unix(void)
{
    return (uint32_t)(tm.unix_ms / 1000u);
}

static uint32_t tm_millis(void)
{
    return tm.boot_ms;
}

static int tm_random(uint8_t *dst, uint32_t len)
{
    if (tm.fail_random) {
        return OT_ERR_RNG;
    }
    uint32_t i = tm.rnd_used;
    if (i >= tm.rnd_count || tm.rnd_len[i] != len) {
        tm_mismatch("random-not-in-script", i + 1);
        memset(dst, 0, len);
        return OT_OK;
    }
    tm.rnd_used++;
    memcpy(dst, tm.rnd[i], len);
    return OT_OK;
}

static void tm_signal(int32_t kind, int32_t value)
{
    if (tm.signal_count < ABI_SIGNALS_MAX) {
        tm.signals[tm.signal_count][0] = kind;
        tm.signals[tm.signal_count][1] = value;
        tm.signal_count++;
    }
}

static const abi_backend tm_backend = {
    tm_flash_read, tm_flash_program, tm_flash_erase, tm_nfc, tm_unix, tm_millis, tm_random,
    tm_signal,
};

void tm_begin(tm_emit_fn emit)
{
    memset(&tm, 0, sizeof tm);
    memset(tm_map, 0, sizeof tm_map);
    memset(tm_block_used, 0, sizeof tm_block_used);
    tm.emit = emit;
    tm.active = true;
    abi_set_backend(&tm_backend);
}

bool tm_active(void)
{
    return tm.active;
}

void tm_stop(void)
{
    tm.active = false;
    abi_set_backend(0);
}

/* ---- script lines (docs/TAPRUNNER.md) ---- */

static bool tm_dec(const char *s, int64_t lo, int64_t hi, int64_t *out)
{
    const char *p = s + (*s == '-');
    size_t n = strlen(p);
    if (n < 1 || n > 10 || strspn(p, "0123456789") != n) {
        return false;
    }
    int64_t v = strtoll(s, 0, 10);
    if (v < lo || v > hi) {
        return false;
    }
    *out = v;
    return true;
}

static int32_t tm_hex(const char *s, uint8_t *out, uint32_t max)
{
    return hex_decode(s, (uint32_t)strlen(s), out, max);
}

static bool tm_pow2(uint32_t v)
{
    return v != 0 && (v & (v - 1)) == 0;
}

/* The scripted board is fixed at the first line that needs it (as taprunner does). */
static const char *tm_board(void)
{
    if (tm.started) {
        return 0;
    }
    const tm_part *l = &tm.parts[0];
    if (!l->declared || !tm.parts[2].declared) {
        return "partitions 0 and 2 must be declared first";
    }
    uint32_t blocks = 0;
    for (uint32_t i = 0; i < TM_PARTS; i++) {
        tm_part *p = &tm.parts[i];
        if (!p->declared) {
            continue;
        }
        if (p->sector != l->sector || p->page != l->page || !tm_pow2(p->sector) ||
            !tm_pow2(p->page) || p->page > p->sector || p->sector < TM_FLASH_BLOCK_BYTES ||
            p->size % p->sector != 0) {
            return "bad geometry";
        }
        p->map_base = blocks;
        blocks += p->size / TM_FLASH_BLOCK_BYTES;
        if (blocks > TM_FLASH_MAP_BLOCKS) {
            return "flash map full";
        }
    }
    tm.started = true;
    return 0;
}

/* Calls an export; false (and the session broken) when it trapped or broke a rule. */
static bool tm_call(enum fw_export e, const int32_t *args, uint32_t n, int32_t *r)
{
    if (fw_call(e, args, n, r) != OT_OK) {
        const abi_state *st = abi_get_state();
        tm_break(st->aborted ? st->abort_text : "firmware trap");
        return false;
    }
    return !tm.broken;
}

/* Copies bytes into the I/O buffer; the guest pointer, or -1 when they do not fit. */
static int32_t tm_put(const uint8_t *src, uint32_t len)
{
    uint32_t bytes = 0;
    int32_t ptr = 0;
    uint8_t *io = fw_io(&bytes, &ptr);
    if (io == 0 || len > bytes) {
        return -1;
    }
    memcpy(io, src, len);
    return ptr;
}

static uint8_t tm_buf[4096];

static const char *tm_status_line(const char *word, int32_t value)
{
    tm.last_kind = 1;
    tm.last_value = value;
    char line[48];
    snprintf(line, sizeof line, "%s %d", word, (int)value);
    tm.emit(line);
    return 0;
}

static const char *tm_init(char **a)
{
    int32_t n = tm_hex(a[0], tm_buf, sizeof tm_buf);
    const char *why = n < 0 ? "bad hex" : tm_board();
    if (why != 0) {
        return why;
    }
    int32_t args[2] = {tm_put(tm_buf, (uint32_t)n), n};
    int32_t r = 0;
    if (args[0] < 0 || !tm_call(FW_INIT, args, 2, &r)) {
        return 0;
    }
    return tm_status_line("init", r);
}

/* `idle`: the firmware's idle work until it answers 0, as taprunner does
 * (docs/TAPRUNNER.md); a firmware without the export has none. Bounded: one piece per
 * registered-key slot at most, a few more for slack. */
#define TM_IDLE_CALLS_MAX 16
static const char *tm_idle(uint32_t na)
{
    if (na != 0) {
        return "wrong field count";
    }
    const char *why = tm_board();
    if (why != 0) {
        return why;
    }
    int32_t pieces = 0;
    int32_t more = 1;
    while (fw_has(FW_IDLE) && pieces < TM_IDLE_CALLS_MAX) {
        if (!tm_call(FW_IDLE, NULL, 0, &more)) {
            return 0;
        }
        if (more == 0) {
            break;
        }
        pieces++;
    }
    char line[24];
    snprintf(line, sizeof line, "idle %d", (int)pieces);
    tm.emit(line);
    return 0;
}

static const char *tm_deny(const char *cmd, char **a, uint32_t na)
{
    int64_t v = 0;
    int32_t r = 0;
    if (strcmp(cmd, "deny-begin") == 0) {
        if (na != 1) {
            return "wrong field count";
        }
        const char *why = tm_board(); /* taprunner makes the board before the number */
        if (why == 0 && !tm_dec(a[0], 0, 0x7fffffff, &v)) {
            why = "bad number";
        }
        int32_t arg = (int32_t)v;
        if (why == 0 && tm_call(FW_LEDGER_DENY_BEGIN, &arg, 1, &r)) {
            tm.deny_status = r;
            tm.deny_offset = 0;
        }
        return why;
    }
    if (strcmp(cmd, "deny-commit") == 0) {
        const char *why = na != 0 ? "wrong field count" : tm_board();
        if (why != 0) {
            return why;
        }
        r = tm.deny_status;
        if (r >= 0 && !tm_call(FW_LEDGER_DENY_COMMIT, 0, 0, &r)) {
            return 0;
        }
        return tm_status_line("deny", r);
    }
    if (na != 1) {
        return "wrong field count";
    }
    int32_t n = tm_hex(a[0], tm_buf, sizeof tm_buf);
    const char *why = n < 0 ? "bad hex" : tm_board();
    if (why == 0 && tm.deny_status >= 0) {
        int32_t args[3] = {(int32_t)tm.deny_offset, tm_put(tm_buf, (uint32_t)n), n};
        if (args[1] >= 0 && tm_call(FW_LEDGER_DENY_WRITE, args, 3, &r) && r < 0) {
            tm.deny_status = r;
        }
    }
    if (why == 0) {
        tm.deny_offset += (uint32_t)n;
    }
    return why;
}

static const char *tm_queue(char **a, bool error)
{
    int64_t status = 0;
    int64_t ms = 0;
    uint8_t rapdu[TM_RAPDU_BYTES_MAX];
    int32_t rn = 0;
    if (!error && (rn = tm_hex(a[1], rapdu, sizeof rapdu)) < 0) {
        return "bad hex";
    }
    if ((error && !tm_dec(a[1], INT32_MIN, -1, &status)) || !tm_dec(a[2], 0, 3600000, &ms)) {
        return "bad number";
    }
    if (tm.ex_count >= TM_EXCHANGES_MAX) {
        return "queue full";
    }
    tm_exchange *x = &tm.ex[tm.ex_count];
    int32_t cn = tm_hex(a[0], x->capdu, sizeof x->capdu);
    if (cn < 0 || (!error && rn < 2)) {
        return "bad hex";
    }
    x->capdu_len = (uint32_t)cn;
    memcpy(x->rapdu, rapdu, (size_t)rn);
    x->status = error ? (int32_t)status : rn;
    x->ms = (uint32_t)ms;
    tm.ex_count++;
    return 0;
}

static const char *tm_queue_random(char **a)
{
    uint8_t bytes[TM_RANDOM_BYTES_MAX];
    int32_t n = tm_hex(a[0], bytes, sizeof bytes);
    if (n < 0) {
        return "bad hex";
    }
    if (tm.rnd_count >= TM_RANDOM_FILLS_MAX) {
        return "queue full";
    }
    if (n < 1) {
        return "bad hex";
    }
    memcpy(tm.rnd[tm.rnd_count], bytes, (size_t)n);
    tm.rnd_len[tm.rnd_count++] = (uint32_t)n;
    return 0;
}

/* The receipt of the last tap as hex ("-" when none), read through the probe exports. */
static void tm_receipt(char *out, uint32_t cap)
{
    int32_t ptr = 0;
    int32_t len = 0;
    uint8_t *base = 0;
    uint32_t bytes = 0;
    snprintf(out, cap, "-");
    if (!tm_call(FW_LAST_RECEIPT_LEN, 0, 0, &len) || len <= 0 || len > 64 ||
        !tm_call(FW_LAST_RECEIPT_PTR, 0, 0, &ptr) || vm_memory(&base, &bytes) != OT_OK ||
        ptr < 0 || (int64_t)ptr + len > (int64_t)bytes) {
        return;
    }
    hex_encode(base + ptr, (uint32_t)len, out);
}

static void tm_signals_text(char *out, uint32_t cap)
{
    uint32_t n = 0;
    out[0] = '\0';
    for (uint32_t i = 0; i < tm.signal_count && n < cap; i++) {
        n += (uint32_t)snprintf(out + n, cap - n, "%s%d:%d", i > 0 ? "," : "",
                                (int)tm.signals[i][0], (int)tm.signals[i][1]);
    }
    if (tm.signal_count == 0) {
        snprintf(out, cap, "-");
    }
}

static const char *tm_tap(char **a)
{
    int64_t amount = 0;
    if (!tm_dec(a[0], 0, 0x7fffffff, &amount)) {
        return "bad number";
    }
    const char *why = tm_board();
    if (why != 0) {
        return why;
    }
    tm.mismatches = 0;
    tm.ex_used = 0;
    tm.rnd_used = 0;
    tm.signal_count = 0;
    int32_t arg = (int32_t)amount;
    int32_t decision = 0;
    if (!tm_call(FW_TAP, &arg, 1, &decision)) {
        return 0;
    }
    if (tm.ex_used < tm.ex_count) {
        tm_mismatch("exchanges-unsent", tm.ex_count - tm.ex_used);
    }
    if (tm.rnd_used < tm.rnd_count) {
        tm_mismatch("random-unused", tm.rnd_count - tm.rnd_used);
    }
    uint32_t used = tm.ex_used;
    tm.ex_count = 0;
    tm.rnd_count = 0;
    tm.fail_random = false;
    tm.taps++;
    tm.total_mismatches += tm.mismatches;
    tm_receipt(tm.last_receipt, sizeof tm.last_receipt);
    tm_signals_text(tm.last_signals, sizeof tm.last_signals);
    tm.last_kind = 2;
    tm.last_value = decision;
    tm.last_mismatches = tm.mismatches;
    char line[TM_OUT_BYTES_MAX];
    snprintf(line, sizeof line, "tap %d exchanges %u receipt %s signals %s", (int)decision,
             (unsigned)used, tm.last_receipt, tm.last_signals);
    tm.emit(line);
    return 0;
}

static const char *tm_expect(char **a, uint32_t na)
{
    int64_t want = 0;
    if (tm.last_kind == 0) {
        return "nothing to expect";
    }
    if (na != (tm.last_kind == 1 ? 1u : 3u)) {
        return "wrong field count";
    }
    if (!tm_dec(a[0], INT32_MIN, INT32_MAX, &want)) {
        return "bad number";
    }
    char fail[64] = "fail";
    if (tm.last_kind == 1) {
        if (want != tm.last_value) {
            strcat(fail, " status");
        }
    } else {
        char receipt[2 * 64 + 1] = "-";
        uint8_t r[64];
        if (strcmp(a[1], "-") != 0) {
            int32_t n = tm_hex(a[1], r, sizeof r);
            if (n < 0) {
                return "bad hex";
            }
            hex_encode(r, (uint32_t)n, receipt);
        }
        if (want != tm.last_value) {
            strcat(fail, " decision");
        }
        if (strcmp(receipt, tm.last_receipt) != 0) {
            strcat(fail, " receipt");
        }
        if (strcmp(a[2], tm.last_signals) != 0) {
            strcat(fail, " signals");
        }
        if (tm.last_mismatches > 0) {
            strcat(fail, " exchanges");
        }
    }
    tm.expects++;
    if (strcmp(fail, "fail") == 0) {
        tm.emit("pass");
    } else {
        tm.failed++;
        tm.emit(fail);
    }
    return 0;
}

static const char *tm_partition(char **a)
{
    int64_t id = 0;
    int64_t v[3] = {0, 0, 0};
    if (tm.started) {
        return "partition after start";
    }
    if (!tm_dec(a[0], 0, 2, &id)) {
        return "bad number";
    }
    if (tm.parts[id].declared) {
        return "partition twice";
    }
    for (int i = 0; i < 3; i++) {
        if (!tm_dec(a[1 + i], 1, 0x7fffffff, &v[i])) {
            return "bad number";
        }
    }
    tm_part *p = &tm.parts[id];
    p->declared = true;
    p->size = (uint32_t)v[0];
    p->sector = (uint32_t)v[1];
    p->page = (uint32_t)v[2];
    return 0;
}

static const char *tm_simple(const char *cmd, char **a, uint32_t na)
{
    int64_t v = 0;
    const char *why = 0;
    if (strcmp(cmd, "time") == 0) {
        if (na != 1) {
            return "wrong field count";
        }
        if (!tm_dec(a[0], 0, 0xFFFFFFFFll, &v)) {
            return "bad number";
        }
        tm.unix_ms = (uint64_t)v * 1000u;
    } else if (strcmp(cmd, "fail-programs") == 0) {
        why = na != 1 ? "wrong field count" : tm_board();
        if (why == 0 && !tm_dec(a[0], 0, 1000000, &v)) {
            why = "bad number";
        }
        tm.fail_programs = why == 0 ? (uint32_t)v : tm.fail_programs;
    } else {
        why = na != 0 ? "wrong field count" : tm_board();
        tm.fail_random = why == 0 ? true : tm.fail_random;
    }
    return why;
}

static const char *tm_dispatch(const char *cmd, char **a, uint32_t na)
{
    if (strcmp(cmd, "partition") == 0) {
        return na != 4 ? "wrong field count" : tm_partition(a);
    }
    if (strcmp(cmd, "time") == 0 || strcmp(cmd, "fail-programs") == 0 ||
        strcmp(cmd, "fail-random") == 0) {
        return tm_simple(cmd, a, na);
    }
    if (strcmp(cmd, "init") == 0) {
        return na != 1 ? "wrong field count" : tm_init(a);
    }
    if (strncmp(cmd, "deny-", 5) == 0 && (strcmp(cmd + 5, "begin") == 0 ||
                                          strcmp(cmd + 5, "data") == 0 ||
                                          strcmp(cmd + 5, "commit") == 0)) {
        return tm_deny(cmd, a, na);
    }
    if (strcmp(cmd, "random") == 0) {
        return na != 1 ? "wrong field count" : tm_queue_random(a);
    }
    if (strcmp(cmd, "rapdu") == 0 || strcmp(cmd, "nfc-error") == 0) {
        return na != 3 ? "wrong field count" : tm_queue(a, cmd[0] == 'n');
    }
    if (strcmp(cmd, "tap") == 0) {
        return na != 1 ? "wrong field count" : tm_tap(a);
    }
    if (strcmp(cmd, "idle") == 0) {
        return tm_idle(na);
    }
    if (strcmp(cmd, "expect") == 0) {
        return tm_expect(a, na);
    }
    return "unknown command";
}

enum tm_result tm_line(char *line, char *why, uint32_t why_cap)
{
    size_t len = strlen(line);
    if (len > 0 && line[len - 1] == '\r') {
        line[--len] = '\0';
    }
    while (*line == ' ' || *line == '\t') {
        line++;
    }
    if (*line == '\0' || *line == '#') {
        return TM_OK;
    }
    char *f[TM_FIELDS_MAX];
    uint32_t n = 0;
    f[n++] = line;
    for (char *p = line; *p != '\0'; p++) {
        if (*p == ' ' || *p == '\t') {
            *p = '\0';
            if (n == TM_FIELDS_MAX) {
                snprintf(why, why_cap, "too many fields");
                tm_stop();
                return TM_SCRIPT;
            }
            f[n++] = p + 1;
        }
    }
    const char *err = tm_dispatch(f[0], f + 1, n - 1);
    if (tm.broken) {
        snprintf(why, why_cap, "%s", tm.broken_why);
        tm_stop();
        return TM_INTERNAL;
    }
    if (err != 0) {
        snprintf(why, why_cap, "%s", err);
        tm_stop();
        return TM_SCRIPT;
    }
    return TM_OK;
}

int tm_end(char *summary, uint32_t cap)
{
    uint32_t blocks = 0;
    for (uint32_t i = 0; i < TM_FLASH_STORED_BLOCKS; i++) {
        bool written = false;
        for (uint32_t j = 0; tm_block_used[i] && j < TM_FLASH_BLOCK_BYTES && !written; j++) {
            written = tm_blocks[i][j] != 0xFF;
        }
        blocks += written;
    }
    snprintf(summary, cap, "done taps %u expects %u failed %u mismatches %u flash-blocks %u",
             (unsigned)tm.taps, (unsigned)tm.expects, (unsigned)tm.failed,
             (unsigned)tm.total_mismatches, (unsigned)blocks);
    int code = (tm.failed > 0 || tm.total_mismatches > 0) ? 1 : 0;
    tm_stop();
    return code;
}
