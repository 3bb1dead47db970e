#include "status.h"

const char *ot_status_name(int status)
{
    switch (status) {
    case OT_OK: return "ok";
    case OT_ERR_BOUNDS: return "bounds";
    case OT_ERR_IO: return "io";
    case OT_ERR_PARTITION: return "partition";
    case OT_ERR_TIMEOUT: return "timeout";
    case OT_ERR_FIELD_LOST: return "field-lost";
    case OT_ERR_OVERFLOW: return "overflow";
    case OT_ERR_FRAME: return "frame";
    case OT_ERR_NOR_RULE: return "nor-rule";
    case OT_ERR_RNG: return "rng";
    case OT_ERR_SEED: return "seed";
    case OT_ERR_VM: return "vm";
    case OT_ERR_TRAP: return "trap";
    case OT_ERR_NO_EXPORT: return "no-export";
    case OT_ERR_DEVICE: return "device";
    case OT_ERR_USAGE: return "usage";
    default: return "unknown";
    }
}
