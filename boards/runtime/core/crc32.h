/* CRC-32 (IEEE 802.3, reflected 0xEDB88320, init and final XOR 0xFFFFFFFF): the CRC of
 * docs/CONFIG.md, docs/IMAGE.md and the console frames. crc32("123456789") = 0xCBF43926. */
#ifndef OT_CRC32_H
#define OT_CRC32_H

#include <stddef.h>
#include <stdint.h>

uint32_t crc_update(uint32_t crc, const void *data, size_t len);
uint32_t crc32(const void *data, size_t len);

#endif
