/*
 * parse: lib/kr_parse's numbers, durations, sizes and booleans on any
 * text; a value accepted is within the bounds asked for.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kr_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	long long v, ms;
	size_t z;
	int bv;

	if (s == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	if (kr_parse_ll(s, -5, 1000, &v) == 0 && (v < -5 || v > 1000))
		abort();
	if (kr_parse_duration_ms(s, &ms) == 0 && ms < 0)
		abort();
	if (kr_parse_size(s, 256, 16u << 20, &z) == 0 &&
	    (z < 256 || z > 16u << 20))
		abort();
	if (kr_parse_bool(s, &bv) == 0 && bv != 0 && bv != 1)
		abort();
	free(s);
	return 0;
}
