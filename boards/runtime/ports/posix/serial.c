#define _GNU_SOURCE /* posix_openpt, ptsname, cfmakeraw */

#include "serial.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#define SER_WRITE_STALLS_MAX 20u

static speed_t ser_speed(uint32_t baud)
{
    switch (baud) {
    case 9600: return B9600;
    case 19200: return B19200;
    case 38400: return B38400;
    case 57600: return B57600;
    case 230400: return B230400;
    case 460800: return B460800;
    case 921600: return B921600;
    default: return B115200;
    }
}

static int ser_raw(int fd, uint32_t baud)
{
    struct termios t;
    if (tcgetattr(fd, &t) != 0) {
        return -1;
    }
    cfmakeraw(&t);
    t.c_cflag |= CLOCAL | CREAD;
    t.c_cflag &= ~(tcflag_t)(CSTOPB | PARENB | CRTSCTS);
    cfsetispeed(&t, ser_speed(baud));
    cfsetospeed(&t, ser_speed(baud));
    t.c_cc[VMIN] = 0;
    t.c_cc[VTIME] = 0;
    return tcsetattr(fd, TCSANOW, &t);
}

int ser_open(const char *path, uint32_t baud, char *made_path, uint32_t made_cap)
{
    int fd;
    if (strcmp(path, "pty") == 0) {
        fd = posix_openpt(O_RDWR | O_NOCTTY);
        if (fd < 0 || grantpt(fd) != 0 || unlockpt(fd) != 0) {
            return -1;
        }
        const char *name = ptsname(fd);
        if (name == 0) {
            return -1;
        }
        snprintf(made_path, made_cap, "%s", name);
        fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    } else {
        fd = open(path, O_RDWR | O_NOCTTY);
        if (fd < 0) {
            return -1;
        }
        snprintf(made_path, made_cap, "%s", path);
    }
    if (ser_raw(fd, baud) != 0 && strcmp(path, "pty") != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

int ser_read(int fd, uint8_t *buf, uint32_t cap, uint32_t timeout_ms)
{
    struct pollfd p = {fd, POLLIN, 0};
    int rc = poll(&p, 1, (int)timeout_ms);
    if (rc < 0) {
        return errno == EINTR ? 0 : -1;
    }
    if (rc == 0) {
        return 0;
    }
    if ((p.revents & POLLIN) == 0) {
        /* A pty whose peer is closed reports POLLHUP: nothing to read yet. */
        if (timeout_ms > 0) {
            usleep(timeout_ms * 1000u);
        }
        return 0;
    }
    ssize_t n = read(fd, buf, cap);
    if (n < 0) {
        return (errno == EAGAIN || errno == EINTR || errno == EIO) ? 0 : -1;
    }
    return (int)n;
}

int ser_write_all(int fd, const uint8_t *data, uint32_t len)
{
    uint32_t done = 0;
    uint32_t stalls = 0;
    while (done < len) {
        ssize_t n = write(fd, data + done, len - done);
        if (n < 0) {
            /* A peer that stopped reading must not hang the reader: give up after
             * SER_WRITE_STALLS_MAX waits of 100 ms. */
            if ((errno == EINTR || errno == EAGAIN) && stalls++ < SER_WRITE_STALLS_MAX) {
                struct pollfd p = {fd, POLLOUT, 0};
                poll(&p, 1, 100);
                continue;
            }
            return -1;
        }
        done += (uint32_t)n;
    }
    return 0;
}
