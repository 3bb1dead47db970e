#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../hal.h"
#include "clock.h"
#include "console_cmds.h"
#include "fw.h"
#include "hex.h"
#include "status.h"
#include "tap.h"
#include "boot.h"
#include "testmode.h"

/* An answer's text: identify, status, a selftest answer (128 hex digits) or an error.
 * Long answers (an exported batch) stream through cons_send_hex instead. */
#define CMDS_TEXT_BYTES_MAX 512u
static char cmds_text[CMDS_TEXT_BYTES_MAX];

/* A decimal in 0 … max, the whole field; false otherwise. */
static bool cmds_u32(const char *s, uint32_t max, uint32_t *out)
{
    uint64_t v = 0;
    if (*s == '\0') {
        return false;
    }
    for (; *s != '\0'; s++) {
        if (*s < '0' || *s > '9' || (v = v * 10 + (uint64_t)(*s - '0')) > max) {
            return false;
        }
    }
    *out = (uint32_t)v;
    return true;
}

/* Calls an export and answers "err internal …" when it trapped. */
static bool cmds_call(uint32_t seq, enum fw_export e, const int32_t *args, uint32_t n,
                      int32_t *result)
{
    int rc = fw_call(e, args, n, result);
    if (rc == OT_OK) {
        return true;
    }
    snprintf(cmds_text, sizeof cmds_text, "internal %s: %s", fw_export_name(e),
             ot_status_name(rc));
    cons_send(seq, "err", cmds_text);
    return false;
}

static void cmds_identify(uint32_t seq)
{
    const cons_identity *id = cons_get_identity();
    char sha[65];
    hex_encode(id->firmware_sha256, 32, sha);
    snprintf(cmds_text, sizeof cmds_text, "board=%s abi=%u firmware=%s protocol=%d line-max=%u",
             id->board_id, (unsigned)id->abi_version, sha, CONS_PROTOCOL_VERSION,
             (unsigned)CONS_BODY_BYTES_MAX);
    cons_send(seq, "ok", cmds_text);
}

static int32_t cmds_probe(enum fw_export e)
{
    int32_t v = -1;
    if (fw_has(e) && fw_call(e, 0, 0, &v) != OT_OK) {
        v = -1;
    }
    return v;
}

static void cmds_status(uint32_t seq)
{
    const tap_stats *t = tap_get_stats();
    uint32_t now = hal_clock_millis();
    char clock[24] = "unset";
    if (clk_is_set()) {
        snprintf(clock, sizeof clock, "%u", (unsigned)clk_unix(now));
    }
    snprintf(cmds_text, sizeof cmds_text,
             "next-seq=%d acked-seq=%d reusable-sectors=%d deny-version=%d heap-top=%d "
             "clock=%s clock-age-s=%u taps=%u accepted=%u declined=%u faults=%u "
             "last-decision=%d amount=%d",
             (int)cmds_probe(FW_LEDGER_NEXT_SEQ), (int)cmds_probe(FW_LEDGER_ACKED_SEQ),
             (int)cmds_probe(FW_LEDGER_REUSABLE_SECTORS), (int)cmds_probe(FW_LEDGER_DENY_VERSION),
             (int)cmds_probe(FW_HEAP_TOP), clock, clk_is_set() ? (unsigned)clk_age_s(now) : 0u,
             (unsigned)t->taps, (unsigned)t->accepted, (unsigned)t->declined,
             (unsigned)t->faults, (int)t->last_decision, (int)tap_pending_amount());
    cons_send(seq, "ok", cmds_text);
}

static void cmds_clock_set(uint32_t seq, const char *rest)
{
    uint32_t unix_s;
    if (!cmds_u32(rest, UINT32_MAX, &unix_s) || unix_s == 0) {
        cons_send(seq, "err", "bad-request usage: clock-set <unix-seconds>");
        return;
    }
    clk_set(unix_s, hal_clock_millis());
    cons_send(seq, "ok", "");
}

static void cmds_amount(uint32_t seq, const char *rest)
{
    uint32_t amount;
    if (!cmds_u32(rest, INT32_MAX, &amount)) {
        cons_send(seq, "err", "bad-request usage: amount <minor-units> (0 cancels)");
        return;
    }
    if (tap_set_amount((int32_t)amount) != OT_OK) {
        cons_send(seq, "err", "mode a gate charges its configured fare; amounts are for kiosks");
        return;
    }
    cons_send(seq, "ok", "");
}

/* export <fromSeq> <maxRecords>: "ok <batch hex>", or "ok" when nothing is left. */
static void cmds_export(uint32_t seq, char *rest)
{
    char *sp = strchr(rest, ' ');
    uint32_t from;
    uint32_t max;
    if (sp == 0 || (*sp = '\0', !cmds_u32(rest, INT32_MAX, &from)) ||
        !cmds_u32(sp + 1, INT32_MAX, &max)) {
        cons_send(seq, "err", "bad-request usage: export <from-seq> <max-records>");
        return;
    }
    int32_t args[2] = {(int32_t)from, (int32_t)max};
    int32_t n = 0;
    if (!cmds_call(seq, FW_LEDGER_EXPORT, args, 2, &n)) {
        return;
    }
    uint32_t io_bytes;
    int32_t io_ptr;
    const uint8_t *io = fw_io(&io_bytes, &io_ptr);
    if (n < 0 || io == 0 || (uint32_t)n > io_bytes) {
        snprintf(cmds_text, sizeof cmds_text, "refused ledgerExport status %d", (int)n);
        cons_send(seq, "err", cmds_text);
        return;
    }
    cons_send_hex(seq, "ok", io, (uint32_t)n);
}

/* Passes hex bytes through the I/O buffer to a (ptr, len) export; "ok" on status 0. */
static void cmds_bytes_call(uint32_t seq, enum fw_export e, const char *hex, int32_t lead)
{
    uint32_t io_bytes;
    int32_t io_ptr;
    uint8_t *io = fw_io(&io_bytes, &io_ptr);
    int32_t n = io == 0 ? -1 : hex_decode(hex, (uint32_t)strlen(hex), io, io_bytes);
    if (n < 0) {
        cons_send(seq, "err", "bad-request bytes must be hex that fits the I/O buffer");
        return;
    }
    int32_t args[3] = {lead, io_ptr, n};
    int32_t status = 0;
    bool has_lead = e == FW_LEDGER_DENY_WRITE;
    if (!cmds_call(seq, e, has_lead ? args : args + 1, has_lead ? 3 : 2, &status)) {
        return;
    }
    snprintf(cmds_text, sizeof cmds_text, "refused %s status %d", fw_export_name(e), (int)status);
    cons_send(seq, status == 0 ? "ok" : "err", status == 0 ? "" : cmds_text);
}

static void cmds_deny(uint32_t seq, const char *cmd, char *rest)
{
    int32_t status = 0;
    uint32_t v;
    if (strcmp(cmd, "deny-begin") == 0) {
        int32_t len = cmds_u32(rest, INT32_MAX, &v) ? (int32_t)v : -1;
        if (len < 0) {
            cons_send(seq, "err", "bad-request usage: deny-begin <bytes>");
        } else if (cmds_call(seq, FW_LEDGER_DENY_BEGIN, &len, 1, &status)) {
            snprintf(cmds_text, sizeof cmds_text, "refused ledgerDenyBegin status %d", (int)status);
            cons_send(seq, status == 0 ? "ok" : "err", status == 0 ? "" : cmds_text);
        }
        return;
    }
    if (strcmp(cmd, "deny-commit") == 0) {
        if (cmds_call(seq, FW_LEDGER_DENY_COMMIT, 0, 0, &status)) {
            snprintf(cmds_text, sizeof cmds_text, "refused ledgerDenyCommit status %d",
                     (int)status);
            cons_send(seq, status == 0 ? "ok" : "err", status == 0 ? "" : cmds_text);
        }
        return;
    }
    char *sp = strchr(rest, ' ');
    if (sp == 0 || (*sp = '\0', !cmds_u32(rest, INT32_MAX, &v))) {
        cons_send(seq, "err", "bad-request usage: deny-write <offset> <hex>");
        return;
    }
    cmds_bytes_call(seq, FW_LEDGER_DENY_WRITE, sp + 1, (int32_t)v);
}

static void cmds_selftest(uint32_t seq, char *rest)
{
    selftest_answer(rest, cmds_text, sizeof cmds_text);
    cons_send(seq, "ok", cmds_text);
}

static uint32_t cmds_session_seq;

static void cmds_emit(const char *line)
{
    cons_send(cmds_session_seq, ">", line);
}

/* The live firmware again after a test session (a fresh boot of the same image). */
static void cmds_end_session(void)
{
    tm_stop();
    int rc = boot_rerun();
    if (rc != OT_OK) {
        hal_log(3, "reboot after the test session failed", 37);
    }
}

static void cmds_tap_session(uint32_t seq, const char *cmd, char *rest)
{
    cmds_session_seq = seq;
    if (strcmp(cmd, "tap-begin") == 0) {
        tm_stop();
        int rc = boot_fresh_instance();
        if (rc != OT_OK) {
            snprintf(cmds_text, sizeof cmds_text, "internal fresh firmware: %s",
                     ot_status_name(rc));
            cons_send(seq, "err", cmds_text);
            cmds_end_session();
            return;
        }
        tm_begin(cmds_emit);
        cons_send(seq, "ok", "");
        return;
    }
    if (!tm_active()) {
        cons_send(seq, "err", "no-session send tap-begin first");
        return;
    }
    if (strcmp(cmd, "tap-end") == 0) {
        char summary[TM_TEXT_BYTES_MAX];
        int code = tm_end(summary, sizeof summary);
        cons_send(seq, ">", summary);
        cmds_end_session();
        cons_send(seq, "ok", code == 0 ? "0" : "1");
        return;
    }
    char why[TM_TEXT_BYTES_MAX];
    enum tm_result r = tm_line(rest, why, sizeof why);
    if (r == TM_OK) {
        cons_send(seq, "ok", "");
        return;
    }
    snprintf(cmds_text, sizeof cmds_text, "%s %s", r == TM_SCRIPT ? "script" : "internal", why);
    cmds_end_session();
    cons_send(seq, "err", cmds_text);
}

void cmds_dispatch(uint32_t seq, const char *cmd, char *rest)
{
    if (strcmp(cmd, "identify") == 0) {
        cmds_identify(seq);
    } else if (strcmp(cmd, "status") == 0) {
        cmds_status(seq);
    } else if (strcmp(cmd, "clock-set") == 0) {
        cmds_clock_set(seq, rest);
    } else if (strcmp(cmd, "amount") == 0) {
        cmds_amount(seq, rest);
    } else if (strcmp(cmd, "selftest") == 0) {
        cmds_selftest(seq, rest);
    } else if (strcmp(cmd, "export") == 0) {
        cmds_export(seq, rest);
    } else if (strcmp(cmd, "ack") == 0) {
        cmds_bytes_call(seq, FW_LEDGER_ACKNOWLEDGE, rest, 0);
    } else if (strncmp(cmd, "deny-", 5) == 0 &&
               (strcmp(cmd + 5, "begin") == 0 || strcmp(cmd + 5, "write") == 0 ||
                strcmp(cmd + 5, "commit") == 0)) {
        cmds_deny(seq, cmd, rest);
    } else if (strcmp(cmd, "tap-begin") == 0 || strcmp(cmd, "tap") == 0 ||
               strcmp(cmd, "tap-end") == 0) {
        cmds_tap_session(seq, cmd, rest);
    } else if (strcmp(cmd, "reset") == 0) {
        if (tm_active()) {
            cmds_end_session();
        }
        cons_send(seq, "ok", "");
    } else {
        cons_send(seq, "err", "unknown-command");
    }
}
