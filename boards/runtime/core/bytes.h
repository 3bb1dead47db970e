/* Little-endian field access and overflow-safe range checks, shared by every module. */
#ifndef OT_BYTES_H
#define OT_BYTES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

static inline uint16_t by_le16(const uint8_t *p)
{
    return (uint16_t)(p[0] | (p[1] << 8));
}

static inline uint32_t by_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) |
           ((uint32_t)p[3] << 24);
}

static inline void by_put_le32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

/* offset + len <= size, computed without wrapping (64-bit sum of two 32-bit values). */
static inline bool by_range_ok(uint32_t offset, uint32_t len, uint32_t size)
{
    return (uint64_t)offset + (uint64_t)len <= (uint64_t)size;
}

/* The ABI's pointer rule: ptr >= 0 && len >= 0 && ptr + len <= memory bytes. The i32
 * arguments arrive signed; the sum is taken in 64 bits so no pair can wrap around. */
static inline bool by_guest_ok(int32_t ptr, int32_t len, uint32_t mem_bytes)
{
    return ptr >= 0 && len >= 0 && (int64_t)ptr + (int64_t)len <= (int64_t)mem_bytes;
}

#endif
