/* kr_level: the six record levels, ordered. */
#include <string.h>
#include <strings.h>

#include "kr_level.h"

static const char *const names[KR_NLEVELS] = { "TRACE", "DEBUG", "INFO",
	"WARN", "ERROR", "FATAL" };

const char *
kr_level_name(enum kr_level l)
{
	return (unsigned)l < KR_NLEVELS ? names[l] : "INFO";
}

int
kr_level_parse(const char *s, size_t n)
{
	static const struct {
		const char *name;
		enum kr_level l;
	} t[] = {
		{ "TRACE", KR_TRACE }, { "DEBUG", KR_DEBUG }, { "INFO", KR_INFO },
		{ "WARN", KR_WARN }, { "ERROR", KR_ERROR }, { "FATAL", KR_FATAL },
		{ "WARNING", KR_WARN }, { "ERR", KR_ERROR }, { "CRIT", KR_FATAL },
		{ "CRITICAL", KR_FATAL }, { "PANIC", KR_FATAL },
		{ "EMERG", KR_FATAL }, { "ALERT", KR_FATAL },
		{ "NOTICE", KR_INFO }, { "INFORMATION", KR_INFO },
		{ "VERBOSE", KR_DEBUG }, { "DBG", KR_DEBUG },
		{ "TRC", KR_TRACE }, { "SEVERE", KR_ERROR },
	};
	size_t i;

	for (i = 0; i < sizeof t / sizeof t[0]; i++)
		if (strlen(t[i].name) == n && strncasecmp(s, t[i].name, n) == 0)
			return (int)t[i].l;
	return -1;
}
