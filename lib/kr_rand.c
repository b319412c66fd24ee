/* kr_rand: random ids from libsodium. */
#include <sodium.h>

#include "kr_diag.h"
#include "kr_rand.h"

void
kr_crypto_init(void)
{
	if (sodium_init() < 0)
		kr_die(KR_EX_TEMP, "unable to initialise libsodium");
}

void
kr_random_hex(char *out, size_t nbytes)
{
	unsigned char b[64];
	size_t n;

	kr_crypto_init();
	while (nbytes > 0) {
		n = nbytes < sizeof b ? nbytes : sizeof b;
		randombytes_buf(b, n);
		sodium_bin2hex(out, 2 * n + 1, b, n);
		out += 2 * n;
		nbytes -= n;
	}
	*out = '\0';
}
