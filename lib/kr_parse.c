/* kr_parse: numbers, durations and sizes from flags, env and config. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "kr_parse.h"

int
kr_parse_ll(const char *s, long long min, long long max, long long *v)
{
	char *end;
	long long x;

	/* strtoll alone would take leading blanks, a '+', and "0x". */
	if (s == NULL || !(s[*s == '-'] >= '0' && s[*s == '-'] <= '9')) {
		errno = EINVAL;
		return -1;
	}
	errno = 0;
	x = strtoll(s, &end, 10);
	if (*end != '\0') {
		errno = EINVAL;
		return -1;
	}
	if (errno == ERANGE || x < min || x > max) {
		errno = ERANGE;
		return -1;
	}
	*v = x;
	return 0;
}

int
kr_parse_duration_ms(const char *s, long long *ms)
{
	static const struct {
		const char *unit;
		double ms;
	} units[] = {
		{ "", 1000 }, { "ns", 1e-6 }, { "us", 1e-3 }, { "ms", 1 },
		{ "s", 1000 }, { "m", 60000 }, { "h", 3600000 },
		{ "d", 86400000 },
	};
	const char *end;
	size_t i, digits;
	double x;

	/*
	 * Digits with at most one '.', then the unit: strtod alone would also
	 * take blanks, signs, exponents, hex, "inf" and "nan".
	 */
	if (s == NULL)
		goto bad;
	digits = strspn(s, "0123456789");
	end = s + digits;
	if (*end == '.') {
		end++;
		digits += strspn(end, "0123456789");
		end += strspn(end, "0123456789");
	}
	if (digits == 0)
		goto bad;
	errno = 0;
	x = strtod(s, NULL);
	if (errno != 0)
		goto bad;
	for (i = 0; i < sizeof units / sizeof units[0]; i++) {
		if (strcmp(end, units[i].unit) == 0) {
			double v = x * units[i].ms;

			if (v > 9e15)
				goto bad;
			*ms = (long long)v;
			if ((double)*ms < v)
				(*ms)++;
			return 0;
		}
	}
bad:
	errno = EINVAL;
	return -1;
}

int
kr_parse_size(const char *s, size_t min, size_t max, size_t *v)
{
	unsigned long long x, mul = 1;
	char *end;

	if (s == NULL || *s < '0' || *s > '9')
		goto bad;
	errno = 0;
	x = strtoull(s, &end, 10);
	if (errno != 0)
		goto bad;
	if (*end != '\0') {
		switch (*end | 0x20) {
		case 'k':
			mul = 1ULL << 10;
			break;
		case 'm':
			mul = 1ULL << 20;
			break;
		case 'g':
			mul = 1ULL << 30;
			break;
		default:
			goto bad;
		}
		end++;
		if (strcasecmp(end, "ib") != 0 && strcasecmp(end, "b") != 0 &&
		    *end != '\0')
			goto bad;
	}
	if (x > (unsigned long long)-1 / mul)
		goto range;
	x *= mul;
	if (x < min || x > max)
		goto range;
	*v = (size_t)x;
	return 0;
range:
	errno = ERANGE;
	return -1;
bad:
	errno = EINVAL;
	return -1;
}

int
kr_parse_bool(const char *s, int *v)
{
	static const char *yes[] = { "true", "yes", "on", "1" };
	static const char *no[] = { "false", "no", "off", "0" };
	size_t i;

	for (i = 0; i < 4; i++) {
		if (strcasecmp(s, yes[i]) == 0) {
			*v = 1;
			return 0;
		}
		if (strcasecmp(s, no[i]) == 0) {
			*v = 0;
			return 0;
		}
	}
	errno = EINVAL;
	return -1;
}
