/* Status codes of the board runtime: 0 = done, negative = an expected failure.
 * -1 … -7 are the device ABI's own codes (boards/ABI.md) and cross into the firmware
 * unchanged; the rest stay inside the runtime and are reported on the console. */
#ifndef OT_STATUS_H
#define OT_STATUS_H

enum ot_status {
    OT_OK = 0,
    OT_ERR_BOUNDS = -1,     /* pointer/offset/length outside memory or partition */
    OT_ERR_IO = -2,         /* the device failed (or a NOR rule was broken) */
    OT_ERR_PARTITION = -3,  /* no such partition on this board */
    OT_ERR_TIMEOUT = -4,    /* no answer in time */
    OT_ERR_FIELD_LOST = -5, /* the card left the field */
    OT_ERR_OVERFLOW = -6,   /* answer longer than the receive capacity */
    OT_ERR_FRAME = -7,      /* transmission error */

    OT_ERR_NOR_RULE = -20,  /* a program would set a 0 bit back to 1 */
    OT_ERR_RNG = -21,       /* the hardware RNG failed */
    OT_ERR_SEED = -22,      /* the secure store has no seed, or it derives another key */
    OT_ERR_VM = -23,        /* the interpreter refused the module or a call */
    OT_ERR_TRAP = -24,      /* the firmware trapped or aborted */
    OT_ERR_NO_EXPORT = -25, /* the firmware lacks an export the runtime calls */
    OT_ERR_DEVICE = -26,    /* the NFC front end did not answer as specified */
    OT_ERR_USAGE = -27      /* a caller broke an argument rule (a runtime bug) */
};

const char *ot_status_name(int status);

#endif
