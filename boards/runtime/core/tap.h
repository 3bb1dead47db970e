/* The tap loop: wait for a card, check the clock, call the firmware's tap(), let its
 * signal() calls drive the outputs, then wait for an empty field so one card is one tap.
 * Prefix tap_. */
#ifndef OT_TAP_H
#define OT_TAP_H

#include <stdint.h>

/* The runtime's own decline codes (boards/CONSOLE.md), above the firmware's decision
 * codes of docs/PROTOCOL.md (0 … 41), shown on the display like them. */
#define TAP_DECLINE_CLOCK_UNSET 64   /* the clock was never set since boot */
#define TAP_DECLINE_CLOCK_STALE 65   /* not synced for longer than the configured age */
#define TAP_DECLINE_FIRMWARE_FAULT 66 /* the firmware trapped, aborted or hung */
#define TAP_DECISION_NO_WALLET 16
/* After a tap the card must leave before the next: wait at most this long, then poll on
 * (a card left lying on the reader is polled again, and the firmware's re-tap rules
 * make a second tap of the same authorization harmless). */
#define TAP_FIELD_WAIT_MS_MAX 5000u
#define TAP_FIELD_POLL_MS 20u
/* Default for how long a set clock stays trusted without a new sync. */
#define TAP_CLOCK_AGE_S_DEFAULT 86400u

typedef struct tap_stats {
    uint32_t taps;
    uint32_t accepted;      /* ACCEPTED or ALREADY_ACCEPTED */
    uint32_t declined;
    uint32_t faults;        /* firmware traps */
    uint32_t idle_pieces;   /* idle() calls that did work (boards/ABI.md) */
    int32_t last_decision;
    uint32_t last_elapsed_ms;
} tap_stats;

void tap_configure(uint8_t mode, uint32_t clock_age_max_s);
/* Kiosk: the amount of the next tap (> 0); 0 cancels. OT_ERR_USAGE in gate mode. */
int tap_set_amount(int32_t amount);
int32_t tap_pending_amount(void);
/* One turn of the loop: 0 when no card came within poll_ms (or a kiosk has no amount;
 * either way the firmware's idle() then runs once, when it exports one), 1 with
 * *decision set when a tap ran, negative on an NFC front-end failure. */
int tap_run_once(uint32_t poll_ms, int32_t *decision);
const tap_stats *tap_get_stats(void);

#endif
