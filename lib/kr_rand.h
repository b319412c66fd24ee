/* kr_rand: random ids from libsodium. */
#ifndef KR_RAND_H
#define KR_RAND_H

#include <stddef.h>

/* sodium_init() once; dies with KR_EX_TEMP if it fails. */
void kr_crypto_init(void);
/* Writes 2 * nbytes lowercase hex digits and a NUL to out. */
void kr_random_hex(char *out, size_t nbytes);

#endif
