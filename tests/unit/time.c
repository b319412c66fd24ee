/* Unit tests: kr_time, kr_parse, kr_level. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "kr_level.h"
#include "kr_parse.h"
#include "kr_time.h"
#include "tap.h"

static unsigned long long rng = 0x9e3779b97f4a7c15ULL;

static unsigned
pick(unsigned n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (unsigned)(rng % n);
}

/*
 * kr_ts_canonical against the round trip it stands for, on times near
 * the forms it must tell apart: a 60th second, February 29 of common and
 * leap years (1700, 1900, 2000, 2024), 't' and 'z', fewer digits, an
 * offset; and kr_ts_parse, whose date and hour are remembered, against
 * the same times parsed with other ones in between.
 */
static void
test_canonical(void)
{
	static const char *const years[] = { "1678", "1700", "1969", "1970",
	    "1900", "2000", "2024", "2026", "2100", "2261" };
	char t[40], f[KR_TS_LEN + 1];
	long long ns, ns2;
	int i, bad = 0, nc = 0, again = 0, n;

	for (i = 0; i < 200000 && bad == 0; i++) {
		n = snprintf(t, sizeof t, "%s-%02u-%02uT%02u:%02u:%02u.%09u%s",
		    years[pick(10)], 1 + pick(12), pick(4) ? 1 + pick(28) :
		    28 + pick(4), pick(24), pick(60), pick(8) ? pick(60) : 60,
		    pick(1000000000), pick(16) ? "Z" : "+00:00");
		if (pick(16) == 0)
			t[10] = 't';
		if (pick(16) == 0)
			t[n - 1] = t[n - 1] == 'Z' ? 'z' : t[n - 1];
		if (pick(16) == 0) {
			memmove(t + 25, t + 29, (size_t)(n - 28));
			n -= 4;
		}
		if (kr_ts_parse(t, (size_t)n, &ns) != 0)
			continue;
		kr_ts_format_ns(ns, f);
		if (kr_ts_canonical(t, (size_t)n) != (n == KR_TS_LEN &&
		    memcmp(f, t, KR_TS_LEN) == 0)) {
			bad = 1;
			printf("# kr_ts_canonical(%.*s) is %d\n", n, t,
			    kr_ts_canonical(t, (size_t)n));
		}
		nc += kr_ts_canonical(t, (size_t)n);
		/* The same time again, after another date's. */
		kr_ts_parse("2001-01-01T00:00:00Z", 20, &ns2);
		if (kr_ts_parse(t, (size_t)n, &ns2) != 0 || ns2 != ns)
			bad = 2;
		again++;
	}
	ok(bad == 0 && nc > 1000 && again - nc > 1000, "kr_ts_canonical: 1 "
	    "exactly when kr_ts_format_ns gives the time back (%d times, %d "
	    "so)", again, nc);
	ok(kr_ts_parse("2026-11-28T10:15:03Z", 20, &ns) == 0 &&
	    kr_ts_parse("2026-11-28T10:61:03Z", 20, &ns) == -1 &&
	    kr_ts_parse("2026-11-28T10:15:61Z", 20, &ns) == -1 &&
	    kr_ts_parse("2026-11-28T10:15:03.Z", 21, &ns) == -1 &&
	    kr_ts_parse("2026-11-28T10:1x:03Z", 20, &ns) == -1,
	    "kr_ts_parse: a bad minute, second or fraction in a known hour");
	ok(kr_ts_parse("2026-11-28T10:15:03Z", 20, &ns) == 0 &&
	    kr_ts_parse("2026-11-28 10:15:03Z", 20, &ns2) == 0 && ns == ns2 &&
	    kr_ts_parse("2026-11-29T10:15:03Z", 20, &ns2) == 0 &&
	    ns2 - ns == 86400000000000LL, "and another day of the same hour");
}

int
main(void)
{
	struct timespec t = { -1, 999999999 };
	char ts[KR_TS_LEN + 1];
	long long ns, ms;
	size_t sz;

	/* The first second formatted is cached: -1 is one like another. */
	kr_ts_format(&t, ts);
	is(ts, "1969-12-31T23:59:59.999999999Z",
	    "the second before 1970, first");
	kr_ts_format_ns(-1, ts);
	is(ts, "1969-12-31T23:59:59.999999999Z", "nanoseconds before 1970");
	kr_ts_format_ns(1795860903000000005LL, ts);
	is(ts, "2026-11-28T10:15:03.000000005Z", "and after");
	t.tv_sec = 1795860903;
	t.tv_nsec = 123456789;
	kr_ts_format(&t, ts);
	is(ts, "2026-11-28T10:15:03.123456789Z", "RFC 3339 with nanoseconds");
	t.tv_nsec = 5;
	kr_ts_format(&t, ts);
	is(ts, "2026-11-28T10:15:03.000000005Z", "leading zeros kept");
	ok(kr_ts_parse(ts, strlen(ts), &ns) == 0 &&
	    ns == 1795860903000000005LL, "parse gives back the ns");
	ok(kr_ts_parse("2026-11-28T12:15:03+02:00", 25, &ns) == 0 &&
	    ns == 1795860903000000000LL, "an offset is applied");
	ok(kr_ts_parse("2026-11-28T10:15:03.5Z", 22, &ns) == 0 &&
	    ns == 1795860903500000000LL, "a short fraction is scaled");
	ok(kr_ts_parse("1970-01-01T00:00:00Z", 20, &ns) == 0 && ns == 0,
	    "the epoch");
	ok(kr_ts_parse("2026-02-30T10:15:03Z", 20, &ns) == -1,
	    "no February 30");
	ok(kr_ts_parse("2026-11-28T10:15:03", 19, &ns) == -1,
	    "a zone is required");
	ok(kr_ts_parse("2026-11-28T10:15:03.Z", 21, &ns) == -1,
	    "an empty fraction is refused");
	ok(kr_ts_parse("yesterday", 9, &ns) == -1 && errno == EINVAL,
	    "words are refused");
	ok(kr_ts_parse("1678-01-01T00:00:00Z", 20, &ns) == 0 &&
	    ns == KR_TS_MIN_S * 1000000000LL, "the first time of the range");
	ok(kr_ts_parse("2261-12-31T23:59:59.999999999Z", 30, &ns) == 0 &&
	    ns == KR_TS_END_S * 1000000000LL - 1, "the last time of the range");
	ok(kr_ts_parse("1677-12-31T23:59:59.999999999Z", 30, &ns) == -1 &&
	    errno == ERANGE, "a nanosecond before the range is refused");
	ok(kr_ts_parse("2262-01-01T00:00:00Z", 20, &ns) == -1 &&
	    errno == ERANGE, "the end of the range is refused");
	ok(kr_ts_parse("2261-12-31T23:30:00-01:00", 25, &ns) == -1 &&
	    errno == ERANGE, "the range applies once the offset is");
	ok(kr_ts_parse("1678-01-01T00:30:00+01:00", 25, &ns) == -1 &&
	    errno == ERANGE, "at its start too");
	ok(kr_ts_parse("2300-01-01T00:00:00Z", 20, &ns) == -1 &&
	    errno == ERANGE, "2300 is refused, not wrapped");
	ok(kr_ts_parse("9999-12-31T23:59:59Z", 20, &ns) == -1 &&
	    errno == ERANGE, "9999 is refused, not wrapped");
	ok(kr_ts_parse("0000-01-01T00:00:00Z", 20, &ns) == -1 &&
	    errno == ERANGE, "year 0 is refused, not wrapped");
	ok(kr_mono_ns() > 0, "monotonic clock");

	ok(kr_parse_duration_ms("250ms", &ms) == 0 && ms == 250, "250ms");
	ok(kr_parse_duration_ms("1s", &ms) == 0 && ms == 1000, "1s");
	ok(kr_parse_duration_ms("1.5s", &ms) == 0 && ms == 1500, "1.5s");
	ok(kr_parse_duration_ms("5m", &ms) == 0 && ms == 300000, "5m");
	ok(kr_parse_duration_ms("30d", &ms) == 0 && ms == 2592000000LL,
	    "30d");
	ok(kr_parse_duration_ms("2", &ms) == 0 && ms == 2000,
	    "bare seconds");
	ok(kr_parse_duration_ms("100us", &ms) == 0 && ms == 1,
	    "sub-millisecond rounds up");
	ok(kr_parse_duration_ms("-1s", &ms) == -1, "negative refused");
	ok(kr_parse_duration_ms("1x", &ms) == -1, "unknown unit refused");
	ok(kr_parse_duration_ms("", &ms) == -1, "empty refused");

	ok(kr_parse_size("64KiB", 0, (size_t)-1, &sz) == 0 && sz == 65536,
	    "64KiB");
	ok(kr_parse_size("1M", 0, (size_t)-1, &sz) == 0 && sz == 1048576,
	    "1M");
	ok(kr_parse_size("4096", 0, (size_t)-1, &sz) == 0 && sz == 4096,
	    "bare bytes");
	ok(kr_parse_size("10", 256, 1024, &sz) == -1 && errno == ERANGE,
	    "below the minimum refused");
	ok(kr_parse_size("1q", 0, 1024, &sz) == -1 && errno == EINVAL,
	    "unknown suffix refused");
	{
		long long v;
		int bv;

		ok(kr_parse_ll("42", 0, 100, &v) == 0 && v == 42, "integer");
		ok(kr_parse_ll("4 2", 0, 100, &v) == -1, "junk refused");
		ok(kr_parse_ll("101", 0, 100, &v) == -1, "range checked");
		ok(kr_parse_bool("Off", &bv) == 0 && bv == 0, "bool off");
		ok(kr_parse_bool("maybe", &bv) == -1, "bool junk refused");
	}

	ok(kr_level_parse("warning", 7) == KR_WARN, "WARNING is WARN");
	ok(kr_level_parse("Err", 3) == KR_ERROR, "ERR is ERROR");
	ok(kr_level_parse("PANIC", 5) == KR_FATAL, "PANIC is FATAL");
	ok(kr_level_parse("INFOX", 5) == -1, "no prefix match");
	is(kr_level_name(KR_TRACE), "TRACE", "level names");
	test_canonical();
	return done_testing();
}
