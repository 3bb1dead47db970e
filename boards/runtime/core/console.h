/* The maintenance console (boards/CONSOLE.md): checksummed text frames on the serial
 * port. identify, status, clock, kiosk amounts, selftest vectors, ledger export,
 * acknowledgements and deny lists, all through the firmware's exports. Prefix cons_. */
#ifndef OT_CONSOLE_H
#define OT_CONSOLE_H

#include <stdint.h>

#define CONS_PROTOCOL_VERSION 2
/* A frame's body (boards/TESTMODE.md's 8,480-byte line limit) plus " ~" and 8 CRC digits. */
#define CONS_BODY_BYTES_MAX 8480u
#define CONS_LINE_BYTES_MAX (CONS_BODY_BYTES_MAX + 10u)
#define CONS_SEQ_MAX 999999u

typedef struct cons_identity {
    const char *board_id;
    uint32_t abi_version;
    const uint8_t *firmware_sha256; /* 32 bytes */
} cons_identity;

void cons_init(const cons_identity *id);
/* Feeds bytes from the serial port; complete lines are answered at once. */
void cons_feed(const uint8_t *data, uint32_t len);
/* Sends "0 <text>" (unsolicited: ready, tap events). */
void cons_announce(const char *text);

typedef struct cons_stats {
    uint32_t frames;
    uint32_t checksum_errors;
    uint32_t bad_requests;
    uint32_t too_long;
} cons_stats;

const cons_stats *cons_get_stats(void);

#endif
