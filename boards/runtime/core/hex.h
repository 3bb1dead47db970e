/* Hex text for the console. Prefix hex_. */
#ifndef OT_HEX_H
#define OT_HEX_H

#include <stdint.h>

/* Decodes exactly len digits (even) into out (cap bytes); the byte count, or -1 when
 * the text is not hex or does not fit. */
int32_t hex_decode(const char *text, uint32_t len, uint8_t *out, uint32_t cap);
/* Writes 2·len lower-case digits and a NUL; out must hold 2·len + 1. */
void hex_encode(const uint8_t *src, uint32_t len, char *out);

#endif
