/*
 * serve-lexfix: keruta-serve's mending of what libwebsockets reads, on
 * any bytes cut into reads of any sizes (the first byte picks them). It
 * hands on every byte, in order, and changes none but to '~', each right
 * before a ':'; and mends as one read of them all does: with reads of
 * any size when the reader can wait (plain), of two bytes or more when
 * it cannot (TLS).
 *
 * links: tools/keruta-serve/lexfix.c
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../tools/keruta-serve/lexfix.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct feed {
	const uint8_t *s;
	size_t len, at, seed, min;
};

/* Reads of min to 16 bytes, their sizes from the seed; 0 at the end. */
static ssize_t
feed_rd(void *arg, char *buf, size_t len)
{
	struct feed *f = arg;
	size_t n = f->len - f->at, k;

	k = f->seed == 0 ? n : f->min + (f->seed * (f->at + 7)) % 15;
	if (n > k)
		n = k;
	if (n > len)
		n = len;
	memcpy(buf, f->s + f->at, n);
	f->at += n;
	return (ssize_t)n;
}

/* data mended with reads as seed says into out (len bytes): its length. */
static size_t
mend(const uint8_t *data, size_t len, size_t seed, int can_wait, char *out)
{
	struct lexfix *lf = lexfix_new();
	struct feed f = { data, len, 0, seed, can_wait ? 1 : 2 };
	size_t n = 0, spins = 0;

	if (lf == NULL)
		abort();
	while (n < len + 1) {
		ssize_t r = lexfix_read(lf, out + n, len + 1 - n, feed_rd, &f,
		    can_wait);

		if (r == 0)
			break;
		if (r < 0) {
			if (errno != EAGAIN || ++spins > 4 * len + 4)
				abort();	/* waits for ever */
			continue;
		}
		n += (size_t)r;
	}
	lexfix_free(lf);
	return n;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	char *whole, *cut;
	size_t i, n, seed;

	if (!ready) {
		lexfix_init();
		ready = 1;
	}
	if (size == 0 || size > 65536)
		return 0;
	seed = data[0] % 17;
	data++;
	size--;
	if ((whole = malloc(size + 1)) == NULL ||
	    (cut = malloc(size + 1)) == NULL)
		abort();
	if (mend(data, size, 0, 1, whole) != size)
		abort();
	for (i = 0; i < size; i++)
		if (whole[i] != (char)data[i] && (whole[i] != '~' ||
		    i + 1 >= size || data[i + 1] != ':'))
			abort();
	n = mend(data, size, seed, 1, cut);
	if (n != size || memcmp(cut, whole, size) != 0)
		abort();
	n = mend(data, size, seed, 0, cut);
	if (n != size || memcmp(cut, whole, size) != 0)
		abort();
	free(whole);
	free(cut);
	return 0;
}
