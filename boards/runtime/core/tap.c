#include "tap.h"

#include <stddef.h>

#include "../hal.h"
#include "abi.h"
#include "clock.h"
#include "fw.h"
#include "status.h"
#include "testmode.h"

static uint8_t tap_mode;
static uint32_t tap_clock_age_max_s = TAP_CLOCK_AGE_S_DEFAULT;
static int32_t tap_amount;
static tap_stats tap_st;

void tap_configure(uint8_t mode, uint32_t clock_age_max_s)
{
    tap_mode = mode;
    tap_clock_age_max_s = clock_age_max_s;
    tap_amount = 0;
}

int tap_set_amount(int32_t amount)
{
    if (tap_mode != 1 || amount < 0) {
        return OT_ERR_USAGE;
    }
    tap_amount = amount;
    return OT_OK;
}

int32_t tap_pending_amount(void)
{
    return tap_amount;
}

const tap_stats *tap_get_stats(void)
{
    return &tap_st;
}

/* A decline the runtime makes itself: the same outputs as the firmware's declines. */
static void tap_decline(int32_t code)
{
    hal_output(HAL_OUT_LED, 2);
    hal_output(HAL_OUT_BUZZER, 2);
    hal_output(HAL_OUT_DISPLAY, code);
}

static void tap_wait_field_empty(void)
{
    uint32_t start = hal_clock_millis();
    while (hal_nfc_card_present() == 1) {
        if (hal_clock_millis() - start >= TAP_FIELD_WAIT_MS_MAX) {
            return;
        }
        (void)hal_nfc_poll(TAP_FIELD_POLL_MS);
    }
}

static int32_t tap_call_firmware(void)
{
    int32_t decision = TAP_DECLINE_FIRMWARE_FAULT;
    int32_t arg = tap_mode == 1 ? tap_amount : 0;
    abi_reset_signals();
    int rc = fw_call(FW_TAP, &arg, 1, &decision);
    if (rc != OT_OK) {
        tap_st.faults++;
        tap_decline(TAP_DECLINE_FIRMWARE_FAULT);
        return TAP_DECLINE_FIRMWARE_FAULT;
    }
    if (fw_has(FW_LAST_TAP_ELAPSED_MS)) {
        int32_t ms = 0;
        if (fw_call(FW_LAST_TAP_ELAPSED_MS, 0, 0, &ms) == OT_OK) {
            tap_st.last_elapsed_ms = (uint32_t)ms;
        }
    }
    return decision;
}

/* One piece of the firmware's idle work (boards/ABI.md, `idle`: a returning wallet's key
 * tables), while no card is in the field. Optional: a firmware without it is not asked.
 * A trap here is a counted fault, as in a tap; the next poll goes on. */
static void tap_idle(void)
{
    if (!fw_has(FW_IDLE)) {
        return;
    }
    int32_t more = 0;
    if (fw_call(FW_IDLE, NULL, 0, &more) != OT_OK) {
        tap_st.faults++;
        return;
    }
    if (more != 0) {
        tap_st.idle_pieces++;
    }
}

int tap_run_once(uint32_t poll_ms, int32_t *decision)
{
    if (tm_active()) {
        return 0; /* a test session owns the firmware: the field waits */
    }
    if (tap_mode == 1 && tap_amount <= 0) {
        tap_idle(); /* a kiosk without an amount: the field waits, idle work goes on */
        return 0;
    }
    int rc = hal_nfc_poll(poll_ms);
    if (rc == 0) {
        tap_idle(); /* at most one piece per empty poll: a card waits for one piece */
    }
    if (rc <= 0) {
        return rc;
    }
    uint32_t now = hal_clock_millis();
    int32_t d;
    if (!clk_is_set()) {
        d = TAP_DECLINE_CLOCK_UNSET;
        tap_decline(d);
    } else if (clk_age_s(now) > tap_clock_age_max_s) {
        d = TAP_DECLINE_CLOCK_STALE;
        tap_decline(d);
    } else {
        d = tap_call_firmware();
    }
    if (d == TAP_DECISION_NO_WALLET) {
        *decision = d;
        return 1; /* a card that never answered SELECT: not counted as a tap */
    }
    tap_st.taps++;
    if (d == 0 || d == 1) {
        tap_st.accepted++;
        tap_amount = 0; /* a kiosk amount pays once */
    } else {
        tap_st.declined++;
    }
    tap_st.last_decision = d;
    *decision = d;
    tap_wait_field_empty();
    return 1;
}
