#include "flash.h"

#include <string.h>

#include "../hal.h"
#include "bytes.h"
#include "status.h"

static fl_stats fl_counters;

const fl_stats *fl_get_stats(void)
{
    return &fl_counters;
}

static int fl_geometry(int part, hal_geometry *g)
{
    if (part < 0 || part >= HAL_PART_COUNT) {
        return OT_ERR_PARTITION;
    }
    return hal_flash_geometry(part, g);
}

int fl_read(int part, uint32_t offset, uint8_t *dst, uint32_t len)
{
    hal_geometry g;
    int rc = fl_geometry(part, &g);
    if (rc != OT_OK) {
        return rc;
    }
    if (!by_range_ok(offset, len, g.size_bytes)) {
        return OT_ERR_BOUNDS;
    }
    fl_counters.reads++;
    return len == 0 ? OT_OK : hal_flash_read(part, offset, dst, len);
}

int fl_program(int part, uint32_t offset, const uint8_t *src, uint32_t len)
{
    hal_geometry g;
    int rc = fl_geometry(part, &g);
    if (rc != OT_OK) {
        return rc;
    }
    if (!by_range_ok(offset, len, g.size_bytes) || len > FL_PAGE_BYTES_MAX) {
        return OT_ERR_BOUNDS;
    }
    if (len == 0) {
        return OT_OK;
    }
    if (offset / g.page_bytes != (offset + len - 1) / g.page_bytes) {
        return OT_ERR_BOUNDS;
    }
    uint8_t old[FL_PAGE_BYTES_MAX];
    rc = hal_flash_read(part, offset, old, len);
    if (rc != OT_OK) {
        return rc;
    }
    for (uint32_t i = 0; i < len; i++) {
        if ((uint8_t)(src[i] & ~old[i]) != 0) {
            fl_counters.rule_violations++;
            return OT_ERR_NOR_RULE;
        }
    }
    fl_counters.programs++;
    rc = hal_flash_program(part, offset, src, len);
    if (rc != OT_OK) {
        return OT_ERR_IO;
    }
    uint8_t back[FL_PAGE_BYTES_MAX];
    rc = hal_flash_read(part, offset, back, len);
    if (rc != OT_OK || memcmp(back, src, len) != 0) {
        return OT_ERR_IO;
    }
    return OT_OK;
}

int fl_erase(int part, uint32_t offset)
{
    hal_geometry g;
    int rc = fl_geometry(part, &g);
    if (rc != OT_OK) {
        return rc;
    }
    if (offset % g.sector_bytes != 0 || offset >= g.size_bytes) {
        return OT_ERR_BOUNDS;
    }
    fl_counters.erases++;
    return hal_flash_erase_sector(part, offset) == OT_OK ? OT_OK : OT_ERR_IO;
}
