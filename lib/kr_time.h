/* kr_time: RFC 3339 nanosecond timestamps and a monotonic clock. */
#ifndef KR_TIME_H
#define KR_TIME_H

#include <stddef.h>
#include <time.h>

/* "2026-11-28T10:15:03.123456789Z" */
#define KR_TS_LEN 30

/*
 * The times a signed 64-bit count of nanoseconds since the epoch holds,
 * in whole years: from 1678-01-01T00:00:00Z (KR_TS_MIN_S, seconds since
 * the epoch) up to, not including, 2262-01-01T00:00:00Z (KR_TS_END_S).
 */
#define KR_TS_MIN_S	(-9214560000LL)
#define KR_TS_END_S	9214646400LL
#define KR_TS_RANGE	"1678-01-01T00:00:00Z to 2261-12-31T23:59:59.999999999Z"

/* Formats the wall clock now; out has KR_TS_LEN + 1 bytes. */
void kr_ts_now(char *out);
/*
 * Formats t (UTC) with nanoseconds; t is within KR_TS_RANGE (as the wall
 * clock is). Cached per second: cheap per call.
 */
void kr_ts_format(const struct timespec *t, char *out);
/* The same of ns nanoseconds since the epoch (before it too). */
void kr_ts_format_ns(long long ns, char *out);
/*
 * Parses RFC 3339 ("2026-11-28T10:15:03Z", fraction up to 9 digits,
 * "+02:00" offsets, 't'/'z'/' ' accepted) into nanoseconds since the epoch.
 * 0; or -1 with errno EINVAL when s[0..n) is not such a time, ERANGE when
 * it is one outside KR_TS_RANGE (once its offset is applied).
 */
int kr_ts_parse(const char *s, size_t n, long long *ns);
/*
 * For a time kr_ts_parse read: 1 when s[0..n) is what kr_ts_format_ns
 * makes of it, byte for byte; else 0.
 */
int kr_ts_canonical(const char *s, size_t n);
/* Nanoseconds on CLOCK_MONOTONIC. */
long long kr_mono_ns(void);
/* Wall clock in nanoseconds since the epoch. */
long long kr_wall_ns(void);

#endif
