/* Test mode's tap sessions (boards/TESTMODE.md): tap-script lines (docs/TAPRUNNER.md) run
 * on a fresh firmware instance whose radio, RNG, clock and flash are the script's, on
 * RAM scratch flash — never the live ledger. Prints what build/taprunner.wasm prints.
 * Prefix tm_. */
#ifndef OT_TESTMODE_H
#define OT_TESTMODE_H

#include <stdbool.h>
#include <stdint.h>

/* docs/TAPRUNNER.md limits (assembly/limits.ts). */
#define TM_EXCHANGES_MAX 4u
#define TM_CAPDU_BYTES_MAX 261u
#define TM_RAPDU_BYTES_MAX 258u
#define TM_RANDOM_FILLS_MAX 4u
#define TM_RANDOM_BYTES_MAX 64u
#define TM_FLASH_BLOCK_BYTES 256u
#define TM_FLASH_MAP_BLOCKS 2048u   /* 512 KiB of declared partitions */
#define TM_FLASH_STORED_BLOCKS 96u  /* 24 KiB written per session */
#define TM_TEXT_BYTES_MAX 160u

enum tm_result { TM_OK = 0, TM_SCRIPT = 1, TM_INTERNAL = 2 };

typedef void (*tm_emit_fn)(const char *line);

/* Starts a session on the firmware instance just loaded (not yet initialised). */
void tm_begin(tm_emit_fn emit);
bool tm_active(void);
/* One script line; TM_SCRIPT / TM_INTERNAL end the session, with the reason in why. */
enum tm_result tm_line(char *line, char *why, uint32_t why_cap);
/* The summary line and taprunner's exit code; ends the session. */
int tm_end(char *summary, uint32_t cap);
/* Ends the session without a summary (reset, errors). */
void tm_stop(void);

#endif
