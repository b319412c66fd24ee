/* kr_parse: numbers, durations and sizes from flags, env and config. */
#ifndef KR_PARSE_H
#define KR_PARSE_H

#include <stddef.h>

/* A decimal integer in [min, max]. 0, or -1 with errno EINVAL/ERANGE. */
int kr_parse_ll(const char *s, long long min, long long max, long long *v);
/*
 * A duration: "250ms", "1s", "1.5s", "5m", "2h", "30d", "100us", or bare
 * (fractional) seconds. Result in milliseconds, rounded up from sub-ms.
 */
int kr_parse_duration_ms(const char *s, long long *ms);
/* A size: "4096", "64k"/"64KiB"/"64KB", "1M"/"1MiB", "1G" (powers of 2),
 * within [min, max]. */
int kr_parse_size(const char *s, size_t min, size_t max, size_t *v);
/* A boolean: true/false, yes/no, on/off, 1/0 (any case). */
int kr_parse_bool(const char *s, int *v);

#endif
