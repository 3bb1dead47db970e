/* The POSIX board: its settings, filled from the command line by main.c. */
#ifndef OT_HAL_POSIX_H
#define OT_HAL_POSIX_H

#include <stdbool.h>
#include <stdint.h>

typedef struct posix_board {
    const char *flash_path;   /* the board's whole flash as a file */
    bool flash_sync;          /* fdatasync after every program and erase */
    const char *seed_path;    /* the secure store: a 0600 file with 64 hex digits */
    int nfc_fd;               /* the PN532's serial port, or -1 for no front end */
    int console_fd;
    bool quiet_outputs;
} posix_board;

/* Opens the flash file (created erased when absent). 0, or -1 with a message printed. */
int posix_board_open(posix_board *b);
posix_board *posix_board_get(void);
/* The PN532 behind hal_nfc_*: 0, or a negative status. */
int posix_nfc_begin(void);

#endif
