#include "clock.h"

static bool clk_valid;
static uint32_t clk_base_unix_s;
static uint32_t clk_base_ms;

void clk_reset(void)
{
    clk_valid = false;
    clk_base_unix_s = 0;
    clk_base_ms = 0;
}

void clk_set(uint32_t unix_s, uint32_t now_ms)
{
    clk_valid = true;
    clk_base_unix_s = unix_s;
    clk_base_ms = now_ms;
}

bool clk_is_set(void)
{
    return clk_valid;
}

/* Unsigned subtraction keeps the elapsed time right across one millisecond wrap
 * (49.7 days); a reader must be re-synced well within that (clk_age_s). */
uint32_t clk_unix(uint32_t now_ms)
{
    if (!clk_valid) {
        return 0;
    }
    return clk_base_unix_s + (now_ms - clk_base_ms) / 1000u;
}

uint32_t clk_age_s(uint32_t now_ms)
{
    return clk_valid ? (now_ms - clk_base_ms) / 1000u : UINT32_MAX;
}
