/* Serial ports for the POSIX reader: a tty in raw 8N1 mode, or a pseudo-terminal the
 * reader creates itself (its path printed for the peer). Prefix ser_. */
#ifndef OT_SERIAL_H
#define OT_SERIAL_H

#include <stdint.h>

#define SER_PATH_BYTES_MAX 256u

/* Opens path ("pty" = a new pseudo-terminal, its slave path written to made_path);
 * the file descriptor, or -1 with errno set. */
int ser_open(const char *path, uint32_t baud, char *made_path, uint32_t made_cap);
/* Bytes read (0 when none within timeout_ms), or -1. */
int ser_read(int fd, uint8_t *buf, uint32_t cap, uint32_t timeout_ms);
/* Writes everything; 0 or -1. */
int ser_write_all(int fd, const uint8_t *data, uint32_t len);

#endif
