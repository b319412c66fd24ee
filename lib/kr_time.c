/* kr_time: RFC 3339 nanosecond timestamps and a monotonic clock. */
#include <errno.h>
#include <string.h>
#include <time.h>

#include "kr_time.h"

void
kr_ts_format(const struct timespec *t, char *out)
{
	static time_t cached;
	static int have;	/* (time_t)-1 is a second like another */
	static char prefix[21];	/* "2026-11-28T10:15:03." */
	long ns = t->tv_nsec;
	int i;

	if (!have || t->tv_sec != cached) {
		struct tm tm;

		gmtime_r(&t->tv_sec, &tm);
		strftime(prefix, sizeof prefix, "%Y-%m-%dT%H:%M:%S.", &tm);
		cached = t->tv_sec;
		have = 1;
	}
	memcpy(out, prefix, 20);
	for (i = 28; i >= 20; i--) {
		out[i] = (char)('0' + ns % 10);
		ns /= 10;
	}
	out[29] = 'Z';
	out[30] = '\0';
}

void
kr_ts_format_ns(long long ns, char *out)
{
	struct timespec t;

	t.tv_sec = (time_t)(ns / 1000000000);
	t.tv_nsec = (long)(ns % 1000000000);
	if (t.tv_nsec < 0) {
		t.tv_nsec += 1000000000;
		t.tv_sec--;
	}
	kr_ts_format(&t, out);
}

void
kr_ts_now(char *out)
{
	struct timespec t;

	clock_gettime(CLOCK_REALTIME, &t);
	kr_ts_format(&t, out);
}

long long
kr_mono_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (long long)t.tv_sec * 1000000000LL + t.tv_nsec;
}

long long
kr_wall_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_REALTIME, &t);
	return (long long)t.tv_sec * 1000000000LL + t.tv_nsec;
}

static int
digits(const char *s, int n, int *v)
{
	int i;

	*v = 0;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		*v = *v * 10 + (s[i] - '0');
	}
	return 0;
}

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian). */
static long long
days_from_civil(int y, int m, int d)
{
	int era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return (long long)era * 146097 + doe - 719468;
}

/*
 * The seconds of a time's date and hour (its first 13 bytes), those last
 * read: a stream's times share them for an hour, and days_from_civil and
 * the checks of the date are then made once.
 */
static _Thread_local char hour_key[13];
static _Thread_local long long hour_secs;
static _Thread_local int hour_have;

static int
date_hour(const char *s, long long *secs)
{
	static const int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31,
		30, 31 };
	int y, mo, d, h;

	if (hour_have && memcmp(s, hour_key, sizeof hour_key) == 0) {
		*secs = hour_secs;
		return 0;
	}
	if (digits(s, 4, &y) || digits(s + 5, 2, &mo) ||
	    digits(s + 8, 2, &d) || digits(s + 11, 2, &h))
		return -1;
	if (mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] || h > 23)
		return -1;
	*secs = hour_secs = days_from_civil(y, mo, d) * 86400LL + h * 3600;
	memcpy(hour_key, s, sizeof hour_key);
	hour_have = 1;
	return 0;
}

int
kr_ts_parse(const char *s, size_t n, long long *ns)
{
	int mi, sec, oh, om;
	long long frac = 0, secs;
	size_t i = 19;
	int fd = 0, sign;

	errno = EINVAL;
	if (n < 20 || s[4] != '-' || s[7] != '-' || s[13] != ':' ||
	    s[16] != ':' || (s[10] != 'T' && s[10] != 't' && s[10] != ' '))
		return -1;
	if (date_hour(s, &secs) == -1 || digits(s + 14, 2, &mi) ||
	    digits(s + 17, 2, &sec) || mi > 59 || sec > 60)
		return -1;
	if (s[i] == '.') {
		for (i++; i < n && s[i] >= '0' && s[i] <= '9'; i++, fd++)
			if (fd < 9)
				frac = frac * 10 + (s[i] - '0');
		if (fd == 0)
			return -1;
		for (; fd < 9; fd++)
			frac *= 10;
	}
	if (i >= n)
		return -1;
	if (s[i] == 'Z' || s[i] == 'z') {
		if (i + 1 != n)
			return -1;
		oh = om = 0;
		sign = 1;
	} else if (s[i] == '+' || s[i] == '-') {
		if (n - i != 6 || s[i + 3] != ':' || digits(s + i + 1, 2, &oh) ||
		    digits(s + i + 4, 2, &om) || oh > 23 || om > 59)
			return -1;
		sign = s[i] == '+' ? 1 : -1;
	} else
		return -1;
	secs += mi * 60 + sec;
	secs -= sign * (oh * 3600 + om * 60);
	/* Years 0000 to 9999 cannot overflow secs; only the product can. */
	if (secs < KR_TS_MIN_S || secs >= KR_TS_END_S) {
		errno = ERANGE;
		return -1;
	}
	*ns = secs * 1000000000LL + frac;
	return 0;
}

int
kr_ts_canonical(const char *s, size_t n)
{
	int y;

	/* kr_ts_parse read it: the rest of its form is checked. What it
	 * moves on is a 60th second and February 29 of a common year. */
	if (n != KR_TS_LEN || s[10] != 'T' || s[19] != '.' || s[29] != 'Z' ||
	    s[17] > '5')
		return 0;
	if (s[5] == '0' && s[6] == '2' && s[8] == '2' && s[9] == '9') {
		digits(s, 4, &y);
		return y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
	}
	return 1;
}
