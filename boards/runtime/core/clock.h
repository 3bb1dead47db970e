/* Wall-clock time for a board without an RTC: the console sets it, the monotonic
 * millisecond clock carries it forward. Until it is set, or once it has gone unsynced
 * for longer than the configured age, taps are declined (core/tap.c). Prefix clk_. */
#ifndef OT_CLOCK_H
#define OT_CLOCK_H

#include <stdbool.h>
#include <stdint.h>

void clk_reset(void);
void clk_set(uint32_t unix_s, uint32_t now_ms);
bool clk_is_set(void);
/* Unix seconds now (0 when never set). */
uint32_t clk_unix(uint32_t now_ms);
/* Seconds since the last clk_set (UINT32_MAX when never set). */
uint32_t clk_age_s(uint32_t now_ms);

#endif
