/*
 * time: lib/kr_time's RFC 3339 parser on any text; a time it accepts,
 * formatted again, reads back as the same instant.
 */
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

#include "kr_time.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char out[KR_TS_LEN + 1];
	struct timespec t;
	long long ns, again;

	if (kr_ts_parse((const char *)data, size, &ns) == -1)
		return 0;
	t.tv_sec = ns / 1000000000LL;
	t.tv_nsec = ns % 1000000000LL;
	if (t.tv_nsec < 0) {
		t.tv_sec--;
		t.tv_nsec += 1000000000LL;
	}
	/* Before year 0 or after 9999 there is no four-digit year to write. */
	if (t.tv_sec < -62167219200LL || t.tv_sec > 253402300799LL)
		return 0;
	kr_ts_format(&t, out);
	if (kr_ts_parse(out, KR_TS_LEN, &again) == -1 || again != ns)
		abort();
	return 0;
}
