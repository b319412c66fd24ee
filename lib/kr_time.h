/* kr_time: RFC 3339 nanosecond timestamps and a monotonic clock. */
#ifndef KR_TIME_H
#define KR_TIME_H

#include <stddef.h>
#include <time.h>

/* "2026-11-28T10:15:03.123456789Z" */
#define KR_TS_LEN 30

/* Formats the wall clock now; out has KR_TS_LEN + 1 bytes. */
void kr_ts_now(char *out);
/* Formats t (UTC) with nanoseconds. Cached per second: cheap per call. */
void kr_ts_format(const struct timespec *t, char *out);
/*
 * Parses RFC 3339 ("2026-11-28T10:15:03Z", fraction up to 9 digits,
 * "+02:00" offsets, 't'/'z'/' ' accepted) into nanoseconds since the epoch.
 * 0, or -1 when s[0..n) is not such a time.
 */
int kr_ts_parse(const char *s, size_t n, long long *ns);
/* Nanoseconds on CLOCK_MONOTONIC. */
long long kr_mono_ns(void);
/* Wall clock in nanoseconds since the epoch. */
long long kr_wall_ns(void);

#endif
