/* Unit tests: kr_parse refuses what strtod and strtoll would let through. */
#include <errno.h>

#include "kr_parse.h"
#include "tap.h"

int
main(void)
{
	static const char *const durations[] = {
		"\n-6", "\t5s", " 5s", "+5s", "1e3", "0x10", "inf", "nan",
		".", "5.s.", "1..2s", "5 s", "s",
	};
	static const char *const ints[] = {
		"\n-6", " 5", "+5", "0x10", "-", "5\n",
	};
	long long ms, v;
	size_t i;

	for (i = 0; i < sizeof durations / sizeof durations[0]; i++)
		ok(kr_parse_duration_ms(durations[i], &ms) == -1 &&
		    errno == EINVAL, "duration %zu refused", i);
	ok(kr_parse_duration_ms(".5s", &ms) == 0 && ms == 500, ".5s");
	ok(kr_parse_duration_ms("5.", &ms) == 0 && ms == 5000, "5.");
	ok(kr_parse_duration_ms("0", &ms) == 0 && ms == 0, "0");
	for (i = 0; i < sizeof ints / sizeof ints[0]; i++)
		ok(kr_parse_ll(ints[i], -100, 100, &v) == -1 && errno == EINVAL,
		    "integer %zu refused", i);
	ok(kr_parse_ll("-6", -100, 100, &v) == 0 && v == -6, "-6");
	return done_testing();
}
