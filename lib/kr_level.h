/* kr_level: the six record levels, ordered. */
#ifndef KR_LEVEL_H
#define KR_LEVEL_H

#include <stddef.h>

enum kr_level { KR_TRACE, KR_DEBUG, KR_INFO, KR_WARN, KR_ERROR, KR_FATAL,
	KR_NLEVELS };

/* "TRACE" ... "FATAL". */
const char *kr_level_name(enum kr_level l);
/*
 * A level name in any case, with the usual aliases (WARNING, ERR,
 * CRITICAL, PANIC, NOTICE, VERBOSE ...). -1 when not a level.
 */
int kr_level_parse(const char *s, size_t n);

#endif
