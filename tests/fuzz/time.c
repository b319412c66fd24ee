/*
 * time: lib/kr_time's RFC 3339 parser on any text; a time it accepts,
 * formatted again, reads back as the same instant, and is the text it
 * was read from exactly when kr_ts_canonical says so. The date and hour
 * the parser remembers are another's now and then.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kr_time.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char out[KR_TS_LEN + 1];
	struct timespec t;
	long long ns, again;

	if (size % 2 == 0)
		kr_ts_parse("2026-11-28T10:15:03Z", 20, &ns);
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
	if (kr_ts_canonical((const char *)data, size) != (size == KR_TS_LEN &&
	    memcmp(out, data, KR_TS_LEN) == 0))
		abort();
	return 0;
}
