/* kr_id: the one rule for task and run ids. */
#include <string.h>

#include "kr_id.h"

int
kr_id_valid(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || n > KR_ID_MAX)
		return 0;
	if (s[0] == '.' && (n == 1 || (n == 2 && s[1] == '.')))
		return 0;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || (c != '\0' &&
		    strchr("-_.:@+=~", c) != NULL)))
			return 0;
	}
	return 1;
}
