/* The console's commands (core/console_cmds.c, core/selftest.c) and what they share with
 * the framing layer (core/console.c). Internal to the console. */
#ifndef OT_CONSOLE_CMDS_H
#define OT_CONSOLE_CMDS_H

#include <stdint.h>

#include "console.h"

void cons_send(uint32_t seq, const char *kind, const char *text);
/* "<seq> <kind> <hex of bytes>", hex-encoded and sealed as it is written. */
void cons_send_hex(uint32_t seq, const char *kind, const uint8_t *bytes, uint32_t len);
const cons_identity *cons_get_identity(void);
void cmds_dispatch(uint32_t seq, const char *cmd, char *rest);
/* One selftest line (docs/SELFTEST.md) answered through the firmware's crypto exports;
 * the answer text (e.g. "ok", "fail", 128 hex digits, "error …") is written to out. */
void selftest_answer(char *line, char *out, uint32_t out_cap);

#endif
