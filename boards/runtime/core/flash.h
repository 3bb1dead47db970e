/* Flash as the firmware may use it: every range inside its partition, programs within
 * one program page that only clear bits (NOR), erases on sector boundaries. Each program
 * is read back and compared (the pair of checks around every write). Prefix fl_. */
#ifndef OT_FLASH_H
#define OT_FLASH_H

#include <stdint.h>

/* The longest program the runtime accepts: a program never crosses a page and pages
 * are at most 512 bytes (docs/LEDGER.md §1). */
#define FL_PAGE_BYTES_MAX 512u

int fl_read(int part, uint32_t offset, uint8_t *dst, uint32_t len);
int fl_program(int part, uint32_t offset, const uint8_t *src, uint32_t len);
int fl_erase(int part, uint32_t offset);

/* Counters for diagnostics and tests. */
typedef struct fl_stats {
    uint32_t reads;
    uint32_t programs;
    uint32_t erases;
    uint32_t rule_violations;
} fl_stats;

const fl_stats *fl_get_stats(void);

#endif
